"""SPARQL queries in killable worker processes: a per-query timeout that really stops the work.

pyoxigraph has no query timeout, and a query that spends long inside Oxigraph (a cartesian
product, a big ``ORDER BY``) blocks its thread until it ends. So each WSGI worker keeps a small
pool of **query processes** (``settings.query_workers``), started from a ``forkserver`` (never
forked from a process with open database handles and their threads). Each query process opens
the served release READ-ONLY itself and answers one :class:`QueryJob` at a time with the
serialized answer (:func:`evaluate`: the same writers as ever, ``write_solutions`` and
``formats.serialize_graph``, the row cap included).

When ``settings.query_timeout`` passes before the answer arrives, the WSGI worker kills that
process (SIGKILL), answers 503 (:class:`QueryTimedOut`) and starts a replacement, which opens the
store while the 503 goes out. A query process that dies (out of memory, say) gives
:class:`QueryProcessFailed` and is replaced the same way. When ``STORE/current`` moves, the next
job names the new release and the process reopens. Query processes die with their WSGI worker:
they are daemons (terminated at exit), they ask Linux to kill them when their parent goes
(``PR_SET_PDEATHSIG``), and an idle one ends when its pipe closes.

``query_workers = 0`` evaluates in the calling thread (no hard timeout: only the result stream
is checked against the deadline), for debugging.
"""

from __future__ import annotations

import atexit
import io
import logging
import multiprocessing
import os
import signal
import threading
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from emis_lod import formats

from .processes import die_with_parent
from .results import Guard, ResultLimitReached, write_boolean, write_solutions

log = logging.getLogger(__name__)

_CONTEXT = multiprocessing.get_context("forkserver")


class QueryTimedOut(ResultLimitReached):
    """The query ran past ``query_timeout`` and its process was killed (HTTP 503)."""


class QueryProcessFailed(Exception):
    """The query process ended without an answer (HTTP 503)."""


@dataclass(frozen=True)
class QueryJob:
    """Everything a query process needs to answer one query (sent over a pipe, so picklable)."""

    release: str  # the release directory; its ``oxigraph/`` is opened read-only
    query: str
    prefixes: dict[str, str]
    base_iri: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    results_format: str | None = None  # name of the chosen SELECT/ASK format; None: none fits
    rdf_format: str | None = None  # name of the chosen CONSTRUCT/DESCRIBE format
    max_rows: int | None = None
    deadline_seconds: float | None = None  # only used when evaluating in the calling thread


@dataclass(frozen=True)
class QueryOutcome:
    """A query's answer (``status == "ok"``: ``body`` in ``format``) or why there is none.

    ``status`` is ``"ok"``, ``"syntax"`` (the parser's message in ``message``),
    ``"not_acceptable"`` (no acceptable format for the query's ``kind``) or ``"failed"``.
    """

    status: str
    kind: str = ""  # "solutions" | "boolean" | "triples"
    format: str = ""
    truncated: bool = False
    message: str = ""
    body: bytes = field(default=b"", repr=False)


def _format(name: str) -> formats.Format:
    fmt = formats.by_name(name, (*formats.RESULTS_FORMATS, *formats.RDF_FORMATS))
    if fmt is None:
        raise ValueError(f"unknown format {name!r}")
    return fmt


def evaluate(store: ox.Store, job: QueryJob) -> QueryOutcome:
    """Run one query on ``store`` and serialize its answer (in a query process, or inline)."""
    options: dict[str, Any] = {"prefixes": job.prefixes, "base_iri": job.base_iri}
    if job.default_graphs or job.named_graphs:
        options["default_graph"] = [ox.NamedNode(i) for i in job.default_graphs]
        options["named_graphs"] = [ox.NamedNode(i) for i in job.named_graphs]
    else:
        options["use_default_graph_as_union"] = True
    try:
        results = store.query(job.query, **options)
    except SyntaxError as err:
        return QueryOutcome("syntax", message=f"SPARQL syntax error: {err}")
    deadline = None if job.deadline_seconds is None else time.monotonic() + job.deadline_seconds
    guard = Guard(max_rows=job.max_rows, deadline=deadline)
    out = io.BytesIO()
    try:
        if isinstance(results, ox.QueryTriples):
            kind, name = "triples", job.rdf_format
            if name is None:
                return QueryOutcome("not_acceptable", kind=kind)
            fmt = _format(name)
            triples = list(guard.rows_of(results))
            out.write(formats.serialize_graph(triples, fmt, prefixes=job.prefixes))
        else:
            kind = "boolean" if isinstance(results, ox.QueryBoolean) else "solutions"
            name = job.results_format
            if name is None:
                return QueryOutcome("not_acceptable", kind=kind)
            fmt = _format(name)
            if isinstance(results, ox.QueryBoolean):
                write_boolean(bool(results), fmt, out)
            else:
                variables = [v.value for v in results.variables]
                write_solutions(variables, (tuple(row) for row in guard.rows_of(results)),
                                        fmt, out)
    except ResultLimitReached:
        raise
    except (OSError, RuntimeError, ValueError, TypeError) as err:
        return QueryOutcome("failed", message=f"the query failed while it was evaluated: {err}")
    return QueryOutcome("ok", kind=kind, format=fmt.name, truncated=guard.truncated,
                        body=out.getvalue())


# ------------------------------------------------------------------------ the query process

def _open(release: str) -> ox.Store:
    return ox.Store.read_only(os.path.join(release, "oxigraph"))


