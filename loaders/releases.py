"""Layout of a store directory: immutable releases and an atomically switched ``current`` link.

    STORE/
      releases/<release-id>/oxigraph/      the Oxigraph database of the release
      releases/<release-id>/manifest.json  base URI, build time, per-table accounting
      releases/<release-id>/rejections.csv rows that did not load, with file:row:column and reason
      releases/<release-id>/documents.sqlite  its heaviest documents pre-rendered (added after
                                           the build, once, by the renderer: endpoint/prerender.py)
      current -> releases/<release-id>     what is served
      history.json                         the publish history: a stack of release ids
      .lock                                one publish or rollback at a time (flock)
      .build-lock                          one build at a time (flock, held for the whole build)

A build writes a new release directory under a temporary name, renames it into
place when complete, then swaps ``current`` with ``os.replace`` (atomic on POSIX).
A build that fails or is killed never touches ``current``.
``emis-lod import`` (``release_archive.py``) adds a release exported from another store
the same way, under the build lock: staging directory, checks, rename; it never publishes.

Every publish pushes the release it switches to onto the history; a rollback pops the top
and switches back to the release below, so rollbacks can be repeated, across processes.
``current`` is the truth and ``history.json`` (rewritten atomically) follows it: a process
killed between the switch and the history write leaves a history that :func:`history`
reconciles with ``current`` on the next read.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CURRENT = "current"
RELEASES = "releases"
MANIFEST = "manifest.json"
OXIGRAPH = "oxigraph"
REJECTIONS = "rejections.csv"
VALIDATION = "validation.ttl"
DOCUMENTS = "documents.sqlite"
HISTORY = "history.json"
LOCK = ".lock"
BUILD_LOCK = ".build-lock"
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
HISTORY_LOG = 200   # entries of the publish log kept in history.json


class ReleaseError(RuntimeError):
    """A release operation that cannot be done; the message says what to do instead."""


class NoRelease(ReleaseError):
    """The store directory has no published release yet."""


def new_release_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def staging_dir(store: Path, release_id: str) -> Path:
    """Where a build writes before the release is complete (ignored by everything else)."""
    path = Path(store) / RELEASES / f"{STAGING_PREFIX}{release_id}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def finish_release(store: Path, staging: Path, release_id: str) -> Path:
    """Move a complete staging directory to its final immutable name."""
    final = Path(store) / RELEASES / release_id
    os.replace(staging, final)
    return final


def is_complete(store: Path, release_id: str) -> bool:
    return (not release_id.startswith(".") and "/" not in release_id
            and (Path(store) / RELEASES / release_id / MANIFEST).is_file())


def current_release(store: Path) -> Path:
    """The directory of the served release."""
    link = Path(store) / CURRENT
    if not link.exists():
        raise NoRelease(
            f"no release in {store}: run `emis-lod build --source DIR --store {store}` first")
    return link.resolve()


def current_id(store: Path) -> str | None:
    """The id of the served release, or None before the first publish."""
    try:
        return current_release(store).name
    except NoRelease:
        return None


def read_manifest(release: Path) -> dict[str, Any]:
    return json.loads((Path(release) / MANIFEST).read_text(encoding="utf-8"))


def write_manifest(release: Path, manifest: dict[str, Any]) -> None:
    (Path(release) / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def list_releases(store: Path) -> list[str]:
    """Ids of the complete releases, oldest first (ids sort by build time)."""
    root = Path(store) / RELEASES
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())


def incomplete_releases(store: Path) -> list[str]:
    """Directories under ``releases/`` that are not complete releases: builds under way, or left
    by killed builds (the next build removes the staging ones)."""
    root = Path(store) / RELEASES
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not (p / MANIFEST).is_file())


class BuildRunning(ReleaseError):
    """Another build is writing into the same store."""


@contextlib.contextmanager
def building(store: Path) -> Iterator[None]:
    """Hold the store's build lock for a whole build. A second build into the same store fails
    at once instead of deleting the first one's staging directory; a killed build's lock goes
    with its process, so the next build simply runs."""
    Path(store).mkdir(parents=True, exist_ok=True)
    with open(Path(store) / BUILD_LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildRunning(f"another build is writing into {store}; wait until it ends (the "
                               "served release is not affected) or build into another store") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def discard_staging(store: Path) -> None:
    """Remove what killed or failed builds (and interrupted prunes) left behind."""
    root = Path(store) / RELEASES
    if root.is_dir():
        for p in root.iterdir():
            if p.name.startswith((STAGING_PREFIX, TRASH_PREFIX)):
                shutil.rmtree(p, ignore_errors=True)


# ------------------------------------------------------------------ publish history

@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    """Serialise the read-modify-write of ``current`` and the history between processes."""
    Path(store).mkdir(parents=True, exist_ok=True)
    with open(Path(store) / LOCK, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _read_history(store: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(store) / HISTORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return {"stack": [str(i) for i in data.get("stack", [])], "log": list(data.get("log", []))}


def history(store: Path) -> list[str]:
    """The publish stack, oldest first, its top the served release.

    Releases that no longer exist are left out, neighbours that became equal merge, and a
    ``current`` that the history does not end with (a store from before the history, or a
    process killed between the switch and the history write) is put on top.
    """
    stack: list[str] = []
    for rid in _read_history(store)["stack"]:
        if is_complete(store, rid) and (not stack or stack[-1] != rid):
            stack.append(rid)
    current = current_id(store)
    if current is not None and (not stack or stack[-1] != current):
        stack.append(current)
    return stack


def previous_release(store: Path) -> str | None:
    """The release a rollback returns to, if any."""
    stack = history(store)
    return stack[-2] if len(stack) >= 2 else None


def _switch(store: Path, release_id: str) -> None:
    """Point ``current`` at a release, atomically (a new symlink renamed over the old)."""
    tmp = Path(store) / f".{CURRENT}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(Path(RELEASES) / release_id, tmp)
    os.replace(tmp, Path(store) / CURRENT)


def _record(store: Path, stack: list[str], action: str, release_id: str,
            before: str | None) -> None:
    log = _read_history(store)["log"]
    log.append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "action": action,
                "release": release_id, "previous": before})
    _write_atomically(Path(store) / HISTORY, json.dumps(
        {"stack": stack, "log": log[-HISTORY_LOG:]}, ensure_ascii=False, indent=1) + "\n")


def _unknown(store: Path, release_id: str) -> ReleaseError:
    available = list_releases(store)
    what = ("is incomplete (a build under way or killed; the next build removes it)"
            if release_id in incomplete_releases(store) else "does not exist")
    listing = ", ".join(available) if available else "none; run `emis-lod build` first"
    return ReleaseError(f"release {release_id!r} {what} in {Path(store) / RELEASES}; "
                        f"complete releases: {listing} (see `emis-lod releases --store {store}`)")


def publish(store: Path, release_id: str | None = None) -> str:
    """Serve a complete release (default: the newest) from now on; returns its id.

    The switch is one ``os.replace`` of the ``current`` symlink; the release is pushed on the
    history so that :func:`rollback` can return to the one served before.
    """
    store = Path(store)
    with _locked(store):
        if release_id is None:
            available = list_releases(store)
            if not available:
                raise NoRelease(f"no complete release in {store / RELEASES}: run "
                                f"`emis-lod build --source DIR --store {store}` first")
            release_id = available[-1]
        if not is_complete(store, release_id):
            raise _unknown(store, release_id)
        stack = history(store)
        before = stack[-1] if stack else None
        if before != release_id:
            _switch(store, release_id)
            stack.append(release_id)
            _record(store, stack, "publish", release_id, before)
    return release_id


def rollback(store: Path) -> str:
    """Serve the release that was served before the last publish again; returns its id."""
    store = Path(store)
    with _locked(store):
        stack = history(store)
        if len(stack) < 2:
            served = f"only {stack[-1]} has been published" if stack else "nothing is published"
            raise ReleaseError(
                f"nothing to roll back to in {store}: {served}. "
                f"Publish a release by id instead (`emis-lod publish --store {store} ID`); "
                f"complete releases: {', '.join(list_releases(store)) or 'none'}")
        before = stack.pop()
        _switch(store, stack[-1])
        _record(store, stack, "rollback", stack[-1], before)
    return stack[-1]


# ------------------------------------------------------------------ listing and pruning

@dataclass(frozen=True)
class ReleaseInfo:
    """One complete release as ``emis-lod releases`` lists it."""

    id: str
    built_at: str
    software_version: str
    triples: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    current: bool
    previous: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def describe(store: Path) -> list[ReleaseInfo]:
    """Every complete release with its accounting, oldest first."""
    store = Path(store)
    current, previous = current_id(store), previous_release(store)
    out = []
    for rid in list_releases(store):
        manifest = read_manifest(store / RELEASES / rid)
        tables = manifest.get("tables", {}).values()
        out.append(ReleaseInfo(
            id=rid, built_at=str(manifest.get("built_at", "")),
            software_version=str(manifest.get("software_version", "")),
            triples=int(manifest.get("triples", 0)),
            rows_read=sum(int(t.get("rows_read", 0)) for t in tables),
            rows_loaded=sum(int(t.get("rows_loaded", 0)) for t in tables),
            rows_rejected=sum(int(t.get("rows_rejected", 0)) for t in tables),
            current=rid == current, previous=rid == previous))
    return out


def prune(store: Path, keep: int) -> list[str]:
    """Delete all but the ``keep`` newest releases; never the served one nor the rollback
    target. Returns the deleted ids.

    A release is first renamed to a hidden ``.trash-`` name (atomic: readers see it gone at
    once) and then removed; what a killed prune leaves is removed by the next build.
    """
    if keep < 1:
        raise ReleaseError(f"--prune {keep}: keep at least 1 release")
    store = Path(store)
    with _locked(store):
        protected = {current_id(store), previous_release(store)}
        deleted = [rid for rid in list_releases(store)[:-keep] if rid not in protected]
        for rid in deleted:
            trash = store / RELEASES / f"{TRASH_PREFIX}{rid}"
            os.replace(store / RELEASES / rid, trash)
            shutil.rmtree(trash, ignore_errors=True)
    return deleted
