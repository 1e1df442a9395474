"""The pre-rendered documents of a release: one SQLite file in the release, shared by every
worker and every restart.

A release never changes, so a document rendered once stays right for as long as the release is
served. ``prerender.py`` renders the documents of the heavy resource types (a school's joins its
records, summaries, buildings and indicators) in every format and language into
``documents.sqlite`` in the release directory, and the workers answer those documents from it
with one indexed read instead of a describe query and a rendering.

The file is written under another name and renamed when complete, so a reader never sees half
of it; readers open it ``immutable`` (no locks, no journal: it never changes once there). It
carries a fingerprint of what else shapes a page (the code, templates and queries that render it,
the settings a page shows): a file rendered under another fingerprint is ignored, and rendered
again.

One row per document: ``(iri, media type, language)`` -> the body (compressed: a school's seven
documents are ~250 kB, ~25 kB compressed) and its ETag, the one a live answer gets.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from zlib_ng import zlib_ng

from emis_lod import __version__
from emis_lod.loaders import releases
from emis_lod.settings import Settings

SUFFIX_PARTIAL = ".partial"
COMPRESSION_LEVEL = 1
# the settings that change the bytes of a page (a map's tiles and attribution)
PAGE_SETTINGS = ("map_tiles", "map_attribution")
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    iri TEXT NOT NULL, media TEXT NOT NULL, lang TEXT NOT NULL,
    body BLOB NOT NULL, etag TEXT NOT NULL,
    PRIMARY KEY (iri, media, lang)) WITHOUT ROWID;
"""


def fingerprint(settings: Settings) -> str:
    """What, besides the release, the bytes of a document depend on: the code and templates
    that render it and the settings a page shows."""
    shown = {name: getattr(settings, name) for name in PAGE_SETTINGS}
    return hashlib.sha256(json.dumps([__version__, _renderer_digest(), shown],
                                     sort_keys=True).encode()).hexdigest()[:16]


@functools.cache
def _renderer_digest() -> str:
    """A digest of the files that render documents: the web layer's code, templates and queries,
    the formats and the JSON-LD context (an upgrade that changes any makes documents stale)."""
    digest = hashlib.sha256()
    roots = [resources.files("emis_lod.endpoint"), resources.files("emis_lod").joinpath("formats.py"),
             resources.files("emis_lod.ontology").joinpath("context.jsonld")]
    todo = list(roots)
    while todo:
        item = todo.pop()
        if item.is_dir():
            todo += sorted((c for c in item.iterdir() if c.name not in ("__pycache__", "static")),
                           key=lambda c: c.name, reverse=True)
        elif item.name.endswith((".py", ".html", ".rq", ".jsonld")):
            digest.update(item.name.encode() + b"\0" + item.read_bytes())
    return digest.hexdigest()


def compress(body: bytes) -> bytes:
    return zlib_ng.compress(body, COMPRESSION_LEVEL)


def path_of(release_dir: Path) -> Path:
    return Path(release_dir) / releases.DOCUMENTS


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str


class DocumentStore:
    """Read side: the complete file of a release, or nothing (``open`` returns None)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()  # one connection per worker, used by its threads in turn

    @classmethod
    def open(cls, release_dir: Path, settings: Settings) -> DocumentStore | None:
        path = path_of(release_dir)
        if not path.exists():
            return None
        connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                                     check_same_thread=False)
        row = connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row is None or row[0] != fingerprint(settings):
            connection.close()
            return None
        return cls(connection)

    def get(self, iri: str, media: str, lang: str) -> Document | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT body, etag FROM documents WHERE iri = ? AND media = ? AND lang = ?",
                (iri, media, lang)).fetchone()
        if row is None:
            return None
        return Document(zlib_ng.decompress(row[0]), row[1])

    def has(self, iri: str) -> bool:
        """True when the release's documents include ``iri``'s (then it exists)."""
        with self._lock:
            return self._connection.execute("SELECT 1 FROM documents WHERE iri = ? LIMIT 1",
                                            (iri,)).fetchone() is not None

    def close(self) -> None:
        self._connection.close()


class DocumentWriter:
    """Write side: fills ``documents.sqlite.partial`` (resuming one left by an interrupted
    run) and renames it into place when every document is in."""

    def __init__(self, release_dir: Path, settings: Settings) -> None:
        self.final = path_of(release_dir)
        self.partial = self.final.with_name(self.final.name + SUFFIX_PARTIAL)
        self.connection = sqlite3.connect(self.partial)
        self.connection.executescript(SCHEMA)
        mark = fingerprint(settings)
        row = self.connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row is not None and row[0] != mark:   # left by another version: start again
            self.connection.execute("DELETE FROM documents")
        self.connection.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (mark,))
        self.connection.commit()

    def done(self) -> set[str]:
        """The IRIs already rendered (every variant of one is written in one transaction)."""
        return {row[0] for row in self.connection.execute("SELECT DISTINCT iri FROM documents")}

    def add(self, iri: str, variants: Iterable[tuple[str, str, bytes, str]]) -> None:
        """Every variant of one resource: ``(media type, language, body compressed by
        :func:`compress`, ETag)`` (the process that rendered a body compresses it)."""
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
                [(iri, media, lang, body, etag) for media, lang, body, etag in variants])

    def finish(self, counts: dict[str, int]) -> Path:
        with self.connection:
            self.connection.execute("INSERT OR REPLACE INTO meta VALUES ('counts', ?)",
                                    (json.dumps(counts, sort_keys=True),))
        self.connection.execute("VACUUM")
        self.connection.close()
        self.partial.replace(self.final)
        return self.final

    def close(self) -> None:
        self.connection.close()


# not the release's memo (Release.memo): the pre-rendered file may appear while its release is
# served (``render --follow``), so a release without one is looked at again, and the WSGI
# middleware asks for it by path before the application has a request's release
_opened: dict[Path, DocumentStore] = {}
_seen: dict[Path, float] = {}   # a release's file as last found unusable: its mtime, or -1 absent
_opened_lock = threading.Lock()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def of_release(release_dir: Path, settings: Settings) -> DocumentStore | None:
    """The pre-rendered documents of a release in this process: opened once; while there are
    none (or only some made under another fingerprint), looked for again on each call (a stat)."""
    found = _opened.get(release_dir)
    if found is not None:
        return found
    mtime = _mtime(path_of(release_dir))
    if _seen.get(release_dir) == mtime:
        return None
    with _opened_lock:
        if release_dir not in _opened:
            for path in [p for p in _opened if p != release_dir]:   # one release at a time
                del _opened[path]   # closed when the last request on it lets go
            opened = DocumentStore.open(release_dir, settings) if mtime >= 0 else None
            if opened is None:
                _seen[release_dir] = mtime
                return None
            _opened[release_dir] = opened
    return _opened.get(release_dir)
