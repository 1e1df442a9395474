"""`emis-lod build` for people and for automation: progress bars on a terminal, --quiet, and a
--json summary whose accounting is the release's own."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from emis_lod.cli import main
from emis_lod.generator import generate
from emis_lod.loaders import releases
from emis_lod.loaders.progress import PHASES
from emis_lod.progress_bars import Bars


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-source")
    generate(out, schools=12, seed=11)
    return out


def test_json_summary_is_the_release_accounting(source: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--store", str(tmp_path),
                                       "--base-uri", "http://data.test/", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)          # stdout is exactly one JSON document
    manifest = releases.read_manifest(releases.current_release(tmp_path))
    assert summary["ok"] and summary["release"] == manifest["release"] and summary["published"]
    assert summary["triples"] == manifest["triples"]
    for table in summary["tables"]:
        assert table == manifest["tables"][table["table"]]
        assert table["rows_read"] == table["rows_loaded"] + table["rows_rejected"]
    assert summary["rows_read"] == summary["rows_loaded"] + summary["rows_rejected"]
    assert Path(summary["rejections"]).is_file() and Path(summary["validation_report"]).is_file()
    assert set(summary["phases"]) <= set(PHASES)
    assert "warning" in result.stderr               # the demo-key warning is not on stdout


def test_json_failure_is_json_too(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["build", "--source", str(empty), "--store",
                                       str(tmp_path / "store"), "--json"])
    assert result.exit_code == 2
    failure = json.loads(result.stdout)
    assert failure["ok"] is False and "regions" in failure["error"]
    assert "unchanged" in result.stderr


def test_quiet_prints_nothing(source: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--store", str(tmp_path),
                                       "--quiet"])
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    assert releases.current_release(tmp_path).is_dir()


def test_default_output_is_the_readable_summary(source: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--store", str(tmp_path)])
    assert result.exit_code == 0
    assert "published in" in result.stdout and "rows rejected" in result.stdout


def test_progress_bars_show_every_phase_and_table() -> None:
    out = io.StringIO()
    bars = Bars(file=out, disable=False, mininterval=0)
    for phase in PHASES:
        bars.start(phase, total=2 if phase == "map" else None)
        if phase == "map":
            bars.advance("schools")
            bars.advance("finance")
    bars.close()
    lines = [line.strip() for line in out.getvalue().replace("\r", "\n").splitlines() if line.strip()]
    for phase in PHASES:
        assert any(line.startswith(phase) for line in lines), phase
    assert any("2/2, finance" in line for line in lines)
