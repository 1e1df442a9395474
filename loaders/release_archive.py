"""One release as one file, to ship between machines: ``emis-lod export`` and ``emis-lod import``.

A replica does not build: it receives the release a build machine made, byte for byte, and
publishes it as usual. The archive is a tar stream (gzip, fast level) of one complete release
directory under its id, followed by a checksum manifest::

    <release-id>/manifest.json, rejections.csv, validation.ttl, documents.sqlite (if rendered),
    <release-id>/dumps/..., <release-id>/oxigraph/...
    emis-lod-archive.json   format, release id, software version, triples, and the size and
                            SHA-256 of every file above (written last: one pass over the release)

Copying the files of ``oxigraph/`` is a complete copy of the database: a build closes its store
before the release is renamed into place (the write-ahead log is empty), and servers open it
read-only, which writes nothing in the directory, so nothing changes while it is read.
``Store.backup`` would add a checkpoint directory to make and remove for no gain. Import opens
the received store read-only and counts its triples before the release is put in place.

Both sides stream (a national release is several GB): every file is read and written in
chunks, the export is written to ``FILE.partial`` and renamed when complete, and the import
extracts into a staging directory (``releases.staging_dir``), checks everything, and renames
it into ``releases/`` only then (``releases.finish_release``); whatever fails, nothing is added.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pyoxigraph as ox
from zlib_ng import gzip_ng, zlib_ng

from emis_lod import __version__

from . import releases

ARCHIVE_MANIFEST = "emis-lod-archive.json"
FORMAT = "emis-lod release archive"
FORMAT_VERSION = 1
PARTIAL = ".partial"
# Gzip at level 1 (zlib-ng): Oxigraph writes its RocksDB files uncompressed and they shrink to
# about 40 % at ~270 MB/s on one core, while the already gzipped dumps pass through; higher
# levels or xz would gain a few percent for several times the export time of a national release.
COMPRESSION_LEVEL = 1
CHUNK = 1 << 20
MAX_ARCHIVE_MANIFEST = 64 << 20           # bytes; a release has a few thousand files
RELEASE_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,127}")
# a render under way writes documents.sqlite.partial (and its journal) into the release: not
# part of the release until renamed (endpoint/document_store.py)
IN_PROGRESS = releases.DOCUMENTS + PARTIAL


class ArchiveError(releases.ReleaseError):
    """A release archive that cannot be written or taken in; the message says which file or
    member and what to do."""


@dataclass(frozen=True)
class Shipped:
    """What an export wrote or an import added."""

    release: str
    path: Path               # the archive (export) or the release directory (import)
    files: int
    size: int                # bytes of the release's files, uncompressed
    triples: int
    software_version: str    # the version that built the release


def _copy_hashing(source: IO[bytes], sink: IO[bytes]) -> tuple[int, str]:
    """Copy ``source`` to ``sink`` in chunks; the size and SHA-256 of what was copied."""
    h, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
        sink.write(chunk)
    return size, h.hexdigest()


class _Hashing:
    """A file read by ``tarfile.addfile`` that hashes what passes through it."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source, self.sha256, self.size = source, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.source.read(n)
        self.sha256.update(chunk)
        self.size += len(chunk)
        return chunk


def _release_files(release: Path) -> list[str]:
    """The release's files as paths relative to it, manifest first, the database last."""
    found = []
    for root, dirs, names in os.walk(release, followlinks=False):
        dirs.sort()
        for name in sorted(names + [d for d in dirs if (Path(root) / d).is_symlink()]):
            rel = (Path(root) / name).relative_to(release).as_posix()
            if not rel.startswith(IN_PROGRESS):
                found.append(rel)
    first = {releases.MANIFEST: 0}
    return sorted(found, key=lambda p: (first.get(p, 1), p.startswith(releases.OXIGRAPH + "/"), p))


