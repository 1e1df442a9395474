"""The whole-dataset dumps (``emis.nq.gz``, ``emis.trig.gz``), written from the N-Triples the
build already produced, in worker processes beside the rest of the build.

Reading a national release back out of the store (``Store.dump``) decodes every term from
RocksDB, about 100k quads/s: the dumps were the second largest phase of a build. Yet the
triples of a table's graph are exactly the lines of the N-Triples file the mapping engine wrote
and the bulk loader read (the engine writes the canonical forms the store holds), less the
quads that validation took out with rejected rows. So:

- :class:`TableMembers` is handed each table as soon as it is mapped: two worker processes
  write the table's gzip member of each dump, N-Quads by adding the graph to each line (bytes,
  no parsing), TriG through Oxigraph's parser and serialiser (prefixed names, a block per
  graph), on the core the mapping leaves free. Once validation is over, the members of the
  tables it took rows out of are written again without their lines (:meth:`TableMembers.redo`)
  and :func:`start` begins the CSV tables that need only the tables' graphs.
- :meth:`Pending.finish` is called at the end: the tables' members are put one after the
  other, and the graphs computed in the store (ontology, derived summaries, indicators,
  provenance: a few per cent of the triples) are appended as a last gzip member. A gzip file
  of several members is one stream to every reader (``gzip -d``, ``zcat``, Python's ``gzip``,
  Oxigraph), and a TriG document may declare its prefixes again between statements, so each
  file stays one valid document (the N-Quads are the very lines they were in one member).
- A graph whose line count differs from the store's triple count (a mapping that writes the
  same triple twice, which the store keeps once) is not trusted: both dumps are then written
  again from the store, the slow way, so that the contents are always the store's.

The output depends only on the files and the store: the same input gives the same bytes.
"""

from __future__ import annotations

import io
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from zlib_ng import gzip_ng

from .errors import BuildError
from .worker import Worker

BLOCK = 8 << 20          # bytes of N-Triples read at a time
# gzip's own default level: a quarter faster than Python's 9, 4 % larger. Compressed by zlib-ng
# (zlib's maintained, vectorised successor; standard gzip streams): twice zlib's speed at this
# level and a few per cent smaller, the same bytes for the same input and zlib-ng version.
LEVEL = 6
NICE = 10                # the table members' workers' priority (a nice increment)


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


class TableMembers:
    """The tables' members of both dumps, a gzip file per table and dump, written by two worker
    processes (N-Quads, TriG) as each table is mapped: the mapping runs on one core and leaves
    the other free, where these files cost a whole core for a minute and a half at 20,000
    schools once the build had both busy. Validation may then take rows out of a table's graph:
    :meth:`redo` writes that table's members again without their lines."""

    def __init__(self, work_dir: Path, prefixes: dict[str, str]) -> None:
        self.dir, self.prefixes = work_dir, prefixes
        self.jobs: list[GraphText] = []       # every part sent, in order
        self.latest: list[int] = []           # per table, in order added: its latest job
        self.workers: tuple[Worker, Worker] | None = None

    @property
    def graphs(self) -> set[str]:
        return {self.jobs[job].graph for job in self.latest}

    def add(self, part: GraphText) -> None:
        self.latest.append(self._send(part))

    def redo(self, removed: dict[str, frozenset[bytes]]) -> None:
        """Write again the members of the tables whose graph lost lines (graph -> lines)."""
        for table, job in enumerate(self.latest):
            part = self.jobs[job]
            if removed.get(part.graph):
                self.latest[table] = self._send(replace(part, removed=frozenset(removed[part.graph])))

    def _send(self, part: GraphText) -> int:
        if self.workers is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            # at a low priority: they are to take the core the mapping leaves idle, not the
            # one it runs on (three busy processes on two cores slowed the mapping by a tenth)
            self.workers = (Worker(nice=NICE), Worker(nice=NICE))
        job = len(self.jobs)
        self.jobs.append(part)
        # the part in a file: a call larger than the pipe's buffer (the lines validation
        # removed) would wait for a busy worker to read it
        self._file(job, "part.pickle").write_bytes(pickle.dumps(part))
        self.workers[0].send(_write_member, "nquads", self._file(job, "part.pickle"),
                             self._file(job, "nq.gz"), self.prefixes)
        self.workers[1].send(_write_member, "trig", self._file(job, "part.pickle"),
                             self._file(job, "trig.gz"), self.prefixes)
        return job

    def _file(self, job: int, kind: str) -> Path:
        return self.dir / f"{job}.{kind}"

    def finish(self) -> tuple[list[GraphText], dict[str, int], list[Path], list[Path]]:
        """Wait for the workers: the parts of the tables (each table's latest), their lines per
        graph, and the N-Quads and TriG member files in table order."""
        lines: list[dict[str, int]] = []
        if self.workers is not None:
            try:
                lines = [self.workers[0].answer("the N-Quads dump") for _ in self.jobs]
                for _ in self.jobs:
                    self.workers[1].answer("the TriG dump")
            except Exception as err:
                self.cancel()
                raise BuildError(f"writing the dumps failed: {err} (nothing was published; free "
                                 f"disk space or memory if that is what it says, and build again)"
                                 ) from None
            for worker in self.workers:
                worker.close()
            self.workers = None
        per_graph: dict[str, int] = {}
        for job in self.latest:
            for graph, n in lines[job].items():
                per_graph[graph] = per_graph.get(graph, 0) + n
        return ([self.jobs[job] for job in self.latest], per_graph,
                [self._file(job, "nq.gz") for job in self.latest],
                [self._file(job, "trig.gz") for job in self.latest])

    def cancel(self) -> None:
        """Stop the workers at once (a failed build: its staging directory goes anyway)."""
        if self.workers is not None:
            for worker in self.workers:
                worker.process.kill()
                worker.close()
            self.workers = None

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _write_member(kind: str, part_path: Path, out: Path, prefixes: dict[str, str]) -> dict[str, int]:
    """In a TableMembers worker: one table's member of one dump; its lines per graph (N-Quads)."""
    part: GraphText = pickle.loads(part_path.read_bytes())
    if kind == "nquads":
        return write_nquads([part], out)
    write_trig([part], out, prefixes)
    return {}


