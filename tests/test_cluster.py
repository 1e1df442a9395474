"""Replicas behind nginx (``emis-lod cluster``, and ``serve`` with its nginx front), tried as a
ministry's traffic and an attacker would: a replica killed and releases published under load
with no failed request and no answer of one release cached for another; slow clients that
cannot starve the endpoint; the cache keyed by release with conditional requests through it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import requests

from emis_lod.loaders import releases
from emis_lod.loaders.build import BuildReport
from emis_lod.settings import load_settings

from serverutil import copy_release, free_port, running_server, session_members

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx is missing: `make nginx` installs Debian's")

NAME_QUERY = ("PREFIX schema: <https://schema.org/> SELECT ?name WHERE { <%s> schema:name ?name "
              "FILTER(lang(?name) = 'ru') }")
CLIENT_TIMEOUT = 2   # seconds nginx waits for a slow client in these tests


class Renamed(NamedTuple):
    """The school whose Russian name differs between the two releases, and another school."""

    code: str
    name: str      # its Russian name in the build
    second: str    # its Russian name in the second release
    other: str     # the code of a school whose document is the same in both

    @property
    def doc(self) -> str:
        return f"doc/school/{self.code}"


@pytest.fixture(scope="module")
def renamed(sample) -> Renamed:
    """The first school of the build other than ``sample.school`` (which is the other one) whose
    Russian name every format writes as it is (no character that HTML or JSON escapes)."""
    names = sample.select("""SELECT ?code ?name WHERE { ?s emis:schoolCode ?code ; schema:name ?name
                                                        FILTER(lang(?name) = "ru") } ORDER BY ?code""")
    row = next(r for r in names if r["code"] != sample.school and not set(r["name"]) & set("\"'&<>\\"))
    return Renamed(row["code"], row["name"], row["name"] + " (второй выпуск)", sample.school)


@pytest.fixture(scope="module")
def two_releases(site_built: BuildReport, renamed: Renamed,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """A store with two releases that differ in one school's name; the first is served.

    Both are copies of the session's build (``site_built``, whose base is the loopback port the
    cluster listens on); in the second, the Russian name of ``renamed`` is replaced by
    ``renamed.second`` (a SPARQL Update on the copy's store), and nothing else changes."""
    base = site_built.base_uri
    store = tmp_path_factory.mktemp("cluster-store")
    first = copy_release(store, site_built.release_dir).name
    second = copy_release(store, site_built.release_dir, update=f"""
        PREFIX schema: <https://schema.org/>
        DELETE {{ GRAPH ?g {{ ?s schema:name ?name }} }}
        INSERT {{ GRAPH ?g {{ ?s schema:name "{renamed.second}"@ru }} }}
        WHERE {{ GRAPH ?g {{ ?s schema:name ?name ;
                              <{base}def/emis#schoolCode> "{renamed.code}" }}
                FILTER(lang(?name) = "ru") }}""").name
    releases.publish(store, first)
    return store, base, first, second


@contextlib.contextmanager
def running_cluster(store: Path, base: str, replicas: int = 2, env: dict[str, str] | None = None,
                    stop: signal.Signals = signal.SIGTERM) -> Iterator[tuple[str, Path]]:
    """``emis-lod cluster`` on the port of ``base`` until the block ends, then ``stop`` sent to
    it; yields the base URL and the runtime directory (with cluster.json). Checks that nothing
    outlives it."""
    port = int(base.rsplit(":", 1)[1].strip("/"))
    runtime = Path(tempfile.mkdtemp(prefix="emis-lod-cluster-test-"))
    log = runtime.parent / (runtime.name + ".log")
    command = [sys.executable, "-m", "emis_lod.cli", "cluster", "--store", str(store),
               "--replicas", str(replicas), "--port", str(port), "--workers", "1",
               "--query-workers", "1", "--runtime-dir", str(runtime)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True,
                                   env={**os.environ, "EMIS_LOD_PRERENDER": "off", **(env or {})})
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            with contextlib.suppress(requests.RequestException):
                if (runtime / "cluster.json").exists() and \
                        requests.get(base + "healthz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        yield base, runtime
    finally:
        process.send_signal(stop)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        # a SIGKILLed supervisor's children are told by the kernel; replicas stop gracefully
        deadline = time.monotonic() + 40
        while session_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = {pid: _command_line(pid) for pid in session_members(process.pid)}
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not left, f"processes outlived the cluster: {left}"
        if stop != signal.SIGKILL:
            assert not (runtime / "nginx.pid").exists(), "nginx did not stop"
        log.unlink(missing_ok=True)
        shutil.rmtree(runtime, ignore_errors=True)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


def state(runtime: Path) -> dict:
    return json.loads((runtime / "cluster.json").read_text())


# -- load --------------------------------------------------------------------------------------

def requests_of(school: Renamed) -> list[tuple[str, dict, str]]:
    """(path, params, Accept): documents in several formats and languages, SPARQL."""
    return [
        (school.doc, {}, "text/turtle"),
        (school.doc, {}, "application/ld+json"),
        (school.doc, {"lang": "ru"}, "text/html"),
        (f"doc/school/{school.other}", {}, "application/n-triples"),
        ("dumps/", {}, "application/json"),
        ("sparql", {"query": NAME_QUERY}, "application/sparql-results+json"),
    ]


def name_in(response: requests.Response, school: Renamed) -> str:
    """The Russian name of ``school`` in any answer of its requests that carries it, or ''."""
    text = response.text
    if school.second in text:
        return school.second
    return school.name if school.name in text else ""


class Load:
    """Threads that send the requests of ``school`` round after round and record every answer."""

    def __init__(self, base: str, school: Renamed, threads: int = 4, per_thread: int = 500) -> None:
        self.base = base
        self.school = school
        self.requests = requests_of(school)
        self.failures: list[str] = []
        self.answers: list[tuple[str, str, str]] = []   # (path, release, name in body)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i, per_thread))
                        for i in range(threads)]

    def _run(self, offset: int, count: int) -> None:
        session = requests.Session()
        for i in range(count):
            path, params, accept = self.requests[(offset + i) % len(self.requests)]
            if path == "sparql":
                params = {"query": NAME_QUERY % f"{self.base}id/school/{self.school.code}"}
            try:
                r = session.get(self.base + path, params=params, headers={"Accept": accept},
                                timeout=30)
            except requests.RequestException as err:
                with self.lock:
                    self.failures.append(f"{path}: {err}")
                continue
            with self.lock:
                if r.status_code != 200:
                    self.failures.append(f"{path}: HTTP {r.status_code} {r.text[:200]}")
                else:
                    self.answers.append((path, r.headers.get("EMIS-Release", ""),
                                         name_in(r, self.school)))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for t in self.threads:
            t.join(timeout=300)


def test_a_killed_replica_costs_no_request_and_is_restarted(two_releases, renamed) -> None:
    store, base, first, _ = two_releases
    with running_cluster(store, base, stop=signal.SIGINT) as (url, runtime):
        victim = state(runtime)["replicas"][0]
        with Load(url, renamed) as load:
            time.sleep(0.5)
            os.killpg(victim["pid"], signal.SIGKILL)     # the replica and its workers at once
        assert load.failures == [], load.failures[:10]
        assert len(load.answers) == 2000
        deadline = time.monotonic() + 60
        while not (state(runtime)["replicas"][0]["restarts"] == 1
                   and state(runtime)["replicas"][0]["pid"] != victim["pid"]):
            assert time.monotonic() < deadline, state(runtime)
            time.sleep(0.2)
        restarted = state(runtime)["replicas"][0]
        deadline = time.monotonic() + 60
        while requests.get(f"http://127.0.0.1:{restarted['port']}/healthz", timeout=5) \
                .status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_publishing_under_load_fails_no_request_and_mixes_no_release(two_releases, renamed) -> None:
    store, base, first, second = two_releases
    expected = {first: renamed.name, second: renamed.second}
    with running_cluster(store, base) as (url, _runtime):
        with Load(url, renamed) as load:
            for release in (second, first, second):   # publish, roll back, publish again
                time.sleep(0.4)
                releases.publish(store, release)
        releases.publish(store, first)
        assert load.failures == [], load.failures[:10]
        seen = {release for _, release, _ in load.answers}
        assert seen == {first, second}
        for path, release, name in load.answers:
            if path not in ("dumps/", f"doc/school/{renamed.other}"):
                assert name == expected[release], (path, release, name)
        # what the cache holds for a release is that release's. Whether the load left an entry
        # depends on how the publishes fell between its requests, so a MISS is allowed once per
        # release; coming back to the first release must then be a HIT on the first request.
        for turn, release in enumerate((first, second, first)):
            releases.publish(store, release)
            r = requests.get(url + renamed.doc, headers={"Accept": "text/turtle"})
            assert r.headers["EMIS-Release"] == release and name_in(r, renamed) == expected[release]
            if turn == 2:
                assert r.headers["EMIS-Cache"] == "HIT"
            elif r.headers["EMIS-Cache"] == "MISS":
                again = requests.get(url + renamed.doc, headers={"Accept": "text/turtle"})
                assert again.headers["EMIS-Release"] == release
                assert name_in(again, renamed) == expected[release]
                assert again.headers["EMIS-Cache"] == "HIT"


def test_documents_are_cached_per_release_and_sparql_is_not(two_releases, renamed) -> None:
    store, base, first, _ = two_releases
    school = f"{base}id/school/{renamed.code}"
    with running_cluster(store, base) as (url, _runtime):
        doc = url + f"doc/school/{renamed.other}"
        one = requests.get(doc, headers={"Accept": "text/turtle"})
        two = requests.get(doc, headers={"Accept": "text/turtle"})
        assert (one.headers["EMIS-Cache"], two.headers["EMIS-Cache"]) == ("MISS", "HIT")
        assert one.content == two.content and one.headers["ETag"] == two.headers["ETag"]
        assert two.headers["Content-Type"].startswith("text/turtle")
        other = requests.get(doc, headers={"Accept": "application/ld+json"})
        assert other.headers["Content-Type"].startswith("application/ld+json")
        again = requests.get(doc, headers={"Accept": "text/turtle",
                                           "If-None-Match": one.headers["ETag"]})
        assert again.status_code == 304 and again.headers["ETag"] == one.headers["ETag"]
        query = requests.get(url + "sparql", params={"query": NAME_QUERY % school},
                             headers={"Accept": "application/sparql-results+json"})
        assert query.status_code == 200 and "EMIS-Cache" not in query.headers
        posted = requests.post(url + "sparql", data={"query": NAME_QUERY % school},
                               headers={"Accept": "application/sparql-results+json"})
        assert posted.json() == query.json()
        assert requests.get(url + "healthz").json()["release"] == first


def test_a_killed_supervisor_leaves_no_process_behind(two_releases) -> None:
    """nginx, the replicas, their workers and the renderer stop when the supervisor dies."""
    store, base, *_ = two_releases
    with running_cluster(store, base, env={"EMIS_LOD_PRERENDER": "background"},
                         stop=signal.SIGKILL) as (_url, runtime):
        assert state(runtime)["renderer"] is not None


def test_print_config_is_a_configuration_nginx_accepts(two_releases, tmp_path: Path) -> None:
    store, *_ = two_releases
    done = subprocess.run([sys.executable, "-m", "emis_lod.cli", "cluster", "--store", str(store),
                           "--replicas", "3", "--port", "8080", "--runtime-dir", str(tmp_path),
                           "--print-config"], capture_output=True, text=True, check=True)
    config = done.stdout
    assert all(f"server 127.0.0.1:{p} " in config for p in (8081, 8082, 8083))
    assert "listen 127.0.0.1:8080" in config and f"root {store.resolve()}/current;" in config
    (tmp_path / "nginx.conf").write_text(config)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / name).mkdir(parents=True)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                              "-e", "stderr", "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_a_wrong_front_stops_with_the_allowed_values(two_releases) -> None:
    store, *_ = two_releases
    done = subprocess.run([sys.executable, "-m", "emis_lod.cli", "serve", "--store", str(store),
                           "--front", "haproxy"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "front = 'haproxy' (from --front) is not one of: nginx, none" in done.stderr


# -- slow clients ------------------------------------------------------------------------------

BIG_ANSWER = ("/sparql?query=" + requests.utils.quote(
    "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 40000", safe=""))   # ~10 MB of CSV


def slow_clients(url: str, doc: str, count: int,
                 readers: int) -> tuple[list[socket.socket], list[socket.socket]]:
    """``count`` connections that send a request line for the document ``doc`` and one header,
    then wait; ``readers`` that send a whole request for a large answer (~10 MB) and never read
    it."""
    host, port = url.split("//")[1].strip("/").split(":")
    senders, readers_ = [], []
    for i in range(count + readers):
        s = socket.socket()
        if i >= count:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((host, int(port)))
        if i < count:
            s.sendall(f"GET /{doc} HTTP/1.1\r\nHost: {host}\r\n".encode())
            senders.append(s)
        else:
            s.sendall(f"GET {BIG_ANSWER} HTTP/1.1\r\nAccept: text/csv\r\nHost: {host}\r\n\r\n"
                      .encode())
            readers_.append(s)
    return senders, readers_


def closed_by_server(s: socket.socket) -> bool:
    """True when the server has closed the connection: whatever it had sent is read, then the
    end (or a reset) comes; False when it still waits."""
    s.settimeout(0.2)
    try:
        while True:
            if not s.recv(1 << 20):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except (TimeoutError, BlockingIOError):
        return False


def answering(s: socket.socket, seconds: float) -> bool:
    """True once the first bytes of an answer wait on ``s`` (not read)."""
    s.settimeout(seconds)
    try:
        return bool(s.recv(1, socket.MSG_PEEK))
    except (TimeoutError, OSError):
        return False


def normal_request_seconds(url: str, doc: str) -> float:
    started = time.monotonic()
    r = requests.get(url + doc, headers={"Accept": "application/ld+json"},
                     timeout=10)
    assert r.status_code == 200
    return time.monotonic() - started


def assert_slow_clients_do_not_starve(url: str, school: Renamed) -> None:
    senders, readers = slow_clients(url, f"doc/school/{school.other}", 200, 4)
    try:
        # the large answers are made (once: that is work, not starvation) and handed to nginx
        assert all(answering(s, 60) for s in readers)
        time.sleep(1.0)
        assert max(normal_request_seconds(url, school.doc) for _ in range(5)) < 1.0
        time.sleep(CLIENT_TIMEOUT + 2)     # nobody sends or reads meanwhile
        still_open = [s for s in senders + readers if not closed_by_server(s)]
        assert still_open == [], f"{len(still_open)} slow connections still open after " \
                                 f"{CLIENT_TIMEOUT} s without progress"
        assert normal_request_seconds(url, school.doc) < 1.0
    finally:
        for s in senders + readers:
            s.close()


def test_the_attack_is_real_on_gunicorn_alone(two_releases, renamed) -> None:
    """Without the front, four half-sent requests hold serve's two sync workers."""
    store, base, *_ = two_releases
    port = free_port()
    with running_server(store, port=port, env={"EMIS_LOD_FRONT": "none",
                                               "EMIS_LOD_PRERENDER": "off"}) as url:
        senders, _ = slow_clients(url, f"doc/school/{renamed.other}", 4, 0)
        try:
            time.sleep(0.5)
            with pytest.raises(requests.Timeout):
                requests.get(url + renamed.doc, timeout=2)
        finally:
            for s in senders:
                s.close()


def test_slow_clients_do_not_starve_serve(two_releases, renamed) -> None:
    store, base, *_ = two_releases
    with running_server(store, port=int(base.rsplit(":", 1)[1].strip("/")),
                        env={"EMIS_LOD_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT),
                             "EMIS_LOD_PRERENDER": "off"}) as url:
        assert requests.get(url + "healthz").headers["Server"] == "nginx"
        assert_slow_clients_do_not_starve(url, renamed)


def test_slow_clients_do_not_starve_a_cluster(two_releases, renamed) -> None:
    store, base, *_ = two_releases
    with running_cluster(store, base, env={"EMIS_LOD_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT)}) \
            as (url, _runtime):
        assert_slow_clients_do_not_starve(url, renamed)


def test_the_front_configuration_follows_the_settings() -> None:
    settings = load_settings(environ={"EMIS_LOD_CLIENT_TIMEOUT": "7", "EMIS_LOD_CACHE_SIZE": "2g"})
    from emis_lod.endpoint.front import Replica, nginx_config

    config = nginx_config(settings, store=Path("/srv/store"), runtime=Path("/run/x"),
                          replicas=[Replica(9001), Replica(9002, down=True)])
    assert "client_header_timeout 7s;" in config and "send_timeout 7s;" in config
    assert "max_size=2g" in config
    assert "server 127.0.0.1:9002 max_fails=1 fail_timeout=2s down;" in config


def test_the_demo_without_nginx_warns_and_is_served_by_gunicorn_alone(monkeypatch, tmp_path) -> None:
    """`make demo` on a machine where nginx could not be installed still serves the demo."""
    from click.testing import CliRunner

    from emis_lod import cli
    from emis_lod.endpoint import front, server
    from emis_lod.loaders import build as building

    served: list = []
    monkeypatch.setattr(front, "NGINX_CANDIDATES", ("no-such-nginx",))
    monkeypatch.setattr(server, "serve", lambda store, settings: served.append(settings))
    monkeypatch.setattr(building, "build", lambda *a, **k: type(
        "Report", (), {"summary": lambda self: "built", "try_urls": lambda self, base: base})())
    monkeypatch.delenv("EMIS_LOD_FRONT", raising=False)
    done = CliRunner().invoke(cli.main, ["demo", "--schools", "2", "--dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "nginx is not installed" in done.output and "gunicorn alone" in done.output
    assert [s.front for s in served] == ["none"]
    # serve itself never falls back: a public server without its front is the operator's choice
    CliRunner().invoke(cli.main, ["serve", "--store", str(tmp_path)])
    assert [s.front for s in served] == ["none", "nginx"]
