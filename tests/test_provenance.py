"""Provenance and the release summary.

The session build of the demo export carries ``{base}graph/provenance``: checked against its
``manifest.json`` (every table), the export files themselves (size, checksum, years), the store
(triples per graph) and the SHACL shapes. Then the web side: the release dereferences like any
``/id/`` resource, the documented provenance query answers through the SPARQL endpoint, and
``/release/`` shows the accounting and every rejected row of ``rejections.csv``, whose files it
serves read-only.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib

from emis_lod.endpoint import create_app, summary
from emis_lod.loaders import provenance, releases
from emis_lod.loaders.validate import validate
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

QUERY = Path(__file__).resolve().parent.parent / "docs" / "queries" / \
    "14-where-school-statements-come-from.rq"
# the columns of the export that hold the years a table reports on
YEAR_COLUMNS = {"finance": "fiscal_year", "textbook_provision": "school_year",
                "schools": "school_year", "preschools": "school_year",
                "per_capita_norms": "year", "per_capita_funding": "year"}


@pytest.fixture(scope="module")
def built(profile_built):
    """The provenance of each bundled profile's release is checked."""
    return profile_built


@pytest.fixture(scope="module")
def demo_source(profile_source):
    return profile_source


@pytest.fixture(scope="module")
def uris(built) -> Uris:
    return Uris(built.base_uri)


@pytest.fixture(scope="module")
def manifest(built) -> dict:
    return releases.read_manifest(built.release_dir)


def rows(store: ox.Store, uris: Uris, query: str) -> list[dict[str, str]]:
    answer = store.query(query, prefixes=prefixes(uris), use_default_graph_as_union=True)
    return [{v.value: (r[v].value if r[v] is not None else None) for v in answer.variables}
            for r in answer]


def one(store: ox.Store, uris: Uris, query: str) -> dict[str, str]:
    found = rows(store, uris, query)
    assert len(found) == 1, (query, found)
    return found[0]


