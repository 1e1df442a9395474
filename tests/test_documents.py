"""Dereferenceable URIs: /id/ 303s, /doc/ and /def/ documents by content negotiation, 404s."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib
import requests
from pyld import jsonld
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SKOS

from emis_lod.endpoint import create_app
from emis_lod.endpoint.describe import Resource, document_bytes, thing_resource
from emis_lod.formats import NTRIPLES, TURTLE
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings

from serverutil import free_port

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt",
               "application/rdf+xml": "xml", "application/ld+json": "json-ld"}


@pytest.fixture(scope="module")
def terms(site, sample):
    _, base = site
    return rdflib.Namespace(base + "def/emis#"), rdflib.URIRef(f"{base}id/school/{sample.school}")


@pytest.fixture(scope="module")
def facts(sample) -> dict:
    """What the tests expect in the sample school's documents, read from the build: its Russian
    name, pupils, the names of its district and region, its school type and locality type with
    their labels, and its enrolment records by grade (``enrolment``: one of them)."""
    [row] = sample.select(f"""
        SELECT * WHERE {{
          ?school emis:schoolCode "{sample.school}" ; schema:name ?name_ru ; emis:pupils ?pupils ;
                  emis:district ?district ; emis:region ?region ;
                  emis:schoolType ?type ; emis:localityType ?locality .
          ?district schema:name ?district_ky, ?district_ru, ?district_en .
          ?region schema:name ?region_en .
          ?type skos:prefLabel ?type_en, ?type_ru .
          ?locality skos:prefLabel ?locality_en .
          FILTER (lang(?name_ru) = "ru" && lang(?district_ky) = "ky" && lang(?district_ru) = "ru"
                  && lang(?district_en) = "en" && lang(?region_en) = "en"
                  && lang(?type_en) = "en" && lang(?type_ru) = "ru" && lang(?locality_en) = "en")
        }}""")
    row["enrolments"] = sample.select(f"""
        SELECT ?record ?grade ?boys ?girls WHERE {{
          ?record a emis:Enrolment ; emis:school/emis:schoolCode "{sample.school}" ;
                  emis:grade ?grade ; emis:boys ?boys ; emis:girls ?girls }} ORDER BY ?grade""")
    row["enrolment"] = row["enrolments"][-1]
    row["enrolment"]["key"] = row["enrolment"]["record"].rsplit("/", 1)[1]
    return row


def parse(response, base: str | None = None) -> rdflib.Graph:
    mime = response.mimetype
    return rdflib.Graph().parse(data=response.data, format=RDF_PARSERS[mime], publicID=base)


def pyld_loader(client):
    """pyld fetching the context through the test client, as a client would over HTTP."""
    def load(url, options=None):
        path = "/" + url.split("/", 3)[3]
        response = client.get(path)
        assert response.status_code == 200, url
        assert response.mimetype == "application/ld+json"
        return {"contextUrl": None, "documentUrl": url, "document": response.get_json()}
    return load

# ------------------------------------------------------------------------------ /id/ 303


def test_id_answers_303_to_the_document(client, site, sample, facts) -> None:
    _, base = site
    response = client.get(f"/id/school/{sample.school}", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{base}doc/school/{sample.school}"
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    for type_, key in [("district", sample.district), ("region", sample.region),
                       ("enrolment", facts["enrolment"]["key"])]:
        answer = client.get(f"/id/{type_}/{key}")
        assert answer.status_code == 303 and answer.headers["Location"] == \
            f"{base}doc/{type_}/{key}"
    with_format = client.get(f"/id/school/{sample.school}?format=ttl")
    assert with_format.headers["Location"] == f"{base}doc/school/{sample.school}?format=ttl"


def test_id_of_unknown_things_is_404(client, sample) -> None:
    assert client.get("/id/school/99999999", headers={"Accept": BROWSER}).status_code == 404
    assert client.get("/id/unicorn/1").status_code == 404
    suffixed = client.get(f"/id/school/{sample.school}.ttl")  # no suffixes on /id/
    assert suffixed.status_code == 404
    assert suffixed.mimetype == "text/html"  # no Accept: the document default


def test_head_on_id_and_doc(client, sample) -> None:
    assert client.head(f"/id/school/{sample.school}").status_code == 303
    head = client.head(f"/doc/school/{sample.school}", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.data == b"" and head.mimetype == "text/turtle"

# ------------------------------------------------------------------------------ /doc/


@pytest.mark.parametrize("accept, mime", [
    (None, "text/html"),
    (BROWSER, "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("*/*", "text/turtle"),
    ("text/html, application/ld+json", "application/ld+json"),
    ("text/html;q=1, text/turtle;q=0.5", "text/html"),
])
def test_doc_negotiates(client, sample, accept, mime) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/doc/school/{sample.school}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == mime
    assert "Accept" in response.headers["Vary"]
    suffix = {"text/html": "html", "text/turtle": "ttl", "application/ld+json": "jsonld",
              "application/n-triples": "nt", "application/rdf+xml": "rdf"}[mime]
    assert response.headers["Content-Location"].endswith(f"/doc/school/{sample.school}.{suffix}")


def test_doc_406_when_nothing_fits(client, sample) -> None:
    response = client.get(f"/doc/school/{sample.school}", headers={"Accept": "application/pdf"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


@pytest.mark.parametrize("suffix, mime", [("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                                          ("nt", "application/n-triples"),
                                          ("rdf", "application/rdf+xml"), ("html", "text/html")])
def test_suffix_overrides_accept(client, sample, suffix, mime) -> None:
    response = client.get(f"/doc/school/{sample.school}.{suffix}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == mime
    assert "Content-Location" not in response.headers


def test_format_parameter_overrides_accept(client, sample) -> None:
    response = client.get(f"/doc/school/{sample.school}?format=ttl", headers={"Accept": BROWSER})
    assert response.mimetype == "text/turtle"
    assert client.get(f"/doc/school/{sample.school}?format=jsonld").mimetype == "application/ld+json"
    # a word that names no format falls back to Accept (none sent: HTML), never a 406
    assert client.get(f"/doc/school/{sample.school}?format=pdf").mimetype == "text/html"


def test_link_headers_list_the_alternates(client, site, sample) -> None:
    _, base = site
    response = client.get(f"/doc/school/{sample.school}", headers={"Accept": "text/turtle"})
    link = response.headers["Link"]
    for suffix, mime in [("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                         ("nt", "application/n-triples"), ("rdf", "application/rdf+xml"),
                         ("html", "text/html")]:
        assert f'<{base}doc/school/{sample.school}.{suffix}>; rel="alternate"; type="{mime}"' in link
    assert f'<{base}id/school/{sample.school}>; rel="describes"' in link
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_every_rdf_format_carries_the_same_triples(client, site, sample, terms, facts) -> None:
    _, base = site
    emis, school = terms
    graphs = {}
    for suffix in ("ttl", "nt", "rdf"):
        graphs[suffix] = parse(client.get(f"/doc/school/{sample.school}.{suffix}"))
    as_jsonld = client.get(f"/doc/school/{sample.school}.jsonld")
    expanded = jsonld.to_rdf(as_jsonld.get_json(), {
        "format": "application/n-quads", "documentLoader": pyld_loader(client)})
    graphs["jsonld"] = rdflib.Graph().parse(data=expanded, format="nt")
    for suffix, graph in graphs.items():
        assert isomorphic(graph, graphs["ttl"]), suffix
    turtle = graphs["ttl"]
    assert (school, RDF.type, emis.School) in turtle
    assert (school, emis.schoolCode, rdflib.Literal(sample.school)) in turtle
    enrolment = rdflib.URIRef(facts["enrolment"]["record"])
    assert (school, emis.enrolment, enrolment) in turtle
    girls = rdflib.Literal(int(facts["enrolment"]["girls"]))
    assert (enrolment, emis.girls, girls) in turtle  # owned records come along
    district = rdflib.URIRef(f"{base}id/district/{sample.district}")
    assert (district, rdflib.URIRef("https://schema.org/name"),
            rdflib.Literal(facts["district_en"], lang="en")) in turtle  # linked things are named
    locality = rdflib.URIRef(facts["locality"])
    assert (locality, SKOS.prefLabel, rdflib.Literal(facts["locality_en"], lang="en")) in turtle
    assert (district, emis.region, None) not in turtle  # not the linked things' other facts
    assert (emis.School, None, None) not in turtle  # nor the ontology


def test_jsonld_is_compacted_around_the_school_with_the_served_context(client, site, sample,
                                                                       facts) -> None:
    _, base = site
    doc = client.get(f"/doc/school/{sample.school}.jsonld").get_json()
    assert doc["@context"] == f"{base}context/v1.jsonld"
    assert doc["id"] == f"{base}id/school/{sample.school}"
    assert doc["type"] == "School"
    assert doc["schoolCode"] == sample.school
    assert doc["name"]["ru"] == facts["name_ru"]
    assert doc["pupils"] == int(facts["pupils"])
    assert doc["district"]["name"]["ky"] == facts["district_ky"]
    assert {e["grade"]: e["girls"] for e in doc["enrolment"]} == {
        int(e["grade"]): int(e["girls"]) for e in facts["enrolments"]}
    assert doc["schoolType"]["prefLabel"]["en"] == facts["type_en"]


def test_html_document(client, site, sample, facts) -> None:
    _, base = site
    response = client.get(f"/doc/school/{sample.school}?lang=ru", headers={"Accept": BROWSER})
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert f"<h1>{facts['name_ru']}</h1>" in page
    for suffix, mime in [("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                         ("nt", "application/n-triples"), ("rdf", "application/rdf+xml")]:
        assert f'<link rel="alternate" type="{mime}" href="{base}doc/school/{sample.school}.{suffix}"' \
            in page
        assert f'href="{base}doc/school/{sample.school}.{suffix}" type="{mime}"' in page
    assert f'<a href="{base}id/district/{sample.district}">{facts["district_ru"]}</a>' in page
    assert f'<a href="{facts["type"]}">{facts["type_ru"]}</a>' in page
    assert "<h2>Контингент по классам</h2>" in page  # the page's words in its language
    boys, girls = int(facts["enrolment"]["boys"]), int(facts["enrolment"]["girls"])
    assert f'<td class="num">{boys}</td><td class="num">{girls}</td>' \
           f'<td class="num">{boys + girls}</td>' in page
    assert "число учащихся" in page  # the property's label from the ontology
    assert "Accept-Language" in response.headers["Vary"]
    english = client.get(f"/doc/school/{sample.school}", headers={"Accept": BROWSER,
                                                           "Accept-Language": "en-GB,en"})
    assert f"{facts['district_en']}</a>" in english.get_data(as_text=True)


def test_html_district_lists_its_schools(client, site, sample, facts) -> None:
    _, base = site
    page = client.get(f"/doc/district/{sample.district}?lang=en").get_data(as_text=True)
    assert f"<h1>{facts['district_en']}</h1>" in page
    assert "Linked from" in page
    assert f'<a href="{base}id/school/{sample.school}">' in page
    assert f'<a href="{base}id/region/{sample.region}">{facts["region_en"]}</a>' in page


def test_unknown_keys_are_404_in_the_asked_format(client) -> None:
    html = client.get("/doc/school/99999999", headers={"Accept": BROWSER})
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert "99999999" in html.get_data(as_text=True)
    for url, headers, mimetype in [
            ("/doc/school/99999999.ttl", {}, "text/turtle"),
            ("/doc/school/99999999", {"Accept": "text/turtle"}, "text/turtle"),
            ("/doc/school/99999999?format=nt", {}, "application/n-triples")]:
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.mimetype == mimetype, url
        # an empty graph that any RDF parser reads, the message in comments
        assert "# 404 Not Found" in response.get_data(as_text=True), url
    as_json = client.get("/doc/school/99999999", headers={"Accept": "application/ld+json"})
    assert as_json.status_code == 404 and as_json.get_json(force=True)["status"] == 404
    assert client.get("/doc/unicorn/1").status_code == 404
    assert client.get("/no/such/page", headers={"Accept": BROWSER}).mimetype == "text/html"


def test_conditional_get(client, sample) -> None:
    first = client.get(f"/doc/school/{sample.school}.ttl")
    assert first.headers["ETag"]
    again = client.get(f"/doc/school/{sample.school}.ttl",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_document_bytes_is_a_pure_function_of_the_store(app, site, sample) -> None:
    _, base = site
    release = app.extensions["emis_lod"].get()
    resource = thing_resource(release.uris, "school", sample.school)
    assert resource == Resource(f"{base}id/school/{sample.school}", "school",
                                f"{base}doc/school/{sample.school}")
    turtle = document_bytes(release.store, release.uris, prefixes(release.uris), resource, TURTLE)
    assert turtle is not None and f"<{base}id/school/{sample.school}>".encode() in turtle
    missing = Resource(f"{base}id/school/0", "resource", f"{base}doc/school/0")
    assert document_bytes(release.store, release.uris, release.prefixes, missing, NTRIPLES) is None
    served = app.test_client().get(f"/doc/school/{sample.school}.ttl").data
    assert served == turtle

# ------------------------------------------------------------------------------ /def/


def test_ontology_document(client, site) -> None:
    _, base = site
    turtle = client.get("/def/emis", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    graph = parse(turtle)
    emis = rdflib.Namespace(base + "def/emis#")
    assert (rdflib.URIRef(base + "def/emis"), RDF.type, rdflib.OWL.Ontology) in graph
    assert (emis.School, rdflib.RDFS.label, rdflib.Literal("School", lang="en")) in graph
    assert not list(graph.subjects(RDF.type, SKOS.Concept))  # code lists have their own URIs
    assert client.get("/def/emis.ttl").mimetype == "text/turtle"
    assert client.get("/def/emis.jsonld").mimetype == "application/ld+json"
    html = client.get("/def/emis", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert '<section id="School">' in html  # {base}def/emis#School lands on its section
    assert client.get("/def/emis.pdf").status_code == 404


def test_concepts_and_schemes(client, site, sample) -> None:
    _, base = site
    concepts = f"{base}def/concept/"
    [gymnasium, rural] = (sample.select(f"""SELECT ?label WHERE {{
        <{concepts}{key}> skos:prefLabel ?label FILTER (lang(?label) = "en") }}""")[0]
        for key in ("school-type/gymnasium", "locality/rural"))
    [in_scheme] = sample.select(f"""SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{
        ?c a skos:Concept ; skos:inScheme <{concepts}school-type> }}""")
    concept = client.get("/def/concept/school-type/gymnasium", headers={"Accept": "text/turtle"})
    assert concept.status_code == 200  # concepts answer directly, no 303
    graph = parse(concept)
    iri = rdflib.URIRef(f"{base}def/concept/school-type/gymnasium")
    assert (iri, SKOS.prefLabel, rdflib.Literal(gymnasium["label"], lang="en")) in graph
    assert (iri, SKOS.inScheme, rdflib.URIRef(f"{base}def/concept/school-type")) in graph
    as_jsonld = client.get("/def/concept/school-type/gymnasium.jsonld").get_json()
    assert as_jsonld["id"] == str(iri) and as_jsonld["type"] == "Concept"
    scheme = parse(client.get("/def/concept/school-type.ttl"))
    assert len(set(scheme.subjects(RDF.type, SKOS.Concept))) == int(in_scheme["n"])
    page = client.get("/def/concept/locality/rural?lang=en", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert f"<h1>{rural['label']}</h1>" in page.get_data(as_text=True)
    assert client.get("/def/concept/school-type/unicorn").status_code == 404
    assert client.get("/def/concept/no-such-scheme.ttl").status_code == 404


def test_context_is_served(client, site) -> None:
    _, base = site
    response = client.get("/context/v1.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    context = response.get_json()["@context"]
    assert context["emis"] == base + "def/emis#"
    assert "{base}" not in response.get_data(as_text=True)


def test_home_page(client, site, sample, facts) -> None:
    _, base = site
    response = client.get("/", headers={"Accept": BROWSER, "Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'href="/sparql"' in page
    linked = sorted(set(re.findall(f'<a href="{re.escape(base)}id/school/([^"]+)">', page)))
    assert linked and set(linked) <= set(sample.schools)  # a few schools
    assert f'{base}doc/school/{linked[0]}.jsonld' in page  # example URLs
    assert f'<a href="{base}id/region/{sample.region}">{facts["region_en"]}</a>' in page
    assert f'{base}def/concept/school-type' in page

def test_a_store_without_release_answers_503(tmp_path) -> None:
    app = create_app(tmp_path, load_settings())
    response = app.test_client().get("/", headers={"Accept": BROWSER})
    assert response.status_code == 503
    assert "emis-lod build" in response.get_data(as_text=True)
    assert app.test_client().get("/sparql?query=ASK%7B%7D").status_code == 503


def test_serve_refuses_a_store_without_release(tmp_path) -> None:
    import subprocess
    import sys
    script = Path(sys.executable).parent / "emis-lod"
    done = subprocess.run([str(script), "serve", "--store", str(tmp_path), "--port",
                           str(free_port())], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "no release" in done.stderr

# ------------------------------------------------------------------------------ real server


def test_rdflib_dereferences_a_school_through_the_303(server, sample, terms) -> None:
    emis, school = terms
    graph = rdflib.Graph().parse(str(school))
    assert (school, RDF.type, emis.School) in graph
    assert (school, emis.schoolCode, rdflib.Literal(sample.school)) in graph
    assert len(graph) > 30


def test_pyld_fetches_the_context_and_expands_to_the_turtle_triples(server, sample) -> None:
    doc_url = f"{server}doc/school/{sample.school}"
    turtle = rdflib.Graph().parse(data=requests.get(doc_url + ".ttl", timeout=10).text,
                                  format="turtle")
    jsonld.set_document_loader(jsonld.requests_document_loader(timeout=10))
    response = requests.get(f"{server}id/school/{sample.school}", timeout=10,
                            headers={"Accept": "application/ld+json"})
    assert response.history and response.history[0].status_code == 303
    document = response.json()
    assert document["@context"] == f"{server}context/v1.jsonld"
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    assert isomorphic(rdflib.Graph().parse(data=nquads, format="nt"), turtle)
    assert isomorphic(rdflib.Graph().parse(data=json.dumps(document), format="json-ld"), turtle)


def test_real_server_404_and_cors(server, sample) -> None:
    missing = requests.get(f"{server}doc/school/00000000.ttl", timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/turtle")
    assert len(rdflib.Graph().parse(data=missing.text, format="turtle")) == 0
    ok = requests.get(f"{server}doc/school/{sample.school}", headers={"Accept": "text/turtle"},
                      timeout=10)
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    assert ok.headers["Vary"] == "Accept"
