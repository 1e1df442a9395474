"""Releases: list, publish and roll back (the library, the click commands, the real command);
a publish or rollback while clients query the real server; builds killed with SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from emis_lod.cli import main
from emis_lod.generator import generate
from emis_lod.loaders import releases
from emis_lod.loaders.build import BuildReport

from serverutil import copy_release, running_server

EXE = [sys.executable, "-m", "emis_lod.cli"]
COUNT_SCHOOLS = "SELECT (COUNT(?s) AS ?n) WHERE { ?s a emis:School }"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def three_releases(store: Path, built: BuildReport) -> list[str]:
    """Three releases, each published in turn (as three builds would): the session's build
    added three times under new ids."""
    return [copy_release(store, built.release_dir).name for _ in range(3)]


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# ------------------------------------------------------------------ the library

def test_rollback_walks_back_the_publish_history(tmp_path: Path, built: BuildReport) -> None:
    a, b, c = three_releases(tmp_path, built)
    assert releases.history(tmp_path) == [a, b, c]
    assert releases.previous_release(tmp_path) == b
    assert releases.rollback(tmp_path) == b
    assert releases.current_release(tmp_path).name == b
    assert releases.rollback(tmp_path) == a
    with pytest.raises(releases.ReleaseError, match="nothing to roll back to") as err:
        releases.rollback(tmp_path)
    assert all(rid in str(err.value) for rid in (a, b, c))  # it names what could be published
    assert releases.current_release(tmp_path).name == a     # a failed rollback changes nothing
    assert releases.publish(tmp_path) == c                   # default: the newest
    assert releases.previous_release(tmp_path) == a
    assert releases.publish(tmp_path, b) == b
    assert releases.history(tmp_path) == [a, c, b]
    log = json.loads((tmp_path / releases.HISTORY).read_text(encoding="utf-8"))["log"]
    assert [(e["action"], e["release"]) for e in log][-3:] == [
        ("rollback", a), ("publish", c), ("publish", b)]


def test_history_follows_current_when_they_disagree(tmp_path: Path, built: BuildReport) -> None:
    a, b, c = three_releases(tmp_path, built)
    (tmp_path / releases.HISTORY).unlink()             # a store from before the history
    assert releases.history(tmp_path) == [c]
    assert releases.previous_release(tmp_path) is None
    releases.publish(tmp_path, a)
    # killed between the switch of `current` and the history write: `current` wins
    os.replace(tmp_path / releases.HISTORY, tmp_path / "saved.json")
    releases.publish(tmp_path, b)
    os.replace(tmp_path / "saved.json", tmp_path / releases.HISTORY)
    assert releases.history(tmp_path) == [c, a, b]
    assert releases.rollback(tmp_path) == a


def test_unknown_and_incomplete_releases_are_refused_with_the_list(tmp_path: Path,
                                                                  built: BuildReport) -> None:
    a, b, c = three_releases(tmp_path, built)
    staging = releases.staging_dir(tmp_path, "20990101T000000000000Z")
    for wrong, says in (("nope", "does not exist"), (staging.name, "is incomplete"),
                        ("../releases", "does not exist")):
        with pytest.raises(releases.ReleaseError, match=says) as err:
            releases.publish(tmp_path, wrong)
        assert f"complete releases: {a}, {b}, {c}" in str(err.value)
    assert releases.list_releases(tmp_path) == [a, b, c]
    assert releases.incomplete_releases(tmp_path) == [staging.name]
    assert releases.publish(tmp_path) == c                   # the staging dir is not "newest"
    releases.discard_staging(tmp_path)
    assert releases.incomplete_releases(tmp_path) == []


def test_prune_keeps_the_served_release_and_the_rollback_target(tmp_path: Path, built: BuildReport) -> None:
    a, b, c = three_releases(tmp_path, built)
    d = copy_release(tmp_path, built.release_dir).name
    releases.publish(tmp_path, a)                    # served: a; rollback target: d
    assert releases.prune(tmp_path, 1) == [b, c]
    assert releases.list_releases(tmp_path) == [a, d]
    assert releases.current_release(tmp_path).name == a
    assert releases.rollback(tmp_path) == d
    assert not [p for p in (tmp_path / releases.RELEASES).iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------ the commands

def test_commands_list_publish_and_roll_back(tmp_path: Path, built: BuildReport) -> None:
    a, b, c = three_releases(tmp_path, built)
    store = str(tmp_path)
    code, out = cli("releases", "--store", store, "--json")
    assert code == 0, out
    listed = json.loads(out)
    assert (listed["current"], listed["previous"]) == (c, b)
    assert [r["id"] for r in listed["releases"]] == [a, b, c]
    assert [r["current"] for r in listed["releases"]] == [False, False, True]
    assert listed["releases"][0]["triples"] == releases.read_manifest(
        tmp_path / releases.RELEASES / a)["triples"] > 0

    code, out = cli("rollback", "--store", store)
    assert code == 0 and f"rolled back to release {b}" in out and f"returns to {a}" in out
    code, out = cli("releases", "--store", store)
    assert code == 0
    lines = {line.split()[1]: line for line in out.splitlines()[1:]}
    assert lines[b].startswith("*") and "(served)" in lines[b]
    assert lines[a].startswith("<") and "(rollback target)" in lines[a]

    code, out = cli("publish", "--store", store, "no-such-release")
    assert code == 2 and "does not exist" in out and f"{a}, {b}, {c}" in out
    code, out = cli("publish", "--store", store)
    assert code == 0 and f"published release {c}" in out
    code, out = cli("publish", "--store", store, c)
    assert code == 0 and "already served" in out
    assert cli("rollback", "--store", store)[0] == 0
    assert cli("rollback", "--store", store)[0] == 0
    code, out = cli("rollback", "--store", store)
    assert code == 2 and "nothing to roll back to" in out
    assert releases.current_release(tmp_path).name == a


def test_the_real_command_prints_json_and_exit_codes(tmp_path: Path, built: BuildReport) -> None:
    a, b, c = three_releases(tmp_path, built)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*EXE, *args, "--store", str(tmp_path)], capture_output=True,
                              text=True, timeout=60)

    done = run("rollback")
    assert done.returncode == 0, done.stderr
    listed = json.loads(run("releases", "--json").stdout)
    assert (listed["current"], listed["previous"]) == (b, a)
    assert run("publish", c).returncode == 0
    assert json.loads(run("releases", "--json").stdout)["current"] == c
    bad = run("publish", "20000101T000000000000Z")
    assert bad.returncode == 2 and "does not exist" in bad.stderr and c in bad.stderr
    pruned = json.loads(run("releases", "--json", "--prune", "1").stdout)
    assert pruned["pruned"] == [a] and [r["id"] for r in pruned["releases"]] == [b, c]
    assert "--no-publish" in subprocess.run([*EXE, "build", "--help"], capture_output=True,
                                            text=True).stdout


# ------------------------------------------------------------------ the served store

class Site:
    """A store with two releases that differ (50 and 12 generated schools) and its server."""

    def __init__(self, store: Path, url: str, counts: dict[str, int], first: str,
                 second: str, source: Path) -> None:
        self.store, self.url, self.counts = store, url, counts
        self.first, self.second, self.source = first, second, source

    def ask_count(self) -> tuple[str, int]:
        """(release that answered, its count of schools) from the SPARQL endpoint."""
        r = requests.get(self.url + "sparql", params={"query": COUNT_SCHOOLS},
                         headers=JSON_RESULTS, timeout=30)
        assert r.status_code == 200, r.text[:500]
        return r.headers["EMIS-Release"], int(r.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def site(built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("served")
    store = root / "store"
    # the first release: the session's build of the demo export (a release is a directory)
    shutil.copytree(built.release_dir, store / releases.RELEASES / built.release)
    releases.publish(store, built.release)
    # the second is written but not served: the --no-publish path of the command
    generate(root / "small", schools=12, seed=11)
    code, out = cli("build", "--source", str(root / "small"), "--store", str(store),
                    "--base-uri", built.base_uri, "--no-publish")
    assert code == 0, out
    assert "written (not published)" in out and "emis-lod publish --store" in out
    assert releases.current_release(store).name == built.release
    second = releases.list_releases(store)[-1]
    counts = {rid: releases.read_manifest(store / releases.RELEASES / rid)["tables"]["schools"]
              ["rows_loaded"] for rid in (built.release, second)}
    assert counts[built.release] != counts[second]
    with running_server(store) as url:
        yield Site(store, url, counts, built.release, second, root / "small")


def test_publish_and_rollback_while_clients_query(site: Site) -> None:
    releases.publish(site.store, site.first)
    document = site.url + "doc/region/KG-C"
    bodies: dict[str, bytes] = {}
    for rid in (site.second, site.first):      # each release's answer, asked while it is served
        releases.publish(site.store, rid)
        r = requests.get(document, headers={"Accept": "text/turtle"}, timeout=30)
        assert r.status_code == 200 and r.headers["EMIS-Release"] == rid
        bodies[rid] = r.content

    stop = threading.Event()
    answers: list[tuple[str, str, object]] = []
    failures: list[str] = []

    def client() -> None:
        while not stop.is_set():
            try:
                answers.append(("sparql", *site.ask_count()))
                r = requests.get(document, headers={"Accept": "text/turtle"}, timeout=30)
                answers.append(("document", r.headers.get("EMIS-Release", ""), r.content))
                if r.status_code != 200:
                    failures.append(f"document: {r.status_code} {r.text[:300]}")
            except (AssertionError, requests.RequestException, KeyError, ValueError) as err:
                failures.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        switches = [site.second, "rollback", site.second, "rollback", site.second, "rollback"]
        for step in switches:
            time.sleep(0.4)
            served = releases.rollback(site.store) if step == "rollback" \
                else releases.publish(site.store, step)
            # a request that starts after the switch is answered by the new release
            for _ in range(4):
                assert site.ask_count() == (served, site.counts[served])
        time.sleep(0.4)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not failures, failures[:5]
    seen = {rid for _, rid, _ in answers}
    assert seen == {site.first, site.second}, seen
    for kind, rid, answer in answers:          # every answer is whole, from one release
        assert answer == (site.counts[rid] if kind == "sparql" else bodies[rid]), (kind, rid)
    assert releases.current_release(site.store).name == site.first


def wait_for(path_of: Callable[[], Path | None], process: subprocess.Popen, what: str,
             log: Path) -> Path:
    """Poll until ``path_of()`` names an existing path; the build must still be running."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        path = path_of()
        if path is not None and path.exists():
            return path
        if process.poll() is not None:
            error = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise AssertionError(f"the build ended (exit {process.returncode}) before {what}: {error}")
        time.sleep(0.005)
    raise AssertionError(f"no {what} within 300 s")


