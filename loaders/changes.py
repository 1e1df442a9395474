"""What changed between two releases: the changeset (quads added and removed) and the resources
added, removed and changed, per type, compared as sorted streams.

A build compares its release with the release that was served when it started (``current``;
none for the first build). Both whole-release dumps (``dumps/emis.nq.gz``) are N-Quads, one
quad a line, written the same way for the same quad; sorted as bytes (GNU ``sort``, C locale,
bounded memory) two dumps differ by exactly the lines ``comm -3`` prints. Nothing holds a
release's quads in Python: at 20,000 schools (37 M quads) a set of them would take 10 GB.

- **Changeset**: ``changes-{previous}.removed.nq.gz`` and ``changes-{previous}.added.nq.gz`` in
  ``dumps/``, gzipped N-Quads, each quad with its own named graph. Removing the removed lines
  from the previous release's ``emis.nq.gz`` and adding the added ones gives exactly the lines
  of this release's ``emis.nq.gz`` (as a set of quads: the order of the lines is not kept).
  Blank nodes are only in ``graph/provenance`` and their labels are the store's, new in
  every build: the changeset removes and adds those quads under their labels.
- **Resources**: a resource is a thing with a ``{base}id/{type}/{key}`` IRI of a type of
  either release (``types`` of their manifests, loaders/resource_types.py), or a code-list
  concept or scheme ``{base}def/concept/...`` (type ``concept``). Its *record* is every quad, in
  any named graph, whose subject is its IRI or a hash IRI under it (``{iri}#...``, the
  provenance's file nodes of a release): what the resource's own ``/doc/`` document holds about
  it (``endpoint/queries/resource.rq``: its own triples; the names of what it links to are the
  records of those resources, its enrolment records resources of their own). It is *added*
  when no quad of its record was in the previous release, *removed* when none is in this one,
  *changed* when it is in both and its record differs (a quad added or removed).
- The sorted quads of the release are kept (``changes/sorted.nq.gz``, gzip level 1) for the
  next build to compare against, so that a build sorts only its own dump; a previous release
  without them (built before, or imported) has its dump sorted again.
- ``changes/members.tsv`` lists the changed resources, sorted (``type TAB iri TAB kind``,
  kind ``create``, ``update`` or ``delete``) and ``changes/pages.json`` where each page of
  :data:`PAGE_SIZE` of them starts: the members of the release's pages of the event stream
  (``endpoint/ldes.py``), read a page at a time.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from collections.abc import Collection, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox
from zlib_ng import gzip_ng

from emis_lod.uris import Uris

from .errors import BuildError

CHANGES = "changes"                 # the directory of a release holding the files below
SORTED = "sorted.nq.gz"
MEMBERS = "members.tsv"
PAGES = "pages.json"
PAGE_SIZE = 1000                    # members per page of the event stream
SORT_MEMORY = "1G"                # sort's buffer; it spills to temporary files beyond it
KINDS = ("added", "removed", "changed")
EVENTS = {"added": "create", "removed": "delete", "changed": "update"}
CONCEPT = "concept"
LEVEL = 6                           # the changeset's gzip level, as the other dumps'
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Comparison:
    """What the manifest records (``changes``): the release compared with, the resources added,
    removed and changed per type, the quads added and removed and the changeset files."""

    previous: str
    counts: dict[str, dict[str, int]]
    added_quads: int
    removed_quads: int
    files: dict[str, str] = field(default_factory=dict)   # "added"/"removed" -> dump file name
    seconds: float = 0.0

    def manifest(self) -> dict[str, Any]:
        return {"previous": self.previous, "counts": self.counts, "added_quads": self.added_quads,
                "removed_quads": self.removed_quads, "files": self.files}


def changeset_files(previous: str) -> dict[str, str]:
    """The names of the changeset's two files in ``dumps/``, against release ``previous``."""
    return {"removed": f"changes-{previous}.removed.nq.gz", "added": f"changes-{previous}.added.nq.gz"}


def is_changeset(name: str) -> bool:
    """Whether a dump file is a changeset (not the data of a release)."""
    return name.startswith("changes-") and name.endswith((".added.nq.gz", ".removed.nq.gz"))


