"""The whole-dataset dumps (``emis.nq.gz``, ``emis.trig.gz``), written from the N-Triples the
build already produced, in worker processes beside the rest of the build.

Reading a national release back out of the store (``Store.dump``) decodes every term from
RocksDB, about 100k quads/s: the dumps were the second largest phase of a build. Yet the
triples of a table's graph are exactly the lines of the N-Triples file the mapping engine wrote
and the bulk loader read (the engine writes the canonical forms the store holds), less the
quads that validation took out with rejected rows. So:

- :func:`start` is called once validation is over. Two worker processes read the tables'
  files, drop the removed lines, and write the first gzip member of each dump: N-Quads by
  adding the graph to each line (bytes, no parsing), TriG through Oxigraph's parser and
  serialiser (prefixed names, a block per graph). They run while the build derives, computes
  indicators and writes the CSV tables on the other core.
- :meth:`Pending.finish` is called at the end: the graphs computed in the store (ontology,
  derived summaries, indicators, provenance: a few per cent of the triples) are read from the
  store and appended as a second gzip member. A gzip file of several members is one stream to
  every reader (``gzip -d``, ``zcat``, Python's ``gzip``, Oxigraph), and a TriG document may
  declare its prefixes again between statements, so each file stays one valid document.
- A graph whose line count differs from the store's triple count (a mapping that writes the
  same triple twice, which the store keeps once) is not trusted: both dumps are then written
  again from the store, the slow way, so that the contents are always the store's.

The output depends only on the files and the store: the same input gives the same bytes.
"""

from __future__ import annotations

import io
import json
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from zlib_ng import gzip_ng

from .errors import BuildError

BLOCK = 8 << 20          # bytes of N-Triples read at a time
# gzip's own default level: a quarter faster than Python's 9, 4 % larger. Compressed by zlib-ng
# (zlib's maintained, vectorised successor; standard gzip streams): twice zlib's speed at this
# level and a few per cent smaller, the same bytes for the same input and zlib-ng version.
LEVEL = 6


@dataclass(frozen=True)
class GraphText:
    """One named graph as an N-Triples file, less the lines validation removed from the store."""

    graph: str
    path: Path
    removed: frozenset[bytes] = frozenset()      # N-Triples lines without their newline


def _blocks(part: GraphText) -> Iterator[bytes]:
    """The file's lines in blocks that end at a line end, removed lines left out."""
    with open(part.path, "rb") as f:
        rest = b""
        while chunk := f.read(BLOCK):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            block, rest = chunk[:cut], chunk[cut:]
            if block:
                yield _without(block, part.removed)
        if rest:                                   # a last line without its newline
            yield _without(rest + b"\n", part.removed)


def _lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(BLOCK), b""))


def _without(block: bytes, removed: frozenset[bytes]) -> bytes:
    if not removed:
        return block
    return b"".join(line + b"\n" for line in block.split(b"\n")[:-1] if line not in removed)


@contextmanager
def _gzip(path: Path, append: bool) -> Iterator[gzip_ng.GzipNGFile]:
    # mtime=0 and no file name: the same content gives the same bytes (stable checksums)
    with open(path, "ab" if append else "wb") as raw, \
            gzip_ng.GzipNGFile(fileobj=raw, mode="wb", mtime=0, filename="",
                               compresslevel=LEVEL) as out:
        yield out


def _nquads(part: GraphText) -> Iterator[bytes]:
    """The part's lines as N-Quads, in blocks: each line with its graph (bytes, no parsing)."""
    suffix = f" <{part.graph}> .\n".encode()
    for block in _blocks(part):
        yield block.replace(b" .\n", suffix)


def write_nquads(parts: list[GraphText], path: Path, append: bool = False) -> dict[str, int]:
    """One gzip member of N-Quads: each N-Triples line with its graph; lines per graph."""
    lines: dict[str, int] = {}
    with _gzip(path, append) as out:
        for part in parts:
            n = 0
            for block in _nquads(part):
                n += block.count(b"\n")
                out.write(block)
            lines[part.graph] = lines.get(part.graph, 0) + n
    return lines


def _quads(parts: list[GraphText]) -> Iterator[ox.Quad]:
    # each block made N-Quads and parsed as such: Oxigraph's parser gives the quads, with no
    # Python call per triple to add the graph (a fifth faster)
    for part in parts:
        for block in _nquads(part):
            yield from ox.parse(block, format=ox.RdfFormat.N_QUADS)


def nquads_reader(parts: Sequence[GraphText]) -> io.BufferedReader:
    """The parts as one N-Quads stream, read as a file (for ``Store.bulk_load``): one bulk load
    of every table keeps both cores busy (Oxigraph parses while it sorts and writes the last
    batch), where one load per table ends each with a tail on one core: a quarter of the
    load's wall time at 2,000 schools. Oxigraph reads 4 KB at a time: the buffer answers
    those without a Python call."""
    return io.BufferedReader(_NQuadsStream(parts), buffer_size=1 << 20)


class _NQuadsStream(io.RawIOBase):

    def __init__(self, parts: Sequence[GraphText]) -> None:
        super().__init__()
        self._blocks = (block for part in parts for block in _nquads(part))
        self._block, self._at = memoryview(b""), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:   # type: ignore[override]
        while self._at >= len(self._block):
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._block, self._at = memoryview(block), 0
        n = min(len(buffer), len(self._block) - self._at)
        buffer[:n] = self._block[self._at:self._at + n]
        self._at += n
        return n