def test_release_build_and_software(store, uris, manifest) -> None:
    release = uris.release(manifest["release"])
    r = one(store, uris, f"""
        SELECT ?id ?issued ?start ?end ?name ?version WHERE {{ GRAPH <{uris.graph('provenance')}> {{
          <{release}> a emis:Release, dcat:Dataset ; dcterms:identifier ?id ; dcterms:issued ?issued ;
             prov:wasGeneratedBy ?build .
          ?build a prov:Activity ; prov:startedAtTime ?start ; prov:endedAtTime ?end ;
             prov:wasAssociatedWith [ a prov:SoftwareAgent ; schema:name ?name ;
                                      schema:softwareVersion ?version ] }} }}""")
    assert r["id"] == manifest["release"]
    assert (r["name"], r["version"]) == ("emis-lod", manifest["software_version"])
    start, end = datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])
    built_at = datetime.fromisoformat(manifest["built_at"])
    assert start <= end <= built_at, (start, end, built_at)
    # the release id is minted during the build (once every source file has been read)
    minted = datetime.strptime(manifest["release"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    assert start <= minted <= end + timedelta(seconds=1)
    assert r["issued"] == r["end"]


def test_every_table_graph_matches_the_manifest_and_its_file(store, uris, manifest, demo_source,
                                                             built) -> None:
    assert manifest["tables"]
    rejections = pd.read_csv(built.release_dir / releases.REJECTIONS, dtype=str)
    for table, t in manifest["tables"].items():
        r = one(store, uris, f"""
            SELECT ?id ?read ?loaded ?rejected ?triples ?name ?sha ?bytes ?encoding ?release
            WHERE {{ GRAPH <{uris.graph('provenance')}> {{
              <{t['graph']}> a void:Dataset, prov:Entity ; dcterms:identifier ?id ;
                 emis:rowsRead ?read ; emis:rowsLoaded ?loaded ; emis:rowsRejected ?rejected ;
                 void:triples ?triples ; prov:wasGeneratedBy ?build ;
                 prov:wasDerivedFrom ?file ; dcterms:isPartOf ?rel .
              ?rel prov:wasGeneratedBy ?build ; dcterms:identifier ?release .
              ?build prov:used ?file .
              ?file a spdx:File ; spdx:fileName ?name ; dcat:byteSize ?bytes ;
                 emis:characterEncoding ?encoding ;
                 spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                                 spdx:checksumValue ?sha ] }} }}""")
        raw = (demo_source / t["file"]).read_bytes()
        assert r == {"id": table, "read": str(t["rows_read"]), "loaded": str(t["rows_loaded"]),
                     "rejected": str(t["rows_rejected"]), "triples": str(t["triples"]),
                     "name": t["file"], "sha": t["sha256"], "bytes": str(len(raw)),
                     "encoding": t["encoding"], "release": manifest["release"]}, table
        assert hashlib.sha256(raw).hexdigest() == t["sha256"]
        assert int(r["read"]) == int(r["loaded"]) + int(r["rejected"])
        assert int(r["rejected"]) == rejections.loc[rejections["table"] == table, "row"].nunique()


def test_reporting_periods_are_the_years_of_the_loaded_rows(store, uris, manifest, demo_source,
                                                           built, profile_manifest) -> None:
    rejections = pd.read_csv(built.release_dir / releases.REJECTIONS, dtype=str)
    for table, t in manifest["tables"].items():
        found = rows(store, uris, f"""
            SELECT ?period ?start ?end WHERE {{ GRAPH <{uris.graph('provenance')}> {{
              <{t['graph']}> emis:reportingPeriod ?period ;
                 dcterms:temporal [ dcat:startDate ?start ; dcat:endDate ?end ] }} }}""")
        periods = {r["period"] for r in found}
        if table in YEAR_COLUMNS:
            raw = (demo_source / t["file"]).read_bytes()
            frame = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False) \
                if t["file"].endswith(".xlsx") else \
                pd.read_csv(io.BytesIO(raw), dtype=str, sep=None, engine="python",
                            encoding=t["encoding"], keep_default_na=False)
            # the export's own headers, where its generator wrote others than the column names
            headers = profile_manifest["tables"][t["file"]].get("headers", {})
            frame = frame.rename(columns={header: name for name, header in headers.items()})
            frame.index += 2
            gone = set(rejections.loc[rejections["table"] == table, "row"].astype(int))
            years = {v.strip() for v in frame.drop(index=sorted(gone))[YEAR_COLUMNS[table]]}
            assert periods == years, table
        else:       # a table with no years reports on the day it was built
            end = one(store, uris, "SELECT ?end WHERE { ?b a prov:Activity ; "
                                   "prov:endedAtTime ?end }")["end"]
            assert periods == {end[:10]}, table
        starts = {r["start"] for r in found}
        ends = {r["end"] for r in found}
        assert len(starts) == len(ends) == 1, table
        spans = [provenance.period_bounds(p) for p in periods]
        assert starts == {min(s[0] for s in spans).isoformat()}
        assert ends == {max(s[1] for s in spans).isoformat()}


def test_every_graph_is_described_and_derived_graphs_name_their_inputs(store, uris,
                                                                        manifest) -> None:
    counts = {r["g"]: int(r["n"]) for r in rows(
        store, uris, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    described = {r["g"]: r for r in rows(store, uris, f"""
        SELECT ?g ?triples WHERE {{ GRAPH <{uris.graph('provenance')}> {{
          ?release a emis:Release ; dcterms:hasPart ?g . ?g void:triples ?triples }} }}""")}
    assert set(counts) - {uris.graph("provenance")} <= set(described)
    for graph, r in described.items():
        assert int(r["triples"]) == counts.get(graph, 0), graph
    inputs = {r["from"] for r in rows(store, uris, f"""
        SELECT ?from WHERE {{ <{uris.graph('derived')}> prov:wasDerivedFrom ?from }}""")}
    tables = {t["graph"] for t in manifest["tables"].values()}
    assert inputs and inputs <= tables | {uris.graph("ontology")}
    assert {uris.graph("schools"), uris.graph("staff"), uris.graph("finance")} <= inputs
    indicators = {r["from"] for r in rows(store, uris, f"""
        SELECT ?from WHERE {{ <{uris.graph('indicators')}> prov:wasDerivedFrom ?from }}""")}
    assert {uris.graph("schools"), uris.graph("derived")} <= indicators
    assert indicators <= tables | {uris.graph("ontology"), uris.graph("derived")}
    vocabulary = rows(store, uris, f"""SELECT ?name WHERE {{
        <{uris.graph('ontology')}> prov:wasDerivedFrom [ a spdx:File ; spdx:fileName ?name ] }}""")
    assert {"ontology/emis.ttl", "ontology/provenance.ttl"} <= {r["name"] for r in vocabulary}


def test_provenance_conforms_to_its_shapes(store, uris) -> None:
    mine = {r["s"] for r in rows(store, uris, f"SELECT DISTINCT ?s WHERE {{ GRAPH "
                                              f"<{uris.graph('provenance')}> {{ ?s ?p ?o }} }}")}
    violations = [v for v in validate(store, uris) if v.focus in mine]
    assert violations == []


def test_shapes_catch_an_accounting_that_does_not_close(tmp_path, uris) -> None:
    db = ox.Store(str(tmp_path / "db"))
    graph = ox.NamedNode(uris.graph("broken"))
    source = provenance.SourceFile("broken.csv", "0" * 64, 10, "utf-8")
    rec = provenance.BuildRecord("20260101T000000000000Z", datetime(2026, 1, 1, tzinfo=UTC),
                                 datetime(2026, 1, 1, 0, 1, tzinfo=UTC), "0", (
        provenance.GraphRecord(graph.value, 0, provenance.Table("broken", graph.value, source,
                                                                 5, 3), (source,)),))
    provenance.load(db, uris, rec)
    db.update(f"DELETE {{ GRAPH ?g {{ <{graph.value}> <{uris.vocab}rowsRejected> ?n }} }} "
              f"INSERT {{ GRAPH ?g {{ <{graph.value}> <{uris.vocab}rowsRejected> 1 }} }} "
              f"WHERE {{ GRAPH ?g {{ <{graph.value}> <{uris.vocab}rowsRejected> ?n }} }}")
    messages = {v.message for v in validate(db, uris) if v.focus == graph.value}
    assert any("accounting does not close" in m for m in messages), messages


def test_period_bounds() -> None:
    assert provenance.period_bounds("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    assert provenance.period_bounds("2024-2025") == (date(2024, 9, 1), date(2025, 8, 31))
    assert provenance.period_bounds("2026-11-25") == (date(2026, 11, 25), date(2026, 11, 25))
    assert provenance.period_bounds("H1") is None


# ------------------------------------------------------------------ the web side

@pytest.fixture(scope="module")
def client(built):
    return create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()


def test_release_dereferences(client, uris, manifest) -> None:
    release = uris.release(manifest["release"])
    see = client.get(release, headers={"Accept": "text/turtle"})
    assert see.status_code == 303
    assert see.headers["Location"] == uris.doc("release", manifest["release"])
    doc = client.get(see.headers["Location"], headers={"Accept": "text/turtle"})
    assert doc.status_code == 200 and doc.mimetype == "text/turtle"
    g = rdflib.Graph().parse(data=doc.data, format="turtle")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    build = g.value(rdflib.URIRef(release), prov.wasGeneratedBy)
    assert str(build) == f"{release}#build"
    assert g.value(build, prov.startedAtTime) is not None
    names = {str(o) for o in g.objects(None, spdx.fileName)}
    assert {t["file"] for t in manifest["tables"].values()} <= names
    sums = {str(o) for o in g.objects(None, spdx.checksumValue)}
    assert {t["sha256"] for t in manifest["tables"].values()} <= sums
    html = client.get(see.headers["Location"] + ".html")
    assert html.status_code == 200 and manifest["release"] in html.get_data(as_text=True)
    assert client.get(uris.id("release", "19990101T000000000000Z")).status_code == 404


def test_documented_query_through_the_endpoint(client, manifest, demo_source) -> None:
    answer = client.post("/sparql", data={"query": QUERY.read_text(encoding="utf-8")},
                         headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    found = [{k: v["value"] for k, v in b.items()} for b in answer.get_json()["results"]["bindings"]]
    schools = manifest["tables"]["schools"]
    from_schools = [r for r in found if r["file"] == schools["file"]]
    assert len(from_schools) == schools["rows_loaded"]
    assert {(r["sha256"], r["encoding"], r["release"]) for r in from_schools} == \
        {(schools["sha256"], schools["encoding"], manifest["release"])}
    assert {r["file"] for r in found} <= {t["file"] for t in manifest["tables"].values()}


class Tables(HTMLParser):
    """The cells of every ``<table id=...>`` of a page, row by row, and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table or ""] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page(client, url: str) -> Tables:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    assert response.mimetype == "text/html"
    parsed = Tables()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def test_release_page_shows_the_accounting(client, manifest, store, uris) -> None:
    parsed = page(client, "/release/?lang=en")
    body = client.get("/release/?lang=en").get_data(as_text=True)
    for fact in (manifest["release"], manifest["built_at"], manifest["software_version"]):
        assert fact in body
    shown = {r[0]: r for r in parsed.tables["tables"][1:-1]}
    assert set(shown) == set(manifest["tables"])
    for table, t in manifest["tables"].items():
        periods = sorted(r["p"] for r in rows(store, uris, f"SELECT ?p WHERE {{ GRAPH "
                         f"<{uris.graph('provenance')}> {{ <{t['graph']}> emis:reportingPeriod ?p }} }}"))
        assert shown[table] == [table, t["file"], t["encoding"], t["sha256"], str(t["rows_read"]),
                                str(t["rows_loaded"]), str(t["rows_rejected"]), "✓",
                                ", ".join(periods), str(t["triples"]), t["graph"]], table
    assert parsed.tables["tables"][-1][4:7] == [
        str(sum(t[k] for t in manifest["tables"].values()))
        for k in ("rows_read", "rows_loaded", "rows_rejected")]
    for file in ("rejections.csv", "validation.ttl", "manifest.json"):
        assert any(link.endswith(f"/release/{file}") for link in parsed.links), file


def test_release_page_lists_every_rejected_row(client, built, monkeypatch) -> None:
    want = pd.read_csv(built.release_dir / releases.REJECTIONS, dtype=str, keep_default_na=False)
    size = 20
    monkeypatch.setattr(summary, "PAGE_SIZE", size)
    assert len(want) > 2 * size, "the demo export has rejected rows for several pages"
    got: list[list[str]] = []
    url: str | None = "/release/"
    pages = 0
    while url:
        parsed = page(client, url)
        got += parsed.tables["rejected"][1:]    # cells as shown: without surrounding spaces
        pages += 1
        url = next((link.split("#")[0] for link in parsed.links if "page=" in link
                    and int(link.split("page=")[1].split("&")[0].split("#")[0]) == pages + 1), None)
    assert pages == -(-len(want) // size)
    want["value"] = want["value"].str.strip()
    assert got == want[["file", "row", "column", "value", "reason"]].values.tolist()
    # one table's rejected rows
    finance = page(client, "/release/?table=finance").tables["rejected"][1:]
    assert finance == want.loc[want["table"] == "finance",
                               ["file", "row", "column", "value", "reason"]].values.tolist()


@pytest.mark.parametrize("lang, heading", [("ky", "Релиздин жыйынтыгы"),
                                           ("ru", "Сводка выпуска данных"),
                                           ("en", "Release summary")])
def test_release_page_speaks_three_languages(client, lang, heading, profile) -> None:
    if lang not in profile.languages:
        pytest.skip(f"{profile.name} pages are not in {lang}")
    body = client.get(f"/release/?lang={lang}").get_data(as_text=True)
    assert heading in body and f'<html lang="{lang}">' in body


def test_bad_pages_and_tables_are_refused(client) -> None:
    assert client.get("/release/?page=0").status_code == 400
    assert client.get("/release/?page=x").status_code == 400
    assert client.get("/release/?page=100000").status_code == 404
    assert client.get("/release/?table=nope").status_code == 404


def test_release_files_download_as_written(client, built) -> None:
    for name, media in (("rejections.csv", "text/csv"), ("validation.ttl", "text/turtle"),
                        ("manifest.json", "application/json")):
        response = client.get(f"/release/{name}")
        assert response.status_code == 200 and response.mimetype == media, name
        assert response.data == (built.release_dir / name).read_bytes(), name
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    rdflib.Graph().parse(data=client.get("/release/validation.ttl").data, format="turtle")
    assert json.loads(client.get("/release/manifest.json").data)["release"] == built.release


def test_nothing_is_writable_or_reachable_beyond_the_reports(client, built) -> None:
    for method in ("post", "put", "delete", "patch"):
        for url in ("/release/", "/release/rejections.csv"):
            assert getattr(client, method)(url).status_code == 405, (method, url)
    for name in ("oxigraph", "dumps", "..%2Fmanifest.json", "SHA256SUMS", "nt"):
        assert client.get(f"/release/{name}").status_code == 404, name
    assert client.get("/release/../current/manifest.json").status_code == 404
    before = (built.release_dir / releases.REJECTIONS).read_bytes()
    client.get("/release/rejections.csv")
    assert (built.release_dir / releases.REJECTIONS).read_bytes() == before


def test_home_void_and_catalog_link_to_the_summary(client, uris) -> None:
    for url in ("/", "/doc/dataset/emis.html", "/doc/catalog/emis.html"):
        assert any(link.split("?")[0] == uris.release_summary
                   for link in page(client, url).links), url
