"""The worker process that reads and maps the tables (loaders/map_tables.py): its answers are
the build's (tests/test_golden_release.py, tests/test_broken_inputs.py), and a worker that dies
stops the build with an error that says so, instead of a hang or a traceback from a pipe."""

from __future__ import annotations

import pytest

from emis_lod.loaders.errors import BuildError
from emis_lod.loaders.map_tables import _Worker


def test_a_worker_that_dies_stops_the_build_with_a_reason() -> None:
    worker = _Worker()
    worker.process.kill()
    worker.process.wait()
    with pytest.raises(BuildError) as err:
        worker.map("anything")
    assert "ended without an answer" in str(err.value) and "memory" in str(err.value)
    worker.close()


def test_an_error_in_the_worker_is_raised_in_the_build() -> None:
    worker = _Worker()
    try:
        with pytest.raises(TypeError):
            worker.map("not", "the", "arguments")
        # and the worker keeps answering
        with pytest.raises(TypeError):
            worker.map()
    finally:
        worker.close()
    assert worker.process.returncode == 0
