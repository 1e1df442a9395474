"""A school's document links to and summarises its money, textbooks, staff and buildings for the
latest period, in every format; every resource type of the four domains dereferences.

Most tests run on the session's build (``conftest.site``) and its sample school
(``conftest.sample``: finance of two fiscal years, provision of two half-years, staff posts with
training, buildings with assessments); what they expect is read from that build (the
``domains`` fixture). A school without domain data is tested on a copy of that build with the
sample school's deleted; the last tests on the build of the demo export with the base
``http://data.test/``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

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

from serverutil import copy_release

NBSP = "\u00a0"
RDF_PARSERS = {"ttl": "turtle", "nt": "nt", "rdf": "xml"}
# the types of the four domains (the ``domains`` fixture finds one thing of each)
DOMAIN_TYPES = ("assessment", "building", "cube", "finance", "finance-summary", "observation",
                "provision", "provision-summary", "staff", "staff-summary", "textbook",
                "training")


def key_of(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def domains(sample) -> SimpleNamespace:
    """The sample school's domain data as the build wrote it: finance summaries (``latest``: the
    latest fiscal year's, ``earlier``: one of an earlier year) and lines, provision summaries,
    the staff summary, a post with a training record, buildings (``condemned``: one whose latest
    assessment is a dangerous class, ``safe``: one whose latest is safe; ``assessed``: a building
    of any school assessed more than once), labels of what they link to, and one thing of every
    domain type (``things``)."""
    code = sample.school

    def rows(where: str, order: str = "") -> list[dict[str, str]]:
        return sample.select(f"SELECT * WHERE {{ ?school emis:schoolCode \"{code}\" . {where} }} "
                             f"{order}")

    def label(iri: str, lang: str) -> str:
        [row] = sample.select(f"SELECT ?l WHERE {{ <{iri}> skos:prefLabel ?l "
                              f"FILTER (lang(?l) = \"{lang}\") }}")
        return row["l"]

    summaries = rows("""?school emis:financeSummary ?s . ?s emis:fiscalYear ?year ;
        emis:period ?period ; emis:incomeBudget ?incomeBudget ;
        emis:incomeExtraBudgetary ?incomeExtraBudgetary ; emis:expenditure ?expenditure ;
        emis:plannedExpenditure ?plannedExpenditure ; emis:currency ?currency .
        ?currency skos:notation ?currencyCode""", "ORDER BY ?year ?s")
    latest_year = max(s["year"] for s in summaries)
    latest = [s for s in summaries if s["year"] == latest_year]
    earlier = [s for s in summaries if s["year"] != latest_year]
    assert latest and earlier, "the sample school has no two fiscal years"
    lines = rows("""?line a emis:FinanceLine ; emis:school ?school ; emis:fiscalYear ?year ;
        emis:lineCode ?lineCode ; emis:period ?period ; emis:actualAmount ?amount .
        OPTIONAL { ?line emis:economicCategory ?category }""", "ORDER BY ?line")
    expenditure = next(r for r in lines if r["year"] == latest_year and "category" in r)
    provision = rows("""?school emis:provisionSummary ?s . ?s emis:schoolYear ?year ;
        emis:halfYear ?half . ?half skos:notation ?halfCode .
        OPTIONAL { ?s emis:copiesAvailable ?copiesAvailable ; emis:copiesNeeded ?copiesNeeded ;
                   emis:needCovered ?needCovered }""", "ORDER BY ?year ?halfCode")
    assert len(provision) > 1, "the sample school has no two half-years of provision"
    [staff] = rows("""?school emis:staffSummary ?s . ?s emis:teachers ?teachers ;
        emis:teachersQualified ?teachersQualified""")
    post = rows("""?post a emis:StaffPost ; emis:school ?school . ?training emis:staff ?post ;
        schema:name ?trainingName""", "ORDER BY ?post ?training LIMIT 1")[0]
    buildings = rows("""?school emis:building ?b . ?b emis:latestAssessment ?latest ;
        emis:material ?material ; emis:seismicZone ?zone ; emis:storeys ?storeys ;
        emis:yearBuilt ?yearBuilt ; emis:drinkingWater ?drinkingWater ;
        emis:electricity ?electricity ; emis:computers ?computers .
        ?latest emis:seismicAssessment ?class . ?class skos:notation ?classCode""", "ORDER BY ?b")
    for b in buildings:
        b["assessments"] = {r["a"] for r in sample.select(
            f"SELECT ?a WHERE {{ ?a a emis:SafetyAssessment ; emis:building <{b['b']}> }}")}
    condemned = next(b for b in buildings if b["classCode"] in ("unsafe", "emergency"))
    # a building (of any school) assessed more than once
    [assessed] = sample.select("""SELECT ?b ?school ?latest (COUNT(?a) AS ?n) WHERE {
        ?b a emis:Building ; emis:school ?school ; emis:latestAssessment ?latest .
        ?a a emis:SafetyAssessment ; emis:building ?b } GROUP BY ?b ?school ?latest
        HAVING (COUNT(?a) > 1) ORDER BY ?b LIMIT 1""")
    assessed["assessments"] = {r["a"] for r in sample.select(
        f"SELECT ?a WHERE {{ ?a a emis:SafetyAssessment ; emis:building <{assessed['b']}> }}")}
    safe = next(b for b in buildings if b["classCode"] == "safe")
    observation = rows("?o emis:refArea ?school", "ORDER BY ?o LIMIT 1")[0]["o"]
    cube = rows("?o emis:refArea ?school ; <http://purl.org/linked-data/cube#dataSet> ?cube",
                "ORDER BY ?cube LIMIT 1")[0]
    textbook = rows("?p a emis:TextbookProvision ; emis:school ?school ; emis:textbook ?t",
                    "ORDER BY ?p LIMIT 1")[0]
    return SimpleNamespace(
        latest=latest, earlier=earlier[0], latest_year=latest_year,
        latest_lines=sorted(key_of(r["line"]) for r in lines if r["year"] == latest_year),
        earlier_line=next(key_of(r["line"]) for r in lines if r["year"] != latest_year),
        line=expenditure, provision=provision[-1], earlier_provision=provision[0], staff=staff,
        post=post, buildings=buildings, condemned=condemned, safe=safe, assessed=assessed,
        label=label,
        things={
            "finance": key_of(expenditure["line"]),
            "finance-summary": key_of(latest[0]["s"]),
            "textbook": key_of(textbook["t"]),
            "provision": key_of(textbook["p"]),
            "provision-summary": key_of(provision[-1]["s"]),
            "staff": key_of(post["post"]),
            "training": key_of(post["training"]),
            "staff-summary": key_of(staff["s"]),
            "building": key_of(buildings[0]["b"]),
            "assessment": key_of(condemned["latest"]),
            "observation": key_of(observation),
            "cube": key_of(cube["cube"]),
        })


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


def boolean(text: str) -> rdflib.Literal:
    return rdflib.Literal(text == "true")

# ------------------------------------------------------------------------------ RDF formats


@pytest.mark.parametrize("suffix", ["ttl", "jsonld", "nt", "rdf"])
def test_school_document_carries_the_latest_figures(client, ns, sample, domains, suffix) -> None:
    emis, id_, concept = ns
    d = domains
    g = graph_of(client, f"/doc/school/{sample.school}", suffix)
    school = id_[f"school/{sample.school}"]
    assert isomorphic(g, graph_of(client, f"/doc/school/{sample.school}", "ttl"))

    # money: every period of the latest fiscal year in full, the earlier year as a link
    old = rdflib.URIRef(d.earlier["s"])
    assert {(school, emis.financeSummary, rdflib.URIRef(s["s"])) in g
            for s in [*d.latest, d.earlier]} == {True}
    for summary in d.latest:
        s = rdflib.URIRef(summary["s"])
        for figure in ("incomeBudget", "incomeExtraBudgetary", "expenditure",
                       "plannedExpenditure"):
            assert (s, emis[figure], decimal(summary[figure])) in g, figure
        currency = rdflib.URIRef(summary["currency"])
        assert (s, emis.currency, currency) in g
        assert (currency, SKOS.notation, rdflib.Literal(summary["currencyCode"])) in g
        period = rdflib.URIRef(summary["period"])
        assert (period, SKOS.prefLabel, rdflib.Literal(d.label(period, "ru"), lang="ru")) in g
    assert (old, RDF.type, emis.FinanceSummary) in g
    assert (old, emis.fiscalYear, rdflib.Literal(d.earlier["year"], datatype=rdflib.XSD.gYear)) \
        in g
    assert (old, emis.incomeBudget, None) not in g  # earlier years: a link, not the figures

    # the finance lines of the latest year, as links with their type, code and period
    lines = set(g.subjects(RDF.type, emis.FinanceLine))
    assert sorted(key_of(line) for line in lines) == d.latest_lines
    line = rdflib.URIRef(d.line["line"])
    assert (line, emis.lineCode, rdflib.Literal(d.line["lineCode"])) in g
    assert (line, emis.period, rdflib.URIRef(d.line["period"])) in g
    assert (line, emis.school, school) in g
    assert (line, emis.actualAmount, None) not in g  # the line's own document has the amounts

    # textbooks: the latest half-year in full, the earlier one as a link
    latest, earlier = rdflib.URIRef(d.provision["s"]), rdflib.URIRef(d.earlier_provision["s"])
    assert (latest, emis.copiesAvailable, rdflib.Literal(int(d.provision["copiesAvailable"]))) in g
    assert (latest, emis.copiesNeeded, rdflib.Literal(int(d.provision["copiesNeeded"]))) in g
    assert (latest, emis.needCovered, decimal(d.provision["needCovered"])) in g
    assert (latest, emis.halfYear, rdflib.URIRef(d.provision["half"])) in g
    assert (earlier, emis.schoolYear, rdflib.Literal(d.earlier_provision["year"])) in g
    assert (earlier, emis.copiesNeeded, None) not in g

    # staff: the aggregate only
    summary = rdflib.URIRef(d.staff["s"])
    assert (school, emis.staffSummary, summary) in g
    assert (summary, emis.teachers, rdflib.Literal(int(d.staff["teachers"]))) in g
    assert (summary, emis.teachersQualified, rdflib.Literal(int(d.staff["teachersQualified"]))) \
        in g

    # buildings, with labels of their material and zone, services and the latest assessment
    for b in d.buildings:
        building = rdflib.URIRef(b["b"])
        assert (school, emis.building, building) in g
        material, zone = rdflib.URIRef(b["material"]), rdflib.URIRef(b["zone"])
        assert (building, emis.material, material) in g
        assert (material, SKOS.prefLabel, rdflib.Literal(d.label(material, "ky"), lang="ky")) in g
        assert (zone, SKOS.prefLabel, rdflib.Literal(d.label(zone, "ru"), lang="ru")) in g
        assert (building, emis.electricity, boolean(b["electricity"])) in g
        assert (building, emis.drinkingWater, boolean(b["drinkingWater"])) in g
        assert (building, emis.computers, rdflib.Literal(int(b["computers"]))) in g
        latest_assessment = rdflib.URIRef(b["latest"])
        assert (building, emis.latestAssessment, latest_assessment) in g
        assert (latest_assessment, emis.seismicAssessment, rdflib.URIRef(b["class"])) in g
        assert (rdflib.URIRef(b["class"]), SKOS.prefLabel,
                rdflib.Literal(d.label(b["class"], "en"), lang="en")) in g
        for assessment in b["assessments"] - {b["latest"]}:
            assert (rdflib.URIRef(assessment), None, None) not in g  # not the latest

    # the enrolment records and the names of the district stay as they were
    enrolment = sample.select(f"SELECT ?e WHERE {{ ?e a emis:Enrolment ; "
                              f"emis:school/emis:schoolCode \"{sample.school}\" }} LIMIT 1")
    assert (school, emis.enrolment, rdflib.URIRef(enrolment[0]["e"])) in g


@pytest.mark.parametrize("suffix", ["ttl", "jsonld", "nt", "rdf", "html"])
def test_no_staff_post_in_the_school_document(client, sample, suffix) -> None:
    text = client.get(f"/doc/school/{sample.school}.{suffix}").get_data(as_text=True)
    for post in sample.staff_posts:
        assert post not in text
    assert "/id/staff/" not in text and "/id/training/" not in text
    assert "/id/provision/" not in text  # provision records: only their summary


def test_jsonld_nests_everything_in_the_school_and_keeps_money_exact(client, site, sample,
                                                                      domains) -> None:
    _, base = site
    d = domains
    doc = client.get(f"/doc/school/{sample.school}.jsonld").get_json()
    assert doc["id"] == f"{base}id/school/{sample.school}" and "@graph" not in doc
    summaries = {s["id"].rsplit("/", 1)[1]: s for s in doc["financeSummary"]}
    latest = summaries[key_of(d.latest[0]["s"])]
    # a string, typed xsd:decimal by the context
    assert latest["incomeBudget"] == d.latest[0]["incomeBudget"]
    assert latest["expenditure"] == d.latest[0]["expenditure"]
    assert latest["fiscalYear"] == d.latest_year
    assert "incomeBudget" not in summaries[key_of(d.earlier["s"])]
    provision = {s["id"]: s for s in doc["provisionSummary"]}[d.provision["s"]]
    assert provision["needCovered"] == d.provision["needCovered"]
    assert provision["copiesNeeded"] == int(d.provision["copiesNeeded"])
    assert doc["staffSummary"]["teachers"] == int(d.staff["teachers"])
    buildings = {b["id"]: b for b in doc["building"]}
    condemned = buildings[d.condemned["b"]]
    assert condemned["latestAssessment"]["seismicAssessment"]["notation"] == \
        d.condemned["classCode"]
    assert condemned["material"]["prefLabel"]["ru"] == d.label(d.condemned["material"], "ru")
    assert condemned["drinkingWater"] is (d.condemned["drinkingWater"] == "true")
    assert condemned["storeys"] == int(d.condemned["storeys"])
    assert condemned["yearBuilt"] == d.condemned["yearBuilt"]
    lines = {r["id"].rsplit("/", 1)[1]: r for r in doc["records"]}  # reverse of emis:school
    assert lines[key_of(d.line["line"])] == {
        "id": d.line["line"], "type": "FinanceLine",
        "lineCode": d.line["lineCode"], "period": d.line["period"]}

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
        f"/doc/school/{sample.school}.jsonld").get_data(as_text=True))
    expanded = jsonld.expand(doc, {"documentLoader": context_loader(client)})
    values = [v for node in expanded
              for v in node.get(f"{base}def/emis#financeSummary", [])]
    assert values  # the summaries expand under the full property IRI
    money = jsonld.to_rdf(doc, {"format": "application/n-quads",
                                "documentLoader": context_loader(client)})
    assert f'"{d.latest[0]["incomeBudget"]}"^^<http://www.w3.org/2001/XMLSchema#decimal>' in money


def test_rdflib_reads_the_jsonld_school_as_the_turtle_one(client, sample) -> None:
    turtle = rdflib.Graph().parse(data=client.get(f"/doc/school/{sample.school}.ttl").data,
                                  format="turtle")
    document = client.get(f"/doc/school/{sample.school}.jsonld").get_json()
    context = client.get("/context/v1.jsonld").get_json()
    inline = {**document, "@context": context["@context"]}
    assert isomorphic(rdflib.Graph().parse(data=json.dumps(inline), format="json-ld"), turtle)


@pytest.fixture(scope="module")
def without_domains(site_built, sample, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the session's release in which the sample school has no domain data: its
    finance, textbook provision, staff and buildings, and its links to them, are deleted. The
    copy's test client."""
    base = site_built.base_uri
    school, emis = f"{base}id/school/{sample.school}", f"{base}def/emis#"
    update = f"""PREFIX emis: <{emis}>
        DELETE {{ GRAPH ?g {{ ?x ?p ?o }} }} WHERE {{
          GRAPH ?h {{ ?x emis:school <{school}> ; a ?class }}
          FILTER (?class IN (emis:FinanceLine, emis:FinanceSummary, emis:TextbookProvision,
                             emis:ProvisionSummary, emis:StaffPost, emis:StaffSummary,
                             emis:Building))
          GRAPH ?g {{ ?x ?p ?o }} }} ;
        DELETE {{ GRAPH ?g {{ <{school}> ?p ?o }} }} WHERE {{
          GRAPH ?g {{ <{school}> ?p ?o }}
          FILTER (?p IN (emis:financeSummary, emis:provisionSummary, emis:staffSummary,
                         emis:building)) }}"""
    copy = tmp_path_factory.mktemp("without-domains")
    copy_release(copy, site_built.release_dir, update=update)
    return create_app(copy, load_settings(base_uri=base)).test_client()


