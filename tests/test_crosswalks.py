"""Crosswalks: mappings/crosswalks.yaml links schools to their codes in other registries; the
links are in the store, in the school's documents, and findable by the other registry's code."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from rdflib.namespace import OWL, SKOS
from test_documents import pyld_loader

from emis_lod.endpoint import create_app
from emis_lod.generator import generate
from emis_lod.generator.crosswalks import CROSSWALKS_FILE, write_crosswalks
from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.settings import load_settings

BASE = "http://data.test/"
EMIS = rdflib.Namespace(f"{BASE}def/emis#")


@pytest.fixture(scope="module")
def crosswalked(tmp_path_factory: pytest.TempPathFactory):
    source = tmp_path_factory.mktemp("xw-source")
    generate(source, schools=12, seed=11)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in source.iterdir()}
    write_crosswalks(source, schools=4, seed=11)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in source.iterdir()}
    assert set(after) - set(before) == {CROSSWALKS_FILE}
    assert all(after[name] == digest for name, digest in before.items())   # nothing else changed
    with open(source / CROSSWALKS_FILE, "a", encoding="utf-8", newline="") as out:
        rows = list(csv.reader(open(source / CROSSWALKS_FILE, encoding="utf-8")))
        csv.writer(out, lineterminator="\n").writerows([
            [rows[1][0], "cadastre", "12345678"],          # a registry the mapping does not know
            [rows[1][0], "wikidata", "not-a-q-number"]])
    report = build(source, tmp_path_factory.mktemp("xw-store"), load_settings(base_uri=BASE),
                   echo=lambda *_: None)
    return source, report


def test_every_row_is_mapped_or_rejected(crosswalked) -> None:
    source, report = crosswalked
    table = next(t for t in report.tables if t.table == "crosswalks")
    rows = pd.read_csv(source / CROSSWALKS_FILE, dtype=str)
    assert table.rows_read == len(rows) and table.rows_rejected == 2
    rejected = report.rejections[report.rejections["table"] == "crosswalks"]
    assert set(rejected["column"]) == {"registry", "code"}
    assert table.graph == f"{BASE}graph/crosswalks"


def test_links_are_in_the_store(crosswalked) -> None:
    source, report = crosswalked
    rows = pd.read_csv(source / CROSSWALKS_FILE, dtype=str).iloc[:-2]
    store = ox.Store.read_only(str(report.release_dir / releases.OXIGRAPH))
    try:
        for r in rows.itertuples():
            school = f"<{BASE}id/school/{r.school_code}>"
            triple = {"stat": f'{school} <{EMIS}statCode> "{r.code}"',
                      "wikidata": f"{school} <{SKOS.exactMatch}> <http://www.wikidata.org/entity/{r.code}>",
                      "osm": f"{school} <{OWL.sameAs}> <https://www.openstreetmap.org/node/{r.code}>",
                      "osm-way": f"{school} <{OWL.sameAs}> <https://www.openstreetmap.org/way/{r.code}>",
                      }[r.registry]
            assert store.query(f"ASK {{ GRAPH <{BASE}graph/crosswalks> {{ {triple} }} }}"), triple
    finally:
        del store


def test_a_registry_finds_our_school_by_its_own_code_and_follows_it(crosswalked) -> None:
    source, report = crosswalked
    rows = pd.read_csv(source / CROSSWALKS_FILE, dtype=str)
    wikidata = rows[rows["registry"] == "wikidata"].iloc[0]
    client = create_app(report.store, load_settings(base_uri=BASE)).test_client()
    answer = client.get("/sparql", query_string={"query": (
        "SELECT ?school WHERE { ?school skos:exactMatch "
        f"<http://www.wikidata.org/entity/{wikidata.code}> }}")},
        headers={"Accept": "application/sparql-results+json"})
    school = answer.get_json()["results"]["bindings"][0]["school"]["value"]
    assert school == f"{BASE}id/school/{wikidata.school_code}"
    see_other = client.get(school.removeprefix(BASE.rstrip("/")), headers={"Accept": "text/turtle"})
    assert see_other.status_code == 303
    document = client.get(see_other.headers["Location"].removeprefix(BASE.rstrip("/")),
                          headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=document.get_data(as_text=True), format="turtle")
    ours = rdflib.URIRef(school)
    assert (ours, SKOS.exactMatch, rdflib.URIRef(f"http://www.wikidata.org/entity/{wikidata.code}")) in graph
    codes = rows[(rows["school_code"] == wikidata.school_code) & (rows["registry"] == "stat")]
    assert {str(o) for o in graph.objects(ours, EMIS.statCode)} == set(codes["code"])
    expanded = jsonld.to_rdf(client.get(see_other.headers["Location"].removeprefix(
        BASE.rstrip("/")) + ".jsonld").get_json(),
        {"format": "application/n-quads", "documentLoader": pyld_loader(client)})
    assert f"<http://www.wikidata.org/entity/{wikidata.code}>" in expanded


def test_without_the_file_there_are_no_links(built) -> None:
    assert "crosswalks" in built.skipped
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        assert not store.query(f"ASK {{ ?s <{SKOS.exactMatch}> ?o FILTER(STRSTARTS(STR(?s), "
                               f"\"{BASE}id/school/\")) }}", use_default_graph_as_union=True)
    finally:
        del store


def test_the_command_writes_crosswalks_only_when_asked(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from emis_lod.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["generate", "--schools", "5", "--out", str(tmp_path / "a")]).exit_code == 0
    assert not (tmp_path / "a" / CROSSWALKS_FILE).exists()
    done = runner.invoke(main, ["generate", "--schools", "5", "--out", str(tmp_path / "b"),
                                "--crosswalks"])
    assert done.exit_code == 0 and (tmp_path / "b" / CROSSWALKS_FILE).is_file()
