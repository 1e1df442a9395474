"""The endpoint's limits against the real server: a runaway query is killed at ``query_timeout``
while other clients are served, the row cap and the query-length cap are stated, a bounded load
gives no server error, and no query process outlives the server.

The server runs with a short timeout and small caps set through the environment (``EMIS_LOD_*``),
exactly as an operator would.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest
import rdflib
import requests

from emis_lod.endpoint import create_app
from emis_lod.endpoint.executor import QueryExecutor, QueryJob
from emis_lod.loaders.build import BuildReport
from emis_lod.settings import load_settings

from serverutil import copy_release, running_server

pytestmark = pytest.mark.e2e

TIMEOUT = 1.5  # EMIS_LOD_QUERY_TIMEOUT of the server under test
MAX_ROWS = 40
MAX_LENGTH = 5000
RESULTS_JSON = "application/sparql-results+json"

# the build's ~140,000 triples cubed: years of work inside Oxigraph, in one blocking call
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_ORDERED = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1"
# what the store holds about one school, in every graph, in order (a few dozen quads)
SNAPSHOT = ("SELECT ?g ?s ?p ?o WHERE {{ VALUES ?s {{ <{school}> }} GRAPH ?g {{ ?s ?p ?o }} }} "
            "ORDER BY ?g ?s ?p ?o")


class Schools(NamedTuple):
    """A query of the schools of one district (fewer than MAX_ROWS: its answer is whole), their
    codes as the build has them, and the code of one of them."""

    query: str
    codes: list[str]
    school: str


@pytest.fixture(scope="module")
def schools(sample) -> Schools:
    """The schools of ``sample.school``'s district."""
    query = ("SELECT ?code WHERE { ?s a emis:School ; emis:schoolCode ?code ; "
             f"emis:district/emis:unitCode \"{sample.district}\" }} ORDER BY ?code")
    codes = [row["code"] for row in sample.select(query)]
    assert sample.school in codes and len(codes) < MAX_ROWS
    return Schools(query, codes, sample.school)


def _processes_with(marker: str) -> set[int]:
    """Ids of the processes whose environment holds ``marker`` (the server and its children)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.add(int(entry.name))
        except OSError:
            continue
    return found


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


@pytest.fixture(scope="module")
def limited(site):
    """The real server with a 1.5 s query timeout, a 40-row cap and a 5,000-character cap (and no
    background rendering, whose CPU would blur which process runs a runaway)."""
    store, base = site
    marker = f"emis-lod-test-{uuid.uuid4().hex}"
    env = {"EMIS_LOD_QUERY_TIMEOUT": str(TIMEOUT), "EMIS_LOD_MAX_RESULT_ROWS": str(MAX_ROWS),
           "EMIS_LOD_MAX_QUERY_LENGTH": str(MAX_LENGTH), "EMIS_LOD_TEST_MARKER": marker,
           "EMIS_LOD_PRERENDER": "off"}
    with running_server(store, port=int(base.rsplit(":", 1)[1].strip("/")), env=env) as url:
        yield url, marker
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == set(), "processes outlived the server"


def ask(url: str, query: str, accept: str = RESULTS_JSON, timeout: float = 30,
        **params) -> requests.Response:
    return requests.get(url + "sparql", params={"query": query, **params},
                        headers={"Accept": accept}, timeout=timeout)


def codes(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [b["code"]["value"] for b in response.json()["results"]["bindings"]]


def start_query_processes(url: str, query: str) -> None:
    """Ask ``query`` from 4 clients at once until all are answered: each of the 2 sync workers
    has had a request, so each has started its query processes (which, on a busy machine, can
    take longer than the timeout: a runaway sent to a cold worker would not run at all)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(10):
            if all(r.status_code == 200 for r in pool.map(lambda _: ask(url, query), range(4))):
                return


