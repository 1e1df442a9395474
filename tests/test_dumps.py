"""Every build writes bulk dumps into the release (gzipped N-Quads and TriG, CSV tables with CSVW
metadata, SHA256SUMS), lists them in its manifest, and the endpoint serves them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib

from emis_lod.endpoint import create_app
from emis_lod.generator import generate
from emis_lod.loaders import dumps, releases
from emis_lod.loaders.build import build
from emis_lod.profiles import load_profile
from emis_lod.settings import load_settings

BASE = "http://data.test/"
# the CSV tables of each bundled profile's releases
TABLES = {name: tuple(q.stem for q in dumps.table_queries(load_profile(name))) for name in ("kg", "kz")}
# the class of the resource each CSV row is about (its first column)
ROW_CLASS = {"schools": "School", "finance": "FinanceLine", "provision": "TextbookProvision",
             "buildings": "Building", "staff-summaries": "StaffSummary",
             "indicators": "IndicatorObservation", "preschools": "PreschoolOrganisation",
             "preschool-buildings": "Building", "per-capita": "PerCapitaFunding"}
# and what else tells them apart (the buildings of schools and of preschool organisations)
ROW_LINK = {"buildings": "school", "preschool-buildings": "preschool"}


@pytest.fixture(scope="module")
def built(profile_built):
    """The dumps of each bundled profile's release are checked."""
    return profile_built


@pytest.fixture(scope="module")
def dump_dir(built) -> Path:
    return built.release_dir / dumps.DUMPS


def count(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query, use_default_graph_as_union=True)))[0].value)


def test_every_dump_is_written_and_listed(built, dump_dir, profile) -> None:
    assert set(TABLES[profile.name]) <= set(ROW_CLASS)
    names = {p.name for p in dump_dir.iterdir()}
    expected = {dumps.NQUADS_FILE, dumps.TRIG_FILE, dumps.SUMS_FILE}
    tables = TABLES[profile.name]
    expected |= {f"{t}.csv" for t in tables} | {f"{t}.csv-metadata.json" for t in tables}
    assert names == expected
    manifest = releases.read_manifest(built.release_dir)
    listed = {d["file"]: d for d in manifest["dumps"]}
    assert set(listed) == expected - {dumps.SUMS_FILE}
    for name, d in listed.items():
        data = (dump_dir / name).read_bytes()
        assert d["bytes"] == len(data) and d["sha256"] == hashlib.sha256(data).hexdigest()
    assert "dumps" in built.phases


