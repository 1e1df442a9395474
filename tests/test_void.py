"""VoID: the dataset is described at a dereferenceable URI, in every document format."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib

VOID = "http://rdfs.org/ns/void#"


def parse(response) -> set[ox.Triple]:
    return set(ox.parse(response.data, format=ox.RdfFormat.TURTLE))


def test_dataset_uri_answers_303_to_its_document(client, site) -> None:
    _, base = site
    for path in ("/id/dataset/emis", "/.well-known/void"):
        response = client.get(path, headers={"Accept": "text/turtle"})
        assert response.status_code == 303, path
        assert response.headers["Location"] == base + "doc/dataset/emis"


def test_void_in_turtle(client, site, sample) -> None:
    _, base = site
    response = client.get("/doc/dataset/emis", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert response.headers["Vary"] == "Accept"
    triples = parse(response)
    ds = ox.NamedNode(base + "id/dataset/emis")

    def objects(p: str, s=ds) -> list:
        return [t.object for t in triples if t.subject == s and t.predicate.value == p]

    assert ox.NamedNode(VOID + "Dataset") in objects(
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for p in ("http://purl.org/dc/terms/title", "http://purl.org/dc/terms/description",
              "http://purl.org/dc/terms/license", "http://purl.org/dc/terms/publisher"):
        assert objects(p), p
    assert objects(VOID + "sparqlEndpoint") == [ox.NamedNode(base + "sparql")]
    assert objects(VOID + "uriSpace") == [ox.Literal(base + "id/")]
    assert ox.NamedNode(base + "def/emis#") in objects(VOID + "vocabulary")
    assert ox.NamedNode(base + f"id/school/{sample.school}") in objects(VOID + "exampleResource") \
        or objects(VOID + "exampleResource")
    total = int(objects(VOID + "triples")[0].value)
    classes = {}
    for part in objects(VOID + "classPartition"):
        cls = objects(VOID + "class", part)[0].value
        classes[cls] = int(objects(VOID + "entities", part)[0].value)
    assert classes[base + "def/emis#School"] == len(sample.schools)
    properties = {}
    for part in objects(VOID + "propertyPartition"):
        properties[objects(VOID + "property", part)[0].value] = \
            int(objects(VOID + "triples", part)[0].value)
    assert sum(properties.values()) == total
    [pupils] = sample.select("SELECT (COUNT(*) AS ?n) WHERE { ?s emis:pupils ?o }")
    assert properties[base + "def/emis#pupils"] == int(pupils["n"])


@pytest.mark.parametrize(("suffix", "mimetype"), [
    ("jsonld", "application/ld+json"), ("nt", "application/n-triples"),
    ("rdf", "application/rdf+xml"), ("html", "text/html")])
def test_void_in_every_format(client, suffix: str, mimetype: str) -> None:
    response = client.get(f"/doc/dataset/emis.{suffix}")
    assert response.status_code == 200 and response.mimetype == mimetype
    if suffix == "jsonld":
        assert json.loads(response.data)
    if suffix == "html":
        page = response.get_data(as_text=True)
        assert "void:classPartition" in page and "emis:School" in page


def test_only_one_dataset(client) -> None:
    assert client.get("/doc/dataset/other").status_code == 404


def test_home_page_links_the_dataset(client, site) -> None:
    _, base = site
    assert f'href="{base}id/dataset/emis"' in client.get("/").get_data(as_text=True)


def test_service_description_names_the_void_dataset(client, site) -> None:
    """sd:defaultDataset is the VoID dataset's URI, so a client can follow it."""
    _store, base = site
    answer = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=answer.get_data(as_text=True), format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert rdflib.URIRef(base + "id/dataset/emis") in set(graph.objects(None, sd.defaultDataset))
