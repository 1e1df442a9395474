"""End to end, as a user sees it: generate 50 schools, build, start the real server on a free
loopback port, query it with SPARQLWrapper and dereference schools with rdflib."""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
import pytest
import rdflib
import requests
from rdflib.namespace import RDF
from SPARQLWrapper import JSON, SPARQLWrapper

from emis_lod.generator import generate
from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.settings import load_settings

from serverutil import running_server

pytestmark = pytest.mark.e2e
SCHOOLS = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    source = tmp_path_factory.mktemp("e2e-source")
    store = tmp_path_factory.mktemp("e2e-store")
    generate(source, schools=SCHOOLS, seed=11)
    report = build(source, store, load_settings(base_uri=f"http://127.0.0.1:{port}/"),
                   echo=lambda *_: None)
    with running_server(store, port=port) as base:
        yield base.rstrip("/") + "/", report, source


def accepted_codes(source: Path, report) -> list[str]:
    frame = pd.read_csv(source / "schools.csv", sep=";", encoding="cp1251", dtype=str,
                        keep_default_na=False)
    frame.index = frame.index + 2
    rejected = pd.read_csv(report.release_dir / releases.REJECTIONS)
    bad = set(rejected.loc[rejected["table"] == "schools", "row"])
    return sorted(frame.loc[~frame.index.isin(bad), "school_code"].str.strip())


def test_school_count_equals_accepted_rows(site) -> None:
    base, report, _ = site
    client = SPARQLWrapper(base + "sparql")
    client.setQuery("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a emis:School }")
    client.setReturnFormat(JSON)
    n = int(client.query().convert()["results"]["bindings"][0]["n"]["value"])
    schools = next(t for t in report.tables if t.table == "schools")
    assert n == schools.rows_loaded == SCHOOLS


def test_every_accepted_school_resolves(site) -> None:
    base, report, source = site
    codes = accepted_codes(source, report)
    assert len(codes) == SCHOOLS
    emis = rdflib.Namespace(base + "def/emis#")
    for code in codes:
        uri = rdflib.URIRef(f"{base}id/school/{code}")
        graph = rdflib.Graph().parse(str(uri))         # follows the 303 to /doc/, negotiates RDF
        assert (uri, RDF.type, emis.School) in graph, code
        assert (uri, emis.schoolCode, rdflib.Literal(code)) in graph


def test_links_lead_on_to_district_and_region(site) -> None:
    base, report, source = site
    code = accepted_codes(source, report)[0]
    emis = rdflib.Namespace(base + "def/emis#")
    school = rdflib.URIRef(f"{base}id/school/{code}")
    district = rdflib.Graph().parse(str(school)).value(school, emis.district)
    assert district is not None and str(district).startswith(base + "id/district/")
    region = rdflib.Graph().parse(str(district)).value(district, emis.region)
    assert region is not None and str(region).startswith(base + "id/region/")
    names = {n.language for n in rdflib.Graph().parse(str(region)).objects(
        region, rdflib.URIRef("https://schema.org/name"))}
    assert {"ky", "ru", "en"} <= names


def test_303_then_negotiated_document(site) -> None:
    base, report, source = site
    code = accepted_codes(source, report)[0]
    first = requests.get(f"{base}id/school/{code}", allow_redirects=False,
                         headers={"Accept": "text/turtle"}, timeout=10)
    assert first.status_code == 303
    assert first.headers["Location"].endswith(f"/doc/school/{code}")
    doc = requests.get(first.headers["Location"], headers={"Accept": "text/turtle"}, timeout=10)
    assert doc.status_code == 200 and doc.headers["Content-Type"].startswith("text/turtle")
    assert "Accept" in doc.headers.get("Vary", "")
    html = requests.get(f"{base}doc/school/{code}.html", timeout=10)
    assert html.status_code == 200 and code in html.text


def test_unknown_school_is_404(site) -> None:
    base, _, _ = site
    response = requests.get(f"{base}id/school/00000000", headers={"Accept": "text/turtle"},
                            timeout=10)
    assert response.status_code == 404


def test_updates_are_refused_and_change_nothing(site) -> None:
    base, report, _ = site
    response = requests.post(base + "sparql", data="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                             headers={"Content-Type": "application/sparql-update"}, timeout=10)
    assert 400 <= response.status_code < 500
    count = requests.get(base + "sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                         headers={"Accept": "application/sparql-results+json"}, timeout=10).json()
    assert int(count["results"]["bindings"][0]["n"]["value"]) == report.triples