def test_checksums_verify(dump_dir) -> None:
    lines = (dump_dir / dumps.SUMS_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(list(dump_dir.iterdir())) - 1
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((dump_dir / name).read_bytes()).hexdigest() == digest, name


def test_nquads_dump_holds_the_whole_store(dump_dir, store) -> None:
    copy = ox.Store()
    copy.load(gzip.decompress((dump_dir / dumps.NQUADS_FILE).read_bytes()),
              format=ox.RdfFormat.N_QUADS)
    assert len(copy) == len(store)
    graphs = {g.value for g in store.named_graphs()}
    assert {g.value for g in copy.named_graphs()} == graphs and f"{BASE}graph/schools" in graphs


def test_trig_dump_parses_in_pyoxigraph_to_the_same_dataset(dump_dir, store) -> None:
    copy = ox.Store()
    copy.load(gzip.decompress((dump_dir / dumps.TRIG_FILE).read_bytes()), format=ox.RdfFormat.TRIG)
    assert len(copy) == len(store)


def test_turtle_dump_of_a_small_build_parses_in_rdflib(tmp_path) -> None:
    generate(tmp_path / "src", schools=4, seed=3)
    report = build(tmp_path / "src", tmp_path / "store", load_settings(base_uri=BASE),
                   echo=lambda *_: None)
    data = gzip.decompress((report.release_dir / dumps.DUMPS / dumps.TRIG_FILE).read_bytes())
    dataset = rdflib.Dataset()
    dataset.parse(data=data.decode("utf-8"), format="trig")
    assert sum(1 for _ in dataset.quads((None, None, None, None))) == report.triples
    assert dataset.graph(rdflib.URIRef(f"{BASE}graph/schools")).value(
        predicate=rdflib.RDF.type, object=rdflib.URIRef(f"{BASE}def/emis#School")) is not None


@pytest.mark.parametrize("table", sorted(set(TABLES["kg"]) | set(TABLES["kz"])))
def test_csv_tables_match_the_store_and_their_csvw_metadata(dump_dir, store, table, profile) -> None:
    if table not in TABLES[profile.name]:
        pytest.skip(f"{profile.name} releases have no {table}.csv")
    frame = pd.read_csv(dump_dir / f"{table}.csv", dtype=str, keep_default_na=False)
    cls = f"{BASE}def/emis#{ROW_CLASS[table]}"
    link = f"; <{BASE}def/emis#{ROW_LINK[table]}> ?owner" if table in ROW_LINK else ""
    n = count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> {link} }}")
    assert n > 0 and len(frame) == n
    assert frame.iloc[:, 0].is_unique and frame.iloc[:, 0].str.startswith(f"{BASE}id/").all()
    meta = json.loads((dump_dir / f"{table}.csv-metadata.json").read_text(encoding="utf-8"))
    assert meta["url"] == f"{table}.csv"
    assert "http://www.w3.org/ns/csvw" in meta["@context"]
    columns = meta["tableSchema"]["columns"]
    assert [c["titles"] for c in columns] == list(frame.columns) == [c["name"] for c in columns]
    for c in columns:
        assert c["datatype"] in {"string", "anyURI", "decimal", "integer", "nonNegativeInteger",
                                 "boolean", "date", "gYear"}
        assert c.get("propertyUrl", "http").startswith("http")
        if c["datatype"] == "anyURI":
            assert (frame[c["name"]].eq("") | frame[c["name"]].str.startswith("http")).all()
    assert meta["tableSchema"]["aboutUrl"] == "{+" + columns[0]["name"] + "}"


def test_csv_values_are_those_of_the_store(dump_dir, store) -> None:
    schools = pd.read_csv(dump_dir / "schools.csv", dtype={"school_code": str})
    pupils = count(store, f"SELECT (SUM(?p) AS ?n) WHERE {{ ?s <{BASE}def/emis#pupils> ?p }}")
    assert schools["pupils"].sum() == pupils
    finance = pd.read_csv(dump_dir / "finance.csv")
    actual = next(iter(store.query(
        f"SELECT (SUM(?a) AS ?n) WHERE {{ ?s a <{BASE}def/emis#FinanceLine> ; "
        f"<{BASE}def/emis#actualAmount> ?a }}", use_default_graph_as_union=True)))[0].value
    assert finance["actual_amount"].sum() == pytest.approx(float(actual))


def test_no_individual_staff_row_in_any_table(dump_dir) -> None:
    for path in dump_dir.glob("*.csv"):
        assert "/id/staff/" not in path.read_text(encoding="utf-8"), path.name
        assert "/id/training/" not in path.read_text(encoding="utf-8"), path.name


