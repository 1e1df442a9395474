"""The `emis-lod` command as a user types it: generate and demo."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from emis_lod.profiles import load_profile

from serverutil import free_port

EXE = [sys.executable, "-m", "emis_lod.cli"]


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_generate_is_reproducible_from_the_command_line(tmp_path: Path) -> None:
    for out in ("a", "b"):
        done = subprocess.run([*EXE, "generate", "--schools", "20", "--seed", "5", "--out",
                               str(tmp_path / out)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "schools.csv" in done.stdout
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_help_lists_every_subcommand() -> None:
    done = subprocess.run([*EXE, "--help"], capture_output=True, text=True)
    for command in ("generate", "build", "serve", "demo"):
        assert command in done.stdout


@pytest.mark.parametrize("profile", ["kg", "kz"])
def test_demo_generates_builds_and_serves(tmp_path: Path, profile: str) -> None:
    port = free_port()
    proc = subprocess.Popen([*EXE, "demo", "--schools", "30", "--port", str(port), "--dir",
                             str(tmp_path), "--profile", profile], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(base, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the demo server did not come up"
            time.sleep(0.3)
        count = requests.get(base + "sparql", params={
            "query": "SELECT (COUNT(?s) AS ?n) WHERE { ?s a emis:School }"},
            headers={"Accept": "application/sparql-results+json"}, timeout=10).json()
        assert count["results"]["bindings"][0]["n"]["value"] == "30"
        # the home page speaks the profile's first language unless asked for another
        language = load_profile(profile).languages[0]
        home = requests.get(base, timeout=10)
        assert f'<html lang="{language}"' in home.text
        assert requests.get(base, params={"lang": "en"}, timeout=10).text.count('<html lang="en"')
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "rows rejected" in output and f"{base}sparql" in output
    assert (tmp_path / "store" / "current").exists()