def write_trig(parts: list[GraphText], path: Path, prefixes: dict[str, str],
               append: bool = False) -> None:
    """One gzip member holding one TriG document of these graphs."""
    with _gzip(path, append) as out:
        ox.serialize(_quads(parts), out, format=ox.RdfFormat.TRIG,  # type: ignore[arg-type]
                     prefixes=prefixes)


@dataclass(frozen=True)
class EarlyTables:
    """CSV tables whose queries read only graphs that are final once validation is over: they
    are answered by a worker from a snapshot of the store (a RocksDB checkpoint: hard links,
    taken in a moment) while the build derives and computes indicators."""

    snapshot: Path
    queries: tuple[Path, ...]
    out_dir: Path
    base: str


@dataclass
class Pending:
    """The first members of both dumps (and the early CSV tables), being written by worker
    processes."""

    nquads: Path
    trig: Path
    prefixes: dict[str, str]
    parts: list[GraphText]
    job: Path                               # the workers' input and output files
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    early: EarlyTables | None = None

    def finish(self, store: ox.Store, counts: dict[str, int], work_dir: Path,
               computed: Sequence[GraphText] = ()) -> None:
        """Append the graphs not written yet: from ``computed`` (N-Triples files the build
        loaded into those graphs, such as the derived and indicator triples) where their lines
        are the store's triples, else read from the store; check every written graph's lines
        against ``counts`` (the store's triples per graph) and write the dumps from the store
        when one does not match."""
        for worker in self.workers:
            _, err = worker.communicate()
            if worker.returncode != 0:
                self.cancel()
                raise BuildError(f"writing the dumps failed: {err.decode('utf-8', 'replace')[-2000:]}"
                                 f"(nothing was published; free disk space or memory if that "
                                 f"is what it says, and build again)")
        if self.early is not None:
            shutil.rmtree(self.early.snapshot, ignore_errors=True)   # the worker removed it
        lines: dict[str, int] = json.loads(self.job.with_suffix(".lines").read_text()) \
            if self.parts else {}
        self.job.unlink()
        self.job.with_suffix(".lines").unlink(missing_ok=True)
        written = {p.graph for p in self.parts}
        if any(lines.get(g, 0) != counts.get(g, 0) for g in written):
            # a file with a triple twice, or a graph written to after validation: the store wins
            self.parts, written = [], set()
        files: dict[str, list[GraphText]] = {}
        for part in computed:
            files.setdefault(part.graph, []).append(part)
        rest: list[GraphText] = []
        made: list[Path] = []
        for graph in sorted(g for g in counts if g not in written):
            if sum(_lines(p.path) for p in files.get(graph, [])) == counts[graph] > 0:
                rest += files[graph]      # a file with a triple twice is not trusted
                continue
            path = work_dir / f"graph-{len(made)}.nt"
            store.dump(str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            rest.append(GraphText(graph, path))
            made.append(path)
        append = bool(self.parts)
        write_nquads(rest, self.nquads, append=append)
        write_trig(rest, self.trig, self.prefixes, append=append)
        for path in made:
            path.unlink()

    def cancel(self) -> None:
        """Stop the workers at once (a failed build: its staging directory goes anyway)."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()


def start(parts: list[GraphText], nquads: Path, trig: Path, prefixes: dict[str, str],
          work_dir: Path, early: EarlyTables | None = None) -> Pending:
    """Start writing the first member of both dumps from ``parts`` in two worker processes,
    and the ``early`` CSV tables in a third."""
    job = work_dir / "dumps-job.pickle"
    with open(job, "wb") as f:
        pickle.dump({"parts": parts, "nquads": nquads, "trig": trig, "prefixes": prefixes,
                     "early": early}, f)
    pending = Pending(nquads, trig, prefixes, parts, job, early=early)
    kinds = (["nquads", "trig"] if parts else []) + (["csv"] if early else [])
    # plain child processes with their input in a file: multiprocessing's spawn would
    # import the caller's main module again, and a fork of a process holding an open
    # RocksDB and threads is not safe
    pending.workers = [subprocess.Popen([sys.executable, "-m", __name__, kind, str(job)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                       for kind in kinds]
    return pending


def _work(kind: str, job_path: Path) -> None:
    job = pickle.loads(job_path.read_bytes())
    if kind == "nquads":
        lines = write_nquads(job["parts"], job["nquads"])
        job_path.with_suffix(".lines").write_text(json.dumps(lines))
    elif kind == "trig":
        write_trig(job["parts"], job["trig"], job["prefixes"])
    else:
        from emis_lod.uris import Uris

        from .dumps import csv_table  # dumps imports this module: imported when needed
        from .memory import return_free_pages

        early: EarlyTables = job["early"]
        store = ox.Store.read_only(str(early.snapshot))
        for query in early.queries:
            csv_table(store, query, early.out_dir, Uris(early.base), job["prefixes"])
            # a sorted table's solutions (half a gigabyte for textbook provision at 20,000
            # schools) are freed, not handed back, unless asked: this worker runs beside the
            # derivation and indicator workers
            return_free_pages()
        del store
        # the snapshot's files are hard links to files the build's compactions replace: gone
        # with the snapshot, not kept beside the store until the end of the build
        shutil.rmtree(early.snapshot)


if __name__ == "__main__":
    try:
        _work(sys.argv[1], Path(sys.argv[2]))
    except Exception as err:   # the build reports it: one line, not a worker's traceback
        sys.exit(f"{sys.argv[1]} dump: {type(err).__name__}: {err}")