def release_time(release_id: str) -> datetime:
    """The time a release's build started, from its id (``20261206T035427224436Z``): the
    timestamp of its members in the event stream (unique: builds of a store run one at a time)."""
    return datetime.strptime(release_id, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


def resource_of(subject: str, uris: Uris, types: Collection[str] | None) -> tuple[str, str] | None:
    """``(type, iri)`` of the resource whose record a quad with this subject is part of
    (an N-Quads term: ``<iri>`` or ``_:label``), or None; ``types``: the resource types (None:
    any first segment of an ``/id/`` path, for a lookup among known members)."""
    if not subject.startswith("<"):
        return None
    iri = subject[1:-1].partition("#")[0]
    rest = iri[len(uris.base):] if iri.startswith(uris.base) else None
    if rest is None:
        return None
    if rest.startswith("id/"):
        type_, _, key = rest[3:].partition("/")
        return (type_, iri) if key and (types is None or type_ in types) else None
    if rest.startswith("def/concept/") and len(rest) > len("def/concept/"):
        return CONCEPT, iri
    return None


def _run(command: str, **options: Any) -> subprocess.Popen[bytes]:
    """A shell pipeline (``bash -o pipefail``) in the C locale: bytes order, fast."""
    return subprocess.Popen(["bash", "-o", "pipefail", "-c", command],
                            env={**os.environ, "LC_ALL": "C"}, **options)


def _check(proc: subprocess.Popen[bytes], what: str) -> None:
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise BuildError(f"comparing releases: {what} failed ({err.strip() or proc.returncode}); "
                         "free disk space in the store if that is what it says")


def _sort(quads: str, temp: Path) -> str:
    """The pipeline that writes the sorted, distinct quads of the gzipped N-Quads ``quads``."""
    return (f"gzip -dc {shlex.quote(quads)} | sort -u -S {SORT_MEMORY} --parallel=2 "
            f"-T {shlex.quote(str(temp))}")


def _resources(quads: str) -> str:
    """The pipeline that writes the sorted distinct subjects of sorted quads, hash IRIs cut at '#'
    (what :func:`resource_of` reads)."""
    return (f"{quads} | cut -d ' ' -f 1 | uniq | sed -e 's/#[^>]*>$/>/' | sort -u -S 64M")


def sort_release(release_dir: Path) -> Path:
    """Sort the release's ``emis.nq.gz`` into ``changes/sorted.nq.gz`` (kept for the next build);
    the uncompressed sorted file beside it, for the caller to compare and remove."""
    out = Path(release_dir) / CHANGES
    out.mkdir(exist_ok=True)
    plain = out / "sorted.nq"
    with open(plain, "wb") as sink:
        proc = _run(_sort(str(Path(release_dir) / "dumps" / "emis.nq.gz"), out), stdout=sink,
                    stderr=subprocess.PIPE)
        _check(proc, "sorting the dump")
    return plain


def comparable(previous_dir: Path) -> bool:
    """Whether a release can be compared with: it has its sorted quads or its N-Quads dump (a
    release made otherwise, e.g. written by a test or a tool, has neither, and the next build
    then records no changes, as the first one does)."""
    return (previous_dir / CHANGES / SORTED).is_file() or \
        (previous_dir / "dumps" / "emis.nq.gz").is_file()


def _previous_sorted(previous_dir: Path, temp: Path) -> tuple[str, Path | None]:
    """A shell command writing the previous release's sorted quads, and a file to remove after."""
    kept = previous_dir / CHANGES / SORTED
    if kept.is_file():
        return f"gzip -dc {shlex.quote(str(kept))}", None
    plain = temp / "previous.nq"          # built before changes were kept, or imported
    with open(plain, "wb") as sink:
        proc = _run(_sort(str(previous_dir / "dumps" / "emis.nq.gz"), temp), stdout=sink,
                    stderr=subprocess.PIPE)
        _check(proc, f"sorting the dump of release {previous_dir.name}")
    return f"cat {shlex.quote(str(plain))}", plain


class _Counting:
    """A writer that counts the lines written through it."""

    def __init__(self, out: gzip_ng.GzipNGFile) -> None:
        self.out, self.lines = out, 0

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        return self.out.write(data)


@dataclass
class _Diff:
    added: int = 0
    removed: int = 0
    resources: dict[str, str] = field(default_factory=dict)    # iri -> type: record differs


def _split(diff: IO[bytes], added: _Counting, removed: _Counting, uris: Uris,
           types: Collection[str]) -> _Diff:
    """``comm -3`` output (removed lines as they are, added ones after a tab) into the two
    files; the resources whose records differ (a subject's lines come together: sorted)."""
    out = _Diff()
    last = b""
    batch: dict[bool, list[bytes]] = {True: [], False: []}
    for line in diff:
        is_added = line[:1] == b"\t"
        if is_added:
            line = line[1:]
        lines = batch[is_added]
        lines.append(line)
        if len(lines) >= 10_000:
            (added if is_added else removed).write(b"".join(lines))
            lines.clear()
        subject = line[:line.find(b" ")]
        if subject != last:
            last = subject
            found = resource_of(subject.decode("utf-8"), uris, types)
            if found:
                out.resources[found[1]] = found[0]
    for is_added, lines in batch.items():
        (added if is_added else removed).write(b"".join(lines))
    return out


def _gzip(path: Path, stack: ExitStack) -> gzip_ng.GzipNGFile:
    # mtime 0 and no file name: the same changes give the same bytes (stable checksums)
    raw = stack.enter_context(open(path, "wb"))
    return stack.enter_context(gzip_ng.GzipNGFile(fileobj=raw, mode="wb", mtime=0, filename="",
                                                  compresslevel=LEVEL))


def _created_deleted(old: Path, new: Path, differ: dict[str, str],
                     uris: Uris, types: Collection[str]) -> tuple[set[str], set[str]]:
    """Of the resources whose records differ, those only in the new release and only in the
    old one (``comm -3`` of the two sorted lists of subjects)."""
    created: set[str] = set()
    deleted: set[str] = set()
    proc = _run(f"comm -3 {shlex.quote(str(old))} {shlex.quote(str(new))}", stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
    assert proc.stdout is not None
    for line in proc.stdout:
        found = resource_of(line.strip().decode("utf-8"), uris, types)
        if found and found[1] in differ:
            (created if line[:1] == b"\t" else deleted).add(found[1])
    _check(proc, "comparing the lists of resources")
    return created, deleted


def write_members(out_dir: Path, members: list[tuple[str, str, str]]) -> None:
    """``members.tsv`` (sorted ``type TAB iri TAB event`` lines) and ``pages.json`` (the byte
    offset, type and IRI of the first member of each page of :data:`PAGE_SIZE`)."""
    pages: list[list[Any]] = []
    at = 0
    with open(out_dir / MEMBERS, "wb") as f:
        for i, (type_, iri, event) in enumerate(sorted(members)):
            if i % PAGE_SIZE == 0:
                pages.append([at, type_, iri])
            line = f"{type_}\t{iri}\t{event}\n".encode()
            f.write(line)
            at += len(line)
    (out_dir / PAGES).write_text(json.dumps({"page_size": PAGE_SIZE, "members": len(members),
                                             "bytes": at, "pages": pages}) + "\n",
                                 encoding="utf-8")


def _stored_in(store: ox.Store, iris: Iterator[str]) -> set[str]:
    """Those of ``iris`` that are the subject of a quad of ``store`` (an index lookup each)."""
    return {iri for iri in iris
            if next(iter(store.quads_for_pattern(ox.NamedNode(iri), None, None)), None) is not None}


def release_types(release_dir: Path, uris: Uris) -> set[str]:
    """The resource types of a release, from its manifest (a release that records none, or
    has no manifest, has the types of the bundled mappings)."""
    from .releases import MANIFEST, read_manifest
    from .resource_types import from_manifest

    has_manifest = (Path(release_dir) / MANIFEST).is_file()
    return set(from_manifest(read_manifest(release_dir) if has_manifest else {}, uris))


def compare(previous_dir: Path | None, release_dir: Path, uris: Uris,
            store: ox.Store | None = None, types: Collection[str] | None = None) -> Comparison | None:
    """Sort the release's quads (kept for the next build) and, with a previous release, write
    the changeset into ``dumps/`` and the changed resources into ``changes/``; the comparison
    (None for the first release, or after a release that cannot be compared with).

    Whether a resource whose record differs is in each release at all: with the release's
    ``store`` (the build's, open) and the previous release's database, one index lookup per such
    resource; otherwise (dumps only) from the sorted lists of both releases' subjects, two more
    passes over all the quads. The resources are those of the types of either release: ``types``
    (the release's, while it is built; else its manifest's) and the previous release's."""
    started = time.perf_counter()
    release_dir = Path(release_dir)
    out = release_dir / CHANGES
    plain = sort_release(release_dir)
    temporary = [plain, out / "resources.old", out / "resources.new"]
    keep = _run(f"gzip -1 -c {shlex.quote(str(plain))} > {shlex.quote(str(out / SORTED))}",
                stderr=subprocess.PIPE)
    running = [keep]
    try:
        if previous_dir is None or not comparable(Path(previous_dir)):
            _check(keep, "compressing the sorted quads")
            return None
        previous_dir = Path(previous_dir)
        known = set(release_types(release_dir, uris) if types is None else types) | \
            release_types(previous_dir, uris)
        previous, extra = _previous_sorted(previous_dir, out)
        if extra is not None:
            temporary.append(extra)
        old_db = previous_dir / "oxigraph"
        lookup = store is not None and old_db.is_dir()
        if not lookup:
            new_list = _run(_resources(f"cat {shlex.quote(str(plain))}")
                            + f" > {shlex.quote(str(temporary[2]))}", stderr=subprocess.PIPE)
            old_list = _run(_resources(previous) + f" > {shlex.quote(str(temporary[1]))}",
                            stderr=subprocess.PIPE)
            running += [new_list, old_list]
        comm = _run(f"{previous} | comm -3 - {shlex.quote(str(plain))}", stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
        running.append(comm)
        files = changeset_files(previous_dir.name)
        assert comm.stdout is not None
        with ExitStack() as stack:
            added = _Counting(_gzip(release_dir / "dumps" / files["added"], stack))
            removed = _Counting(_gzip(release_dir / "dumps" / files["removed"], stack))
            diff = _split(comm.stdout, added, removed, uris, known)
        _check(comm, "comparing the sorted quads")
        if lookup:
            assert store is not None
            old_store = ox.Store.read_only(str(old_db))
            in_old = _stored_in(old_store, iter(diff.resources))
            del old_store
            in_new = _stored_in(store, iter(diff.resources))
            created, deleted = set(diff.resources) - in_old, set(diff.resources) - in_new
        else:
            _check(new_list, "listing the resources of the release")
            _check(old_list, f"listing the resources of release {previous_dir.name}")
            created, deleted = _created_deleted(temporary[1], temporary[2], diff.resources, uris,
                                                known) \
                if diff.resources else (set(), set())
        counts: dict[str, dict[str, int]] = {}
        members = []
        for iri, type_ in diff.resources.items():
            kind = "added" if iri in created else "removed" if iri in deleted else "changed"
            counts.setdefault(type_, dict.fromkeys(KINDS, 0))[kind] += 1
            members.append((type_, iri, EVENTS[kind]))
        write_members(out, members)
        _check(keep, "compressing the sorted quads")
        return Comparison(previous_dir.name, dict(sorted(counts.items())), added.lines,
                          removed.lines, files, time.perf_counter() - started)
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for path in temporary:
            path.unlink(missing_ok=True)


def read_page(release_dir: Path, number: int) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """The index of a release's pages and the members of page ``number`` (from 1), as
    ``(type, iri, event)``; no page (an empty list) past the last one."""
    out = Path(release_dir) / CHANGES
    index = json.loads((out / PAGES).read_text(encoding="utf-8"))
    pages = index["pages"]
    if not 1 <= number <= len(pages):
        return index, []
    start = pages[number - 1][0]
    end = pages[number][0] if number < len(pages) else index["bytes"]
    with open(out / MEMBERS, "rb") as f:
        f.seek(start)
        text = f.read(end - start).decode("utf-8")
    members = []
    for line in text.splitlines():
        type_, iri, event = line.split("\t")
        members.append((type_, iri, event))
    return index, members


def has_members(release_dir: Path) -> bool:
    return (Path(release_dir) / CHANGES / PAGES).is_file()


def apply(previous: Iterator[bytes], removed: Iterator[bytes], added: Iterator[bytes]) -> set[bytes]:
    """The quads (N-Quads lines) of a release from the previous release's and a changeset (what
    a copy does: remove the removed, add the added); for tests and the README's example."""
    quads = set(previous)
    quads.difference_update(removed)
    quads.update(added)
    return quads
