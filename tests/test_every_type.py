"""Every kind of resource the platform publishes dereferences the same way.

One build of a small generated export, served by the real ``emis-lod serve`` on a loopback
port; one existing resource of every type the release records in its manifest (the types its
mappings and derived queries mint: a table added by its mapping is covered without touching this
file; read from the store with SPARQL), an ontology term
(``/def/emis#School``, whose document is the ontology), a code-list scheme and one of its concepts, the
VoID dataset and the DCAT catalogue. Each test is one check, each parameter one kind of resource,
so a failure names both (``test_formats_agree[finance-summary]``). Graphs are compared after
RDF canonicalization (RDFC-1.0, pyoxigraph), which is fast on the VoID's many blank nodes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
import requests
from pyld import jsonld

from emis_lod.formats import DOCUMENT_FORMATS, HTML, JSONLD, RDF_FORMATS, TURTLE
from emis_lod.loaders.build import build
from emis_lod.loaders.mapping_spec import load_mappings
from emis_lod.loaders.resource_types import ResourceType, resource_types
from emis_lod.profiles import load_profile
from emis_lod.settings import load_settings
from emis_lod.uris import Uris, decode_key

from serverutil import free_port, running_server

OTHERS = ("ontology-term", "concept-scheme", "concept", "void-dataset", "dcat-catalog")
PROFILES = ("kg", "kz")   # each bundled profile's release is served and checked


def profile_types(name: str) -> dict[str, ResourceType]:
    """The types a release of a bundled profile records (the parameters must be known before
    the build; test_the_release_records_these_types holds the release to them)."""
    profile = load_profile(name)
    return resource_types(load_mappings(files=profile.files("mappings")), Uris("http://data.test/"),
                          profile.files("derived"))


TYPES = {name: tuple(profile_types(name)) for name in PROFILES}
KINDS = tuple(dict.fromkeys(kind for name in PROFILES for kind in (*TYPES[name], *OTHERS)))
CORS = "Access-Control-Allow-Origin"
MISSING_KEY = "no-such-key-0000"
SCHOOLS = 10  # enough for a resource of every type; the build takes a few seconds


@dataclass(frozen=True)
class Target:
    """One resource to dereference: its IRI, the URL a client starts from (its ``/id/`` URI,
    or the ``/def/`` document for terms served directly), its document URL, and the IRI the
    document is about (the ontology, for a term)."""

    kind: str
    iri: str
    start: str
    doc: str
    missing: str | None  # the document URL of a sibling that does not exist
    root: str = ""

    @property
    def top(self) -> str:
        return self.root or self.iri

    @property
    def redirects(self) -> bool:
        """``/id/`` URIs answer 303; ``/def/`` ones (hash or code-list IRIs) the document."""
        return "/id/" in self.start


@pytest.fixture(scope="module", params=PROFILES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    profile = load_profile(request.param)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    source = tmp_path_factory.mktemp(f"every-type-source-{profile.name}")
    store = tmp_path_factory.mktemp(f"every-type-store-{profile.name}")
    profile.generate(source, SCHOOLS, 5)
    build(source, store, load_settings(base_uri=base), echo=lambda *_: None, profile=profile)
    with running_server(store, port=port) as url:
        assert url == base
        yield Uris(base)


@pytest.fixture(scope="module")
def release_types(site: Uris, http: requests.Session) -> dict[str, Any]:
    """The types the served release records (``types`` of its manifest, as /release/ shows it)."""
    response = http.get(site.release_file("manifest.json"), timeout=30)
    response.raise_for_status()
    return response.json()["types"]


@pytest.fixture(scope="module")
def http() -> requests.Session:
    with requests.Session() as session:
        yield session


def select(http: requests.Session, uris: Uris, query: str) -> list[dict[str, str]]:
    response = http.post(uris.sparql, data={"query": query},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
    response.raise_for_status()
    return [{k: v["value"] for k, v in row.items()}
            for row in response.json()["results"]["bindings"]]


def first(http: requests.Session, uris: Uris, query: str) -> str | None:
    rows = select(http, uris, query)
    return rows[0]["x"] if rows else None


@pytest.fixture(scope="module")
def targets(site: Uris, http: requests.Session, release_types: dict[str, Any]
            ) -> dict[str, Target | None]:
    uris = site
    out: dict[str, Target | None] = {}
    for type_ in release_types:
        prefix = uris.id_prefix(type_)
        iri = first(http, uris, f"""
            SELECT ?x WHERE {{ ?x a ?class FILTER(STRSTARTS(STR(?x), "{prefix}")) }}
            ORDER BY ?x LIMIT 1""")
        if iri is None:
            out[type_] = None
            continue
        key = decode_key(iri[len(prefix):])
        out[type_] = Target(type_, iri, iri, uris.doc(type_, key),
                            uris.doc(type_, MISSING_KEY))
    term = uris.vocab + "School"
    out["ontology-term"] = Target("ontology-term", term, term, uris.ontology, None,
                                  root=uris.ontology)
    scheme = first(http, uris, f"""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?x WHERE {{ ?x a skos:ConceptScheme ; skos:hasTopConcept|^skos:inScheme [] .
                           FILTER(STRSTARTS(STR(?x), "{uris.concepts}")) }} ORDER BY ?x LIMIT 1""")
    assert scheme, "the build has no code list"
    out["concept-scheme"] = Target("concept-scheme", scheme, scheme, scheme,
                                   uris.scheme(MISSING_KEY))
    concept = first(http, uris, f"""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?x WHERE {{ ?x skos:inScheme <{scheme}> }} ORDER BY ?x LIMIT 1""")
    assert concept, scheme
    out["concept"] = Target("concept", concept, concept, concept, f"{scheme}/{MISSING_KEY}")
    dataset = uris.base + "id/dataset/emis"
    out["void-dataset"] = Target("void-dataset", dataset, dataset, uris.base + "doc/dataset/emis",
                                 uris.base + "doc/dataset/" + MISSING_KEY)
    catalog = uris.base + "id/catalog/emis"
    out["dcat-catalog"] = Target("dcat-catalog", catalog, catalog, uris.base + "doc/catalog/emis",
                                 uris.base + "doc/catalog/" + MISSING_KEY)
    return out


@pytest.fixture(params=KINDS)
def target(request: pytest.FixtureRequest, targets: dict[str, Target | None]) -> Target:
    if request.param not in targets:
        pytest.skip(f"{request.param!r} is not a type of this profile's releases")
    found = targets[request.param]
    if found is None:
        pytest.skip(f"the store has no resource of type {request.param!r}")
    return found


# ------------------------------------------------------------------ helpers

def get(http: requests.Session, url: str, accept: str | None = None,
        **kwargs: Any) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        headers["Accept"] = ""  # requests sends */* unless told otherwise
    return http.get(url, headers=headers, allow_redirects=False, timeout=30, **kwargs)


def parse(response: requests.Response, fmt_name: str, base: str) -> rdflib.Graph:
    assert response.status_code == 200, (response.url, response.status_code, response.text[:300])
    rdflib_format = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}[fmt_name]
    return rdflib.Graph().parse(data=response.content, format=rdflib_format, publicID=base)


def canonical(graph: rdflib.Graph) -> set[ox.Quad]:
    """The graph's triples with blank nodes canonically labelled (RDFC-1.0)."""
    def term(t: Any) -> Any:
        if isinstance(t, rdflib.BNode):
            return ox.BlankNode(str(t))
        if isinstance(t, rdflib.Literal):
            if t.language:
                return ox.Literal(str(t), language=t.language)
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)) if t.datatype
                              else None)
        return ox.NamedNode(str(t))
    dataset = ox.Dataset(ox.Quad(term(s), term(p), term(o)) for s, p, o in graph)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def assert_same_graph(got: rdflib.Graph, want: rdflib.Graph, what: str) -> None:
    a, b = canonical(got), canonical(want)
    if a != b:
        pytest.fail(f"{what}: not the Turtle graph; missing {sorted(map(str, b - a))[:5]}, "
                    f"extra {sorted(map(str, a - b))[:5]}")


