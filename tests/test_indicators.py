"""The monitoring indicators: RDF Data Cube observations computed at build time.

Values are compared with pandas computed straight from the export tables (the independent
cleaning of tests/test_example_queries.py), for schools, districts and regions; the cube is
checked against the Data Cube integrity constraints a client relies on.
"""

from __future__ import annotations

import re

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib
from bs4 import BeautifulSoup

from emis_lod.endpoint import create_app
from emis_lod.loaders import indicators, releases
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

from test_example_queries import QUALIFIED, Source, spending_2024

BASE = "http://data.test/"
URIS = Uris(BASE)
QB = "PREFIX qb: <http://purl.org/linked-data/cube#> "


@pytest.fixture(scope="module")
def profile_store(profile_built):
    """The store of each bundled profile's release, for the checks every cube must pass."""
    db = ox.Store.read_only(str(profile_built.release_dir / releases.OXIGRAPH))
    yield db
    del db


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    rows = store.query(QB + query, prefixes=prefixes(URIS), use_default_graph_as_union=True)
    return [{v.value: (s[v].value if s[v] is not None else None) for v in rows.variables} for s in rows]


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(QB + query, prefixes=prefixes(URIS), use_default_graph_as_union=True))


def observed(store: ox.Store, notation: str, level: str, period: str | None = None) -> dict[str, dict]:
    """Observations of one indicator at one level: area key -> value, numerator, denominator."""
    cls = {"school": "School", "district": "District", "region": "Region"}[level]
    rows = select(store, f"""
        SELECT ?area ?period ?value ?num ?den WHERE {{
          ?o a emis:IndicatorObservation ; qb:dataSet <{URIS.id('cube', 'indicators')}> ;
             emis:indicator <{URIS.concept('indicator', notation)}> ;
             emis:refArea ?area ; emis:refPeriod ?period ; emis:value ?value ; emis:numerator ?num .
          OPTIONAL {{ ?o emis:denominator ?den }}
          ?area a emis:{cls} }}""")
    out = {}
    for r in rows:
        if period is None or r["period"] == period:
            key = r["area"].rsplit("/", 1)[-1]
            assert key not in out, f"two {notation} observations for {key}"
            out[key] = {"value": float(r["value"]), "num": float(r["num"]),
                        "den": None if r["den"] is None else float(r["den"])}
    return out


def assert_matches(store, notation: str, expected: pd.DataFrame, level: str, period=None,
                   places: int = 4) -> None:
    """``expected`` has columns area, num, den (den may be absent for a count)."""
    got = observed(store, notation, level, period)
    expected = expected[expected["den"] > 0] if "den" in expected else expected
    assert set(got) == set(expected["area"]), f"{notation}/{level}: areas differ"
    for row in expected.itertuples():
        o = got[row.area]
        assert o["num"] == pytest.approx(row.num), (notation, level, row.area)
        if "den" in expected:
            assert o["den"] == pytest.approx(row.den), (notation, level, row.area)
            assert o["value"] == pytest.approx(round(row.num / row.den, places), abs=10 ** -places)


def by_level(per_school: pd.DataFrame, src: Source, level: str) -> pd.DataFrame:
    """Sum per-school numerators and denominators to a level (a ratio of sums)."""
    if level == "school":
        return per_school.rename(columns={"school_code": "area"})
    codes = src.schools[["school_code", "district_code", "region_code"]]
    f = per_school.merge(codes, on="school_code", validate="one_to_one")
    column = f"{level}_code"
    return f.groupby(column, as_index=False)[[c for c in ("num", "den") if c in f]].sum() \
        .rename(columns={column: "area"})


LEVELS = ("school", "district", "region")


@pytest.mark.parametrize("level", LEVELS)
def test_qualified_teachers_is_sdg_4c1(store, src, level):
    t = src.teachers.assign(q=src.teachers["level"].isin(QUALIFIED).astype(int))
    per_school = t.groupby("school_code", as_index=False).agg(num=("q", "sum"), den=("q", "size"))
    assert_matches(store, "qualified-teachers", by_level(per_school, src, level), level)