def test_a_school_without_domain_data_still_answers(without_domains, ns, sample) -> None:
    client, (emis, id_, _) = without_domains, ns
    g = graph_of(client, f"/doc/school/{sample.school}", "ttl")
    assert (id_[f"school/{sample.school}"], RDF.type, emis.School) in g
    assert not set(g.subjects(RDF.type, emis.FinanceLine))
    page = client.get(f"/doc/school/{sample.school}?lang=en").get_data(as_text=True)
    for heading in ("Money", "Textbooks", "Staff", "Buildings and safety"):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("No data in this release.") == 4

# ------------------------------------------------------------------------------ HTML


WORDS = {
    "en": {"sections": ("Money", "Textbooks", "Staff", "Buildings and safety"),
           "header": "Budget income", "no": "no", "staff_header": "Qualified teachers"},
    "ru": {"sections": ("Финансы", "Учебники", "Кадры", "Здания и безопасность"),
           "header": "Бюджетные доходы", "no": "нет",
           "staff_header": "Учителей с минимальной квалификацией"},
    "ky": {"sections": ("Каржы", "Окуу китептери", "Кадрлар", "Имараттар жана коопсуздук"),
           "header": "Бюджеттик киреше", "no": "жок",
           "staff_header": "Минималдуу квалификациясы бар мугалимдер"},
}


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_html_shows_the_four_sections_in_the_page_language(client, site, sample, domains,
                                                           lang) -> None:
    _, base = site
    d = domains
    response = client.get(f"/doc/school/{sample.school}?lang={lang}",
                          headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    words = WORDS[lang]
    for key, heading in zip(("money", "textbooks", "staff", "buildings"), words["sections"],
                            strict=True):
        assert f'<section class="domain" id="{key}">\n  <h2>{heading}</h2>' in page
    # money: amounts grouped, with the currency, per period of the latest year
    for summary in d.latest:
        for figure in ("incomeBudget", "expenditure"):
            amount = format_amount(summary[figure], summary["currencyCode"], lang)
            assert f'<td class="num">{amount}</td>' in page, (figure, amount)
        assert f'<a href="{summary["s"]}">{d.label(summary["period"], lang)}</a>' in page
    assert f'<th scope="col">{words["header"]}</th>' in page
    assert f'href="{d.earlier["s"]}"' in page  # an earlier period
    for line in d.latest_lines:
        assert f'<a href="{base}id/finance/{line}">' in page
    assert f"{base}id/finance/{d.earlier_line}" not in page
    # textbooks: the share of need covered as a percentage
    covered = format_share(d.provision["needCovered"], lang)
    assert f'<td class="num">{covered}</td>' in page
    assert f'href="{d.provision["s"]}"' in page
    assert f'href="{d.earlier_provision["s"]}"' in page
    # staff: counts and shares of teachers
    qualified = format_share(Decimal(d.staff["teachersQualified"]) / Decimal(d.staff["teachers"]),
                             lang)
    assert f'<th>{words["staff_header"]}</th>' \
           f'<td class="num">{d.staff["teachersQualified"]}</td>' \
           f'<td class="num">{qualified}</td>' in page
    assert f'href="{d.staff["s"]}"' in page
    # buildings: labels in the page language, the unsafe class highlighted
    assert f'<td class="alert"><strong><a href="{d.condemned["latest"]}">' \
           f'{d.label(d.condemned["class"], lang)}</a></strong></td>' in page
    assert f'<td class="ok"><a href="{d.safe["latest"]}">' \
           f'{d.label(d.safe["class"], lang)}</a></td>' in page
    for b in d.buildings:
        assert f'<a href="{b["material"]}">{d.label(b["material"], lang)}</a>' in page
        assert f'>{d.label(b["zone"], lang)}</a>' in page
        assert f'<a href="{b["b"]}">' in page
    assert f'<td class="no">{words["no"]}</td>' in page
    assert page.index('id="money"') < page.index('id="textbooks"') < page.index('id="staff"') \
        < page.index('id="buildings"')


def test_html_language_follows_accept_language(client, sample) -> None:
    page = client.get(f"/doc/school/{sample.school}", headers={
        "Accept": "text/html", "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert "<h2>Здания и безопасность</h2>" in page


def test_html_of_the_domain_resources(client, site, sample, domains) -> None:
    _, base = site
    d = domains
    building = client.get(f"/doc/building/{key_of(d.assessed['b'])}?lang=en") \
        .get_data(as_text=True)
    assert f'<a href="{d.assessed["school"]}">' in building
    for assessment in d.assessed["assessments"]:  # every assessment
        assert assessment in building
    classes = sample.select(f"""SELECT DISTINCT ?class WHERE {{
        ?a emis:building <{d.assessed['b']}> ; emis:seismicAssessment ?class }}""")
    for row in classes:
        assert f">{d.label(row['class'], 'en')}<" in building
    line = client.get(f"/doc/finance/{key_of(d.line['line'])}?lang=ru").get_data(as_text=True)
    assert d.label(d.line["category"], "ru") in line and d.line["amount"] in line
    post = client.get(f"/doc/staff/{key_of(d.post['post'])}?lang=en").get_data(as_text=True)
    assert d.post["trainingName"] in post  # its training record links to it

# ------------------------------------------------------------------------------ dereferencing


@pytest.mark.parametrize("type_", DOMAIN_TYPES)
def test_every_domain_type_dereferences(client, site, domains, type_) -> None:
    _, base = site
    key = domains.things[type_]
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
    assert set(types) == set(DOMAIN_TYPES) | {"school", "region", "district", "enrolment",
                                               "release", "preschool", "preschool-enrolment"}


def test_building_document_lists_all_its_assessments(client, ns, sample, domains) -> None:
    emis, id_, concept = ns
    b = domains.assessed
    g = graph_of(client, f"/doc/building/{key_of(b['b'])}", "ttl")
    building = rdflib.URIRef(b["b"])
    assessments = set(g.subjects(emis.building, building))
    assert assessments == {rdflib.URIRef(a) for a in b["assessments"]} and len(assessments) > 1
    assert (building, emis.latestAssessment, rdflib.URIRef(b["latest"])) in g
    for row in sample.select(f"SELECT DISTINCT ?class WHERE {{ ?a emis:building <{b['b']}> ; "
                             "emis:seismicAssessment ?class }"):
        assert (rdflib.URIRef(row["class"]), SKOS.prefLabel,
                rdflib.Literal(domains.label(row["class"], "ru"), lang="ru")) in g
    assert (rdflib.URIRef(b["school"]), rdflib.URIRef("https://schema.org/name"), None) in g

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
            if split and split[0] in DOMAIN_TYPES:
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