def test_a_runaway_query_is_killed_at_the_timeout_while_others_are_served(limited, schools) -> None:
    url, marker = limited
    snapshot = SNAPSHOT.format(school=f"{url}id/school/{schools.school}")
    start_query_processes(url, schools.query)
    before = ask(url, snapshot, accept="text/tab-separated-values").text
    assert codes(ask(url, schools.query)) == schools.codes  # warm: query processes started
    runaway: dict[str, object] = {}

    def run_away() -> None:
        started = time.monotonic()
        runaway["response"] = ask(url, RUNAWAY, timeout=60)
        runaway["seconds"] = time.monotonic() - started
        runaway["ended"] = time.monotonic()

    thread = threading.Thread(target=run_away)
    thread.start()
    time.sleep(0.3)  # the runaway is inside Oxigraph now
    others = []
    while thread.is_alive() and len(others) < 2:  # a second client meanwhile
        response = ask(url, schools.query, timeout=30)
        others.append((response, time.monotonic()))
    ticks = {pid: _cpu_ticks(pid) for pid in _processes_with(marker)}
    time.sleep(0.3)
    busiest = max(ticks, key=lambda pid: _cpu_ticks(pid) - ticks[pid])  # the runaway's process
    assert _cpu_ticks(busiest) - ticks[busiest] > 0
    thread.join(60)
    assert not thread.is_alive()

    response = runaway["response"]
    assert isinstance(response, requests.Response)
    assert response.status_code == 503
    assert runaway["seconds"] < TIMEOUT + 4.5  # cut at about the timeout, not after hours
    problem = response.json()
    assert "longer than allowed" in problem["detail"]
    assert f"query_timeout = {TIMEOUT:g} s" in problem["detail"]
    assert "LIMIT" in problem["detail"]
    assert response.headers["Retry-After"]
    # a second client, started during the runaway, was answered before the runaway ended
    assert others and codes(others[0][0]) == schools.codes
    assert others[0][1] < runaway["ended"]  # type: ignore[operator]

    # the work really stopped: the process that ran it is gone
    assert busiest not in _processes_with(marker)
    # afterwards: normal answers, the same data, and no more processes than the pools allow
    # (gunicorn's master; per worker: itself, a forkserver, a resource tracker, 2 query processes)
    assert codes(ask(url, schools.query)) == schools.codes
    assert ask(url, snapshot, accept="text/tab-separated-values").text == before
    assert len(_processes_with(marker)) <= 1 + 2 * (3 + 2)


def test_an_ordered_runaway_is_killed_too_and_the_answer_is_text_when_asked(limited, schools) -> None:
    url, _ = limited
    started = time.monotonic()
    response = ask(url, RUNAWAY_ORDERED, accept="text/csv", timeout=60)
    assert time.monotonic() - started < TIMEOUT + 4.5
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "query_timeout" in response.text
    assert codes(ask(url, schools.query)) == schools.codes


def test_a_syntax_error_is_400_with_the_parsers_message(limited) -> None:
    url, _ = limited
    response = ask(url, "SELECT ?s WHERE { ?s ?p }")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("SPARQL syntax error:")
    assert "line 1" in detail or "column" in detail or "1:" in detail


def test_the_row_cap_is_applied_and_stated(limited, schools) -> None:
    url, _ = limited
    response = ask(url, "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == MAX_ROWS
    assert response.headers["EMIS-Result-Truncated"] == f"rows={MAX_ROWS}"
    assert "EMIS-Result-Truncated" in response.headers["Access-Control-Expose-Headers"]
    as_csv = ask(url, "SELECT * WHERE { ?s ?p ?o }", accept="text/csv")
    assert len(as_csv.text.splitlines()) == MAX_ROWS + 1
    assert as_csv.headers["EMIS-Result-Truncated"] == f"rows={MAX_ROWS}"
    whole = ask(url, schools.query)
    assert codes(whole) == schools.codes and "EMIS-Result-Truncated" not in whole.headers


def test_the_query_length_cap_is_stated(limited, schools) -> None:
    url, _ = limited
    padding = "# " + "x" * MAX_LENGTH + "\n"
    long_query = requests.post(url + "sparql", data={"query": padding + schools.query}, timeout=30,
                               headers={"Accept": RESULTS_JSON})
    assert long_query.status_code == 400
    assert f"the limit is {MAX_LENGTH}" in long_query.json()["detail"]
    huge = requests.post(url + "sparql", data=b"#" * (MAX_LENGTH * 12 + 200_000), timeout=30,
                         headers={"Content-Type": "application/sparql-query"})
    assert huge.status_code == 413
    assert codes(ask(url, schools.query)) == schools.codes


def test_a_bounded_load_gives_no_server_error(limited, site, schools) -> None:
    """8 concurrent clients x 25 requests mixing SELECT, ASK and CONSTRUCT; every answer right."""
    url, _ = limited
    _, base = site
    construct = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o ; emis:schoolCode "
                 f"\"{schools.school}\" }}")

    def client(number: int) -> list[str]:
        problems = []
        with requests.Session() as session:
            for i in range(25):
                kind = (number + i) % 3
                if kind == 0:
                    r = session.post(url + "sparql", data={"query": schools.query}, timeout=30,
                                     headers={"Accept": RESULTS_JSON})
                    ok = r.status_code == 200 and codes(r) == schools.codes
                elif kind == 1:
                    r = session.get(url + "sparql", timeout=30,
                                    params={"query": f"ASK {{ ?s emis:schoolCode \"{schools.school}\" }}"},
                                    headers={"Accept": RESULTS_JSON})
                    ok = r.status_code == 200 and r.json() == {"head": {}, "boolean": True}
                else:
                    r = session.get(url + "sparql", params={"query": construct}, timeout=30,
                                    headers={"Accept": "text/turtle"})
                    ok = r.status_code == 200 and (
                        rdflib.URIRef(f"{base}id/school/{schools.school}"), None, None) in \
                        rdflib.Graph().parse(data=r.text, format="turtle")
                if r.status_code >= 500 or not ok:
                    problems.append(f"client {number} request {i}: {r.status_code} {r.text[:200]}")
        return problems

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(client, range(8)))
    assert [p for problems in results for p in problems] == []


