"""One build per store at a time: a second build into a store that is being built fails at once
with an actionable error and leaves the first build's work alone."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from emis_lod.loaders import releases
from emis_lod.loaders.build import BuildError, build
from emis_lod.settings import load_settings


def test_a_second_build_into_the_same_store_stops_at_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    staging = store / releases.RELEASES / f"{releases.STAGING_PREFIX}in-progress"
    staging.mkdir(parents=True)
    with releases.building(store):     # as a running build holds it
        with pytest.raises(BuildError, match="another build is writing into"):
            build(tmp_path / "no-such-source", store, load_settings(), echo=lambda *_: None)
        assert staging.is_dir()        # the running build's work is untouched


def test_the_lock_is_released_after_a_build_and_with_its_process(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with pytest.raises(BuildError):    # fails after taking the lock (no source tables)
        build(tmp_path, store, load_settings(), echo=lambda *_: None)
    with open(store / releases.BUILD_LOCK, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)   # free again
