"""A build that cannot fit says so, before it writes anything: how much memory and disk it needs,
how much there is, and what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emis_lod.generator import generate
from emis_lod.loaders import capacity, releases
from emis_lod.loaders.build import BuildReport, build
from emis_lod.loaders.capacity import GB, Available, Needs
from emis_lod.loaders.errors import BuildError
from emis_lod.settings import load_settings

from serverutil import copy_release

ROWS = {"regions": 9, "districts": 45, "schools": 2040, "buildings": 3106, "finance": 39125,
        "safety_assessments": 4004, "staff": 95236, "textbooks": 239, "textbook_provision": 87801,
        "training": 118452}    # the demo export at 2,000 schools


def test_the_estimate_grows_with_the_input() -> None:
    small, large = capacity.estimate(ROWS), capacity.estimate({t: n * 10 for t, n in ROWS.items()})
    assert 0 < small.memory_bytes < large.memory_bytes and 0 < small.disk_bytes < large.disk_bytes
    assert small.rows == sum(ROWS.values()) and large.triples > 9 * small.triples
    assert capacity.estimate({**ROWS, "staff": 200_000}).memory_bytes > small.memory_bytes
    # a table of another mapping counts too
    assert capacity.estimate({**ROWS, "enrolment": 50_000}).disk_bytes > small.disk_bytes


def test_the_estimate_is_not_below_what_was_measured() -> None:
    # bench/bench_build.py --schools 2000 (bench/results/2026-12-06-2000-b.json): 3,832,630
    # triples, peak 1,744 MB, peak disk 2,492 MB
    needs = capacity.estimate(ROWS)
    assert needs.memory_bytes > 1744 * 2**20 and needs.disk_bytes > 2492 * 2**20
    assert 0.9 < needs.triples / 3_832_630 < 1.2


def test_a_build_that_does_not_fit_is_stopped_with_the_amounts(tmp_path: Path) -> None:
    needs = Needs(memory_bytes=6 * GB, disk_bytes=2 * GB, rows=1_000_000, triples=8_000_000)
    with pytest.raises(BuildError) as err:
        capacity.check(needs, tmp_path / "store", Available(1 * GB, 100 * GB, "MemAvailable"))
    message = str(err.value)
    assert "6.0 GB of memory" in message and "1.0 GB is available" in message
    assert "disk" not in message.split("(estimated")[0]
    assert "EMIS_LOD_CAPACITY_CHECK=warn" in message and "larger machine" in message
    with pytest.raises(BuildError, match=r"2\.0 GB of disk at .*store, but 500 MB is free"):
        capacity.check(needs, tmp_path / "store", Available(100 * GB, 500 * 2**20))
    capacity.check(needs, tmp_path / "store", Available(6 * GB, 2 * GB))        # just fits
    capacity.check(needs, tmp_path / "store", Available(None, None))            # unknown: not checked


def test_warn_says_so_and_goes_on(tmp_path: Path) -> None:
    said: list[str] = []
    capacity.check(Needs(6 * GB, 1), tmp_path, Available(GB, GB), mode="warn", echo=said.append)
    assert len(said) == 1 and said[0].startswith("warning: this build needs about 6.0 GB")
    with pytest.raises(BuildError, match="capacity_check must be one of stop, warn"):
        capacity.check(Needs(1, 1), tmp_path, Available(GB, GB), mode="maybe")


def test_what_the_machine_has_is_measured(tmp_path: Path) -> None:
    have = capacity.measure(tmp_path / "not" / "yet" / "a" / "store")
    assert have.disk_bytes is not None and have.disk_bytes > 0
    if os.path.exists("/proc/meminfo"):
        assert have.memory_bytes is not None and have.memory_bytes > 0 and have.memory_source


def test_a_real_build_that_cannot_fit_writes_nothing(built: BuildReport, tmp_path: Path,
                                                     monkeypatch) -> None:
    base = "http://data.test/"
    store = tmp_path / "store"
    copy_release(store, built.release_dir)     # the served release: the session's build
    served = releases.current_id(store)
    before = sorted(p.name for p in (store / releases.RELEASES).iterdir())
    source = tmp_path / "source"
    generate(source, schools=3, seed=1)
    monkeypatch.setattr(capacity, "available_memory", lambda: (64 * 2**20, "MemAvailable (test)"))
    with pytest.raises(BuildError, match=r"needs about .* of memory, but 64 MB is available"):
        build(source, store, load_settings(base_uri=base), echo=lambda *_: None)
    assert releases.current_id(store) == served
    assert sorted(p.name for p in (store / releases.RELEASES).iterdir()) == before
    # with the override it builds (and says why it might not have)
    said: list[str] = []
    report = build(source, store, load_settings(base_uri=base, capacity_check="warn"), echo=said.append)
    assert any("this build needs about" in s for s in said) and report.triples > 0