# ------------------------------------------------------------------------ the executor itself


COUNT_SCHOOLS = "SELECT (COUNT(?s) AS ?n) WHERE { ?s a emis:School }"


def test_a_dead_query_process_is_replaced_and_a_new_release_is_followed(
        site_built: BuildReport, sample, tmp_path) -> None:
    """On a copy of the session's build; the second release is that copy with one school more
    (two triples inserted into its schools graph)."""
    base = site_built.base_uri
    store = tmp_path / "store"
    first = copy_release(store, site_built.release_dir)
    app = create_app(store, load_settings(base_uri=base, query_workers=1))
    client = app.test_client()
    [row] = sample.select(COUNT_SCHOOLS)
    schools = int(row["n"])

    def count_schools() -> int:
        response = client.get("/sparql", headers={"Accept": RESULTS_JSON}, query_string={
            "query": COUNT_SCHOOLS})
        assert response.status_code == 200, response.get_data(as_text=True)
        return int(response.get_json(force=True)["results"]["bindings"][0]["n"]["value"])

    assert count_schools() == schools
    executor: QueryExecutor = app.extensions["emis_lod.executor"]
    (pid,) = executor.pids()
    os.kill(pid, 9)  # a crash of an idle query process
    time.sleep(0.2)
    assert count_schools() == schools
    assert executor.pids() != [pid]

    second = copy_release(store, site_built.release_dir, update=(
        f"INSERT DATA {{ GRAPH <{base}graph/schools> {{ <{base}id/school/99999999> "
        f"a <{base}def/emis#School> ; <{base}def/emis#schoolCode> \"99999999\" }} }}"))
    assert second != first
    assert count_schools() == schools + 1  # the query process reopened on the new release
    executor.close()
    assert executor.pids() == []


def test_the_executor_times_out_and_recovers(site_built: BuildReport) -> None:
    base = site_built.base_uri
    release = site_built.release_dir
    executor = QueryExecutor(1)
    try:
        job = QueryJob(release=str(release), query="ASK { ?s ?p ?o }", prefixes={},
                       base_iri=base + "sparql", results_format="json")
        assert executor.run(None, job, 30).body == b'{"head":{},"boolean":true}'
        started = time.monotonic()
        with pytest.raises(Exception, match="longer than allowed"):
            executor.run(None, QueryJob(**{**job.__dict__, "query": RUNAWAY}), 0.5)
        assert time.monotonic() - started < 5
        assert executor.run(None, job, 30).status == "ok"
        syntax = executor.run(None, QueryJob(**{**job.__dict__, "query": "ASK {"}), 30)
        assert syntax.status == "syntax" and "SPARQL syntax error" in syntax.message
    finally:
        executor.close()


def test_the_worker_outlives_its_query(tmp_path) -> None:
    """A worker killed at gunicorn's timeout answers 500; a query at query_timeout answers 503:
    the worker's timeout is kept above the query's plus a margin (raised to fit, or refused)."""
    from click.testing import CliRunner

    from emis_lod.cli import main
    from emis_lod.endpoint.server import EmisServer
    from emis_lod.settings import TIMEOUT_MARGIN, SettingsError, fit_worker_timeout

    raised = fit_worker_timeout(load_settings(query_timeout=45.5), timeout_given=False)
    assert raised.timeout == 56 and raised.timeout >= raised.query_timeout + TIMEOUT_MARGIN
    kept = load_settings(query_timeout=5, timeout=90)
    assert fit_worker_timeout(kept, timeout_given=True) == kept
    with pytest.raises(SettingsError, match="--timeout 56 or more"):
        fit_worker_timeout(load_settings(query_timeout=45.5, timeout=30), timeout_given=True)
    assert EmisServer(tmp_path, raised).options()["timeout"] == 56

    # refused before anything is opened, with the value to give
    done = CliRunner().invoke(main, ["serve", "--store", str(tmp_path), "--timeout", "30",
                                     "--query-timeout", "40"])
    assert done.exit_code == 2 and "--timeout 50 or more" in done.output, done.output
