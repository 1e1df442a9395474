"""The benchmark reports what the scale work needs: each phase's time and peak memory, the
baseline and the ratio, as one JSON object; growth between two sizes is flagged. Nothing here
asserts a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emis_lod.loaders.progress import PHASES

from serverutil import bench_script

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "bench_build.py"


bench = bench_script("bench_build")


def _figures(schools: int, seconds: dict[str, float], memory: dict[str, float]) -> dict:
    phases = {p: {"seconds": seconds[p], "peak_rss_mb": memory[p]} for p in seconds}
    total = {"seconds": sum(seconds.values()), "peak_rss_mb": max(memory.values())}
    return {"schools": schools, "phases": phases, "build": total,
            "baseline": {"seconds": 1.0 * schools, "peak_rss_mb": 100.0}}


def test_a_tiny_run_reports_every_phase_and_the_baseline(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    smaller = tmp_path / "smaller.json"
    smaller.write_text(json.dumps(_figures(3, {p: 1.0 for p in PHASES}, {p: 100.0 for p in PHASES})))
    run = subprocess.run([sys.executable, str(BENCH), "--schools", "30", "--workdir", str(tmp_path / "w"),
                          "--json", str(out), "--compare", str(smaller)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["schools"] == 30 and figures["triples"] > 0 and figures["rows"] > 0
    for phase in PHASES:
        assert figures["phases"][phase]["seconds"] >= 0, phase
        assert figures["phases"][phase]["peak_rss_mb"] > 0, phase
    assert figures["build"]["peak_rss_mb"] >= max(p["peak_rss_mb"] for p in figures["phases"].values())
    assert figures["baseline"]["seconds"] > 0 and figures["baseline"]["peak_rss_mb"] > 0
    assert figures["baseline"]["triples"] == figures["triples"]
    assert figures["ratio"] > 0
    assert figures["machine"]["cpu_count"] >= 1 and figures["machine"]["memory_total_mb"] > 0
    assert figures["machine"]["pyoxigraph"] and figures["date"]
    assert figures["compare"]["schools"] == 3
    for phase in PHASES:
        assert f"  {phase} " in run.stdout
    assert "ratio build / bulk_load" in run.stdout and "growth from 3 to 30 schools" in run.stdout


def test_a_phase_that_grows_more_than_linearly_is_flagged(capsys) -> None:
    small = _figures(2000, {"map": 10.0, "validate": 10.0}, {"map": 500.0, "validate": 500.0})
    large = _figures(20000, {"map": 105.0, "validate": 200.0}, {"map": 900.0, "validate": 6000.0})
    assert bench.compare(large, small) == ["validate", "build"]
    shown = capsys.readouterr().out
    assert "time more than linear" in shown and "memory more than linear" in shown


def test_samples_are_attributed_to_the_phase_running_when_taken() -> None:
    events = [{"event": "start", "phase": "read", "t": 1.0, "hwm_kb": 1000},
              {"event": "start", "phase": "map", "t": 2.0, "hwm_kb": 1000},
              {"event": "start", "phase": "load", "t": 2.05, "hwm_kb": 3072 * 1024},
              {"event": "close", "phase": None, "t": 4.0, "hwm_kb": 3072 * 1024}]
    mb = bench.MB
    samples = [bench.Sample(0.5, 50 * mb), bench.Sample(1.5, 100 * mb, disk=0),
               bench.Sample(2.1, 400 * mb, disk=10 * mb), bench.Sample(3.0, 300 * mb)]
    run = bench.StepRun("build", 0.0, 5.0, samples, events, {"ru_maxrss_self_mb": 3072})
    phases = bench.attribute(run)
    assert list(phases) == ["startup", "read", "map", "load", "finish"]
    assert phases["read"]["peak_rss_mb"] == 100 and phases["read"]["seconds"] == 1.0
    # map ran between two samples; its own peak (VmHWM rose to 3 GB meanwhile) is exact
    assert phases["map"]["peak_rss_mb"] == 3072
    assert phases["load"]["peak_rss_mb"] == 400 and phases["load"]["peak_disk_mb"] == 10


def test_a_failed_step_shows_its_stderr(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="unknown step no-such-step"):
        bench.run_step("no-such-step", [], tmp_path, 0.1)
