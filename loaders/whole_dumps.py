"""The whole-dataset dumps (``emis.nq.gz``, ``emis.trig.gz``), written from the N-Triples the
build already produced, in worker processes beside the rest of the build.

Reading a national release back out of the store (``Store.dump``) decodes every term from
RocksDB, about 100k quads/s: the dumps were the second largest phase of a build. Yet the
triples of a table's graph are exactly the lines of the N-Triples file the mapping engine wrote
and the bulk loader read (the engine writes the canonical forms the store holds), less the
quads that validation took out with rejected rows. So:

- :class:`DumpMembers` is handed each table as soon as it is mapped: two worker processes
  write the table's gzip member of each dump, N-Quads by adding the graph to each line (bytes,
  no parsing), TriG through Oxigraph's parser and serialiser (prefixed names, a block per
  graph), on the core the mapping leaves free. Once validation is over, the members of the
  tables it took rows out of are written again without their lines (:meth:`DumpMembers.redo`)
  and :func:`start` begins the CSV tables that need only the tables' graphs. The derived and
  indicator triples are handed over as the build computes them (the files it bulk-loads).
- :meth:`Pending.finish` is called at the end: the members are put one after the other, the
  tables' graphs first, then the other graphs by name, the small ones the store alone holds
  (ontology, provenance) read from it. A gzip file
  of several members is one stream to every reader (``gzip -d``, ``zcat``, Python's ``gzip``,
  Oxigraph), and a TriG document may declare its prefixes again between statements, so each
  file stays one valid document (the N-Quads are the very lines they were in one member).
- A graph whose line count differs from the store's triple count (a mapping that writes the
  same triple twice, which the store keeps once) is not trusted: that graph is then written
  from the store, the slow way, so that the contents are always the store's.

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

BLOCK = 1 << 20          # bytes of N-Triples read at a time
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


@dataclass(frozen=True)
class Member:
    """A part's gzip member of each dump, once written."""

    part: GraphText
    nquads: Path
    trig: Path


class DumpMembers:
    """The members of both dumps, a gzip file per part (an N-Triples file) and dump, written by
    two worker processes (N-Quads, TriG) as soon as the build has the part: a table as it is
    mapped (the mapping runs on one core and leaves the other free; these files cost a whole
    core for a minute and a half at 20,000 schools once the build had both busy), the derived
    and indicator triples as they are computed. Validation may take rows out of a table's
    graph: :meth:`redo` writes that table's members again without their lines."""

    def __init__(self, work_dir: Path, prefixes: dict[str, str]) -> None:
        self.dir, self.prefixes = work_dir, prefixes
        self.jobs: list[GraphText] = []       # every part sent, in order
        self.tables: list[int] = []           # per table, in order added: its latest job
        self.computed: list[int] = []         # the jobs of computed graphs' parts
        self.workers: tuple[Worker, Worker] | None = None
        self._own = 0                         # members the build wrote itself

    @property
    def graphs(self) -> set[str]:
        """The tables' graphs."""
        return {self.jobs[job].graph for job in self.tables}

    def add(self, part: GraphText) -> None:
        """A table's part."""
        self.tables.append(self._send(part))

    def add_computed(self, parts: Sequence[GraphText]) -> None:
        """Parts of graphs the build computed in the store (trusted at the end only if their
        lines are the graph's triples)."""
        self.computed += [self._send(part) for part in parts]

    def redo(self, removed: dict[str, frozenset[bytes]]) -> None:
        """Write again the members of the tables whose graph lost lines (graph -> lines)."""
        for table, job in enumerate(self.tables):
            part = self.jobs[job]
            if removed.get(part.graph):
                self.tables[table] = self._send(replace(part, removed=removed[part.graph]))

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

    def own_member(self, part: GraphText) -> Member:
        """A member the build writes itself (a graph read from the store), with its files."""
        self._own += 1
        self.dir.mkdir(parents=True, exist_ok=True)
        return Member(part, self._file(self._own, "own.nq.gz"), self._file(self._own, "own.trig.gz"))

    def finish(self) -> tuple[list[Member], list[Member], dict[str, int]]:
        """Wait for the workers: the members of the tables (each table's latest) and of the
        computed graphs, in the order added, and the lines of each graph."""
        lines: list[dict[str, int]] = []
        if self.workers is not None:
            try:
                lines = [self.workers[0].answer("the N-Quads dump") for _ in self.jobs]
                for _ in self.jobs:
                    self.workers[1].answer("the TriG dump")
            except Exception as err:
                self.cancel()
                raise _dumps_failed(str(err)) from None
            for worker in self.workers:
                worker.close()
            self.workers = None
        per_graph: dict[str, int] = {}
        for job in self.tables + self.computed:
            for graph, n in lines[job].items():
                per_graph[graph] = per_graph.get(graph, 0) + n
        members = [Member(self.jobs[job], self._file(job, "nq.gz"), self._file(job, "trig.gz"))
                   for job in self.tables + self.computed]
        return members[:len(self.tables)], members[len(self.tables):], per_graph

    def cancel(self) -> None:
        """Stop the workers at once (a failed build: its staging directory goes anyway)."""
        if self.workers is not None:
            for worker in self.workers:
                worker.process.kill()
                worker.close()
            self.workers = None

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _dumps_failed(detail: str) -> BuildError:
    return BuildError(f"writing the dumps failed: {detail} (nothing was published; free disk "
                      f"space or memory if that is what it says, and build again)")


