"""Browse and search: /list/{type} pages in HTML, JSON-LD and CSV; /search?q= by any name."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld

from emis_lod.endpoint import create_app
from emis_lod.endpoint.search import skeleton
from emis_lod.loaders import releases
from emis_lod.settings import load_settings

HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = rdflib.Namespace("https://schema.org/")


def loader(client):
    """pyld fetching the published context through the test client."""
    def load(url, options=None):
        response = client.get("/" + url.split("/", 3)[3])
        assert response.status_code == 200, url
        return {"contextUrl": None, "documentUrl": url, "document": response.get_json()}
    return load


def to_graph(client, document) -> rdflib.Graph:
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads",
                                      "documentLoader": loader(client)})
    return rdflib.Graph().parse(data=nquads, format="nt")


def links(response) -> dict[str, str]:
    """``rel -> URL`` of the Link header (alternates left out)."""
    out = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="([a-z]+)"', response.headers.get("Link", "")):
        if rel != "alternate":
            out[rel] = url
    return out


def local(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def keys_of(sample, where: str) -> set[str]:
    """The keys (last path segment) of ``?s`` in a pattern, read from the session's build."""
    return {r["s"].rsplit("/", 1)[1] for r in sample.select(f"SELECT DISTINCT ?s WHERE {{ {where} }}")}


@pytest.fixture(scope="module")
def names(sample) -> dict[str, str]:
    """Names of the sample school (``ky``, ``ru``), its district (``district_en``) and region
    (``region_ru``, ``region_ky``, ``region_en``), from the session's build."""
    [row] = sample.select(f"""SELECT * WHERE {{
        ?school emis:schoolCode "{sample.school}" ; schema:name ?ky, ?ru ;
                emis:district/schema:name ?district_en ;
                emis:region/schema:name ?region_ru, ?region_ky, ?region_en .
        FILTER (lang(?ky) = "ky" && lang(?ru) = "ru" && lang(?district_en) = "en"
                && lang(?region_ru) = "ru" && lang(?region_ky) = "ky" && lang(?region_en) = "en")
        }}""")
    return row


# ------------------------------------------------------------------ lists (sample data)

def test_every_type_is_listable_in_every_format(built, built_client) -> None:
    """Every type a real build of each bundled profile records is listed, in every format."""
    client, base = built_client, built.base_uri
    manifest = releases.read_manifest(built.release_dir)
    for type_, made in manifest["types"].items():
        html = client.get(f"/list/{type_}", headers={"Accept": "text/html"})
        assert html.status_code == 200, type_
        assert html.mimetype == "text/html" and "Accept" in html.headers["Vary"]
        as_csv = client.get(f"/list/{type_}.csv")
        assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv", type_
        table = pd.read_csv(io.StringIO(as_csv.get_data(as_text=True)), dtype=str)
        total = int(as_csv.headers["EMIS-Total-Count"])
        if made.get("tables") and set(made["tables"]) <= set(manifest["skipped_tables"]):
            assert total == 0 and table.empty, type_   # its table is not in this export
            continue
        assert len(table) == min(total, 50) and total > 0, type_
        assert (table["type"] == type_).all()
        assert table["id"].str.startswith(f"{base}id/{type_}/").all()
        as_jsonld = client.get(f"/list/{type_}", headers={"Accept": "application/ld+json"})
        assert as_jsonld.status_code == 200 and as_jsonld.mimetype == "application/ld+json"
        document = as_jsonld.get_json()
        assert document["@context"] == f"{base}context/v1.jsonld"
        assert document["totalItems"] == total
        graph = to_graph(client, document)
        collection = rdflib.URIRef(f"{base}list/{type_}")
        assert (collection, rdflib.RDF.type, HYDRA.Collection) in graph
        assert (collection, HYDRA.totalItems, rdflib.Literal(total)) in graph
        members = set(graph.objects(collection, HYDRA.member))
        assert members == {rdflib.URIRef(i) for i in table["id"]}, type_
        for member in (f"/list/{type_}?format=csv", f"/list/{type_}.html"):
            assert client.get(member).status_code == 200


def test_a_school_list_shows_names_in_the_page_language(client, site, sample, names) -> None:
    _, base = site
    page = client.get("/list/school?lang=ru").get_data(as_text=True)
    assert names["ru"] in page and f'href="{base}id/school/{sample.school}"' in page
    assert names["region_ru"] in page
    page = client.get("/list/school", headers={"Accept-Language": "ky"}).get_data(as_text=True)
    assert names["ky"] in page
    table = pd.read_csv(io.StringIO(client.get("/list/school.csv").get_data(as_text=True)),
                        dtype=str)
    assert set(table["key"]) == set(sample.schools)
    row = table.set_index("key").loc[sample.school]
    assert row["name_ru"] == names["ru"]
    assert row["district"] == f"{base}id/district/{sample.district}"


