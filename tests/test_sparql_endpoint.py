"""The SPARQL 1.1 Protocol endpoint, through Flask's test client and through the real server."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from urllib.error import HTTPError
from urllib.parse import quote

import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from emis_lod.endpoint import create_app
from emis_lod.endpoint.sparql import uses_service
from emis_lod.settings import load_settings

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
RESULTS_JSON = "application/sparql-results+json"
FORM = "application/x-www-form-urlencoded"

SCHOOLS_QUERY = "SELECT ?school ?code WHERE { ?school a emis:School ; emis:schoolCode ?code } " \
                "ORDER BY ?code"
# how many quads each graph holds (every quad of a built store, sorted, takes longer than a query
# may)
SNAPSHOT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def get(client, query: str, accept: str | None = RESULTS_JSON, **params):
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql", query_string={"query": query, **params}, headers=headers)


def snapshot(client) -> str:
    response = get(client, SNAPSHOT, accept="text/tab-separated-values")
    assert response.status_code == 200
    return response.get_data(as_text=True)

# ----------------------------------------------------------------------------- query forms


def count_in_store(sample, where: str) -> int:
    """``COUNT(*)`` of a pattern, asked of the built store itself."""
    return int(sample.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")[0]["n"])


def test_get_select_defaults_to_json_with_predeclared_prefixes(client, site, sample) -> None:
    _, base = site
    response = get(client, SCHOOLS_QUERY, accept=None)
    assert response.status_code == 200
    assert response.mimetype == RESULTS_JSON
    data = response.get_json(force=True)
    assert data["head"]["vars"] == ["school", "code"]
    codes = [b["code"]["value"] for b in data["results"]["bindings"]]
    assert codes == list(sample.schools)
    assert data["results"]["bindings"][1]["school"] == {
        "type": "uri", "value": f"{base}id/school/{sample.schools[1]}"}
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_post_form_and_post_direct_give_the_same_answer(client) -> None:
    by_get = get(client, SCHOOLS_QUERY).get_json(force=True)
    by_form = client.post("/sparql", data={"query": SCHOOLS_QUERY},
                          headers={"Accept": RESULTS_JSON})
    by_direct = client.post("/sparql", data=SCHOOLS_QUERY.encode(),
                            content_type="application/sparql-query; charset=utf-8",
                            headers={"Accept": RESULTS_JSON})
    assert by_form.status_code == by_direct.status_code == 200
    assert by_form.get_json(force=True) == by_direct.get_json(force=True) == by_get


def test_results_formats_by_accept_and_by_format_parameter(client, sample) -> None:
    xml = get(client, SCHOOLS_QUERY, accept="application/sparql-results+xml")
    assert xml.mimetype == "application/sparql-results+xml"
    assert b"<sparql xmlns=\"http://www.w3.org/2005/sparql-results#\">" in xml.data
    csv_answer = get(client, SCHOOLS_QUERY, accept="text/csv")
    assert csv_answer.content_type == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(csv_answer.get_data(as_text=True))))
    assert rows[0] == ["school", "code"] and [r[1] for r in rows[1:]] == list(sample.schools)
    tsv = get(client, SCHOOLS_QUERY, accept="text/tab-separated-values")
    first = sample.schools[0]
    assert tsv.get_data(as_text=True).splitlines()[1] == \
        f"<{client.application.extensions['emis_lod'].get().uris.id('school', first)}>" \
        f"\t\"{first}\""
    by_param = get(client, SCHOOLS_QUERY, accept="text/csv", format="tsv")
    assert by_param.mimetype == "text/tab-separated-values"


def test_ask(client, sample) -> None:
    yes = get(client, f"ASK {{ ?s emis:schoolCode \"{sample.school}\" }}")
    no = get(client, "ASK { ?s emis:schoolCode \"nope\" }", accept="application/sparql-results+xml")
    assert yes.get_json(force=True) == {"head": {}, "boolean": True}
    assert b"<boolean>false</boolean>" in no.data


def test_construct_and_describe_in_every_rdf_format(client, site, sample) -> None:
    _, base = site
    query = "CONSTRUCT { ?s schema:name ?n } WHERE { ?s a emis:School ; schema:name ?n }"
    graphs = {}
    for accept, rdflib_format in [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                  ("application/rdf+xml", "xml"),
                                  ("application/ld+json", "json-ld")]:
        response = get(client, query, accept=accept)
        assert response.status_code == 200, accept
        assert response.mimetype == accept
        graphs[accept] = rdflib.Graph().parse(data=response.data, format=rdflib_format)
    assert len(graphs["text/turtle"]) == count_in_store(sample, "?s a emis:School ; schema:name ?n")
    for graph in graphs.values():
        assert isomorphic(graph, graphs["text/turtle"])
    assert get(client, query, accept=None).mimetype == "text/turtle"
    assert get(client, query, accept=None, format="json").mimetype == "application/ld+json"
    describe = get(client, f"DESCRIBE <{base}id/school/{sample.school}>", accept="text/turtle")
    described = rdflib.Graph().parse(data=describe.data, format="turtle")
    assert (rdflib.URIRef(f"{base}id/school/{sample.school}"), None, None) in described


def test_default_graph_is_the_union_unless_the_protocol_names_graphs(client, site,
                                                                    sample) -> None:
    _, base = site
    pattern = "?d a emis:District . ?s a emis:School ; emis:district ?d"
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
    in_store = count_in_store(sample, pattern)

    def count(**params) -> int:
        data = get(client, query, **params).get_json(force=True)
        return int(data["results"]["bindings"][0]["n"]["value"])

    assert count() == in_store > 0  # schools and districts live in different named graphs
    assert count(**{"default-graph-uri": f"{base}graph/schools"}) == 0
    assert count(**{"default-graph-uri": [f"{base}graph/schools",
                                          f"{base}graph/districts"]}) == in_store
    named = get(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                **{"named-graph-uri": f"{base}graph/regions"}).get_json(force=True)
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [f"{base}graph/regions"]
    from_clause = get(client, f"SELECT (COUNT(*) AS ?n) FROM <{base}graph/regions> "
                      "WHERE { ?s a emis:Region }").get_json(force=True)
    assert from_clause["results"]["bindings"][0]["n"]["value"] == \
        str(count_in_store(sample, "?s a emis:Region"))


def test_relative_iris_resolve_against_the_endpoint(client, sample) -> None:
    data = get(client, f"ASK {{ <id/school/{sample.school}> a emis:School }}").get_json(force=True)
    assert data["boolean"] is True

# ----------------------------------------------------------------------------- errors


def test_syntax_error_is_400_with_the_parsers_message(client) -> None:
    text = get(client, "SELECT * WHERE { ?s ?p", accept="text/plain")
    assert text.status_code == 400
    assert text.mimetype == "text/plain"
    assert "SPARQL syntax error" in text.get_data(as_text=True)
    assert "error at 1:" in text.get_data(as_text=True)
    as_json = get(client, "SELECT * WHERE { ?s ?p")  # Accept: application/sparql-results+json
    assert as_json.status_code == 400
    assert as_json.mimetype == "application/problem+json"
    problem = as_json.get_json(force=True)
    assert problem["status"] == 400 and "error at 1:" in problem["detail"]
    browser = get(client, "SELECT * WHERE { ?s ?p", accept="text/html")
    assert browser.mimetype == "text/html" and b"syntax error" in browser.data


def test_protocol_errors(client) -> None:
    two = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert two.status_code == 400 and "one" in two.get_data(as_text=True)
    wrong_type = client.post("/sparql", data=b"ASK {}", content_type="text/plain")
    assert wrong_type.status_code == 415
    no_type = client.post("/sparql", data=b"query=ASK%20%7B%7D")
    assert no_type.status_code == 415
    utf16 = client.post("/sparql", data="ASK {}".encode("utf-16"),
                        content_type="application/sparql-query; charset=UTF-16")
    assert utf16.status_code == 415
    not_utf8 = client.post("/sparql", data="ASK { ?s ?p \"é\" }".encode("latin-1"),
                           content_type="application/sparql-query")
    assert not_utf8.status_code == 400
    empty_form = client.post("/sparql", data={"format": "json"})
    assert empty_form.status_code == 400
    bad_graph = get(client, "ASK {}", **{"default-graph-uri": "not an iri"})
    assert bad_graph.status_code == 400
    nothing_fits = get(client, "ASK {}", accept="application/pdf")
    assert nothing_fits.status_code == 406
    assert "application/sparql-results+json" in nothing_fits.get_data(as_text=True)
    wrong_format = get(client, "ASK {}", format="ttl")   # no results format: Accept, the default
    assert wrong_format.status_code == 200 and wrong_format.mimetype == "application/sparql-results+json"


def test_query_length_limit(app, site) -> None:
    store, base = site
    small = create_app(store, load_settings(base_uri=base, max_query_length=50))
    response = small.test_client().get("/sparql", query_string={
        "query": "SELECT * WHERE { ?s ?p ?o } # " + "x" * 60})
    assert response.status_code == 400 and "limit is 50" in response.get_data(as_text=True)


def test_result_rows_are_cut_at_the_limit_and_the_cut_is_stated(site) -> None:
    store, base = site
    app = create_app(store, load_settings(base_uri=base, max_result_rows=2))
    response = get(app.test_client(), SCHOOLS_QUERY)
    assert len(response.get_json(force=True)["results"]["bindings"]) == 2
    assert response.headers["EMIS-Result-Truncated"] == "rows=2"
    full = get(app.test_client(), "SELECT * WHERE { ?s a owl:Ontology }")
    assert "EMIS-Result-Truncated" not in full.headers


def test_a_query_past_its_time_is_stopped_with_503(site) -> None:
    store, base = site
    app = create_app(store, replace(load_settings(base_uri=base), query_timeout=-1.0))
    response = get(app.test_client(), SCHOOLS_QUERY)
    assert response.status_code == 503
    assert "longer than allowed" in response.get_json(force=True)["detail"]

# ----------------------------------------------------------------------------- read-only


def test_updates_are_refused_on_every_route_and_change_nothing(client, sample) -> None:
    before = snapshot(client)
    update = "DELETE WHERE { ?s ?p ?o }"
    answers = {
        "GET update=": client.get("/sparql", query_string={"update": update}),
        "POST form update=": client.post("/sparql", data={"update": update}),
        "POST sparql-update": client.post("/sparql", data=update.encode(),
                                          content_type="application/sparql-update"),
        "POST form update= with a query": client.post(
            "/sparql", data={"update": update, "query": "ASK {}"}),
        "POST ?update= with a direct query": client.post(
            "/sparql?update=" + quote(update), data=b"ASK {}",
            content_type="application/sparql-query"),
    }
    for route, response in answers.items():
        assert response.status_code == 403, route
        assert "read-only" in response.get_data(as_text=True), route
    for method in ("PUT", "DELETE", "PATCH"):
        response = client.open("/sparql", method=method, data=update.encode(),
                               content_type="application/sparql-update")
        assert response.status_code == 405, method
        assert "POST" in response.headers["Allow"] and "PUT" not in response.headers["Allow"]
        assert "read-only" in response.get_data(as_text=True)
    as_query = get(client, "INSERT DATA { <http://e.test/s> <http://e.test/p> 1 }")
    assert as_query.status_code == 400
    assert client.post("/sparql/update", data={"update": update}).status_code == 404
    assert client.put(f"/doc/school/{sample.school}", data=b"").status_code == 405
    assert client.delete(f"/id/school/{sample.school}").status_code == 405
    assert snapshot(client) == before


def test_graph_store_protocol_writes_are_refused_everywhere(client, site) -> None:
    """SPARQL 1.1 Graph Store HTTP Protocol: PUT, POST and DELETE of a graph, on the endpoint
    and on the paths such services usually live at, are refused with 4xx and change nothing."""
    _, base = site
    before = snapshot(client)
    turtle = b"<http://e.test/s> <http://e.test/p> <http://e.test/o> ."
    for path in ("/sparql", "/rdf-graph-store", "/graph-store", "/data", "/"):
        for params in ({"graph": f"{base}graph/schools"}, {"default": ""}):
            for method in ("PUT", "POST", "DELETE"):
                response = client.open(path, method=method, query_string=params, data=turtle,
                                       content_type="text/turtle")
                assert 400 <= response.status_code < 500, (path, params, method)
    assert snapshot(client) == before


def test_service_is_refused(client) -> None:
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    response = get(client, query)
    assert response.status_code == 403
    assert "SERVICE" in response.get_json(force=True)["detail"]
    lower = get(client, "select * where { service silent <http://e.test/> { ?s ?p ?o } }")
    assert lower.status_code == 403


@pytest.mark.parametrize("query, expected", [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", True),
    ("SELECT * {\n  service\t<http://x/> {} }", True),
    ("SELECT * { ?s ?p \"SERVICE\" }", False),
    ("SELECT * { ?s ?p '''a SERVICE b''' }", False),
    ("SELECT ?service { ?service ?p ?o } # SERVICE in a comment", False),
    ("SELECT * { ?s ex:SERVICE ?o }", False),
    ("SELECT * { ?s <http://x/SERVICE> ?o }", False),
])
def test_service_detection(query: str, expected: bool) -> None:
    assert uses_service(query) is expected

# ----------------------------------------------------------------------------- discovery


def test_service_description(client, site) -> None:
    _, base = site
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    service = graph.value(None, rdflib.RDF.type, SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef(base + "sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.resultFormat,
            rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    dataset = graph.value(service, SD.defaultDataset)
    names = {graph.value(n, SD.name) for n in graph.objects(dataset, SD.namedGraph)}
    assert rdflib.URIRef(base + "graph/schools") in names
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert as_jsonld.status_code == 200 and as_jsonld.mimetype == "application/ld+json"
    assert client.get("/sparql").mimetype == "text/turtle"  # no Accept: the description


def test_html_form_for_browsers(client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<form method="get" action="/sparql">' in page
    assert '<textarea id="query" name="query"' in page
    assert "emis:" in page  # the predeclared prefixes are listed


def test_cors_preflight(client) -> None:
    response = client.options("/sparql", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "content-type"
    assert "PUT" not in response.headers["Allow"]


def test_head(client) -> None:
    response = client.head("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 200 and response.data == b""
    assert response.mimetype == RESULTS_JSON

# ----------------------------------------------------------------------------- real server


def test_sparqlwrapper_select_in_json_xml_csv(server, sample) -> None:
    endpoint = SPARQLWrapper(server + "sparql")
    endpoint.setQuery(SCHOOLS_QUERY)
    endpoint.setReturnFormat(JSON)
    data = endpoint.query().convert()
    assert [b["code"]["value"] for b in data["results"]["bindings"]] == list(sample.schools)
    endpoint.setReturnFormat(XML)
    document = endpoint.query().convert()
    assert len(document.getElementsByTagName("result")) == len(sample.schools)
    endpoint.setReturnFormat(CSV)
    text = endpoint.query().convert().decode("utf-8")
    assert text.splitlines()[0] == "school,code"
    endpoint.setMethod("POST")
    endpoint.setReturnFormat(JSON)
    assert endpoint.query().convert() == data


def test_sparqlwrapper_ask_and_construct(server, sample) -> None:
    endpoint = SPARQLWrapper(server + "sparql")
    endpoint.setQuery(f"ASK {{ ?s emis:schoolCode \"{sample.school}\" }}")
    endpoint.setReturnFormat(JSON)
    assert endpoint.query().convert()["boolean"] is True
    endpoint.setQuery("CONSTRUCT { ?s ?p ?o } WHERE "
                      f"{{ ?s ?p ?o ; emis:schoolCode \"{sample.school}\" }}")
    endpoint.setReturnFormat(TURTLE)
    turtle = rdflib.Graph().parse(data=endpoint.query().convert(), format="turtle")
    assert len(turtle) > 15
    endpoint.setReturnFormat("json-ld")
    response = requests.get(server + "sparql", params={"query": endpoint.queryString},
                            headers={"Accept": "application/ld+json"}, timeout=10)
    assert response.headers["Content-Type"] == "application/ld+json"
    as_jsonld = rdflib.Graph().parse(data=response.text, format="json-ld")
    assert isomorphic(as_jsonld, turtle)


def test_real_server_refuses_updates_and_keeps_the_data(server) -> None:
    def all_quads() -> str:
        return requests.get(server + "sparql", params={"query": SNAPSHOT},
                            headers={"Accept": "text/tab-separated-values"}, timeout=10).text

    before = all_quads()
    updater = SPARQLWrapper(server + "sparql")
    updater.setMethod("POST")
    updater.setQuery("CLEAR ALL")
    with pytest.raises((SPARQLWrapperException, HTTPError)) as refused:
        updater.query()  # SPARQLWrapper sends update=... as a form
    if isinstance(refused.value, HTTPError):
        assert refused.value.code == 403
    direct = requests.post(server + "sparql", data=b"CLEAR ALL", timeout=10,
                           headers={"Content-Type": "application/sparql-update"})
    assert direct.status_code == 403
    for method in ("PUT", "DELETE", "PATCH"):
        assert requests.request(method, server + "sparql", data=b"CLEAR ALL",
                                timeout=10).status_code == 405
    assert all_quads() == before
    assert sum(int(n) for n in re.findall(r'\t"([0-9]+)"', before)) > 100


def test_real_server_answers_preflight_and_cors(server) -> None:
    preflight = requests.options(server + "sparql", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "GET"}, timeout=10)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    answer = requests.get(server + "sparql", params={"query": "ASK {}"}, timeout=10,
                          headers={"Origin": "https://app.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(answer.text) == {"head": {}, "boolean": True}
