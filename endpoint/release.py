"""The release a worker serves: the opened, immutable ``Release`` and the holder that opens it.

``ReleaseHolder`` opens the current release of ``STORE`` lazily, once per process (after
gunicorn forked it), and opens the new one when ``STORE/current`` is switched (``emis-lod
publish`` or ``rollback``). ``release()`` is the release of the current request, kept for the
whole request; ``settings()`` the application's settings.

A release never changes, so whatever a view derives from the whole of it (the search index,
the VoID counts, the catalogue...) is computed once per process and kept on the release object
(``Release.memo``): a switch drops it with the old release, and there is nothing to clear.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

import pyoxigraph as ox
from flask import current_app, g

from emis_lod import profiles
from emis_lod.loaders import releases
from emis_lod.loaders.resource_types import ResourceType, from_manifest
from emis_lod.namespaces import prefixes as platform_prefixes
from emis_lod.profiles import Profile
from emis_lod.settings import Settings
from emis_lod.uris import Uris

log = logging.getLogger(__name__)

EXTENSION = "emis_lod"   # the application's key for its ReleaseHolder, and g's for the release

T = TypeVar("T")


class OncePerKey:
    """Values computed once each, by key, thread-safe: a value is computed under its own key's
    lock, so requests wanting it wait for the first, while a slow one does not hold up the
    others. A computation that raises leaves nothing behind (the next call tries again)."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        try:
            return cast(T, self._values[key])
        except KeyError:
            pass
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = compute()
            return cast(T, self._values[key])


@dataclass(frozen=True)
class Release:
    """One opened release: its read-only store and what the views need to know about it."""

    path: Path
    store: ox.Store
    manifest: dict[str, Any]
    uris: Uris
    prefixes: dict[str, str]
    profile: Profile      # the country profile it was built with (its languages, publisher...)
    _memo: OncePerKey = field(default_factory=OncePerKey, init=False, repr=False, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages of its pages and labels, the first the default."""
        return self.profile.languages

    @property
    def id(self) -> str:
        return str(self.manifest.get("release", self.path.name))

    @cached_property
    def types(self) -> dict[str, ResourceType]:
        """The types of its ``/id/{type}/...`` resources, as the build recorded them in the
        manifest (loaders/resource_types.py): the endpoint dereferences and lists these."""
        return from_manifest(self.manifest, self.uris)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per ``key`` in this process for this release."""
        return self._memo.get(key, compute)


class ReleaseHolder:
    """Opens the served release lazily, once per process, and follows ``current`` when it moves."""

    def __init__(self, store_dir: Path, settings: Settings) -> None:
        self.store_dir = Path(store_dir)
        self.settings = settings
        self._lock = threading.Lock()
        self._release: Release | None = None
        self._pid: int | None = None

    def get(self) -> Release:
        path = releases.current_release(self.store_dir)
        release = self._release
        if release is not None and release.path == path and self._pid == os.getpid():
            return release
        with self._lock:
            release = self._release
            if release is None or release.path != path or self._pid != os.getpid():
                release = self._open(path)
                self._release, self._pid = release, os.getpid()
        return release

    def _open(self, path: Path) -> Release:
        manifest = releases.read_manifest(path)
        base = manifest.get("base_uri") or self.settings.base_uri
        if base.rstrip("/") != self.settings.base_uri.rstrip("/"):
            log.info("serving release %s with its own base URI %s", path.name, base)
        store = ox.Store.read_only(str(path / releases.OXIGRAPH))
        uris = Uris(base)
        log.info("opened release %s read-only (pid %s)", path.name, os.getpid())
        return Release(path=path, store=store, manifest=manifest, uris=uris,
                       prefixes=platform_prefixes(uris), profile=profiles.of_release(path))


def release() -> Release:
    """The release serving the current request: the one served when the request first asked,
    kept for the whole request, so that a publish or rollback while it runs never mixes two
    releases in one answer (the old release stays open until the request ends)."""
    rel: Release | None = g.get(EXTENSION)
    if rel is None:
        holder: ReleaseHolder = current_app.extensions[EXTENSION]
        rel = holder.get()
        setattr(g, EXTENSION, rel)
    return rel


def settings() -> Settings:
    holder: ReleaseHolder = current_app.extensions[EXTENSION]
    return holder.settings
