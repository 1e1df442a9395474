"""The catalogue is what open-data portals harvest (CKAN with ckanext-dcat, data.europa.eu): held to
the official DCAT-AP 3.0.1 SHACL shapes (``tests/data/dcat-ap/3.0.1``, or ``$DCAT_AP_SHAPES``)
with pySHACL, as served at ``/doc/catalog/emis`` and as stored in ``{base}graph/catalog``.

- mandatory (``shapes.ttl``) and range (``range.ttl``) shapes: no violation;
- recommended (``shapes_recommended.ttl``): every property not stated is in
  ``loaders/catalog.py``'s ``NOT_STATED`` with its reason, and the README names it;
- values from the EU authority tables and IANA media types, typed as DCAT-AP's ranges ask;
- the stored graph is what ``loaders/catalog.py`` assembles, the served document that graph
  with the files' sizes and checksums, and a SPARQL harvester finds the datasets.

Only the catalogue's few hundred triples are validated (pySHACL reads about 10k triples/s).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from emis_lod.endpoint import create_app
from emis_lod.loaders import catalog as catalogue
from emis_lod.loaders import releases
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

BASE = "http://data.test/"
SHAPES = Path(os.environ.get("DCAT_AP_SHAPES",
                             Path(__file__).resolve().parent / "data" / "dcat-ap" / "3.0.1"))
README = Path(__file__).resolve().parent.parent / "README.md"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
SHORT = {str(DCAT): "dcat:", str(DCTERMS): "dct:", "http://data.europa.eu/r5r/": "dcatap:"}

pytestmark = pytest.mark.skipif(not (SHAPES / "shapes.ttl").exists(),
                                reason=f"the DCAT-AP 3.0.1 shapes are not in {SHAPES}")


def short(iri: str) -> str:
    for ns, prefix in SHORT.items():
        if iri.startswith(ns):
            return prefix + iri[len(ns):]
    return iri


def results(data: rdflib.Graph, shapes: str) -> list[tuple[str, str, str, str]]:
    """(severity, target class, path, focus) of every result of ``shapes`` on ``data``."""
    shapes_graph = rdflib.Graph().parse(SHAPES / shapes, format="turtle")
    _, report, _ = validate(data, shacl_graph=shapes_graph, inference="none")
    target = {prop: shapes_graph.value(shape, SH.targetClass)
              for shape, prop in shapes_graph.subject_objects(SH.property)}
    return sorted((str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[1],
                   str(target.get(report.value(r, SH.sourceShape))),
                   str(report.value(r, SH.resultPath)), str(report.value(r, SH.focusNode)))
                  for r in report.subjects(RDF.type, SH.ValidationResult))


def triples_graph(triples: list[ox.Triple]) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


@pytest.fixture(scope="module")
def built(profile_built):
    """The catalogue of each bundled profile's release is checked (its languages, country,
    publisher and domains are the profile's)."""
    return profile_built


@pytest.fixture(scope="module")
def client(built):
    return create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()


@pytest.fixture(scope="module")
def served(client) -> rdflib.Graph:
    answer = client.get("/doc/catalog/emis.ttl")
    assert answer.status_code == 200
    return rdflib.Graph().parse(data=answer.get_data(as_text=True), format="turtle")


@pytest.fixture(scope="module")
def stored_triples(built) -> list[ox.Triple]:
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        found = catalogue.stored(store, Uris(BASE))
    finally:
        del store
    assert found, "the build wrote no catalogue graph"
    return found


@pytest.fixture(scope="module")
def stored(stored_triples) -> rdflib.Graph:
    return triples_graph(stored_triples)


@pytest.mark.parametrize("shapes", ["shapes.ttl", "range.ttl"])
@pytest.mark.parametrize("which", ["served", "stored"])
def test_no_violation_of_the_mandatory_and_range_shapes(request, which: str, shapes: str,
                                                        profile) -> None:
    found = results(request.getfixturevalue(which), shapes)
    assert not found, f"{len(found)} results of {shapes} on the {which} catalogue: {found[:10]}"


def test_every_recommended_property_is_stated_or_explained(served) -> None:
    found = results(served, "shapes_recommended.ttl")
    missing = {(cls, path) for _, cls, path, _ in found}
    unexplained = missing - set(catalogue.NOT_STATED)
    assert not unexplained, f"recommended properties missing and not in NOT_STATED: {sorted(unexplained)}"
    assert {severity for severity, *_ in found} <= {"Warning"}
    stale = set(catalogue.NOT_STATED) - missing
    assert not stale, f"NOT_STATED lists properties that are stated now: {sorted(stale)}"


def test_the_readme_gives_the_reason_of_each_property_not_stated() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("DCAT-AP 3.0.1"):]
    for cls, prop in catalogue.NOT_STATED:
        assert short(prop) in section and short(cls) in section, (cls, prop)


EU_LANGUAGES = {"ky": "KIR", "ru": "RUS", "kk": "KAZ", "en": "ENG"}


