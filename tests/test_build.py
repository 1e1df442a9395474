"""``emis-lod build``: the accounting closes, bad files stop the build, the served release survives."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pyoxigraph as ox
import pytest
import yaml

from emis_lod.generator import generate
from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.loaders.errors import BuildError
from emis_lod.loaders.mapping_spec import bundled_mapping_dir
from emis_lod.settings import load_settings

SCHOOLS = 50   # conftest.SCHOOLS: valid schools in the generated export

SETTINGS = load_settings(base_uri="http://data.test/")


def count(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)


def test_every_source_row_is_loaded_or_rejected(profile_built, profile_manifest) -> None:
    built, generator_manifest = profile_built, profile_manifest
    for table in built.tables:
        expected = generator_manifest["tables"][table.file]["rows"]
        assert table.rows_read == expected
        assert table.rows_loaded + table.rows_rejected == table.rows_read
    schools = next(t for t in built.tables if t.table == "schools")
    assert schools.rows_loaded == SCHOOLS


def test_rejections_are_exactly_the_broken_rows(profile_built, profile_manifest) -> None:
    built, generator_manifest = profile_built, profile_manifest
    report = pd.read_csv(built.release_dir / releases.REJECTIONS, dtype={"value": str})
    got = {(r.file, r.row, r.column) for r in report.itertuples()}
    want = {(i["file"], i["row"], i["column"]) for i in generator_manifest["invalid"]}
    assert got == want
    assert report["reason"].str.len().min() > 15


def test_store_holds_what_the_summary_says(profile_built) -> None:
    built = profile_built
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == built.triples
    assert count(store, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a <http://data.test/def/emis#School> }") \
        == SCHOOLS
    graphs = {g.value for g in store.named_graphs()}
    assert {"http://data.test/graph/schools", "http://data.test/graph/ontology"} <= graphs
    # Every school sits in a district of the region it names.
    assert count(store, """SELECT (COUNT(?s) AS ?n) WHERE {
        ?s <http://data.test/def/emis#district>/<http://data.test/def/emis#region> ?r1 ;
           <http://data.test/def/emis#region> ?r2 . FILTER(?r1 != ?r2) }""") == 0
    del store


def test_textbook_titles_carry_the_language_of_the_edition(built) -> None:
    """``lang: {column: language}`` in textbooks.yaml: a title is tagged with its edition's
    language (@ky, @ru, @uz ...); an edition without a language has a plain title."""
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    emis, schema = "http://data.test/def/emis#", "https://schema.org/"
    rows = list(store.query(f"""
        SELECT ?code (LANG(?title) AS ?tag) WHERE {{
          ?book a <{emis}TextbookEdition> ; <{schema}name> ?title .
          OPTIONAL {{ ?book <{emis}textLanguage>/<http://www.w3.org/2004/02/skos/core#notation>
                      ?code }} }}""", use_default_graph_as_union=True))
    del store
    assert rows
    assert {r["tag"].value for r in rows} >= {"ky", "ru"}
    for row in rows:
        assert row["tag"].value == (row["code"].value if row["code"] else "")


def invalid_rows(manifest: dict) -> int:
    return len({(i["file"], i["row"]) for i in manifest["invalid"]})


def test_release_is_published_with_manifest(profile_built, profile_manifest) -> None:
    built, generator_manifest = profile_built, profile_manifest
    assert releases.current_release(built.store) == built.release_dir.resolve()
    manifest = releases.read_manifest(built.release_dir)
    assert manifest["base_uri"] == "http://data.test/"
    assert manifest["tables"]["schools"]["rows_loaded"] == SCHOOLS
    assert len(manifest["tables"]["schools"]["sha256"]) == 64
    assert (built.release_dir / "validation.ttl").read_text(encoding="utf-8").count("sh:conforms")
    assert f"rows rejected: {invalid_rows(generator_manifest)}" in built.summary()
    # what is left after the rejected rows are out conforms: derived resources included
    assert manifest["shacl_violations"] == 0, (built.release_dir / "validation.ttl").read_text()[:3000]


def test_missing_column_stops_build_and_keeps_served_release(demo_source, tmp_path) -> None:
    store = tmp_path / "store"
    first = build(demo_source, store, SETTINGS, echo=lambda *_: None)
    broken = tmp_path / "broken"
    shutil.copytree(demo_source, broken)
    districts = broken / "districts.csv"
    lines = districts.read_text(encoding="utf-8").splitlines()
    districts.write_text("\n".join(";".join(line.split(";")[:1] + line.split(";")[2:]) for line in lines),
                         encoding="utf-8")
    with pytest.raises(BuildError) as err:
        build(broken, store, SETTINGS, echo=lambda *_: None)
    assert "districts.csv" in str(err.value) and "region_code" in str(err.value)
    assert releases.current_release(store) == first.release_dir.resolve()
    assert releases.list_releases(store) == [first.release]
    assert not [p for p in (store / releases.RELEASES).iterdir() if p.name.startswith(".staging")]


def test_cli_build_exit_codes(demo_source, tmp_path, generator_manifest) -> None:
    exe = [sys.executable, "-m", "emis_lod.cli"]
    ok = subprocess.run([*exe, "build", "--source", str(demo_source), "--store", str(tmp_path / "s"),
                         "--base-uri", "http://data.test/"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "schools.csv" in ok.stdout
    assert f"rows rejected: {invalid_rows(generator_manifest)}" in ok.stdout
    strict = subprocess.run([*exe, "build", "--source", str(demo_source), "--store",
                             str(tmp_path / "s"), "--strict"], capture_output=True, text=True)
    assert strict.returncode == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = subprocess.run([*exe, "build", "--source", str(empty), "--store", str(tmp_path / "s")],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert "no file for table" in bad.stderr and "unchanged" in bad.stderr


def test_shacl_catches_what_a_mapping_lets_through(demo_source, tmp_path) -> None:
    """With the latitude range dropped from the mapping, the shapes still reject the row."""
    mappings = tmp_path / "mappings"
    shutil.copytree(bundled_mapping_dir(), mappings, ignore=shutil.ignore_patterns("*.py", "__*"))
    spec = yaml.safe_load((mappings / "schools.yaml").read_text(encoding="utf-8"))
    spec["columns"]["latitude"].pop("max")
    (mappings / "schools.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    source = tmp_path / "source"
    shutil.copytree(demo_source, source)
    frame = pd.read_csv(source / "schools.csv", sep=";", dtype=str, encoding="cp1251",
                        keep_default_na=False)
    frame.loc[0, "latitude"] = "48,5"          # spreadsheet row 2: north of Kyrgyzstan
    frame.to_csv(source / "schools.csv", sep=";", index=False, encoding="cp1251")

    report = build(source, tmp_path / "store", SETTINGS, echo=lambda *_: None,
                   mappings_dir=mappings)
    rejected = report.rejections
    rows = rejected[(rejected["table"] == "schools") & (rejected["row"] == 2)]
    assert rows["rule"].tolist() == ["shacl"] and "Latitude" in rows["reason"].iloc[0]
    assert rows["column"].tolist() == ["latitude"]
    schools = next(t for t in report.tables if t.table == "schools")
    assert schools.rows_loaded == SCHOOLS - 1
    assert schools.rows_loaded + schools.rows_rejected == schools.rows_read


def test_reference_validator_agrees(tmp_path) -> None:
    """The fast SPARQL validator and pySHACL reject the same rows of a small export
    (pySHACL validates ~10k triples/s, so this runs on 6 schools)."""
    source = tmp_path / "source"
    generate(source, schools=6, seed=3)
    fast, reference = (build(source, tmp_path / v, load_settings(base_uri="http://data.test/",
                             validator=v), echo=lambda *_: None) for v in ("sparql", "pyshacl"))
    assert reference.triples == fast.triples
    assert reference.rejections.drop(columns="reason").equals(fast.rejections.drop(columns="reason"))
    assert "shacl" in set(fast.rejections["rule"])        # the SHACL path was exercised


def test_domain_tables_are_optional(demo_source, tmp_path) -> None:
    source = tmp_path / "registry-only"
    source.mkdir()
    for name in ("regions.csv", "districts.csv", "schools.csv"):
        shutil.copy(demo_source / name, source / name)
    report = build(source, tmp_path / "store", SETTINGS, echo=lambda *_: None)
    assert set(report.skipped) == {"finance", "textbooks", "textbook_provision", "staff", "training",
                                   "preschools", "buildings", "safety_assessments", "crosswalks"}
    assert "(no file: the table is optional and was skipped)" in report.summary()
    assert releases.read_manifest(report.release_dir)["skipped_tables"] == report.skipped
    assert report.shacl_violations == 0