def test_schools_by_region_and_district(client, site, sample, names) -> None:
    _, base = site
    region, district = sample.region, sample.district
    in_region = pd.read_csv(io.StringIO(client.get(
        f"/list/school.csv?region={region}").get_data(as_text=True)), dtype=str)
    assert set(in_region["key"]) == keys_of(
        sample, f'?s a emis:School ; emis:region/emis:unitCode "{region}"')
    in_district = pd.read_csv(io.StringIO(client.get(
        f"/list/school.csv?district={district}").get_data(as_text=True)), dtype=str)
    assert set(in_district["key"]) == keys_of(
        sample, f'?s a emis:School ; emis:district/emis:unitCode "{district}"')
    assert len(in_district) < len(in_region) < len(sample.schools)
    districts = client.get(f"/list/district.jsonld?region={region}").get_json()
    assert [m["id"] for m in districts["member"]] == sorted(
        f"{base}id/district/{key}"
        for key in keys_of(sample, f'?s a emis:District ; emis:region/emis:unitCode "{region}"'))
    lines = client.get(f"/list/finance.csv?school={sample.school}")
    assert int(lines.headers["EMIS-Total-Count"]) == len(keys_of(
        sample, f'?s a emis:FinanceLine ; emis:school/emis:schoolCode "{sample.school}"'))
    for row in sample.select("""SELECT ?code (COUNT(?line) AS ?n) WHERE {
            ?r a emis:Region ; emis:unitCode ?code
            OPTIONAL { ?line a emis:FinanceLine ; emis:school/emis:region ?r } } GROUP BY ?code"""):
        assert client.get(f"/list/finance.csv?region={row['code']}") \
            .headers["EMIS-Total-Count"] == row["n"], row   # "0" where no school reports any
    [elsewhere] = sample.select(f"""SELECT ?name WHERE {{ ?s a emis:School ; schema:name ?name ;
        emis:region/emis:unitCode ?r FILTER (?r != "{region}" && lang(?name) = "ru") }}
        ORDER BY ?name LIMIT 1""")
    html = client.get(f"/list/school?region={region}&lang=en").get_data(as_text=True)
    assert names["region_en"] in html and elsewhere["name"] not in html


@pytest.mark.parametrize("accept, mimetype", [
    ("text/html", "text/html"), ("application/ld+json", "application/problem+json"),
    ("text/csv", "text/plain")])
def test_an_unknown_region_is_404_in_the_asked_format(client, sample, accept, mimetype) -> None:
    response = client.get("/list/school?region=KG-XX", headers={"Accept": accept})
    assert response.status_code == 404 and response.mimetype == mimetype
    assert "KG-XX" in response.get_data(as_text=True)
    assert client.get("/list/school.jsonld?district=nowhere").status_code == 404
    assert client.get("/list/school.csv?district=nowhere").mimetype == "text/plain"
    assert client.get("/list/nothing").status_code == 404
    assert client.get(f"/list/region?district={sample.district}").status_code == 400
    assert client.get("/list/school?page=0").status_code == 400
    assert client.get("/list/school?size=100000").status_code == 400


def test_pagination(client, site, sample) -> None:
    _, base = site
    total = len(sample.schools)
    size = total // 2 + 1   # two pages, the second one shorter
    first = client.get(f"/list/school.csv?size={size}")
    assert first.headers["EMIS-Total-Count"] == str(total)
    rels = links(first)
    assert "prev" not in rels and rels["next"] == f"{base}list/school.csv?size={size}&page=2"
    assert rels["last"] == rels["next"] and rels["first"] == f"{base}list/school.csv?size={size}"
    last = client.get(local(rels["next"]))
    assert "next" not in links(last) and links(last)["prev"] == rels["first"]
    keys = [pd.read_csv(io.StringIO(r.get_data(as_text=True)), dtype=str)["key"].tolist()
            for r in (first, last)]
    assert len(keys[0]) == size and len(keys[1]) == total - size
    assert sorted(keys[0] + keys[1]) == sorted(sample.schools)  # every school once, none twice
    assert client.get(f"/list/school?size={size}&page=3").status_code == 404
    view = client.get(f"/list/school?size={size}&page=2",
                      headers={"Accept": "application/ld+json"}).get_json()["view"]
    assert view["previous"] == f"{base}list/school?size={size}&page=1" and "next" not in view
    assert view["last"] == view["id"] == f"{base}list/school?size={size}&page=2"
    html = client.get(f"/list/school?size={size}", headers={"Accept": "text/html"})
    assert f'rel="next" href="{base}list/school?size={size}&amp;page=2"' \
        in html.get_data(as_text=True)


