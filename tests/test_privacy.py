"""No personal value from the source reaches the store or any output a user can reach.

The generator lists the personal columns (names, birth dates, personal numbers, diploma
numbers) in its manifest; every value of them is searched for in the whole store, in every
file of the release, and in every served format of every resource and SPARQL answer.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import ahocorasick
import pandas as pd
import pyoxigraph as ox
import pytest

from emis_lod.endpoint import create_app
from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.loaders.privacy import DEMO_SECRET, pseudonym
from emis_lod.settings import load_settings

FORMATS = ("ttl", "jsonld", "nt", "rdf", "html")
PER_TYPE = 25     # documents checked per resource type (the whole data is checked via dumps)


class Finder:
    """Every personal value at once (Aho-Corasick): one pass over a text, whatever its size."""

    def __init__(self, values: set[str]) -> None:
        self.automaton = ahocorasick.Automaton()
        for value in values:
            self.automaton.add_word(value, value)
        self.automaton.make_automaton()

    def __call__(self, text: str) -> list[str]:
        return sorted({value for _, value in self.automaton.iter(text)})


def read(path: Path, written: dict | None = None) -> pd.DataFrame:
    """A generated table; ``written`` is what the generator's manifest says of the file (its
    encoding and its headers, when they are not the column names)."""
    written = written or {}
    raw = path.read_bytes()
    if written.get("encoding"):
        text = raw.decode(written["encoding"]).lstrip("\ufeff")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1251")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    from io import StringIO
    frame = pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    return frame.rename(columns={header: name for name, header in written.get("headers", {}).items()})


def find_personal(source: Path, manifest: dict) -> Finder:
    """Every personal value (six characters or more) of the generated export at ``source``."""
    values: set[str] = set()
    for file, columns in manifest["personal"].items():
        frame = read(source / file, manifest["tables"].get(file))
        for column in columns:
            for value in frame[column].str.strip():
                if len(value) >= 6:          # short cells ("1") would match anything
                    values.add(value)
                    if column == "birth_date" and len(value) == 10 and value[2] == ".":
                        values.add(f"{value[6:]}-{value[3:5]}-{value[:2]}")   # as xsd:date
    assert len(values) > 100, "the demo export should hold personal data to look for"
    return Finder(values)


@pytest.fixture(scope="module")
def personal_values(demo_source, generator_manifest) -> Finder:
    return find_personal(demo_source, generator_manifest)


@pytest.fixture(scope="module")
def profile_personal_values(profile_source, profile_manifest) -> Finder:
    """The personal values of each bundled profile's demo export."""
    return find_personal(profile_source, profile_manifest)


def assert_clean(text: str, find: Finder, where: str) -> None:
    found = find(text)
    assert not found, f"personal data in {where}: {found[:5]}"


def test_store_holds_no_personal_value(profile_built, profile_personal_values) -> None:
    built, personal_values = profile_built, profile_personal_values
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    dump = store.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8")
    del store
    assert "StaffPost" in dump and "TrainingRecord" in dump     # staff is published, as pseudonyms
    assert_clean(dump, personal_values, "the store")


def test_release_files_hold_no_personal_value(profile_built, profile_personal_values) -> None:
    built, personal_values = profile_built, profile_personal_values
    scanned = set()
    for path in built.release_dir.rglob("*"):
        if path.is_file() and path.suffix == ".gz":       # the dumps: decompressed and scanned
            text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        elif path.is_file() and path.suffix in (".csv", ".json", ".ttl", ".nq", ".nt", ".trig"):
            text = path.read_text(encoding="utf-8", errors="replace")
        else:
            continue
        assert_clean(text, personal_values, str(path.relative_to(built.release_dir)))
        scanned.add(path.name)
    assert {"emis.nq.gz", "emis.trig.gz", "schools.csv", "staff-summaries.csv"} <= scanned