def export_release(store: Path, out: Path, release_id: str | None = None) -> Shipped:
    """Write a complete release of ``store`` (default: the served one) to the archive ``out``."""
    store, out = Path(store), Path(out)
    if release_id is None:
        release_id = releases.current_release(store).name   # NoRelease says how to make one
    elif not releases.is_complete(store, release_id):
        raise releases._unknown(store, release_id)
    release = store / releases.RELEASES / release_id
    manifest = releases.read_manifest(release)
    partial = out.with_name(out.name + PARTIAL)
    entries: list[dict[str, Any]] = []
    try:
        with gzip_ng.open(partial, "wb", compresslevel=COMPRESSION_LEVEL) as gz, \
                tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for rel in _release_files(release):
                entries.append(_add(tar, release / rel, f"{release_id}/{rel}", rel))
            data = json.dumps({
                "format": FORMAT, "format_version": FORMAT_VERSION, "release": release_id,
                "software_version": str(manifest.get("software_version", "")),
                "triples": int(manifest.get("triples", 0)),
                "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "exported_by": __version__, "files": entries,
            }, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo(ARCHIVE_MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
        with open(partial, "rb+") as done:
            os.fsync(done.fileno())
        os.replace(partial, out)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise ArchiveError(f"cannot export release {release_id} to {out}: {err}; nothing was "
                           "written (is there room on that disk? was the release pruned?)") from err
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Shipped(release_id, out, len(entries), sum(e["size"] for e in entries),
                   int(manifest.get("triples", 0)), str(manifest.get("software_version", "")))


def _add(tar: tarfile.TarFile, path: Path, name: str, rel: str) -> dict[str, Any]:
    if path.is_symlink() or not path.is_file():
        raise ArchiveError(f"{path} is not a regular file (a link?); a release holds only files, "
                           "and this one was changed by hand: build it again")
    with open(path, "rb") as source:
        st = os.fstat(source.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o644
        reader = _Hashing(source)
        tar.addfile(info, reader)   # reads exactly info.size bytes, or fails
    return {"path": rel, "size": reader.size, "sha256": reader.sha256.hexdigest()}


# ------------------------------------------------------------------ import

def _how(archive: Path) -> str:
    return (f"export the release again (`emis-lod export --store STORE ID --out {archive.name}`) "
            "and copy the archive whole (compare `sha256sum` of it on both machines)")


def _member_path(member: tarfile.TarInfo, archive: Path) -> PurePosixPath:
    """The member's name, if it is a plain file at a plain relative path."""
    name = PurePosixPath(member.name)
    bad = ("has an absolute path" if name.is_absolute()
           else "has `..` in its path" if ".." in name.parts
           else "is a symbolic link" if member.issym()
           else "is a hard link" if member.islnk()
           else "is a device or fifo" if member.isdev()
           else "is a directory" if member.isdir()
           else "is not a regular file" if not member.isfile()
           else "has an empty path part" if "//" in member.name else None)
    if bad:
        raise ArchiveError(f"{archive}: member {member.name!r} {bad}; an archive written by "
                           f"`emis-lod export` holds only the release's files; refusing it")
    return name


def _check_id(release_id: str, store: Path, archive: Path) -> None:
    if not RELEASE_ID.fullmatch(release_id):
        raise ArchiveError(f"{archive}: {release_id!r} is not a release id (letters, digits, `.`, "
                           "`_`, `-`); this is not an archive written by `emis-lod export`")
    there = store / releases.RELEASES / release_id
    if releases.is_complete(store, release_id):
        raise ArchiveError(
            f"release {release_id} is already in {store}; nothing imported (publish it with "
            f"`emis-lod publish --store {store} {release_id}`, or import into another store)")
    if there.exists() or there.is_symlink():
        raise ArchiveError(f"{there} exists but is not a complete release; remove it, then import "
                           "again")


def import_release(store: Path, archive: Path) -> Shipped:
    """Verify the archive ``archive`` and add its release to ``store`` as a complete release
    (not published). Nothing is added unless every check passes."""
    store, archive = Path(store), Path(archive)
    store.mkdir(parents=True, exist_ok=True)
    try:
        with releases.building(store):     # no build clears our staging directory meanwhile
            releases.discard_staging(store)
            return _import(store, archive)
    except releases.BuildRunning:
        raise ArchiveError(f"a build or another import is writing into {store}; import when it "
                           "ends (nothing was imported)") from None


def _import(store: Path, archive: Path) -> Shipped:
    staging: Path | None = None
    received: dict[str, tuple[int, str]] = {}   # path in the release -> size, sha256
    listed: dict[str, Any] | None = None
    release_id = ""
    member = ""
    where = "before its first member"
    try:
        with _uncompressed(archive) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for info in tar:
                member = info.name
                where = f"at member {member}"
                name = _member_path(info, archive)
                source = tar.extractfile(info)
                assert source is not None
                if member == ARCHIVE_MANIFEST:
                    if listed is not None or info.size > MAX_ARCHIVE_MANIFEST:
                        raise ArchiveError(f"{archive}: a second or oversized {ARCHIVE_MANIFEST}; "
                                           "not an archive written by `emis-lod export`")
                    listed = _read_listing(source.read(), archive)
                    continue
                if staging is None and len(name.parts) >= 2:
                    release_id = name.parts[0]
                    _check_id(release_id, store, archive)
                    staging = releases.staging_dir(store, release_id)
                if staging is None or name.parts[0] != release_id or len(name.parts) < 2:
                    raise ArchiveError(f"{archive}: member {member!r} is not in the release "
                                       f"{release_id}/ like the members before it; refusing it")
                rel = PurePosixPath(*name.parts[1:]).as_posix()
                if rel in received:
                    raise ArchiveError(f"{archive}: member {member!r} appears twice; refusing it")
                target = staging.joinpath(*name.parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as sink:
                    received[rel] = _copy_hashing(source, sink)
                    sink.flush()
                    os.fsync(sink.fileno())
                os.utime(target, (info.mtime, info.mtime))
            where = "after its last member"
            while stream.read(CHUNK):    # to the end, where gzip checks its CRC and length
                pass
        if staging is None or listed is None:
            raise ArchiveError(
                f"{archive}: {'no release in it' if staging is None else f'no {ARCHIVE_MANIFEST}'}"
                f": the archive is truncated or not one written by `emis-lod export`; {_how(archive)}")
        _compare(listed, received, release_id, archive)
        triples = _open_and_count(staging, listed, release_id, archive)
        if (store / releases.RELEASES / release_id).exists():
            _check_id(release_id, store, archive)
        final = releases.finish_release(store, staging, release_id)
    # zlib-ng reports a broken stream with its own error, which its stubs leave untyped
    except (tarfile.TarError, EOFError, zlib_ng.error, gzip.BadGzipFile) as err:  # type: ignore[misc]
        _discard(staging)
        raise ArchiveError(f"{archive} is damaged, truncated or not an archive written by `emis-lod "
                           f"export` ({where}: {err}); nothing imported; {_how(archive)}") from err
    except OSError as err:
        _discard(staging)
        raise ArchiveError(f"cannot import {archive} into {store} ({where}: {err}); nothing "
                           f"imported; is there room on the disk? Else {_how(archive)}") from err
    except BaseException:
        _discard(staging)
        raise
    return Shipped(release_id, final, len(received), sum(s for s, _ in received.values()), triples,
                   str(listed.get("software_version", "")))


def _uncompressed(archive: Path) -> IO[bytes]:
    """The tar stream of the archive: gunzipped (zlib-ng) unless it is a plain tar."""
    with open(archive, "rb") as head:
        gzipped = head.read(2) == b"\x1f\x8b"
    return gzip_ng.open(archive, "rb") if gzipped else open(archive, "rb")


def _discard(staging: Path | None) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)


def _read_listing(data: bytes, archive: Path) -> dict[str, Any]:
    try:
        listed = json.loads(data)
        assert listed["format"] == FORMAT and isinstance(listed["files"], list)
        int(listed["triples"])
        for entry in listed["files"]:
            str(entry["path"]), int(entry["size"]), str(entry["sha256"])
    except (ValueError, KeyError, TypeError, AssertionError) as err:
        raise ArchiveError(f"{archive}: {ARCHIVE_MANIFEST} is unreadable ({err!r}); not an archive "
                           f"written by `emis-lod export`, or damaged; {_how(archive)}") from None
    if int(listed.get("format_version", 0)) > FORMAT_VERSION:
        raise ArchiveError(f"{archive} is of a newer archive format ({listed['format_version']}) "
                           f"than this emis-lod {__version__} reads; upgrade emis-lod here")
    return dict(listed)


def _compare(listed: dict[str, Any], received: dict[str, tuple[int, str]], release_id: str,
             archive: Path) -> None:
    if listed["release"] != release_id:
        raise ArchiveError(f"{archive}: its {ARCHIVE_MANIFEST} is for release {listed['release']} "
                           f"but the files are under {release_id}/; refusing it; {_how(archive)}")
    expected = {str(e["path"]): (int(e["size"]), str(e["sha256"])) for e in listed["files"]}
    for rel in received:
        if rel not in expected:
            raise ArchiveError(f"{archive}: member {release_id}/{rel} is not in its "
                               f"{ARCHIVE_MANIFEST}; refusing the archive; {_how(archive)}")
    for rel, (size, sha256) in expected.items():
        if rel not in received:
            raise ArchiveError(f"{archive}: member {release_id}/{rel} is listed but missing (a "
                               f"truncated or edited archive); {_how(archive)}")
        got = received[rel]
        if got != (size, sha256):
            what = (f"{got[0]} bytes instead of {size}" if got[0] != size
                    else f"SHA-256 {got[1]} instead of {sha256}")
            raise ArchiveError(f"{archive}: member {release_id}/{rel} is damaged ({what}); "
                               f"nothing imported; {_how(archive)}")
    if releases.MANIFEST not in received:
        raise ArchiveError(f"{archive}: release {release_id} has no {releases.MANIFEST}; not an "
                           "archive written by `emis-lod export`")


def _open_and_count(staging: Path, listed: dict[str, Any], release_id: str, archive: Path) -> int:
    """Open the received store as servers do (read-only) and count its triples."""
    manifest = releases.read_manifest(staging)
    if manifest.get("release", release_id) != release_id:
        raise ArchiveError(f"{archive}: the {releases.MANIFEST} of release {release_id} names "
                           f"release {manifest.get('release')}; refusing it")
    expected = int(manifest.get("triples", -1))
    try:
        store = ox.Store.read_only(str(staging / releases.OXIGRAPH))
        triples = len(store)
        del store
    except OSError as err:
        raise ArchiveError(f"{archive}: the database of release {release_id} does not open "
                           f"read-only ({err}); nothing imported; {_how(archive)}") from None
    if triples != expected or triples != int(listed["triples"]):
        raise ArchiveError(f"{archive}: the database of release {release_id} holds {triples} "
                           f"triples, its manifest says {expected}; nothing imported; {_how(archive)}")
    return triples
