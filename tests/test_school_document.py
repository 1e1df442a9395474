"""A school's document links to and summarises its money, textbooks, staff and buildings for the
latest period, in every format; every resource type of the four domains dereferences.

Most tests run on the sample release (``serverutil.sample_data``: school 41101001 has finance
of 2024 and 2025, provision of two half-years, two staff posts, two buildings); the last ones on
a release built from the generator's demo export, when the generator writes the domain tables.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SKOS

from emis_lod.endpoint import create_app
from emis_lod.endpoint.figures import format_amount, format_count, format_decimal, format_share
from emis_lod.endpoint.jsonld import jsonld_context
from emis_lod.endpoint.query import load_query
from emis_lod.loaders import releases
from emis_lod.loaders.resource_types import bundled_types
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

from serverutil import SCHOOL, STAFF_POSTS

NBSP = "\u00a0"
RDF_PARSERS = {"ttl": "turtle", "nt": "nt", "rdf": "xml"}
# one thing of each type of the four domains in the sample data
SAMPLE_THINGS = {
    "finance": f"{SCHOOL}-2025-FY-E2111-01",
    "finance-summary": f"{SCHOOL}-2025-FY",
    "textbook": "TB-0001",
    "provision": f"{SCHOOL}-2025-2026-h1-g1-TB-0001",
    "provision-summary": f"{SCHOOL}-2025-2026-h1",
    "staff": STAFF_POSTS[0],
    "training": f"{STAFF_POSTS[0]}-KAO-2024-017-2024-11-20",
    "staff-summary": SCHOOL,
    "building": f"{SCHOOL}-1",
    "assessment": f"{SCHOOL}-2-2025-03-03",
    "observation": f"qualified-teachers_school-{SCHOOL}_2025-2026",
    "cube": "indicators",
}


@pytest.fixture(scope="module")
def ns(site):
    _, base = site
    return (rdflib.Namespace(base + "def/emis#"), rdflib.Namespace(base + "id/"),
            rdflib.Namespace(base + "def/concept/"))


def context_loader(client):
    """pyld fetching the published context through the test client."""
    def load(url, options=None):
        response = client.get("/" + url.split("/", 3)[3])
        assert response.status_code == 200, url
        return {"contextUrl": None, "documentUrl": url, "document": response.get_json()}
    return load


def graph_of(client, path: str, suffix: str) -> rdflib.Graph:
    response = client.get(f"{path}.{suffix}")
    assert response.status_code == 200, f"{path}.{suffix}"
    if suffix == "jsonld":
        nquads = jsonld.to_rdf(response.get_json(), {
            "format": "application/n-quads", "documentLoader": context_loader(client)})
        return rdflib.Graph().parse(data=nquads, format="nt")
    return rdflib.Graph().parse(data=response.data, format=RDF_PARSERS[suffix])


def decimal(text: str) -> rdflib.Literal:
    return rdflib.Literal(text, datatype=rdflib.XSD.decimal)

# ------------------------------------------------------------------------------ RDF formats


@pytest.mark.parametrize("suffix", ["ttl", "jsonld", "nt", "rdf"])
def test_school_document_carries_the_latest_figures(client, ns, suffix) -> None:
    emis, id_, concept = ns
    g = graph_of(client, f"/doc/school/{SCHOOL}", suffix)
    school = id_[f"school/{SCHOOL}"]
    assert isomorphic(g, graph_of(client, f"/doc/school/{SCHOOL}", "ttl"))

    # money: every period of the latest fiscal year in full, the earlier year as a link
    fy, h1, old = (id_[f"finance-summary/{SCHOOL}-{k}"] for k in ("2025-FY", "2025-H1", "2024-FY"))
    assert {(school, emis.financeSummary, s) in g for s in (fy, h1, old)} == {True}
    assert (fy, emis.incomeBudget, decimal("1234567.5")) in g
    assert (fy, emis.incomeExtraBudgetary, decimal("89000")) in g
    assert (fy, emis.expenditure, decimal("1250000.25")) in g
    assert (fy, emis.plannedExpenditure, decimal("1400000")) in g
    assert (h1, emis.expenditure, decimal("610000.75")) in g
    assert (fy, emis.currency, concept["currency/KGS"]) in g
    assert (concept["currency/KGS"], SKOS.notation, rdflib.Literal("KGS")) in g
    assert (old, RDF.type, emis.FinanceSummary) in g
    assert (old, emis.fiscalYear, rdflib.Literal("2024", datatype=rdflib.XSD.gYear)) in g
    assert (old, emis.incomeBudget, None) not in g  # earlier years: a link, not the figures
    assert (concept["period/H1"], SKOS.prefLabel, rdflib.Literal("I полугодие", lang="ru")) in g

    # the finance lines of the latest year, as links with their type, code and period
    lines = set(g.subjects(RDF.type, emis.FinanceLine))
    assert {str(line).rsplit("/", 1)[1] for line in lines} == {
        f"{SCHOOL}-2025-{k}" for k in ("FY-I01", "FY-I03", "FY-E2111-01", "FY-E2215-02",
                                       "H1-I01", "H1-I03", "H1-E2111-01")}
    line = id_[f"finance/{SCHOOL}-2025-FY-E2111-01"]
    assert (line, emis.lineCode, rdflib.Literal("E2111-01")) in g
    assert (line, emis.period, concept["period/FY"]) in g
    assert (line, emis.school, school) in g
    assert (line, emis.actualAmount, None) not in g  # the line's own document has the amounts

    # textbooks: the latest half-year in full, the earlier one as a link
    latest = id_[f"provision-summary/{SCHOOL}-2025-2026-h1"]
    earlier = id_[f"provision-summary/{SCHOOL}-2024-2025-h2"]
    assert (latest, emis.copiesAvailable, rdflib.Literal(51)) in g
    assert (latest, emis.copiesNeeded, rdflib.Literal(57)) in g
    assert (latest, emis.needCovered, decimal("0.895")) in g
    assert (latest, emis.halfYear, concept["half-year/1"]) in g
    assert (earlier, emis.schoolYear, rdflib.Literal("2024-2025")) in g
    assert (earlier, emis.copiesNeeded, None) not in g

    # staff: the aggregate only
    summary = id_[f"staff-summary/{SCHOOL}"]
    assert (school, emis.staffSummary, summary) in g
    assert (summary, emis.teachers, rdflib.Literal(12)) in g
    assert (summary, emis.teachersQualified, rdflib.Literal(9)) in g

    # buildings, with labels of their material and zone, services and the latest assessment
    b1, b2 = id_[f"building/{SCHOOL}-1"], id_[f"building/{SCHOOL}-2"]
    assert (school, emis.building, b1) in g and (school, emis.building, b2) in g
    assert (b2, emis.material, concept["building-material/adobe"]) in g
    assert (concept["building-material/adobe"], SKOS.prefLabel,
            rdflib.Literal("Саман", lang="ky")) in g
    assert (concept["seismic-zone/9"], SKOS.prefLabel, rdflib.Literal("9 баллов", lang="ru")) in g
    assert (b1, emis.electricity, rdflib.Literal(True)) in g
    assert (b2, emis.drinkingWater, rdflib.Literal(False)) in g
    assert (b1, emis.computers, rdflib.Literal(12)) in g
    condemned = id_[f"assessment/{SCHOOL}-2-2025-03-03"]
    assert (b2, emis.latestAssessment, condemned) in g
    assert (condemned, emis.seismicAssessment, concept["safety-class/emergency"]) in g
    assert (concept["safety-class/emergency"], SKOS.prefLabel,
            rdflib.Literal("Emergency (condemned)", lang="en")) in g
    assert (id_[f"assessment/{SCHOOL}-1-2019-04-02"], None, None) not in g  # not the latest

    # the enrolment records and the names of the district stay as they were
    assert (school, emis.enrolment, id_[f"enrolment/{SCHOOL}-2025-g5"]) in g


@pytest.mark.parametrize("suffix", ["ttl", "jsonld", "nt", "rdf", "html"])
def test_no_staff_post_in_the_school_document(client, suffix) -> None:
    text = client.get(f"/doc/school/{SCHOOL}.{suffix}").get_data(as_text=True)
    for post in STAFF_POSTS:
        assert post not in text
    assert "/id/staff/" not in text and "/id/training/" not in text
    assert "/id/provision/" not in text  # provision records: only their summary


def test_jsonld_nests_everything_in_the_school_and_keeps_money_exact(client, site) -> None:
    _, base = site
    doc = client.get(f"/doc/school/{SCHOOL}.jsonld").get_json()
    assert doc["id"] == f"{base}id/school/{SCHOOL}" and "@graph" not in doc
    summaries = {s["id"].rsplit("/", 1)[1]: s for s in doc["financeSummary"]}
    fy = summaries[f"{SCHOOL}-2025-FY"]
    assert fy["incomeBudget"] == "1234567.5"  # a string, typed xsd:decimal by the context
    assert fy["expenditure"] == "1250000.25" and fy["fiscalYear"] == "2025"
    assert "incomeBudget" not in summaries[f"{SCHOOL}-2024-FY"]
    provision = {s["schoolYear"]: s for s in doc["provisionSummary"]}
    assert provision["2025-2026"]["needCovered"] == "0.895"
    assert provision["2025-2026"]["copiesNeeded"] == 57
    assert doc["staffSummary"]["teachers"] == 12
    buildings = {b["id"].rsplit("/", 1)[1]: b for b in doc["building"]}
    b2 = buildings[f"{SCHOOL}-2"]
    assert b2["latestAssessment"]["seismicAssessment"]["notation"] == "emergency"
    assert b2["material"]["prefLabel"]["ru"] == "Саман" and b2["drinkingWater"] is False
    assert b2["storeys"] == 1 and b2["yearBuilt"] == "1968"
    lines = {r["id"].rsplit("/", 1)[1]: r for r in doc["records"]}  # reverse of emis:school
    assert lines[f"{SCHOOL}-2025-FY-I01"] == {
        "id": f"{base}id/finance/{SCHOOL}-2025-FY-I01", "type": "FinanceLine",
        "lineCode": "I01", "period": f"{base}def/concept/period/FY"}

    def floats(value) -> list[float]:
        if isinstance(value, float):
            return [value]
        if isinstance(value, dict):
            return [f for v in value.values() for f in floats(v)]
        if isinstance(value, list):
            return [f for v in value for f in floats(v)]
        return []

    assert floats(doc) == []  # no amount became a binary float
    # the JSON of the answer has no float either (a parser could make one of a JSON number)
    assert not re.search(r'": -?[0-9]+\.[0-9]', client.get(
        f"/doc/school/{SCHOOL}.jsonld").get_data(as_text=True))
    expanded = jsonld.expand(doc, {"documentLoader": context_loader(client)})
    values = [v for node in expanded
              for v in node.get(f"{base}def/emis#financeSummary", [])]
    assert values  # the summaries expand under the full property IRI
    money = jsonld.to_rdf(doc, {"format": "application/n-quads",
                                "documentLoader": context_loader(client)})
    assert '"1234567.5"^^<http://www.w3.org/2001/XMLSchema#decimal>' in money


def test_rdflib_reads_the_jsonld_school_as_the_turtle_one(client) -> None:
    turtle = rdflib.Graph().parse(data=client.get(f"/doc/school/{SCHOOL}.ttl").data,
                                  format="turtle")
    document = client.get(f"/doc/school/{SCHOOL}.jsonld").get_json()
    context = client.get("/context/v1.jsonld").get_json()
    inline = {**document, "@context": context["@context"]}
    assert isomorphic(rdflib.Graph().parse(data=json.dumps(inline), format="json-ld"), turtle)


def test_a_school_without_domain_data_still_answers(client, ns) -> None:
    emis, id_, _ = ns
    g = graph_of(client, "/doc/school/41101002", "ttl")
    assert (id_["school/41101002"], RDF.type, emis.School) in g
    assert not set(g.subjects(RDF.type, emis.FinanceLine))
    page = client.get("/doc/school/41101002?lang=en").get_data(as_text=True)
    for heading in ("Money", "Textbooks", "Staff", "Buildings and safety"):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("No data in this release.") == 4

# ------------------------------------------------------------------------------ HTML


WORDS = {
    "en": {"sections": ("Money", "Textbooks", "Staff", "Buildings and safety"),
           "amount": "1,234,567.50\u00a0KGS", "h1": "610,000.75\u00a0KGS", "covered": "89.5\u00a0%",
           "period": "Whole year", "header": "Budget income", "material": "Adobe",
           "emergency": "Emergency (condemned)", "safe": "Safe", "zone": "Intensity 9 (MSK-64)",
           "qualified": "75.0\u00a0%", "no": "no", "staff_header": "Qualified teachers"},
    "ru": {"sections": ("Финансы", "Учебники", "Кадры", "Здания и безопасность"),
           "amount": "1\u00a0234\u00a0567,50\u00a0KGS", "h1": "610\u00a0000,75\u00a0KGS",
           "covered": "89,5\u00a0%", "period": "Год", "header": "Бюджетные доходы",
           "material": "Саман", "emergency": "Аварийное", "safe": "Безопасное",
           "zone": "9 баллов", "qualified": "75,0\u00a0%", "no": "нет",
           "staff_header": "Учителей с минимальной квалификацией"},
    "ky": {"sections": ("Каржы", "Окуу китептери", "Кадрлар", "Имараттар жана коопсуздук"),
           "amount": "1\u00a0234\u00a0567,50\u00a0KGS", "h1": "610\u00a0000,75\u00a0KGS",
           "covered": "89,5\u00a0%", "period": "Жыл", "header": "Бюджеттик киреше",
           "material": "Саман", "emergency": "Авариялык", "safe": "Коопсуз",
           "zone": "9 балл", "qualified": "75,0\u00a0%", "no": "жок",
           "staff_header": "Минималдуу квалификациясы бар мугалимдер"},
}


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_html_shows_the_four_sections_in_the_page_language(client, site, lang) -> None:
    _, base = site
    response = client.get(f"/doc/school/{SCHOOL}?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    words = WORDS[lang]
    for key, heading in zip(("money", "textbooks", "staff", "buildings"), words["sections"],
                            strict=True):
        assert f'<section class="domain" id="{key}">\n  <h2>{heading}</h2>' in page
    # money: amounts grouped, with the currency, per period of the latest year
    assert f'<td class="num">{words["amount"]}</td>' in page
    assert f'<td class="num">{words["h1"]}</td>' in page
    assert f'<th scope="col">{words["header"]}</th>' in page
    assert f'<a href="{base}id/finance-summary/{SCHOOL}-2025-FY">{words["period"]}</a>' in page
    assert f'href="{base}id/finance-summary/{SCHOOL}-2024-FY"' in page  # an earlier period
    for line in ("FY-I01", "FY-I03", "FY-E2111-01", "FY-E2215-02", "H1-I01", "H1-I03",
                 "H1-E2111-01"):
        assert f'<a href="{base}id/finance/{SCHOOL}-2025-{line}">' in page
    assert f"{base}id/finance/{SCHOOL}-2024-FY-I01" not in page
    # textbooks: the share of need covered as a percentage
    assert f'<td class="num">{words["covered"]}</td>' in page
    assert f'href="{base}id/provision-summary/{SCHOOL}-2025-2026-h1"' in page
    assert f'href="{base}id/provision-summary/{SCHOOL}-2024-2025-h2"' in page
    # staff: counts and shares of teachers
    assert f'<th>{words["staff_header"]}</th><td class="num">9</td>' \
           f'<td class="num">{words["qualified"]}</td>' in page
    assert f'href="{base}id/staff-summary/{SCHOOL}"' in page
    # buildings: labels in the page language, the unsafe class highlighted
    assert f'<td class="alert"><strong><a href="{base}id/assessment/{SCHOOL}-2-2025-03-03">' \
           f'{words["emergency"]}</a></strong></td>' in page
    assert f'<td class="ok"><a href="{base}id/assessment/{SCHOOL}-1-2024-05-14">' \
           f'{words["safe"]}</a></td>' in page
    assert f'<a href="{base}def/concept/building-material/adobe">{words["material"]}</a>' in page
    assert f'>{words["zone"]}</a>' in page
    assert f'<td class="no">{words["no"]}</td>' in page
    for building in ("1", "2"):
        assert f'<a href="{base}id/building/{SCHOOL}-{building}">' in page
    assert page.index('id="money"') < page.index('id="textbooks"') < page.index('id="staff"') \
        < page.index('id="buildings"')


def test_html_language_follows_accept_language(client) -> None:
    page = client.get(f"/doc/school/{SCHOOL}", headers={
        "Accept": "text/html", "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert "<h2>Здания и безопасность</h2>" in page


def test_html_of_the_domain_resources(client, site) -> None:
    _, base = site
    building = client.get(f"/doc/building/{SCHOOL}-1?lang=en").get_data(as_text=True)
    assert f'<a href="{base}id/school/{SCHOOL}">' in building
    assert f'{base}id/assessment/{SCHOOL}-1-2019-04-02' in building  # every assessment
    assert "Needs retrofit" in building and ">Safe<" in building
    line = client.get(f"/doc/finance/{SCHOOL}-2025-FY-E2111-01?lang=ru").get_data(as_text=True)
    assert "Заработная плата" in line and "990000.25" in line
    post = client.get(f"/doc/staff/{STAFF_POSTS[0]}?lang=en").get_data(as_text=True)
    assert "Санариптик сабаттуулук" in post  # its training record links to it

# ------------------------------------------------------------------------------ dereferencing


@pytest.mark.parametrize("type_", sorted(SAMPLE_THINGS))
def test_every_domain_type_dereferences(client, site, type_) -> None:
    _, base = site
    key = SAMPLE_THINGS[type_]
    thing = client.get(f"/id/{type_}/{key}", headers={"Accept": "text/turtle"})
    assert thing.status_code == 303
    assert thing.headers["Location"] == f"{base}doc/{type_}/{key}"
    subject = rdflib.URIRef(f"{base}id/{type_}/{key}")
    turtle = graph_of(client, f"/doc/{type_}/{key}", "ttl")
    assert (subject, RDF.type, None) in turtle
    for suffix in ("jsonld", "nt", "rdf"):
        assert isomorphic(graph_of(client, f"/doc/{type_}/{key}", suffix), turtle), suffix
    html = client.get(f"/doc/{type_}/{key}.html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    negotiated = client.get(f"/doc/{type_}/{key}", headers={"Accept": "application/ld+json"})
    assert negotiated.status_code == 200 and negotiated.get_json()["id"] == str(subject)
    # linked things are named in the document
    for _, _, linked in turtle.triples((subject, None, None)):
        if isinstance(linked, rdflib.URIRef) and "/def/concept/" in str(linked):
            assert (linked, SKOS.prefLabel, None) in turtle, linked
    for suffix, mime in (("", "text/turtle"), (".ttl", "text/turtle"), (".html", "text/html")):
        missing = client.get(f"/doc/{type_}/no-such-key{suffix}",
                             headers={"Accept": "text/turtle"} if not suffix else {})
        assert missing.status_code == 404 and missing.mimetype == mime, suffix
    assert client.get(f"/id/{type_}/no-such-key").status_code == 404


def test_every_type_of_the_uri_scheme_is_tested_here_or_in_test_documents() -> None:
    # a release is dereferenced in tests/test_provenance.py
    types = bundled_types(Uris("http://data.test/"))   # what the bundled mappings mint
    # preschool organisations and their enrolment: tests/test_preschools.py, on a real build
    assert set(types) == set(SAMPLE_THINGS) | {"school", "region", "district", "enrolment",
                                               "release", "preschool", "preschool-enrolment"}


def test_building_document_lists_all_its_assessments(client, ns) -> None:
    emis, id_, concept = ns
    g = graph_of(client, f"/doc/building/{SCHOOL}-1", "ttl")
    building = id_[f"building/{SCHOOL}-1"]
    assessments = set(g.subjects(emis.building, building))
    assert assessments == {id_[f"assessment/{SCHOOL}-1-2019-04-02"],
                           id_[f"assessment/{SCHOOL}-1-2024-05-14"]}
    assert (building, emis.latestAssessment, id_[f"assessment/{SCHOOL}-1-2024-05-14"]) in g
    assert (concept["safety-class/needs-retrofit"], SKOS.prefLabel,
            rdflib.Literal("Требует усиления", lang="ru")) in g
    assert (id_[f"school/{SCHOOL}"], rdflib.URIRef("https://schema.org/name"), None) in g

# ------------------------------------------------------------------------------ the context


def test_the_context_only_ever_adds_keys(client) -> None:
    """Every key of the published v1 context keeps its definition (tests/data holds the
    snapshot; add new keys to both, never change or remove one)."""
    snapshot = json.loads((Path(__file__).parent / "data" / "context-v1.jsonld")
                          .read_text(encoding="utf-8"))["@context"]
    current = json.loads(resources.files("emis_lod.ontology").joinpath("context.jsonld")
                         .read_text(encoding="utf-8"))["@context"]
    for key, definition in snapshot.items():
        assert current.get(key) == definition, key


def test_every_emis_term_of_the_context_is_in_the_ontology() -> None:
    base = "http://data.test/"
    context = jsonld_context(base)["@context"]
    ontology = resources.files("emis_lod.ontology")
    defined: set[str] = set()
    for path in ontology.iterdir():     # every ontology file (the code lists are in concepts/)
        if not path.name.endswith(".ttl"):
            continue
        for quad in ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE, base_iri=base + "def/"):
            defined.add(quad.subject.value)
    used = set()
    for definition in context.values():
        iri = definition if isinstance(definition, str) else \
            definition.get("@id") or definition.get("@reverse")
        if isinstance(iri, str) and iri.startswith("emis:"):
            used.add(f"{base}def/emis#{iri[5:]}")
    assert used and not used - defined, sorted(used - defined)

# ------------------------------------------------------------------------------ formatting


def test_number_formatting() -> None:
    assert format_amount("1234567.5", "KGS", "en") == "1,234,567.50\u00a0KGS"
    assert format_amount("1234567.5", "KGS", "ru") == "1\u00a0234\u00a0567,50\u00a0KGS"
    assert format_amount("0", None, "ky") == "0,00"
    assert format_amount("12.3456", "KGS", "en") == "12.3456\u00a0KGS"  # never rounded away
    assert format_amount("-1000", "KGS", "en") == "-1,000.00\u00a0KGS"
    assert format_count("1480", "en") == "1,480" and format_count("1480", "ky") == "1\u00a0480"
    assert format_share("0.895", "en") == "89.5\u00a0%"
    assert format_share(Decimal(9) / Decimal(12), "ru") == "75,0\u00a0%"
    assert format_decimal("not a number", "en") == "not a number"

# ------------------------------------------------------------------------------ a real build


@pytest.fixture(scope="module")
def built_client(built):
    if not (built.release_dir / releases.MANIFEST).exists():
        pytest.skip("no release")
    manifest = releases.read_manifest(built.release_dir)
    if "finance" not in manifest.get("tables", {}):
        pytest.skip("the generator does not write the domain tables yet")
    return create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()


def _schools_with(built, predicate: str) -> list[str]:
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        rows = store.query(f"SELECT DISTINCT ?s WHERE {{ ?s emis:{predicate} ?o }} ORDER BY ?s",
                           prefixes=prefixes(Uris(built.base_uri)),
                           use_default_graph_as_union=True)
        return [r["s"].value for r in rows]
    finally:
        del store


def test_built_school_documents_carry_the_domains(built, built_client) -> None:
    uris = Uris(built.base_uri)
    schools = _schools_with(built, "financeSummary")
    assert schools, "no school has a finance summary"
    emis = rdflib.Namespace(uris.vocab)
    for iri in schools[:5]:
        _, key = uris.split_id(iri) or ("", "")
        path = f"/doc/school/{key}"
        g = graph_of(built_client, path, "ttl")
        school = rdflib.URIRef(iri)
        for suffix in ("jsonld", "nt", "rdf"):
            assert isomorphic(graph_of(built_client, path, suffix), g), suffix
        summaries = list(g.objects(school, emis.financeSummary))
        figures = [s for s in summaries if (s, emis.expenditure, None) in g]
        assert figures, iri
        years = {str(g.value(s, emis.fiscalYear)) for s in summaries}
        assert {str(g.value(s, emis.fiscalYear)) for s in figures} == {max(years)}
        assert not [o for o in g.objects() if "/id/staff/" in str(o)]
        assert not [s for s in g.subjects() if "/id/staff/" in str(s)]
        for lang in ("ky", "ru", "en"):
            page = built_client.get(f"{path}?lang={lang}",
                                    headers={"Accept": "text/html"}).get_data(as_text=True)
            for domain in ("money", "textbooks", "staff", "buildings"):
                assert f'id="{domain}"' in page
            assert "/id/staff/" not in page


def test_built_documents_of_every_domain_type(built, built_client) -> None:
    uris = Uris(built.base_uri)
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        found: dict[str, str] = {}
        for row in store.query("SELECT ?s WHERE { ?s a ?c }", use_default_graph_as_union=True):
            split = uris.split_id(row["s"].value)
            if split and split[0] in SAMPLE_THINGS:
                found.setdefault(split[0], split[1])
    finally:
        del store
    assert {"finance", "finance-summary", "building"} <= set(found)
    for type_, key in found.items():
        assert built_client.get(f"/id/{type_}/{key}").status_code == 303
        for suffix in ("ttl", "jsonld", "nt", "rdf", "html"):
            assert built_client.get(f"/doc/{type_}/{key}.{suffix}").status_code == 200


def test_school_query_is_the_one_served(built, built_client) -> None:
    """The school's document is exactly the CONSTRUCT of queries/school.rq."""
    uris = Uris(built.base_uri)
    iri = _schools_with(built, "financeSummary")[0]
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        triples = list(store.query(load_query("school"), prefixes=prefixes(uris),
                                   use_default_graph_as_union=True,
                                   substitutions={ox.Variable("this"): ox.NamedNode(iri)}))
    finally:
        del store
    served = graph_of(built_client, "/doc/school/" + iri.rsplit("/", 1)[1], "nt")
    expected = rdflib.Graph().parse(
        data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    assert isomorphic(served, expected)