def _concatenate(members: list[Path], path: Path) -> None:
    """Gzip members one after the other: one gzip stream to every reader."""
    with open(path, "wb") as out:
        for member in members:
            with open(member, "rb") as f:
                shutil.copyfileobj(f, out, BLOCK)


@dataclass
class Pending:
    """The tables' members of both dumps (TableMembers) and the early CSV tables, being written
    by worker processes."""

    nquads: Path
    trig: Path
    prefixes: dict[str, str]
    members: TableMembers
    job: Path | None = None                 # the CSV worker's input
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    early: EarlyTables | None = None

    def finish(self, store: ox.Store, counts: dict[str, int], work_dir: Path,
               computed: Sequence[GraphText] = ()) -> None:
        """Write both dumps: the tables' members, then the graphs not written yet: from
        ``computed`` (N-Triples files the build loaded into those graphs, such as the derived
        and indicator triples) where their lines are the store's triples, else read from the
        store; check every table graph's lines against ``counts`` (the store's triples per
        graph) and write the dumps from the store when one does not match."""
        for worker in self.workers:
            _, err = worker.communicate()
            if worker.returncode != 0:
                self.cancel()
                raise BuildError(f"writing the dumps failed: {err.decode('utf-8', 'replace')[-2000:]}"
                                 f"(nothing was published; free disk space or memory if that "
                                 f"is what it says, and build again)")
        if self.early is not None:
            shutil.rmtree(self.early.snapshot, ignore_errors=True)   # the worker removed it
        if self.job is not None:
            self.job.unlink()
        parts, lines, nquads, trig = self.members.finish()
        written = {p.graph for p in parts}
        if any(lines.get(g, 0) != counts.get(g, 0) for g in written):
            # a file with a triple twice, or a graph written to after validation: the store wins
            written, nquads, trig = set(), [], []
        _concatenate(nquads, self.nquads)
        _concatenate(trig, self.trig)
        self.members.remove()
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
        append = bool(written)
        write_nquads(rest, self.nquads, append=append)
        write_trig(rest, self.trig, self.prefixes, append=append)
        for path in made:
            path.unlink()

    def cancel(self) -> None:
        """Stop the workers at once (a failed build: its staging directory goes anyway)."""
        self.members.cancel()
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()


def start(members: TableMembers, nquads: Path, trig: Path, work_dir: Path,
          early: EarlyTables | None = None) -> Pending:
    """Both dumps from the tables' ``members`` (being written), and the ``early`` CSV tables
    in a worker process."""
    pending = Pending(nquads, trig, members.prefixes, members, early=early)
    if early is not None:
        pending.job = work_dir / "dumps-job.pickle"
        with open(pending.job, "wb") as f:
            pickle.dump({"early": early, "prefixes": members.prefixes}, f)
        # a plain child process with its input in a file: multiprocessing's spawn would
        # import the caller's main module again, and a fork of a process holding an open
        # RocksDB and threads is not safe
        pending.workers = [subprocess.Popen([sys.executable, "-m", __name__, "csv", str(pending.job)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)]
    return pending


def _work(kind: str, job_path: Path) -> None:
    """The early CSV tables' worker (``kind`` is ``csv``)."""
    from emis_lod.uris import Uris

    from .dumps import csv_table  # dumps imports this module: imported when needed
    from .memory import return_free_pages

    job = pickle.loads(job_path.read_bytes())
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