def about(graph: rdflib.Graph, iri: str) -> int:
    node = rdflib.URIRef(iri)
    return len(list(graph.triples((node, None, None))))


class LinkTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alternates: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "alternate" and a.get("type") and a.get("href") \
                and "hreflang" not in a:
            self.alternates[a["type"] or ""] = a["href"] or ""


def link_header_alternates(value: str) -> dict[str, str]:
    """``type -> URL`` of the ``rel="alternate"`` entries of a ``Link`` header."""
    out = {}
    for url, params in re.findall(r"<([^>]*)>((?:\s*;\s*[^,;]+)*)", value):
        attrs = dict((k.strip(), v.strip().strip('"'))
                     for k, _, v in (p.partition("=") for p in params.split(";") if p.strip()))
        if attrs.get("rel") == "alternate" and "type" in attrs:
            out[attrs["type"]] = url
    return out


_context_cache: dict[str, Any] = {}


def loader(http: requests.Session):
    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url not in _context_cache:
            response = http.get(url, headers={"Accept": "application/ld+json"}, timeout=30)
            response.raise_for_status()
            _context_cache[url] = response.json()
        return {"contextUrl": None, "documentUrl": url, "document": _context_cache[url]}
    return load


# ------------------------------------------------------------------ checks

def test_the_release_records_these_types(release_types: dict[str, Any], site: Uris,
                                         http: requests.Session) -> None:
    """The types this module is parametrised with are those the release records, each with its
    class (a term of the ontology)."""
    profile = http.get(site.release_file("manifest.json"), timeout=30).json()["profile"]
    assert set(release_types) == set(TYPES[profile])
    for type_, made in release_types.items():
        assert made["class"].startswith(site.vocab), type_