@pytest.mark.parametrize("level", LEVELS)
def test_pupils_per_qualified_teacher(store, src, level):
    t = src.teachers.assign(q=src.teachers["level"].isin(QUALIFIED).astype(int))
    q = t.groupby("school_code", as_index=False).agg(den=("q", "sum"))
    per_school = q.merge(src.schools[["school_code", "pupils"]], on="school_code") \
        .rename(columns={"pupils": "num"})[["school_code", "num", "den"]]
    # a school without qualified teachers has no value of its own, but its pupils count for
    # its district and region (pupils of the area over qualified teachers of the area)
    expected = by_level(per_school, src, level)
    assert_matches(store, "pupils-per-qualified-teacher", expected, level, places=1)


@pytest.mark.parametrize("level", LEVELS)
def test_spending_per_pupil(store, src, level):
    f = spending_2024(src)
    f = f[(f["direction"] == "expenditure") & f["actual"].notna()]
    per_school = f.groupby("school_code", as_index=False).agg(num=("actual", "sum")) \
        .merge(src.schools[["school_code", "pupils"]], on="school_code").rename(columns={"pupils": "den"})
    assert_matches(store, "spending-per-pupil", by_level(per_school, src, level), level,
                   period="2024", places=2)


@pytest.mark.parametrize("level", LEVELS)
def test_extra_budgetary_share(store, src, level):
    f = spending_2024(src)
    f = f[(f["direction"] == "income") & f["actual"].notna()]
    f = f.assign(extra_amount=f["actual"].where(f["extra"], 0.0))
    per_school = f.groupby("school_code", as_index=False).agg(num=("extra_amount", "sum"),
                                                             den=("actual", "sum"))
    assert_matches(store, "extra-budgetary-share", by_level(per_school, src, level), level,
                   period="2024")


@pytest.mark.parametrize("service,notation", [("electricity", "electricity"),
                                              ("drinking_water", "drinking-water"),
                                              ("indoor_toilets", "sanitation"),
                                              ("internet", "internet")])
@pytest.mark.parametrize("level", LEVELS)
def test_basic_services_sdg_4a1(store, src, level, service, notation):
    b = src.buildings[src.buildings[service].notna()]
    per_school = b.groupby("school_code", as_index=False)[service].any()
    per_school = per_school.assign(num=per_school[service].astype(int), den=1)[["school_code", "num", "den"]]
    assert_matches(store, notation, by_level(per_school, src, level), level)


@pytest.mark.parametrize("level", LEVELS)
def test_pupils_in_unsafe_buildings(store, src, level):
    latest = src.assessments.sort_values("date").groupby("building_id").tail(1)
    latest = latest.merge(src.buildings[["building_id", "school_code"]], on="building_id")
    latest = latest.assign(bad=latest["class"].isin(["unsafe", "emergency"]))
    per_school = latest.groupby("school_code", as_index=False)["bad"].any() \
        .merge(src.schools[["school_code", "pupils"]], on="school_code")
    per_school = per_school.assign(num=per_school["pupils"].where(per_school["bad"], 0),
                                   den=per_school["pupils"])
    assert_matches(store, "pupils-in-unsafe-buildings-share",
                   by_level(per_school[["school_code", "num", "den"]], src, level), level)
    counts = by_level(per_school[["school_code", "num"]], src, level)
    got = observed(store, "pupils-in-unsafe-buildings", level)
    assert {k: v["num"] for k, v in got.items()} == dict(zip(counts["area"], counts["num"], strict=True))
    assert all(v["den"] is None and v["value"] == v["num"] for v in got.values())


@pytest.mark.parametrize("level", LEVELS)
def test_textbook_need_covered(store, src, level):
    p = src.provision
    p = p.assign(usable=p[["available", "needed"]].min(axis=1))
    per_school = p.groupby("school_code", as_index=False).agg(num=("usable", "sum"), den=("needed", "sum"))
    assert_matches(store, "textbook-need-covered", by_level(per_school, src, level), level)


