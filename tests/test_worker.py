"""The worker process of a build (loaders/worker.py), which reads and maps the tables and
decides constraints on their columns: its answers are the build's (tests/test_golden_release.py,
tests/test_broken_inputs.py, tests/test_column_checks.py); an error in it is raised in the
build, and a worker that dies stops the build with an error that says so, instead of a hang or
a traceback from a pipe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emis_lod.loaders.build import _find_all
from emis_lod.loaders.errors import BuildError
from emis_lod.loaders.mapping_spec import load_mappings
from emis_lod.loaders.worker import Worker


def test_a_function_runs_in_another_process() -> None:
    with Worker() as worker:
        assert worker.call(os.getpid) == worker.process.pid != os.getpid()
        assert worker.call(sorted, [3, 1, 2]) == [1, 2, 3]
    assert worker.process.returncode == 0


def test_a_worker_that_dies_stops_the_build_with_a_reason() -> None:
    with Worker() as worker:
        worker.process.kill()
        worker.process.wait()
        with pytest.raises(BuildError) as err:
            worker.call(sorted, [1])
    assert "ended without an answer to sorted" in str(err.value) and "memory" in str(err.value)


def test_an_error_in_the_worker_is_raised_in_the_build(tmp_path: Path) -> None:
    with Worker() as worker:
        with pytest.raises(TypeError):
            worker.call(sorted, 1)
        with pytest.raises(BuildError) as err:       # an error of the project, pickled
            worker.call(_find_all, tmp_path, load_mappings())
        assert str(err.value).startswith(f"{tmp_path}: no file for table")
        with pytest.raises(ModuleNotFoundError):    # a function the worker cannot import
            worker.call(_not_importable_there)
        assert worker.call(sorted, [2, 1]) == [1, 2]  # and the worker keeps answering
    assert worker.process.returncode == 0


def _not_importable_there() -> None:
    """tests/ is not a package the worker can import."""
