"""A child interpreter that runs the functions it is sent, one at a time, for steps of a build
whose memory should not stay with the build.

CPython keeps most of what a large step frees (an arena of its allocator goes back to the
system only when every object in it is gone), so a step that allocates gigabytes of small
objects, such as reading and mapping a national table or deciding constraints on its columns,
leaves the build gigabytes larger for the rest of its life. Run in a worker, that memory leaves
with the worker. The function and its arguments go through the worker's stdin, the answer (or
the error, raised again in the build) through its stdout, pickled: nothing, not even a secret,
is written to a file. A plain child process (``python -m emis_lod.loaders.worker``), as for the
dumps (loaders/whole_dumps.py): multiprocessing's spawn would import the caller's main module
again, and a fork of a process holding an open store and its threads is not safe.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from .errors import BuildError

T = TypeVar("T")


class Worker:
    """``with Worker() as worker: worker.call(function, *args)``: ``function`` must be importable
    by name (a module-level function), its arguments and answer picklable."""

    def __init__(self, nice: int = 0) -> None:
        """``nice``: a lower priority (Unix nice increment) for work that should only take a
        core the build leaves idle."""
        self.process = subprocess.Popen([sys.executable, "-m", __name__, str(nice)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def call(self, function: Callable[..., T], *args: Any) -> T:
        self.send(function, *args)
        return self.answer(getattr(function, "__name__", str(function)))

    def send(self, function: Callable[..., Any], *args: Any) -> None:
        """Queue a call without waiting: the worker runs its calls in the order sent, and
        :meth:`answer` gives their answers in that order. Keep the arguments small (paths, not
        data): a call larger than the pipe's buffer waits for the worker to read it."""
        assert self.process.stdin is not None
        try:
            # the call in a blob of its own: a worker that cannot unpickle it answers an error
            pickle.dump(pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL),
                        self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except BrokenPipeError:
            raise self._gone(getattr(function, "__name__", str(function))) from None

    def answer(self, what: str = "a call") -> Any:
        """The answer to the oldest call not answered yet (its error raised here)."""
        assert self.process.stdout is not None
        try:
            ok, answer = pickle.load(self.process.stdout)
        except EOFError:
            raise self._gone(what) from None
        if not ok:
            raise answer
        return answer

    def _gone(self, what: str) -> BuildError:
        return BuildError(
            f"the worker process of the build ended without an answer to {what} (exit status "
            f"{self.process.wait()}: killed for lack of memory?); see the capacity estimate at "
            f"the start of the build, free memory or use a larger machine")

    def close(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except BrokenPipeError:    # the worker is gone already
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if error is not None and self.process.poll() is None:
            self.process.kill()      # a failed build does not wait for a step it no longer needs
        self.close()


def _serve() -> None:
    """The worker's loop: run each (function, args) sent; answer (True, result) or (False, error)."""
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr          # a stray print must not corrupt the answers
    while True:
        try:
            call = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        try:
            function, args = pickle.loads(call)
            answer: tuple[bool, object] = (True, function(*args))
        except Exception as err:      # the build raises it, as if run in its own process
            answer = (False, err)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:      # an error that cannot be pickled: its text
            data = pickle.dumps((False, BuildError(f"{type(answer[1]).__name__}: {answer[1]} "
                                                   f"({err})")))
        answers.write(data)
        answers.flush()


if __name__ == "__main__":
    if len(sys.argv) > 1 and int(sys.argv[1]) and hasattr(os, "nice"):
        os.nice(int(sys.argv[1]))
    _serve()
