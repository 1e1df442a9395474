"""The W3C SPARQL 1.1 Protocol test suite, run as data against the real server.

The manifest (``tests/data/w3c/protocol/manifest.ttl``, see the README there) describes each test
as HTTP requests and expected responses. Every ``query_*`` and ``bad_query_*`` test must pass as
written. The endpoint is read-only, so every ``update_*`` and ``bad_update_*`` test must be
REFUSED: its update requests answer 4xx and the data is unchanged afterwards.
"""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from rdflib.collection import Collection

from serverutil import free_port, make_release, running_server

HERE = Path(__file__).resolve().parent / "data" / "w3c" / "protocol"
MANIFEST = HERE / "manifest.ttl"

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt",
             "application/rdf+xml": "xml", "application/ld+json": "json-ld"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[str]  # "2xx", "3xx", "4xx"
    boolean: bool | None
    format: str | None

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")

    @property
    def is_query(self) -> bool:
        """A query sent directly (the read-back ASK of an update test is one)."""
        return self.content_type.startswith("application/sparql-query")


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[Request, ...]
    graphs: tuple[tuple[str, str], ...]  # (graph name, data file)

    @property
    def is_update(self) -> bool:
        # update_*, bad_update_* and bad_multiple_updates
        return "update" in self.name


def _read_manifest() -> list[ProtocolTest]:
    graph = rdflib.Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(rdflib.RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        name = str(entry).rpartition("#")[2]
        action = graph.value(entry, MF.action)
        requests = []
        for node in Collection(graph, graph.value(action, HT.requests)):
            body_node = graph.value(node, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower())
            headers = []
            headers_node = graph.value(node, HT.headers)
            if headers_node is not None:
                for h in Collection(graph, headers_node):
                    headers.append((str(graph.value(h, HT.fieldName)),
                                    str(graph.value(h, HT.fieldValue))))
            response = graph.value(node, HT.resp)
            statuses = frozenset(str(s).rpartition("#")[2].replace("StatusCode", "").lower()
                                 for s in graph.objects(response, MF.expectedStatus))
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            requests.append(Request(
                method=str(graph.value(node, HT.methodName)),
                path=str(graph.value(node, HT.absolutePath)),
                headers=tuple(headers), body=body, statuses=statuses,
                boolean=None if boolean is None else bool(boolean.toPython()),
                format=None if fmt is None else str(fmt)))
        graphs = tuple(sorted(
            (str(graph.value(g, rdflib.RDFS.label)), Path(str(graph.value(g, UT.graph))).name)
            for g in graph.objects(entry, UT.graphData)))
        tests.append(ProtocolTest(name, str(graph.value(entry, MF.name)), tuple(requests),
                                  graphs))
    return tests


TESTS = _read_manifest()
QUERY_TESTS = [t for t in TESTS if not t.is_update]
UPDATE_TESTS = [t for t in TESTS if t.is_update]


def test_the_manifest_was_read_whole() -> None:
    assert len(TESTS) == 34
    assert len(QUERY_TESTS) == 20 and len(UPDATE_TESTS) == 14
    assert all(t.requests for t in TESTS)
    graphs = {g for t in TESTS for g in t.graphs}
    assert graphs == {(f"http://kasei.us/2009/09/sparql/data/data{i}.rdf", f"data{i}.nt")
                      for i in (1, 2, 3)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    store = tmp_path_factory.mktemp("w3c-store")
    data = {name: (HERE / file).read_text(encoding="utf-8")
            for name, file in {g for t in TESTS for g in t.graphs}}
    make_release(store, data, f"http://127.0.0.1:{port}/")
    with running_server(store, port=port) as base:
        yield base


def send(base: str, request: Request) -> tuple[int, str, bytes]:
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    path = request.path.replace("/sparql/", "/sparql", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=20)
    try:
        # skip_accept_encoding: send exactly the manifest's headers, nothing more
        connection.putrequest(request.method, path, skip_accept_encoding=True)
        for key, value in request.headers:
            connection.putheader(key, value)
        if request.body is not None:
            connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def parse_boolean(content_type: str, body: bytes) -> bool:
    if content_type == "application/sparql-results+json":
        return bool(json.loads(body)["boolean"])
    if content_type == "application/sparql-results+xml":
        match = re.search(rb"<boolean>\s*(true|false)\s*</boolean>", body)
        assert match, body
        return match.group(1) == b"true"
    raise AssertionError(f"not a boolean results type: {content_type}")


def check(request: Request, status: int, content_type: str, body: bytes) -> None:
    assert f"{status // 100}xx" in request.statuses, (status, body[:300])
    mime = content_type.split(";")[0].strip().lower()
    if request.format == "boolean":
        assert mime in BOOLEAN_TYPES, mime
    elif request.format == "tabular":
        assert mime in TABULAR_TYPES, mime
        if mime == "application/sparql-results+json":
            assert json.loads(body)["head"]["vars"] == ["value"]
        else:
            assert b"value" in body
    elif request.format == "RDF":
        assert mime in RDF_TYPES, mime
        rdflib.Graph().parse(data=body, format=RDF_TYPES[mime])
    if request.boolean is not None:
        assert parse_boolean(mime, body) is request.boolean


def snapshot(base: str) -> bytes:
    query = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s ?p ?o"
    status, _, body = send(base, Request(
        "POST", "/sparql/", (("Content-Type", "application/sparql-query"),
                             ("Accept", "text/tab-separated-values")),
        query.encode(), frozenset({"2xx"}), None, None))
    assert status == 200
    assert body.count(b"\n") == 4  # header and the three graphs' triples
    return body


@pytest.mark.parametrize("test", QUERY_TESTS, ids=[t.name for t in QUERY_TESTS])
def test_query(server: str, test: ProtocolTest) -> None:
    for request in test.requests:
        status, content_type, body = send(server, request)
        check(request, status, content_type, body)


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=[t.name for t in UPDATE_TESTS])
def test_update_is_refused_and_changes_nothing(server: str, test: ProtocolTest) -> None:
    before = snapshot(server)
    # every request of an update test is an update, except the read-back queries
    updates = [r for r in test.requests if not r.is_query]
    assert updates, "an update test without an update request"
    for request in updates:
        status, _, body = send(server, request)
        assert 400 <= status < 500, (status, body[:300])
    assert snapshot(server) == before