def test_killed_builds_leave_the_served_release_intact(site: Site, tmp_path: Path) -> None:
    releases.publish(site.store, site.first)
    before = site.ask_count()
    listed = releases.list_releases(site.store)
    root = site.store / releases.RELEASES

    def staging() -> Path | None:
        return next(iter(sorted(root.glob(releases.STAGING_PREFIX + "*"))), None)

    def inside(name: str) -> Callable[[], Path | None]:
        return lambda: (s / name) if (s := staging()) else None

    command = [*EXE, "build", "--source", str(site.source), "--store", str(site.store),
               "--base-uri", "http://data.test/"]
    # kill while mapping (the staging directory appears), while loading the database, and
    # while writing the dumps near the end
    for moment, path_of in (("staging", staging), ("load", inside(releases.OXIGRAPH)),
                            ("dumps", inside("dumps"))):
        log = tmp_path / f"{moment}.log"
        with open(log, "wb") as out:   # a file, not a pipe: a full pipe would stall the build
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            wait_for(path_of, process, moment, log)
        finally:
            os.kill(process.pid, signal.SIGKILL)   # our own child, by its id
            process.wait(30)
        assert releases.current_release(site.store).name == site.first, moment
        assert site.ask_count() == before, moment
        assert releases.list_releases(site.store) == listed, moment
        assert staging() is not None               # what the killed build left...
        code, out = cli("releases", "--store", str(site.store), "--json")
        assert json.loads(out)["incomplete"]       # ...is listed as incomplete and ignored
        assert json.loads(out)["current"] == site.first

    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert staging() is None                       # the rerun cleaned up
    rebuilt = releases.current_release(site.store).name
    assert rebuilt not in listed and releases.list_releases(site.store) == [*listed, rebuilt]
    schools = releases.read_manifest(root / rebuilt)["tables"]["schools"]["rows_loaded"]
    assert site.ask_count() == (rebuilt, schools)
    assert releases.rollback(site.store) == site.first
    assert site.ask_count() == before


def test_the_release_commands_are_documented() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for name in ("releases", "publish", "rollback", "build"):
        command = main.commands[name]
        assert f"`emis-lod {name} --store DIR" in readme or f"`emis-lod {name} --source" in readme
        for param in command.params:
            for option in param.opts + param.secondary_opts:
                if option.startswith("--") and option not in ("--help", "--publish"):
                    assert option in readme, f"emis-lod {name} {option} is not in the README"