def _write_member(kind: str, part_path: Path, out: Path, prefixes: dict[str, str]) -> dict[str, int]:
    """In a DumpMembers worker: one part's member of one dump; its lines per graph (N-Quads)."""
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
    """The members of both dumps (DumpMembers) and the early CSV tables, being written by
    worker processes."""

    nquads: Path
    trig: Path
    prefixes: dict[str, str]
    members: DumpMembers
    job: Path | None = None                 # the CSV worker's input
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    early: EarlyTables | None = None

    def finish(self, store: ox.Store, counts: dict[str, int], work_dir: Path) -> None:
        """Write both dumps: the tables' graphs in the order of the tables, then every other
        graph of the store in the order of their names. A graph comes from its members where
        their lines are as many as its triples in the store (``counts``), else from the store:
        a file with a triple twice, or a graph written to after validation, is not trusted."""
        for worker in self.workers:
            _, err = worker.communicate()
            if worker.returncode != 0:
                self.cancel()
                raise _dumps_failed(err.decode("utf-8", "replace")[-2000:].strip())
        if self.early is not None:
            shutil.rmtree(self.early.snapshot, ignore_errors=True)   # the worker removed it
        if self.job is not None:
            self.job.unlink()
        tables, computed, lines = self.members.finish()
        by_graph: dict[str, list[Member]] = {}
        for member in tables + computed:
            by_graph.setdefault(member.part.graph, []).append(member)
        order = list(dict.fromkeys(m.part.graph for m in tables))
        order += sorted(g for g in counts if g not in order)
        written: list[Member] = []
        for graph in order:
            if not counts.get(graph):
                continue
            if lines.get(graph) == counts[graph]:
                written += by_graph[graph]
                continue
            path = work_dir / "graph.nt"
            store.dump(str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            member = self.members.own_member(GraphText(graph, path))
            write_nquads([member.part], member.nquads)
            write_trig([member.part], member.trig, self.prefixes)
            path.unlink()
            written.append(member)
        _concatenate([m.nquads for m in written], self.nquads)
        _concatenate([m.trig for m in written], self.trig)
        self.members.remove()

    def cancel(self) -> None:
        """Stop the workers at once (a failed build: its staging directory goes anyway)."""
        self.members.cancel()
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()


def start(members: DumpMembers, nquads: Path, trig: Path, work_dir: Path,
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
        pending.workers = [subprocess.Popen([sys.executable, "-m", __name__, str(pending.job)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)]
    return pending


def _early_tables(job_path: Path) -> None:
    """The early CSV tables' worker process."""
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
        _early_tables(Path(sys.argv[1]))
    except Exception as err:   # the build reports it: one line, not a worker's traceback
        sys.exit(f"CSV tables: {type(err).__name__}: {err}")
