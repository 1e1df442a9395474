"""Layout of a store directory: immutable releases and an atomically switched ``current`` link.

    STORE/
      releases/<release-id>/oxigraph/      the Oxigraph database of the release
      releases/<release-id>/manifest.json  base URI, build time, per-table accounting
      releases/<release-id>/rejections.csv rows that did not load, with file:row:column and reason
      current -> releases/<release-id>     what is served

A build writes a new release directory under a temporary name, renames it into
place when complete, then swaps ``current`` with ``os.replace`` (atomic on POSIX).
A build that fails or is killed never touches ``current``.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CURRENT = "current"
RELEASES = "releases"
MANIFEST = "manifest.json"
OXIGRAPH = "oxigraph"
REJECTIONS = "rejections.csv"


class NoRelease(RuntimeError):
    """The store directory has no published release yet."""


def new_release_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def staging_dir(store: Path, release_id: str) -> Path:
    """Where a build writes before the release is complete (ignored by everything else)."""
    path = Path(store) / RELEASES / f".staging-{release_id}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def finish_release(store: Path, staging: Path, release_id: str) -> Path:
    """Move a complete staging directory to its final immutable name."""
    final = Path(store) / RELEASES / release_id
    os.replace(staging, final)
    return final


def publish(store: Path, release_id: str) -> None:
    """Point ``current`` at a release, atomically."""
    store = Path(store)
    target = store / RELEASES / release_id
    if not (target / MANIFEST).is_file():
        raise NoRelease(f"{target} is not a complete release")
    tmp = store / f".{CURRENT}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(Path(RELEASES) / release_id, tmp)
    os.replace(tmp, store / CURRENT)


def current_release(store: Path) -> Path:
    """The directory of the served release."""
    link = Path(store) / CURRENT
    if not link.exists():
        raise NoRelease(
            f"no release in {store}: run `emis-lod build --source DIR --store {store}` first")
    return link.resolve()


def read_manifest(release: Path) -> dict[str, Any]:
    return json.loads((Path(release) / MANIFEST).read_text(encoding="utf-8"))


def write_manifest(release: Path, manifest: dict[str, Any]) -> None:
    (Path(release) / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def list_releases(store: Path) -> list[str]:
    root = Path(store) / RELEASES
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())


def discard_staging(store: Path) -> None:
    """Remove what killed or failed builds left behind."""
    root = Path(store) / RELEASES
    if root.is_dir():
        for p in root.iterdir():
            if p.name.startswith(".staging-"):
                shutil.rmtree(p, ignore_errors=True)