def test_redirect_then_html(target: Target, http: requests.Session) -> None:
    """No Accept: ``/id/`` answers 303 to the document, which is HTML; Vary and CORS on both."""
    first_answer = get(http, target.start)
    if target.redirects:
        assert first_answer.status_code == 303, first_answer.text[:300]
        assert first_answer.headers["Location"] == target.doc
        assert "Accept" in first_answer.headers.get("Vary", "")
        assert first_answer.headers.get(CORS) == "*"
        answer = get(http, first_answer.headers["Location"])
    else:
        answer = first_answer
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<html" in answer.text.lower()
    assert "Accept" in [v.strip() for v in answer.headers.get("Vary", "").split(",")]
    assert answer.headers.get(CORS) == "*"


@pytest.mark.parametrize("accept", [None, "text/turtle", "application/ld+json"])
def test_head_matches_get(target: Target, http: requests.Session, accept: str | None) -> None:
    for url in dict.fromkeys((target.start, target.doc)):
        got = get(http, url, accept)
        head = http.head(url, headers={"Accept": accept or ""}, allow_redirects=False,
                         timeout=30)
        assert head.status_code == got.status_code, url
        assert head.content == b"", url
        for name in ("Content-Type", "Location", "Vary", "Link", "ETag", CORS):
            assert head.headers.get(name) == got.headers.get(name), (url, name)


def test_rdflib_dereferences(target: Target) -> None:
    """rdflib as a client (its own Accept header, following the 303) gets triples about it."""
    graph = rdflib.Graph().parse(target.start)
    assert about(graph, target.iri) > 0, f"nothing about {target.iri} in {len(graph)} triples"


def test_formats_agree(target: Target, http: requests.Session) -> None:
    """Accept, suffix and ?format= give one graph in every RDF format."""
    reference = parse(get(http, target.doc, TURTLE.media_type), "ttl", target.doc)
    assert about(reference, target.iri) > 0
    for fmt in RDF_FORMATS:
        ways = {
            f"Accept: {fmt.media_type}": get(http, target.doc, fmt.media_type),
            f".{fmt.suffix}": get(http, f"{target.doc}.{fmt.suffix}", "text/html"),
            f"?format={fmt.name}": get(http, target.doc, "text/html",
                                       params={"format": fmt.name}),
        }
        for way, response in ways.items():
            assert response.headers["Content-Type"].split(";")[0] == fmt.media_type, way
            assert_same_graph(parse(response, fmt.name, target.doc), reference, way)
    html = get(http, f"{target.doc}.html", TURTLE.media_type)
    assert html.status_code == 200
    assert html.headers["Content-Type"].startswith("text/html")