def test_dumps_are_served(built) -> None:
    client = create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()
    listing = client.get("/dumps/", headers={"Accept": "application/json"})
    assert listing.status_code == 200 and listing.headers["Vary"] == "Accept"
    files = {d["file"]: d for d in listing.get_json()["dumps"]}
    assert dumps.NQUADS_FILE in files and files["schools.csv"]["url"] == f"{BASE}dumps/schools.csv"
    html = client.get("/dumps/")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "emis.nq.gz" in html.get_data(as_text=True)
    assert client.get("/dumps/index.json").get_json()["dumps"] == listing.get_json()["dumps"]

    nq = client.get(f"/dumps/{dumps.NQUADS_FILE}")
    assert nq.status_code == 200 and nq.mimetype == "application/gzip"
    assert "Content-Encoding" not in nq.headers
    assert "attachment" in nq.headers["Content-Disposition"]
    assert hashlib.sha256(nq.data).hexdigest() == files[dumps.NQUADS_FILE]["sha256"]
    csv = client.get("/dumps/schools.csv")
    assert csv.mimetype == "text/csv" and csv.headers["Content-Type"].endswith("charset=utf-8")
    assert pd.read_csv(io.BytesIO(csv.data)).shape[0] > 0
    assert client.get("/dumps/schools.csv-metadata.json").mimetype == "application/csvm+json"
    assert client.get(f"/dumps/{dumps.SUMS_FILE}").mimetype == "text/plain"
    assert client.get("/dumps/nothing.csv").status_code == 404
    assert client.get("/dumps/../manifest.json").status_code == 404
    head = client.head(f"/dumps/{dumps.NQUADS_FILE}")
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == files[dumps.NQUADS_FILE]["bytes"]


def test_void_names_the_rdf_dumps(built) -> None:
    client = create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()
    graph = rdflib.Graph().parse(data=client.get("/doc/dataset/emis.ttl").get_data(as_text=True),
                                 format="turtle")
    found = set(graph.objects(rdflib.URIRef(f"{BASE}id/dataset/emis"),
                              rdflib.URIRef("http://rdfs.org/ns/void#dataDump")))
    assert found == {rdflib.URIRef(f"{BASE}dumps/{dumps.NQUADS_FILE}"),
                     rdflib.URIRef(f"{BASE}dumps/{dumps.TRIG_FILE}")}


def test_csv_tables_of_final_graphs_are_answered_early() -> None:
    """A CSV table whose query reads only the tables' graphs (final once validation is over) is
    answered from a snapshot beside the build; any pattern outside those graphs keeps it for
    the end, when the derived and indicator graphs are in the store."""
    from emis_lod.uris import Uris

    uris = Uris("http://data.test/")
    finance = {uris.graph("finance")}
    inside = "SELECT ?s WHERE { GRAPH <graph/finance> { ?s a emis:FinanceLine " \
             "FILTER EXISTS { ?s emis:school ?x } } BIND(STR(?s) AS ?k) } ORDER BY ?k"
    assert dumps.reads_only(inside, finance, uris)
    assert not dumps.reads_only(inside, {uris.graph("schools")}, uris)
    for query in ("SELECT ?s WHERE { GRAPH <graph/finance> { ?s a emis:FinanceLine } ?s emis:x ?y }",
                  "SELECT ?s WHERE { GRAPH ?g { ?s a emis:FinanceLine } }",
                  "SELECT ?s WHERE { GRAPH <graph/finance> { ?s a emis:FinanceLine } "
                  "FILTER EXISTS { ?s emis:summary ?y } }",
                  "SELECT ?s WHERE { ?s a emis:School }"):
        assert not dumps.reads_only(query, finance, uris), query
    tables = {uris.graph(g) for g in ("finance", "textbook-provision", "schools")}
    early = {q.stem for q in dumps.table_queries()
             if dumps.reads_only(q.read_text(encoding="utf-8"), tables, uris)}
    assert early == {"finance", "provision"}


