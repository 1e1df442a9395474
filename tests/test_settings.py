"""One table of settings (emis_lod/settings.py): every value, from the environment or an option,
is checked against it, and a wrong one stops with what is allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from emis_lod.cli import main
from emis_lod.settings import SETTINGS, Settings, SettingsError, load_settings

WRONG = {str: "ftp://nowhere", int: "many", float: "soon"}


def test_the_table_is_the_dataclass() -> None:
    assert [s.name for s in SETTINGS] == list(Settings.__dataclass_fields__)
    defaults = Settings()
    for s in SETTINGS:
        assert getattr(defaults, s.name) == s.default and isinstance(s.default, s.type)
        assert s.check(s.default, "the defaults") == s.default


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_a_wrong_value_from_the_environment_names_the_variable_and_what_is_allowed(setting) -> None:
    if setting.type is str and not setting.choices and setting.pattern is None:
        pytest.skip(f"{setting.name} takes any text")
    raw = "aggregate" if setting.choices else WRONG[setting.type]
    with pytest.raises(SettingsError) as err:
        load_settings(environ={setting.env: raw})
    message = str(err.value)
    assert setting.env in message and repr(raw) in message and setting.allowed() in message
    assert setting.option in message


def test_values_from_the_environment_are_typed() -> None:
    s = load_settings(environ={"EMIS_LOD_PORT": " 8080 ", "EMIS_LOD_QUERY_TIMEOUT": "2.5",
                               "EMIS_LOD_FRONT": "none", "EMIS_LOD_CACHE_SIZE": "4g"})
    assert (s.port, s.query_timeout, s.front, s.cache_size) == (8080, 2.5, "none", "4g")
    with pytest.raises(SettingsError, match="from 1 to 65535"):
        load_settings(environ={"EMIS_LOD_PORT": "70000"})
    with pytest.raises(SettingsError, match=r"--query-workers"):
        load_settings(query_workers=-1)


def test_a_typo_in_staff_publication_stops_the_build_and_writes_nothing(tmp_path: Path) -> None:
    """The issue's case: a typo must not publish staff records without a word."""
    store = tmp_path / "store"
    done = subprocess.run([sys.executable, "-m", "emis_lod.cli", "build", "--source", str(tmp_path),
                           "--store", str(store)], capture_output=True, text=True,
                          env={"EMIS_LOD_STAFF_PUBLICATION": "aggregate", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert ("staff_publication = 'aggregate' (from EMIS_LOD_STAFF_PUBLICATION) is not one of: "
            "records, aggregates") in done.stderr
    assert not store.exists()


def test_options_come_from_the_table() -> None:
    runner = CliRunner()
    serve_help = runner.invoke(main, ["serve", "--help"], terminal_width=200).output
    for name in ("host", "port", "workers", "timeout", "query_timeout", "query_workers", "front"):
        s = next(s for s in SETTINGS if s.name == name)
        assert s.option in serve_help and s.env in serve_help
    build_help = runner.invoke(main, ["build", "--help"], terminal_width=200).output
    assert "--staff records|aggregates" in build_help and "--validator sparql|pyshacl" in build_help
    wrong = runner.invoke(main, ["build", "--source", ".", "--store", "x", "--validator", "shacl"])
    assert wrong.exit_code == 2 and "not one of: sparql, pyshacl" in wrong.output