def test_jsonld_expands_to_the_turtle(target: Target, site: Uris,
                                      http: requests.Session) -> None:
    """JSON-LD expanded by pyld is exactly the Turtle graph; the published context; one top
    object, the resource."""
    turtle = parse(get(http, target.doc, TURTLE.media_type), "ttl", target.doc)
    response = get(http, target.doc, JSONLD.media_type)
    assert response.status_code == 200
    document = response.json()
    assert document["@context"] == site.context
    assert "@graph" not in document, "a flat @graph instead of the resource as top object"
    assert document.get("id", document.get("@id")) == target.top
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads",
                                      "documentLoader": loader(http)})
    expanded = rdflib.Graph().parse(data=nquads, format="nt")
    assert about(expanded, target.iri) > 0
    assert_same_graph(expanded, turtle, "JSON-LD expanded by pyld")


def test_alternates_are_announced(target: Target, http: requests.Session) -> None:
    """``Link: rel=alternate`` for every format and ``<link rel=alternate>`` for every RDF one,
    each leading to that format."""
    answer = get(http, target.doc, "text/html")
    assert answer.status_code == 200
    header = link_header_alternates(answer.headers.get("Link", ""))
    tags = LinkTags()
    tags.feed(answer.text)
    for fmt in DOCUMENT_FORMATS:
        assert fmt.media_type in header, f"Link header lacks {fmt.media_type}"
        if fmt is not HTML:
            assert fmt.media_type in tags.alternates, f"HTML lacks <link> to {fmt.media_type}"
            assert tags.alternates[fmt.media_type] == header[fmt.media_type]
            alternate = get(http, header[fmt.media_type], "text/html")
            assert alternate.status_code == 200, header[fmt.media_type]
            assert alternate.headers["Content-Type"].split(";")[0] == fmt.media_type


@pytest.mark.parametrize("accept, expected", [
    ("text/html, text/turtle", TURTLE),
    ("text/turtle, text/html", TURTLE),
    ("text/html, application/ld+json", JSONLD),
    ("text/html;q=0.9, application/rdf+xml;q=0.9", RDF_FORMATS[3]),
    ("text/html, */*;q=0.1", HTML),
])
def test_rdf_wins_a_tie(target: Target, http: requests.Session, accept: str,
                        expected) -> None:
    answer = get(http, target.doc, accept)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == expected.media_type


@pytest.mark.parametrize("asked", ["ttl", "jsonld", "nt", "rdf", "html"])
def test_unknown_key_is_404_in_the_asked_format(target: Target, http: requests.Session,
                                                asked: str) -> None:
    if target.missing is None:
        pytest.skip(f"{target.kind} has no key to get wrong")
    fmt = next(f for f in DOCUMENT_FORMATS if f.name == asked)
    asked_for = {  # /id/ URIs take no suffix: the format is chosen at /doc/
        "Accept": get(http, target.missing, fmt.media_type),
        "suffix": get(http, f"{target.missing}.{fmt.suffix}", "text/html"),
    }
    if target.redirects:
        id_url = target.missing.replace("/doc/", "/id/", 1)
        asked_for["Accept at /id/"] = get(http, id_url, fmt.media_type)
    for how, response in asked_for.items():
        where = f"{response.url} by {how}"
        assert response.status_code == 404, where
        content_type = response.headers["Content-Type"].split(";")[0]
        if fmt is HTML:
            assert content_type == "text/html", where
            assert "<html" in response.text.lower()
        elif fmt is JSONLD:
            assert content_type.endswith("json"), where
            assert json.loads(response.text)["status"] == 404
        else:
            assert content_type == fmt.media_type, where
            rdflib.Graph().parse(data=response.content, publicID=response.url, format={
                "ttl": "turtle", "nt": "nt", "rdf": "xml"}[asked])
