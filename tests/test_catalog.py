"""The DCAT catalogue dereferences, parses in rdflib as a client, has a dataset per domain with
multilingual titles, licence, publisher, coverage and frequency, and distributions whose
checksums and sizes are those of the files served."""

from __future__ import annotations

import hashlib

import pytest
import rdflib
from pyld import jsonld
from rdflib.namespace import DCAT, DCTERMS, RDF
from test_documents import pyld_loader

from emis_lod.endpoint import create_app
from emis_lod.settings import load_settings

BASE = "http://data.test/"
CATALOG = rdflib.URIRef(f"{BASE}id/catalog/emis")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DOMAINS = ("registry", "preschools", "money", "textbooks", "staff", "buildings", "indicators")
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
RDF_FORMATS = {"ttl": "turtle", "nt": "nt", "rdf": "xml"}


@pytest.fixture(scope="module")
def client(built):
    return create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()


@pytest.fixture(scope="module")
def catalog(client) -> rdflib.Graph:
    answer = client.get("/id/catalog/emis", headers={"Accept": "text/turtle"})
    assert answer.status_code == 303 and answer.headers["Location"] == f"{BASE}doc/catalog/emis"
    document = client.get(answer.headers["Location"], headers={"Accept": "text/turtle"})
    assert document.status_code == 200 and document.mimetype == "text/turtle"
    assert document.headers["Vary"] == "Accept"
    return rdflib.Graph().parse(data=document.get_data(as_text=True), format="turtle")


def test_every_format_parses_to_the_same_graph(client, catalog) -> None:
    for suffix, parser in RDF_FORMATS.items():
        answer = client.get(f"/doc/catalog/emis.{suffix}")
        assert answer.status_code == 200, suffix
        graph = rdflib.Graph().parse(data=answer.data, format=parser, publicID=BASE)
        assert len(graph) == len(catalog), suffix
        assert (CATALOG, RDF.type, DCAT.Catalog) in graph
    # JSON-LD with the published context, fetched through the app as a client would
    expanded = jsonld.to_rdf(client.get("/doc/catalog/emis.jsonld").get_json(), {
        "format": "application/n-quads", "documentLoader": pyld_loader(client)})
    assert len(rdflib.Graph().parse(data=expanded, format="nt")) == len(catalog)
    html = client.get("/doc/catalog/emis", headers={"Accept-Language": "ru"})
    assert html.mimetype == "text/html" and "Реестр школ" in html.get_data(as_text=True)
    assert client.get("/doc/catalog/other.ttl").status_code == 404


def test_a_dataset_per_domain(catalog) -> None:
    datasets = set(catalog.objects(CATALOG, DCAT.dataset))
    domains = {rdflib.URIRef(f"{CATALOG}#{d}") for d in DOMAINS}
    assert domains <= datasets
    for ds in domains:
        assert (ds, RDF.type, DCAT.Dataset) in catalog
        for prop in (DCTERMS.title, DCTERMS.description):
            assert {o.language for o in catalog.objects(ds, prop)} == {"ky", "ru", "en"}, (ds, prop)
        assert catalog.value(ds, DCTERMS.license) is not None
        assert catalog.value(catalog.value(ds, DCTERMS.publisher), rdflib.FOAF.name) is not None
        assert rdflib.URIRef("http://publications.europa.eu/resource/authority/country/KGZ") in set(
            catalog.objects(ds, DCTERMS.spatial))
        assert str(catalog.value(ds, DCAT.accrualPeriodicity)).startswith(FREQUENCY)
        period = catalog.value(ds, DCTERMS.temporal)
        start, end = catalog.value(period, DCAT.startDate), catalog.value(period, DCAT.endDate)
        assert start.toPython() <= end.toPython(), ds
        assert any(True for _ in catalog.objects(ds, DCAT.distribution)), ds
    assert str(catalog.value(rdflib.URIRef(f"{CATALOG}#textbooks"), DCAT.accrualPeriodicity)) \
        == FREQUENCY + "ANNUAL_2"
    money = catalog.value(rdflib.URIRef(f"{CATALOG}#money"), DCTERMS.temporal)
    assert str(catalog.value(money, DCAT.startDate)).endswith("-01-01")


def test_distributions_match_the_files_served(client, catalog) -> None:
    distributions = set(catalog.subjects(RDF.type, DCAT.Distribution))
    urls = {str(catalog.value(d, DCAT.downloadURL)) for d in distributions}
    assert {f"{BASE}dumps/emis.nq.gz", f"{BASE}dumps/schools.csv"} <= urls
    for d in distributions:
        url = str(catalog.value(d, DCAT.downloadURL))
        data = client.get(url.removeprefix(BASE.rstrip("/"))).data
        checksum = catalog.value(d, SPDX.checksum)
        assert catalog.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(catalog.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert int(catalog.value(d, DCAT.byteSize)) == len(data)
        assert str(catalog.value(d, DCAT.mediaType)).startswith("https://www.iana.org/assignments/")


def test_the_sparql_endpoint_is_a_data_service(catalog) -> None:
    service = rdflib.URIRef(f"{BASE}sparql")
    assert service in set(catalog.objects(CATALOG, DCAT.service))
    assert (service, RDF.type, DCAT.DataService) in catalog
    assert str(catalog.value(service, DCAT.endpointURL)) == f"{BASE}sparql"
    assert rdflib.URIRef(f"{CATALOG}#registry") in set(catalog.objects(service, DCAT.servesDataset))


def test_the_home_page_links_the_catalogue_and_the_downloads(client) -> None:
    home = client.get("/").get_data(as_text=True)
    assert f'href="{CATALOG}"' in home and f'href="{BASE}dumps/"' in home