def test_every_served_format_is_clean(profile_built, profile_personal_values) -> None:
    built, personal_values = profile_built, profile_personal_values
    client = create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    subjects = [r["s"].value for r in store.query(
        "SELECT DISTINCT ?s WHERE { ?s a ?c . FILTER(STRSTARTS(STR(?s), STR(<http://data.test/id/>))) }",
        use_default_graph_as_union=True)]
    del store
    by_kind: dict[str, list[str]] = {}
    for subject in subjects:
        by_kind.setdefault(subject.split("/id/")[1].split("/")[0], []).append(subject)
    assert {"school", "staff", "training", "staff-summary"} <= set(by_kind)
    # every school, and PER_TYPE resources of every other type, in every format; all the
    # data itself is checked through the SPARQL answers below and the store dump above
    sample = by_kind.pop("school") + [s for found in by_kind.values() for s in found[:PER_TYPE]]
    for subject in sample:
        path = "/doc/" + subject.split("/id/", 1)[1]
        for fmt in FORMATS:
            response = client.get(f"{path}.{fmt}")
            assert response.status_code == 200, f"{path}.{fmt}"
            assert_clean(response.get_data(as_text=True), personal_values, f"{path}.{fmt}")
    for accept in ("text/csv", "application/sparql-results+json", "application/sparql-results+xml"):
        answer = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"},
                            headers={"Accept": accept})
        assert answer.status_code == 200
        assert_clean(answer.get_data(as_text=True), personal_values, f"SPARQL {accept}")
    whole = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                       headers={"Accept": "application/n-triples"})
    assert_clean(whole.get_data(as_text=True), personal_values, "SPARQL CONSTRUCT")
    for path in ("/", "/sparql", "/def/emis", "/context/v1.jsonld"):
        assert_clean(client.get(path).get_data(as_text=True), personal_values, path)


def test_pseudonyms_are_keyed_and_stable(demo_source, tmp_path, built) -> None:
    staff = read(demo_source / "staff.csv")
    pin = staff["personal_id"].str.strip().iloc[0]
    demo_iri = f"http://data.test/id/staff/{pseudonym(pin, DEMO_SECRET.encode())}"
    keyed = build(demo_source, tmp_path / "a", load_settings(
        base_uri="http://data.test/", staff_secret="ministry-secret-1"), echo=lambda *_: None)
    again = build(demo_source, tmp_path / "b", load_settings(
        base_uri="http://data.test/", staff_secret="ministry-secret-1"), echo=lambda *_: None)
    ask = f"ASK {{ <http://data.test/id/staff/{pseudonym(pin, b'ministry-secret-1')}> ?p ?o }}"
    for report in (keyed, again):
        store = ox.Store.read_only(str(report.release_dir / releases.OXIGRAPH))
        assert bool(store.query(ask, use_default_graph_as_union=True))
        assert not bool(store.query(f"ASK {{ <{demo_iri}> ?p ?o }}", use_default_graph_as_union=True))
        del store
    assert releases.read_manifest(keyed.release_dir)["pseudonym_key"] == "ministry"
    assert releases.read_manifest(built.release_dir)["pseudonym_key"] == "public demo key"


def test_aggregate_only_publication(demo_source, tmp_path, personal_values) -> None:
    report = build(demo_source, tmp_path / "store", load_settings(
        base_uri="http://data.test/", staff_publication="aggregates"), echo=lambda *_: None)
    store = ox.Store.read_only(str(report.release_dir / releases.OXIGRAPH))
    count = "SELECT (COUNT(?s) AS ?n) WHERE {{ ?s a <http://data.test/def/emis#{}> }}"
    n = {c: int(next(iter(store.query(count.format(c), use_default_graph_as_union=True)))["n"].value)
         for c in ("StaffPost", "TrainingRecord", "StaffSummary")}
    assert n["StaffPost"] == n["TrainingRecord"] == 0 and n["StaffSummary"] > 0
    teachers = sum(int(r["t"].value) for r in store.query(
        "SELECT ?t WHERE { ?s <http://data.test/def/emis#teachers> ?t }", use_default_graph_as_union=True))
    assert_clean(store.dump(format=ox.RdfFormat.N_QUADS).decode(), personal_values, "aggregate store")
    del store
    staff = read(demo_source / "staff.csv")
    rejected = pd.read_csv(report.release_dir / releases.REJECTIONS)
    bad = set(rejected.loc[rejected["table"] == "staff", "row"])
    staff.index = staff.index + 2
    ok = staff[~staff.index.isin(bad)]
    schools = set(pd.read_csv(demo_source / "schools.csv", sep=";", encoding="cp1251",
                              dtype=str)["school_code"].str.strip())
    is_teacher = ok["position"].str.strip().str.casefold() == "учитель"
    assert teachers == int((is_teacher & ok["school_code"].str.strip().isin(schools)).sum())


def test_the_search_finds_a_planted_value(demo_source, personal_values) -> None:
    staff = read(demo_source / "staff.csv")
    name, pin = staff["full_name"].iloc[0].strip(), staff["personal_id"].iloc[0].strip()
    assert personal_values(f'<x> <y> "{name}" .\n"{pin}"') == sorted([name, pin])