def _serve(conn: Connection, release: str | None) -> None:
    """The loop of one query process: receive a job, send the outcome, until the pipe closes."""
    die_with_parent(sig=signal.SIGKILL)   # no orphan query process, whatever ends the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    store: ox.Store | None = None
    opened: str | None = None
    if release:
        try:
            store, opened = _open(release), release
        except OSError:
            store = opened = None  # reported on the first job
    while True:
        try:
            job: QueryJob = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if store is None or opened != job.release:
                store = None  # close the previous release first
                store, opened = _open(job.release), job.release
            outcome = evaluate(store, job)
        except Exception as err:  # noqa: BLE001 - the WSGI worker reports it
            outcome = QueryOutcome("failed", message=f"the query failed: {err}")
        body, outcome = outcome.body, QueryOutcome(
            outcome.status, outcome.kind, outcome.format, outcome.truncated, outcome.message)
        try:
            conn.send(outcome)
            conn.send_bytes(body)
        except (OSError, EOFError):
            return


class _QueryProcess:
    """One query process and the WSGI worker's end of its pipe."""

    def __init__(self, release: str | None) -> None:
        self.conn, child_end = _CONTEXT.Pipe(duplex=True)
        self.process = _CONTEXT.Process(target=_serve, args=(child_end, release),
                                        name="emis-lod-query", daemon=True)
        self.process.start()
        child_end.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def ask(self, job: QueryJob, deadline: float, limit: float) -> QueryOutcome:
        try:
            self.conn.send(job)
        except (OSError, EOFError) as err:
            raise QueryProcessFailed(f"the query process is gone ({err})") from None
        if not self.conn.poll(max(0.0, deadline - time.monotonic())):
            self.kill()
            raise QueryTimedOut(
                f"the query took longer than allowed (query_timeout = {limit:g} s) and was "
                "stopped")
        try:
            outcome: QueryOutcome = self.conn.recv()
            body = self.conn.recv_bytes()
        except (OSError, EOFError):
            self.kill()
            raise QueryProcessFailed(
                "the query process ended before answering (the query may have needed more "
                "memory than the server has)") from None
        return QueryOutcome(outcome.status, outcome.kind, outcome.format, outcome.truncated,
                            outcome.message, body)

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.pid is not None and self.process.exitcode is None:
            try:
                os.kill(self.process.pid, signal.SIGKILL)  # our own child, by its id
            except ProcessLookupError:
                pass
            self.process.join(5)
        self.conn.close()


# ------------------------------------------------------------------------ the pool

_EXECUTORS: weakref.WeakSet[QueryExecutor] = weakref.WeakSet()


class QueryExecutor:
    """A pool of ``size`` query processes of one WSGI worker; thread-safe.

    Processes start on first use (not at import or fork time) and a killed or dead one is
    replaced at once. ``size == 0`` evaluates in the calling thread.
    """

    def __init__(self, size: int) -> None:
        self.size = max(0, int(size))
        self._cond = threading.Condition()
        self._idle: list[_QueryProcess] = []
        self._count = 0
        self._pid = os.getpid()
        self._closed = False
        _EXECUTORS.add(self)

    def _check_pid(self) -> None:
        if self._pid != os.getpid():  # inherited across a fork: the processes are not ours
            self._idle, self._count, self._pid = [], 0, os.getpid()
            self._cond = threading.Condition()

    def run(self, store: ox.Store | None, job: QueryJob, timeout: float,
            limit: float | None = None) -> QueryOutcome:
        """The outcome of ``job`` within ``timeout`` seconds, else :class:`QueryTimedOut`.

        ``limit`` is the configured ``query_timeout`` named in the message (default ``timeout``);
        ``store`` is only used when ``size == 0``.
        """
        limit = timeout if limit is None else limit
        if self.size == 0:
            if store is None:
                store = _open(job.release)
            return evaluate(store, QueryJob(**{**job.__dict__, "deadline_seconds": timeout}))
        deadline = time.monotonic() + timeout
        worker = self._acquire(job.release, deadline, limit)
        healthy = False
        try:
            outcome = worker.ask(job, deadline, limit)
            healthy = True
            return outcome
        finally:
            self._give_back(worker, healthy, job.release)

    def _acquire(self, release: str, deadline: float, limit: float) -> _QueryProcess:
        with self._cond:
            self._check_pid()
            if self._closed:
                raise QueryProcessFailed("the server is shutting down")
            while not self._idle and self._count >= self.size:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    raise QueryTimedOut(
                        f"no query process became free within query_timeout = {limit:g} s "
                        "(the server is busy)")
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
                self._count -= 1
            self._count += 1
        try:
            return _QueryProcess(release)
        except Exception:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _give_back(self, worker: _QueryProcess, healthy: bool, release: str) -> None:
        if healthy and worker.alive() and not self._closed:
            with self._cond:
                self._idle.append(worker)
                self._cond.notify()
            return
        worker.kill()
        replacement: _QueryProcess | None = None
        if not self._closed:
            try:
                replacement = _QueryProcess(release)  # opens the store while we answer
            except Exception:  # noqa: BLE001 - a later query starts one on demand
                log.exception("could not start a query process")
        with self._cond:
            if replacement is not None:
                self._idle.append(replacement)
            else:
                self._count -= 1
            self._cond.notify()

    def pids(self) -> list[int]:
        """Process ids of the idle query processes (for tests and diagnostics)."""
        with self._cond:
            return [w.pid for w in self._idle if w.pid is not None]

    def close(self) -> None:
        """Kill every idle query process; busy ones are killed when their query returns."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            if self._pid != os.getpid():
                return
            self._count -= len(idle)
        for worker in idle:
            worker.kill()


@atexit.register
def _close_all() -> None:
    for executor in list(_EXECUTORS):
        executor.close()


_CONTEXT.set_forkserver_preload([__name__])