def test_textbook_need_by_subject_and_grade_for_regions(store, src):
    p = src.provision.merge(src.schools[["school_code", "region_code"]], on="school_code")
    p = p.assign(usable=p[["available", "needed"]].min(axis=1))
    expected = p.groupby(["region_code", "subject", "grade"], as_index=False) \
        .agg(num=("usable", "sum"), den=("needed", "sum"))
    expected = expected[expected["den"] > 0]
    rows = select(store, f"""
        SELECT ?area ?subject ?grade ?num ?den ?value WHERE {{
          ?o qb:dataSet <{URIS.id('cube', 'textbooks-by-subject-grade')}> ;
             emis:indicator <{URIS.concept('indicator', 'textbook-need-covered')}> ;
             emis:refArea ?area ; emis:subject ?subject ; emis:grade ?grade ;
             emis:numerator ?num ; emis:denominator ?den ; emis:value ?value .
          ?area a emis:Region }}""")
    got = {(r["area"].rsplit("/", 1)[-1], r["subject"].rsplit("/", 1)[-1], int(r["grade"])):
           (float(r["num"]), float(r["den"]), float(r["value"])) for r in rows}
    want = {(r.region_code, r.subject, r.grade): (r.num, r.den) for r in expected.itertuples()}
    assert set(got) == set(want)
    for key, (num, den) in want.items():
        assert got[key][:2] == (num, den), key
        assert got[key][2] == pytest.approx(round(num / den, 4), abs=1e-4)


def test_no_breakdown_per_school(store):
    assert not ask(store, f"""ASK {{
        ?o qb:dataSet <{URIS.id('cube', 'textbooks-by-subject-grade')}> ;
           emis:refArea ?area . ?area a emis:School }}""")


def test_regions_sum_their_districts(profile_store):
    """Aggregation is a ratio of sums: a region's numerator and denominator are the sums of
    its districts'."""
    rows = select(profile_store, f"""
        SELECT ?ind ?region ?period ?num (SUM(?dnum) AS ?sum) WHERE {{
          ?r qb:dataSet <{URIS.id('cube', 'indicators')}> ; emis:indicator ?ind ;
             emis:refArea ?region ; emis:refPeriod ?period ; emis:numerator ?num .
          ?region a emis:Region .
          ?d qb:dataSet <{URIS.id('cube', 'indicators')}> ; emis:indicator ?ind ;
             emis:refArea ?district ; emis:refPeriod ?period ; emis:numerator ?dnum .
          ?district a emis:District ; emis:region ?region .
        }} GROUP BY ?ind ?region ?period ?num""")
    assert rows
    for r in rows:
        assert float(r["num"]) == pytest.approx(float(r["sum"])), r


# ----------------------------------------------------------------- the cube is well formed

def test_every_indicator_has_a_query_and_observations(profile_store, profile):
    defined = indicators.definitions(profile_store, URIS, profile)
    assert len(defined) >= 14
    for ind in defined:
        assert ask(profile_store, f"ASK {{ ?o emis:indicator <{ind.iri}> ; emis:refArea ?a . "
                                  f"?a a emis:Region }}"), f"no regional observation of {ind.notation}"


def test_definitions_state_formula_in_every_language_of_the_profile(profile_store, profile):
    langs = ", ".join(f'"{lang}"' for lang in profile.languages)
    rows = select(profile_store, f"""
        SELECT ?i (COUNT(DISTINCT ?f) AS ?formulas) (COUNT(DISTINCT ?d) AS ?definitions) WHERE {{
          ?i a emis:Indicator ; emis:formula ?f ; skos:definition ?d
          FILTER(LANG(?f) IN ({langs}) && LANG(?d) IN ({langs})) }} GROUP BY ?i""")
    n = len(profile.languages)
    assert rows and all(int(r["formulas"]) == n and int(r["definitions"]) == n for r in rows)