@pytest.mark.parametrize("with_sort_command", [True, False])
@pytest.mark.parametrize("comma_in_an_iri", [False, True])
def test_rows_sorted_outside_the_store_come_in_the_stores_order(tmp_path, monkeypatch,
                                                                 with_sort_command,
                                                                 comma_in_an_iri) -> None:
    """A table without an ORDER BY of its own is sorted on its first column outside the store
    (loaders/sorted_csv.py): the same bytes as the store's ORDER BY on the first column, for
    IRIs and cells of every kind (non-ASCII, prefixes of each other, commas, quotes, line
    breaks, one column), with GNU sort and with the Python fallback; an IRI with a comma
    (written unquoted) leaves the sorting to the store."""
    import shutil as shutil_module

    from emis_lod.loaders import sorted_csv
    from emis_lod.namespaces import prefixes
    from emis_lod.uris import Uris

    if not with_sort_command:
        monkeypatch.setattr(sorted_csv.shutil, "which", lambda name: None)
    elif shutil_module.which("sort") is None:
        pytest.skip("no sort command")
    uris = Uris("http://data.test/")
    store = ox.Store()
    ex = uris.base + "id/"
    keys = ["b", "a", "a-1", "a/1", "ab", "A", "é", "ж", "z~", "a%2C1", "a!", "10", "9", "a.1"]
    keys += ["a,1", "a,"] if comma_in_an_iri else []
    values = ["plain", 'with "quotes"', "with, comma", "line\nbreak", "Бишкек", "", "tab\there"]
    for i, key in enumerate(keys):
        s = ox.NamedNode(ex + key)
        store.add(ox.Quad(s, ox.NamedNode(ex + "p"), ox.Literal(values[i % len(values)])))
        store.add(ox.Quad(s, ox.NamedNode(ex + "n"), ox.Literal(f"{i:02}")))
    selects = {
        "plain": "SELECT ?s ?n WHERE { ?s <id/n> ?n }",
        "quoted": "SELECT ?s ?v WHERE { ?s <id/p> ?v }",
        "one-column": "SELECT ?s WHERE { ?s <id/n> ?n }",
        "literal-first": "# column v string\n# column n string\nPREFIX x: <id/>\n"
                         "SELECT ?v ?n WHERE { ?s x:p ?v ; x:n ?n }",
    }
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    sorted_by_the_store = []
    monkeypatch.setattr(dumps, "store_order", lambda query, variables: sorted_by_the_store.append(
        variables) or sorted_csv.store_order(query, variables))
    for name, select in selects.items():
        first = select.split("SELECT ?")[1].split()[0]
        if not select.startswith("#"):
            select = "".join(f"# column {v} string\n" for v in
                             select.split("SELECT ")[1].split(" WHERE")[0].replace("?", "").split())
            select += selects[name]
        query = tmp_path / f"{name}.rq"
        query.write_text(select, encoding="utf-8")
        assert not dumps.orders_itself(select, uris)
        dumps.csv_table(store, query, out_dir, uris, prefixes(uris))
        expected = io.BytesIO()
        store.query(select + f'\nORDER BY (CONCAT("~", STR(?{first})))', base_iri=uris.base
                    ).serialize(expected, ox.QueryResultsFormat.CSV)
        assert (out_dir / f"{name}.csv").read_bytes() == expected.getvalue(), name
    assert sorted(p.name for p in out_dir.iterdir() if p.suffix == ".csv") == \
        sorted(f"{name}.csv" for name in selects)     # the unsorted files are gone
    # the tables with an IRI holding a comma are sorted by the store (all but literal-first);
    # else every table is sorted outside it
    assert len(sorted_by_the_store) == (3 if comma_in_an_iri else 0)


def test_a_table_orders_its_rows_itself_or_by_its_first_column() -> None:
    from emis_lod.uris import Uris

    uris = Uris("http://data.test/")
    assert dumps.orders_itself("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?p LIMIT 2", uris)
    assert dumps.orders_itself("SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY DESC(?s)", uris)
    assert not dumps.orders_itself("SELECT ?s WHERE { ?s ?p ?o }", uris)
    assert not dumps.orders_itself(
        "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 5 } }", uris)
    orders = {q.stem: dumps.orders_itself(q.read_text(encoding="utf-8"), uris)
              for q in dumps.table_queries()}
    assert orders == {"buildings": False, "finance": False, "indicators": False,
                      "preschool-buildings": False, "preschools": False, "provision": False,
                      "schools": True, "staff-summaries": False}