def test_values_come_from_the_eu_vocabularies_and_iana(served, profile) -> None:
    def objects(prop) -> set[str]:
        return {str(o) for o in served.objects(None, prop)}

    assert objects(DCTERMS.format) and all(o.startswith(EU + "file-type/") for o in objects(DCTERMS.format))
    assert objects(DCAT.mediaType) and all(o.startswith(IANA) for o in objects(DCAT.mediaType))
    assert objects(DCTERMS.language) == {f"{EU}language/{EU_LANGUAGES[lang]}" for lang in profile.languages}
    assert all(o.startswith(EU + "frequency/") for o in objects(DCTERMS.accrualPeriodicity))
    assert objects(DCTERMS.license) == {EU + "licence/CC_BY_4_0"}
    assert objects(DCTERMS.accessRights) == {EU + "access-right/PUBLIC"}
    assert profile.data["country"]["authority"] in objects(DCTERMS.spatial)
    assert profile.data["country"]["authority"].startswith(EU + "country/")
    assert all(o.startswith(EU + "data-theme/") for o in objects(DCAT.theme))
    # the licence's deed stays linked
    licence = rdflib.URIRef(EU + "licence/CC_BY_4_0")
    assert (licence, rdflib.RDFS.seeAlso, rdflib.URIRef(profile.data["licence"])) in served


def test_titles_and_descriptions_in_every_language_of_the_profile(served, profile) -> None:
    for cls in (DCAT.Catalog, DCAT.Dataset, DCAT.DataService, DCAT.Distribution):
        for node in served.subjects(RDF.type, cls):
            props = (DCTERMS.description,) if cls == DCAT.Distribution \
                else (DCTERMS.title, DCTERMS.description)
            for prop in props:
                assert {o.language for o in served.objects(node, prop)} == set(profile.languages), \
                    (node, prop)


def test_the_sparql_endpoint_and_the_event_stream_are_data_services(served) -> None:
    catalog = rdflib.URIRef(f"{BASE}id/catalog/emis")
    expected = {f"{BASE}sparql": "https://www.w3.org/TR/sparql11-protocol/",
                f"{BASE}ldes": "https://w3id.org/ldes/specification"}
    for url, standard in expected.items():
        service = rdflib.URIRef(url)
        assert (catalog, DCAT.service, service) in served
        assert (service, RDF.type, DCAT.DataService) in served
        assert (service, DCAT.endpointURL, service) in served
        assert (service, DCTERMS.conformsTo, rdflib.URIRef(standard)) in served
        assert (rdflib.URIRef(standard), RDF.type, DCTERMS.Standard) in served


def test_the_store_holds_what_the_one_function_assembles(built, stored, stored_triples, profile) -> None:
    """One place knows the triples: the stored graph is loaders/catalog.py's for the build's
    files, coverage and time, and the served document is that graph with the files' facts."""
    uris = Uris(BASE)
    manifest = json.loads((built.release_dir / releases.MANIFEST).read_text(encoding="utf-8"))
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        spans = catalogue.coverage(store, uris, profile)
    finally:
        del store
    planned = catalogue.planned_files(profile)
    assembled = catalogue.triples(uris, planned, spans, manifest["built_at"], profile=profile)
    assert isomorphic(triples_graph(assembled), stored)
    facts = catalogue.file_facts(uris, manifest["dumps"], stored_triples)
    assert {d["file"] for d in manifest["dumps"]} >= set(planned)
    # the whole-release dumps and each domain's CSV tables are distributions, with 5 facts each
    listed = {f"{table}.csv" for d in catalogue.domains(profile) for table in d.tables}
    distributed = [f for f in planned if f.endswith(".gz") or f in listed]
    # every CSV table of the dumps is a distribution of a domain's dataset
    assert {f for f in planned if f.endswith(".csv")} <= listed
    assert len(facts) == 5 * len(distributed)
    assert manifest["triples"] == built.triples


def test_served_is_the_stored_graph_and_the_files_facts(built, served, stored_triples) -> None:
    manifest = json.loads((built.release_dir / releases.MANIFEST).read_text(encoding="utf-8"))
    facts = catalogue.file_facts(Uris(BASE), manifest["dumps"], stored_triples)
    assert isomorphic(served, triples_graph(stored_triples + facts))


def test_a_sparql_harvester_finds_the_datasets(client) -> None:
    answer = client.get("/sparql", query_string={"query": (
        "SELECT ?d WHERE { GRAPH <http://data.test/graph/catalog> "
        "{ ?d a <http://www.w3.org/ns/dcat#Dataset> } }")},
        headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    found = {b["d"]["value"] for b in answer.get_json()["results"]["bindings"]}
    assert f"{BASE}id/dataset/emis" in found and f"{BASE}id/catalog/emis#registry" in found
    union = client.get("/sparql", query_string={"query": (
        "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }")},
        headers={"Accept": "application/sparql-results+json"})
    assert found <= {b["d"]["value"] for b in union.get_json()["results"]["bindings"]}


def test_a_release_without_the_graph_is_described_by_the_same_functions(app) -> None:
    """A release built before the catalogue had a graph (here the sample release of
    tests/serverutil.py) is assembled from its manifest and store, and conforms too."""
    graph = rdflib.Graph().parse(data=app.test_client().get("/doc/catalog/emis.ttl").get_data(as_text=True),
                                 format="turtle")
    assert any(True for _ in graph.subjects(RDF.type, DCAT.Dataset))
    assert not results(graph, "shapes.ttl") and not results(graph, "range.ttl")