@pytest.mark.parametrize("name,violation", [
    ("IC-1 one data set per observation", """ASK { ?o a qb:Observation .
        { FILTER NOT EXISTS { ?o qb:dataSet ?ds } } UNION
        { ?o qb:dataSet ?a, ?b FILTER(?a != ?b) } }"""),
    ("IC-2 one structure per data set", """ASK { ?ds a qb:DataSet .
        { FILTER NOT EXISTS { ?ds qb:structure ?s } } UNION
        { ?ds qb:structure ?a, ?b FILTER(?a != ?b) } }"""),
    ("IC-11 all dimensions required", """ASK {
        ?o qb:dataSet/qb:structure/qb:component/qb:dimension ?dim .
        FILTER NOT EXISTS { ?o ?dim ?v } }"""),
    ("IC-12 no duplicate observations", """ASK {
        { SELECT ?ds ?i ?r ?p ?s ?g (COUNT(?o) AS ?n) WHERE {
            ?o qb:dataSet ?ds ; emis:indicator ?i ; emis:refArea ?r ; emis:refPeriod ?p .
            OPTIONAL { ?o emis:subject ?s ; emis:grade ?g } }
          GROUP BY ?ds ?i ?r ?p ?s ?g }
        FILTER(?n > 1) }"""),
    ("IC-14 all measures present", """ASK {
        ?o qb:dataSet/qb:structure/qb:component/qb:measure ?m .
        FILTER NOT EXISTS { ?o ?m ?v } }"""),
    ("IC-19 coded values in their code lists", """ASK {
        ?o qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim qb:codeList ?list . ?o ?dim ?v .
        FILTER NOT EXISTS { ?v skos:inScheme ?list } }"""),
])
def test_data_cube_integrity(profile_store, name, violation):
    if "componentProperty" in violation:
        # qb:componentProperty is the super-property of qb:dimension/measure/attribute;
        # without a reasoner, ask through each of them.
        violation = violation.replace("qb:componentProperty", "(qb:dimension|qb:measure|qb:attribute)")
    assert not ask(profile_store, violation), name


def test_observations_pass_their_shapes(profile_built):
    report = (profile_built.release_dir / "validation.ttl").read_text(encoding="utf-8")
    assert "IndicatorObservation" not in report and "/id/observation/" not in report


# ----------------------------------------------------------------- documents and pages

@pytest.fixture(scope="module")
def client(built):
    app = create_app(built.store, load_settings(base_uri=BASE))
    return app.test_client()


def test_observations_and_cubes_dereference(client, store):
    obs = select(store, """SELECT ?o WHERE { ?o a emis:IndicatorObservation ; emis:refArea ?a .
                            ?a a emis:Region } LIMIT 1""")[0]["o"]
    for iri in (obs, URIS.id("cube", "indicators"), URIS.id("cube", "textbooks-by-subject-grade")):
        path = "/" + iri.split("/", 3)[3]
        seen = client.get(path, headers={"Accept": "text/turtle"})
        assert seen.status_code == 303 and seen.headers["Location"].endswith(path.replace("/id/", "/doc/"))
        turtle = client.get(seen.headers["Location"], headers={"Accept": "text/turtle"})
        graph = rdflib.Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
        assert (rdflib.URIRef(iri), None, None) in graph
    graph = rdflib.Graph().parse(data=client.get("/" + obs.split("/", 3)[3].replace("id/", "doc/", 1)
                                                 + ".ttl").get_data(as_text=True), format="turtle")
    value = graph.value(rdflib.URIRef(obs), rdflib.URIRef(URIS.vocab + "value"))
    assert value is not None and value.datatype == rdflib.XSD.decimal


