"""Preschool organisations (commitment 4.1: "schools and preschool educational organisations"):
the registry table of the generator, its buildings and inspections in the building and safety
tables, their rejections, the store, the document of a preschool, the dumps and the safety
indicators over preschools, on the session's real small build (``built``: 50 schools)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

from emis_lod.endpoint import create_app
from emis_lod.generator import generate
from emis_lod.generator.faults import PRESCHOOL_FAULT_KINDS
from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

BASE = "http://data.test/"
URIS = Uris(BASE)
EMIS = f"{BASE}def/emis#"
UNSAFE = {"небезопасное", "аварийное"}


def read(directory: Path, name: str) -> pd.DataFrame:
    """A generated table as text cells, trimmed, indexed by spreadsheet row (header = 1)."""
    raw = (directory / name).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    sep = ";" if ";" in text.split("\n", 1)[0] else ","
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    frame.index = frame.index + 2
    return frame.apply(lambda c: c.str.strip())


def bad_rows(manifest: dict, file: str) -> set[int]:
    return {r["row"] for r in manifest["invalid"] if r["file"] == file}


def select(store: ox.Store, query: str) -> list[dict[str, str | None]]:
    rows = store.query(query, prefixes=prefixes(URIS), use_default_graph_as_union=True)
    return [{v.value: (s[v].value if s[v] is not None else None) for v in rows.variables} for s in rows]


def count(store: ox.Store, query: str) -> int:
    return int(next(iter(select(store, query)[0].values())) or 0)


# --- the generated export ---------------------------------------------------------------------

def test_about_one_preschool_per_two_schools(demo_source, generator_manifest) -> None:
    tables = generator_manifest["tables"]
    schools = tables["schools.csv"]["valid_rows"]
    assert tables["preschools.csv"]["valid_rows"] == round(schools / 2)
    assert set(tables["preschools.csv"]["invalid_kinds"]) == set(PRESCHOOL_FAULT_KINDS["preschools.csv"])
    assert "unknown_preschool" in tables["buildings.csv"]["invalid_kinds"]


def test_codes_never_meet_school_codes_and_rows_come_after_the_schools(demo_source) -> None:
    schools, preschools = read(demo_source, "schools.csv"), read(demo_source, "preschools.csv")
    assert not set(schools["school_code"]) & set(preschools["preschool_code"])
    b = read(demo_source, "buildings.csv")
    of_preschool = b["preschool_code"] != ""
    assert ((b["school_code"] == "") == of_preschool).all()     # exactly one owner per row
    first = of_preschool.to_numpy().argmax()
    assert of_preschool.iloc[first:].all() and not of_preschool.iloc[:first].any()
    owner = b["building_id"].str.rsplit("-", n=1).str[0]
    assert (owner[of_preschool] == b.loc[of_preschool, "preschool_code"]).all()


def test_children_and_places_are_plausible(demo_source, generator_manifest) -> None:
    p = read(demo_source, "preschools.csv").drop(index=sorted(bad_rows(generator_manifest,
                                                                       "preschools.csv")))
    ages = p[[f"age{a}" for a in range(1, 7)]].replace("", "0").astype(int)
    children = ages.sum(axis=1)
    assert (ages >= 0).all().all() and (children > 0).all()
    assert (p["girls"].astype(int) <= children).all()
    occupancy = children / p["places"].astype(int)
    assert occupancy.between(0.4, 1.8).all()
    assert ages["age6"].sum() > ages["age1"].sum()


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", schools=20, seed=3)
    generate(tmp_path / "b", schools=20, seed=3)
    for name in ("preschools.csv", "buildings.csv", "safety_assessments.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# --- the build ----------------------------------------------------------------------------------

def test_preschools_load_and_their_invalid_rows_are_rejected(built, generator_manifest) -> None:
    table = next(t for t in built.tables if t.table == "preschools")
    listed = generator_manifest["tables"]["preschools.csv"]
    assert (table.rows_read, table.rows_loaded) == (listed["rows"], listed["valid_rows"])
    rejected = built.rejections
    for file, kinds in PRESCHOOL_FAULT_KINDS.items():
        spoilt = {(r["row"], r["column"]) for r in generator_manifest["invalid"]
                  if r["file"] == file and r["kind"] in kinds}
        got = {(int(r.row), r.column) for r in rejected[rejected["file"] == file].itertuples()}
        if file == "preschools.csv":
            assert got == spoilt
        else:   # the rows about schools and preschools of these tables, by row
            assert {row for row, _ in spoilt} <= {row for row, _ in got}, file
    unknown = [r for r in generator_manifest["invalid"] if r["kind"] == "unknown_preschool"]
    reasons = rejected[(rejected["file"] == "buildings.csv")
                       & rejected["row"].isin([r["row"] for r in unknown])]
    assert len(reasons) == len(unknown) and (reasons["column"] == "preschool_code").all()


def test_buildings_and_assessments_of_preschools_load(built, store, demo_source,
                                                      generator_manifest) -> None:
    b = read(demo_source, "buildings.csv").drop(index=sorted(bad_rows(generator_manifest,
                                                                      "buildings.csv")))
    theirs = b[b["preschool_code"] != ""]
    loaded = select(store, f"""SELECT ?b ?p WHERE {{ GRAPH <{BASE}graph/buildings> {{
        ?b a emis:Building ; emis:preschool ?p }} }}""")
    assert {r["b"] for r in loaded} == {URIS.id("building", i) for i in theirs["building_id"]}
    assert all(r["p"] == URIS.id("preschool", code) for r, code in zip(
        sorted(loaded, key=lambda r: r["b"]), theirs.sort_values("building_id")["preschool_code"],
        strict=True))
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?b emis:preschool ?p ; emis:school ?s }") == 0
    assert count(store, """SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE {
        ?p a emis:PreschoolOrganisation ; emis:building ?b . ?b emis:latestAssessment ?a .
        ?a emis:seismicAssessment ?c }""") == len(theirs)
    report = ox.Store()
    report.load(path=str(built.release_dir / "validation.ttl"), format=ox.RdfFormat.TURTLE)
    focus = {q.object.value for q in report.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/ns/shacl#focusNode"), None)}
    assert not {f for f in focus if "/id/preschool" in f or "/id/building/" in f}


def test_children_are_the_sum_of_the_ages(store) -> None:
    rows = select(store, """SELECT ?p ?children (SUM(?n) AS ?sum) WHERE {
        ?p a emis:PreschoolOrganisation ; emis:children ?children ; emis:preschoolEnrolment ?e .
        ?e emis:children ?n ; emis:age ?age } GROUP BY ?p ?children""")
    assert rows and all(int(r["children"] or 0) == int(r["sum"] or 0) for r in rows)


def test_a_building_belongs_to_a_school_or_a_preschool_never_both_nor_neither(tmp_path) -> None:
    """The rule is data (shapes/buildings.ttl: sh:xone): the build rejects such rows."""
    source = tmp_path / "source"
    result = generate(source, schools=6, seed=3)
    spoilt = {r.row for r in result.invalid if r.file == "buildings.csv"}
    path = source / "buildings.csv"
    text = path.read_bytes().decode("cp1251")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header = rows[0]
    school, preschool = header.index("school_code"), header.index("preschool_code")
    valid = [n for n in range(2, len(rows) + 1) if n not in spoilt]
    of_school = [n for n in valid if rows[n - 1][school].strip()]
    of_preschool = [n for n in valid if rows[n - 1][preschool].strip()]
    both, neither = of_school[0], of_school[1]
    rows[both - 1][preschool] = rows[of_preschool[0] - 1][preschool].strip()
    rows[neither - 1][school] = ""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("cp1251"))
    report = build(source, tmp_path / "store", load_settings(base_uri=BASE), echo=lambda *_: None)
    rejected = report.rejections
    rows_rejected = set(rejected.loc[(rejected["file"] == "buildings.csv")
                                     & (rejected["rule"] == "shacl"), "row"].astype(int))
    assert {both, neither} <= rows_rejected


# --- what is published -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(built):
    return create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()


def test_a_preschool_dereferences_with_its_buildings(client, demo_source, generator_manifest) -> None:
    p = read(demo_source, "preschools.csv").drop(index=sorted(bad_rows(generator_manifest,
                                                                       "preschools.csv")))
    code = p["preschool_code"].iloc[0]
    r = client.get(f"/id/preschool/{code}")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/doc/preschool/{code}")
    doc = client.get(f"/doc/preschool/{code}", headers={"Accept": "text/turtle"})
    assert doc.status_code == 200
    g = ox.Store()
    g.load(doc.data, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    this = ox.NamedNode(URIS.id("preschool", code))
    buildings = [q.object for q in g.quads_for_pattern(this, ox.NamedNode(EMIS + "building"), None)]
    assert buildings
    for b in buildings:   # each building in full, with its latest assessment
        latest = list(g.quads_for_pattern(b, ox.NamedNode(EMIS + "latestAssessment"), None))
        assert latest and list(g.quads_for_pattern(latest[0].object,
                                                   ox.NamedNode(EMIS + "seismicAssessment"), None))
    assert list(g.quads_for_pattern(this, ox.NamedNode(EMIS + "preschoolEnrolment"), None))
    page = client.get(f"/doc/preschool/{code}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and p["name_ru"].iloc[0].split("«")[0].strip() in page.text
    assert client.get("/id/preschool/00000000").status_code == 404


def test_dumps_list_preschools_and_their_buildings(built, store) -> None:
    dumps = built.release_dir / "dumps"
    frame = pd.read_csv(dumps / "preschools.csv", dtype=str, keep_default_na=False)
    assert len(frame) == count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p a emis:PreschoolOrganisation }")
    buildings = pd.read_csv(dumps / "preschool-buildings.csv", dtype=str, keep_default_na=False)
    assert set(buildings["preschool"]) <= set(frame["preschool"])
    schools_buildings = pd.read_csv(dumps / "buildings.csv", dtype=str, keep_default_na=False)
    assert not set(buildings["building"]) & set(schools_buildings["building"])
    meta = json.loads((dumps / "preschools.csv-metadata.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in meta["tableSchema"]["columns"]] == list(frame.columns)


def observed(store: ox.Store, notation: str) -> dict[str, tuple[float, float | None]]:
    rows = select(store, f"""SELECT ?area ?num ?den WHERE {{
        ?o a emis:IndicatorObservation ; emis:indicator <{URIS.concept('indicator', notation)}> ;
           emis:refArea ?area ; emis:numerator ?num . OPTIONAL {{ ?o emis:denominator ?den }} }}""")
    return {str(r["area"]): (float(r["num"] or 0), None if r["den"] is None else float(r["den"]))
            for r in rows}


def test_children_in_unsafe_preschool_buildings(store, demo_source, generator_manifest) -> None:
    """The indicators of preschools, from the source files alone, per preschool, district and
    region; the schools' indicator counts schools only, as before."""
    p = read(demo_source, "preschools.csv").drop(index=sorted(bad_rows(generator_manifest,
                                                                       "preschools.csv")))
    p["children"] = p[[f"age{a}" for a in range(1, 7)]].replace("", "0").astype(int).sum(axis=1)
    b = read(demo_source, "buildings.csv").drop(index=sorted(bad_rows(generator_manifest,
                                                                      "buildings.csv")))
    b = b[b["preschool_code"] != ""]
    a = read(demo_source, "safety_assessments.csv").drop(
        index=sorted(bad_rows(generator_manifest, "safety_assessments.csv")))
    a["day"] = pd.to_datetime(a["inspection_date"], format="%d.%m.%Y")
    latest = a.sort_values("day").groupby("building_id").tail(1)
    latest = latest.merge(b[["building_id", "preschool_code"]], on="building_id")
    unsafe = latest.assign(bad=latest["assessment"].str.casefold().isin(UNSAFE)) \
        .groupby("preschool_code")["bad"].any()
    per = p.set_index("preschool_code").loc[unsafe.index]
    per = per.assign(num=per["children"].where(unsafe, 0), den=per["children"])
    assert per["num"].sum() > 0

    share = observed(store, "children-in-unsafe-preschool-buildings-share")
    counts = observed(store, "children-in-unsafe-preschool-buildings")
    expected = {URIS.id("preschool", code): (row.num, row.den) for code, row in per.iterrows()}
    for level, key in (("district", "district_code"), ("region", "region_code")):
        sums = per.groupby(key)[["num", "den"]].sum()
        expected |= {URIS.id(level, area): (row.num, row.den) for area, row in sums.iterrows()}
    assert share == expected
    assert counts == {area: (num, None) for area, (num, _) in expected.items()}
    # a preschool's own observations are named after its type
    assert any("_preschool-" in r["o"] for r in select(store, """SELECT ?o WHERE {
        ?o emis:refArea ?p . ?p a emis:PreschoolOrganisation }"""))
    # the schools' indicator is about schools and districts and regions of schools only
    areas = select(store, """SELECT DISTINCT ?type WHERE {
        ?o emis:indicator ?i ; emis:refArea ?a . ?a a ?type .
        ?i skos:notation "pupils-in-unsafe-buildings" }""")
    assert EMIS + "PreschoolOrganisation" not in {r["type"] for r in areas}


def test_the_release_records_the_preschool_types(built) -> None:
    manifest = releases.read_manifest(built.release_dir)
    assert {"preschool", "preschool-enrolment"} <= set(manifest["types"])


def test_the_list_of_preschools_is_narrowed_by_their_own_district_and_region(client, store) -> None:
    """A preschool organisation lies in a district and a region itself (no school between)."""
    rows = select(store, """SELECT ?p ?d ?r WHERE { ?p a emis:PreschoolOrganisation ;
                                                   emis:district ?d ; emis:region ?r }""")
    assert rows
    for place in ("d", "r"):
        iri = str(rows[0][place])
        name = "district" if place == "d" else "region"
        answer = client.get(f"/list/preschool.csv?{name}={iri.rsplit('/', 1)[1]}&size=500")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        listed = set(pd.read_csv(io.StringIO(answer.get_data(as_text=True)), dtype=str)["id"])
        assert listed == {str(row["p"]) for row in rows if str(row[place]) == iri}
    assert client.get("/list/preschool?school=11020007").status_code == 400