def test_staff_posts_are_listed_under_their_pseudonyms_only(client, site, sample) -> None:
    table = pd.read_csv(io.StringIO(client.get(
        f"/list/staff.csv?school={sample.school}").get_data(as_text=True)), dtype=str)
    assert set(table["key"]) == set(sample.staff_posts)
    assert table[["name_ky", "name_ru", "name_en", "name"]].isna().all().all()
    document = client.get("/list/staff.jsonld").get_json()
    for member in document["member"]:
        assert set(member) <= {"id", "type", "school"}


def test_staff_lists_are_gone_with_aggregate_publication(site, tmp_path) -> None:
    store, base = site
    shutil.copytree(store, tmp_path, symlinks=True, dirs_exist_ok=True)  # a copy to change
    release = tmp_path / "current"
    manifest = releases.read_manifest(release)
    manifest["staff_publication"] = "aggregates"
    (release / releases.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    client = create_app(tmp_path, load_settings(base_uri=base)).test_client()
    for type_ in ("staff", "training"):
        response = client.get(f"/list/{type_}.jsonld")
        assert response.status_code == 404 and "aggregates" in response.get_json()["detail"]
    assert client.get("/list/staff-summary.csv").status_code == 200


# ------------------------------------------------------------------ search (sample data)

def test_skeleton_merges_spellings() -> None:
    assert skeleton("с. Лебединовка") == skeleton("S. LEBEDINOVKA") == "s lebedinovka"
    assert skeleton("Токтогул") == skeleton("toktogul") == skeleton("TOKTOGUL")
    assert skeleton("Жалал-Абад") == skeleton("Jalal-Abad") == skeleton("Dzhalal-Abad")
    assert skeleton("Ысык-Көл") == skeleton("Ысык-Кол") == skeleton("Issyk-Köl")
    assert skeleton("Аламүдүн") == skeleton("Аламудун") == skeleton("Alamüdün")
    assert skeleton("Кеңеш") == skeleton("Кенеш") == skeleton("Kengesh")


def test_skeleton_of_the_number_sign_is_what_latin_letters_type() -> None:
    """"№1" decomposes to "No1": a query typed "No1" finds a name written with "№1"."""
    assert skeleton("Мектеп №1") == skeleton("mektep No1") == skeleton("MEKTEP NO1") == "mektep no1"


def _search(client, q: str, **params) -> pd.DataFrame:
    response = client.get("/search", query_string={"q": q, "format": "csv", **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return pd.read_csv(io.StringIO(response.get_data(as_text=True)), dtype=str)


@pytest.fixture(scope="module")
def findable(sample) -> dict[str, str]:
    """A school with a word in its Russian name that no other name of a school, district or
    region has (``word``; ``words``: it and another word of the name), its names (``ru``,
    ``ky``) and ``code``, from the session's build."""
    rows = sample.select("""SELECT ?s ?name WHERE {
        VALUES ?class { emis:School emis:District emis:Region } ?s a ?class ; schema:name ?name }""")
    words = Counter(w for w in {(r["s"], w.casefold()) for r in rows
                                for w in re.findall(r"\w{6,}", r["name"])})
    unique = Counter(w for _, w in words)
    for school in sample.schools:
        [row] = sample.select(f"""SELECT ?ru ?ky WHERE {{ ?s emis:schoolCode "{school}" ;
            schema:name ?ru, ?ky FILTER (lang(?ru) = "ru" && lang(?ky) = "ky") }}""")
        own = [w for w in re.findall(r"\w{6,}", row["ru"]) if unique[w.casefold()] == 1]
        if own:   # words: that word after another word of the name
            other = next(w for w in re.findall(r"[^\W\d_]{3,}", row["ru"]) if w != own[0])
            return {**row, "code": school, "word": own[0], "words": (own[0], other)}
    raise AssertionError("no school has a name word of its own")


@pytest.mark.parametrize("q", ["ru", "word", "WORD", "latin word", "latin words", "ky", "code"])
def test_search_finds_a_school_by_any_name(client, site, findable, q) -> None:
    _, base = site
    text = {"ru": findable["ru"], "word": findable["word"].lower(),
            "WORD": skeleton(findable["word"]).upper(), "latin word": skeleton(findable["word"]),
            "latin words": " ".join(skeleton(w).title() for w in findable["words"]),
            "ky": findable["ky"],
            "code": findable["code"]}[q]
    found = _search(client, text)
    assert found["id"].iloc[0] == f"{base}id/school/{findable['code']}", text


def test_search_ranks_exact_and_prefix_matches_first(client, site, sample, names) -> None:
    _, base = site
    found = _search(client, names["district_en"])
    assert found["id"].iloc[0] == f"{base}id/district/{sample.district}"  # the whole name
    start = names["ky"].split()[0]
    found = _search(client, skeleton(start))
    assert f"{base}id/school/{sample.school}" in set(found["id"])  # a name starting with it
    only_schools = _search(client, skeleton(start), type="school")
    assert set(only_schools["type"]) == {"school"}
    assert _search(client, names["region_ky"])["id"].iloc[0] == f"{base}id/region/{sample.region}"
    [gymnasia] = sample.select("""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {
        VALUES ?class { emis:School emis:District emis:Region } ?s a ?class ; schema:name ?name
        FILTER (CONTAINS(LCASE(?name), "гимназия")) }""")
    assert _search(client, "гимназия").shape[0] == int(gymnasia["n"]) > 0
    assert _search(client, "nothing like this").empty


def test_search_in_html_and_jsonld(client, site, sample, findable) -> None:
    _, base = site
    word = skeleton(findable["word"])
    page = client.get(f"/search?q={word}&lang=ru", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert f'href="{base}id/school/{findable["code"]}"' in page.get_data(as_text=True)
    assert findable["ru"] in page.get_data(as_text=True)
    empty = client.get("/search", headers={"Accept": "text/html"})
    assert empty.status_code == 200 and 'name="q"' in empty.get_data(as_text=True)
    assert client.get("/search?format=jsonld").status_code == 400
    document = client.get("/search?q=gimnaziia", headers={"Accept": "application/ld+json"})
    graph = to_graph(client, document.get_json())
    members = set(graph.objects(rdflib.URIRef(f"{base}search?q=gimnaziia"), HYDRA.member))
    assert members == {rdflib.URIRef(f"{base}id/school/{key}") for key in keys_of(
        sample, """VALUES ?class { emis:School emis:District emis:Region } ?s a ?class ;
        schema:name ?name FILTER (CONTAINS(LCASE(?name), "гимназия"))""")}


def test_home_page_links_the_lists_and_the_search(client) -> None:
    page = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'action="/search"' in page and "/list/school" in page


# ------------------------------------------------------------------ the real 50-school build

@pytest.fixture(scope="module")
def built(profile_built):
    """Each bundled profile's demo build: the names of its schools in its own languages."""
    return profile_built


@pytest.fixture(scope="module")
def built_client(built):
    return create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()


def _names(built) -> list[tuple[str, str, str]]:
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        rows = store.query(
            "SELECT ?s ?name WHERE { ?s a <http://data.test/def/emis#School> ; "
            "<https://schema.org/name> ?name }", use_default_graph_as_union=True)
        return sorted((r["s"].value, r["name"].value, r["name"].language) for r in rows)
    finally:
        del store


# a transliteration unlike the one the search uses (BGN/PCGN-like, Kyrgyz letters as ng/ü/ö,
# Kazakh ones as its Latin alphabet of 2021 writes them)
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяңүөәғқұһі",
                    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m",
                     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch",
                     "", "y", "'", "e", "yu", "ya", "ng", "ü", "ö", "ä", "ğ", "q", "ū", "h", "ı"],
                    strict=True))


def translit(text: str) -> str:
    return "".join(TRANSLIT.get(ch, TRANSLIT.get(ch.lower(), ch).upper() if ch.isupper()
                                else ch) for ch in text)


def test_search_finds_every_built_school_by_its_names(built, built_client) -> None:
    names = _names(built)
    assert len({s for s, _, _ in names}) == 50
    for iri, name, _ in names:
        for q in (name, name.upper(), translit(name), translit(name).lower()):
            response = built_client.get("/search", query_string={"q": q, "format": "csv"})
            found = pd.read_csv(io.StringIO(response.get_data(as_text=True)), dtype=str)
            assert iri in set(found["id"]), (q, name)


def test_built_lists_page_through_every_school(built, built_client) -> None:
    seen: list[str] = []
    url = "/list/school.csv?size=7"
    while url:
        response = built_client.get(url)
        assert response.headers["EMIS-Total-Count"] == "50"
        seen += pd.read_csv(io.StringIO(response.get_data(as_text=True)), dtype=str)["key"].tolist()
        url = local(links(response)["next"]) if "next" in links(response) else ""
    assert len(seen) == len(set(seen)) == 50
    regions = pd.read_csv(io.StringIO(built_client.get("/list/region.csv").get_data(as_text=True)),
                          dtype=str)
    counted = 0
    for code in regions["key"]:
        response = built_client.get(f"/list/school.jsonld?region={code}&size=500")
        assert response.status_code == 200
        counted += response.get_json()["totalItems"]
    assert counted == 50