def page(client, path: str, lang: str) -> BeautifulSoup:
    response = client.get(f"{path}?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 200, path
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize("lang,heading,column", [("ky", "Көрсөткүчтөр", "Бул мектеп"),
                                                 ("ru", "Показатели", "Эта школа"),
                                                 ("en", "Indicators", "This school")])
def test_school_page_sets_its_indicators_beside_district_and_region(client, store, lang, heading, column):
    indicator = URIS.concept("indicator", "qualified-teachers")
    school = select(store, f"""SELECT ?s WHERE {{ ?o emis:refArea ?s ; emis:indicator <{indicator}> .
        ?s a emis:School }} ORDER BY ?s LIMIT 1""")[0]["s"]
    html = page(client, "/" + school.split("/", 3)[3].replace("id/", "doc/", 1), lang)
    section = html.find("section", id="indicators")
    assert section.h2.get_text(strip=True) == heading
    headers = [th.get_text(strip=True) for th in section.find("thead").find_all("th")]
    assert headers[2:] == [column, {"ky": "Район", "ru": "Район", "en": "District"}[lang],
                           {"ky": "Облус", "ru": "Область", "en": "Region"}[lang]]
    # every value links to its observation, whose value the store holds
    row = next(tr for tr in section.find("tbody").find_all("tr")
               if tr.th.a["href"] == URIS.concept("indicator", "qualified-teachers"))
    links = [a["href"] for a in row.find_all("a", class_="figure")]
    assert len(links) == 3 and all(URIS.id_prefix("observation") in link for link in links)
    for link, cell in zip(links, row.find_all("a", class_="figure"), strict=True):
        stored = float(select(store, f"SELECT ?v WHERE {{ <{link}> emis:value ?v }}")[0]["v"])
        shown = cell.get_text(strip=True).replace("\u00a0", "").replace(" ", "").rstrip("%")
        assert float(shown.replace(",", ".")) == pytest.approx(stored * 100, abs=0.051)


def test_indicator_page_charts_the_regions(client, store):
    html = page(client, "/def/concept/indicator/spending-per-pupil", "en")
    section = html.find("section", id="indicators")
    rows = section.find("table", class_="indicator-chart").find("tbody").find_all("tr")
    stored = select(store, f"""SELECT ?area ?v WHERE {{ ?o emis:indicator <{URIS.concept(
        'indicator', 'spending-per-pupil')}> ; emis:refArea ?area ; emis:refPeriod ?p ;
        emis:value ?v . ?area a emis:Region }} ORDER BY DESC(?p)""")
    latest = {}
    for r in stored:
        latest.setdefault(r["area"], float(r["v"]))
    assert [tr.th.a["href"] for tr in rows] == sorted(latest, key=lambda a: -latest[a])
    widths = [float(tr.find("span", class_="bar")["style"].split(":")[1].strip(" %;")) for tr in rows]
    assert widths[0] == 100.0 and all(0 < w <= 100 for w in widths)
    assert widths == sorted(widths, reverse=True)
    # money per pupil keeps its two decimals on the page
    assert all(re.search(r"\.\d{2}$", tr.find("a", class_="figure").get_text(strip=True)) for tr in rows)
    districts = section.find("details")
    assert districts and len(districts.find_all("tr")) > len(rows)


def test_school_document_carries_its_observations(client, store):
    """A registry following a school's URI gets its indicator values in the same document."""
    school = select(store, """SELECT ?s WHERE { ?o emis:refArea ?s . ?s a emis:School }
                              ORDER BY ?s LIMIT 1""")[0]["s"]
    path = "/" + school.split("/", 3)[3].replace("id/", "doc/", 1)
    doc = client.get(path, headers={"Accept": "application/ld+json"}).get_json()
    nested = {o["id"]: o for o in doc["observations"]}
    stored = {r["o"]: r["v"] for r in select(store, f"""SELECT ?o ?v WHERE {{
        ?o emis:refArea <{school}> ; emis:value ?v }}""")}
    assert set(nested) == set(stored)
    for iri, node in nested.items():
        assert float(node["value"]) == float(stored[iri])
        assert node["indicator"]["prefLabel"]["ky"]
    html = client.get(path + ".html").get_data(as_text=True)
    assert "/id/observation/" in html and 'id="indicators"' in html


def test_home_page_lists_the_indicators(client, store):
    html = page(client, "/", "ru")
    heading = html.find("h2", id="indicators")
    assert heading is not None and heading.get_text(strip=True) == "Показатели"
    links = {a["href"]: a.get_text(strip=True) for a in heading.find_next("ul").find_all("a")}
    assert set(links) == {i.iri for i in indicators.definitions(store, URIS)}
    assert links[URIS.concept("indicator", "qualified-teachers")] == \
        "Доля учителей с минимально требуемой квалификацией"
