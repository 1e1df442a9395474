"""The format registry, content negotiation, the results writers and the JSON-LD compactor."""

from __future__ import annotations

import io
import json
import time

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from emis_lod import formats
from emis_lod.endpoint import negotiation, results
from emis_lod.endpoint.jsonld import compact_jsonld, jsonld_context
from emis_lod.endpoint.negotiation import negotiate
from emis_lod.formats import (
    DOCUMENT_FORMATS,
    HTML,
    JSONLD,
    NTRIPLES,
    RDF_FORMATS,
    RDFXML,
    RESULTS_CSV,
    RESULTS_FORMATS,
    RESULTS_JSON,
    RESULTS_TSV,
    RESULTS_XML,
    TURTLE,
)

BASE = "http://data.test/"

# ------------------------------------------------------------------------------ the registry


def test_registry_names_suffixes_and_media_types_are_unique_and_canonical_first() -> None:
    assert len({f.name for f in formats.FORMATS}) == len(formats.FORMATS)
    assert len({f.suffix for f in formats.FORMATS}) == len(formats.FORMATS)
    assert TURTLE.media_type == "text/turtle"
    assert JSONLD.media_type == "application/ld+json"
    assert NTRIPLES.media_type == "application/n-triples"
    assert RDFXML.media_type == "application/rdf+xml"
    assert RESULTS_JSON.media_type == "application/sparql-results+json"
    assert RESULTS_XML.media_type == "application/sparql-results+xml"
    for fmt in RDF_FORMATS:
        assert fmt.rdf_format is not None and fmt.kind == "rdf"
        assert fmt.rdf_format.media_type == fmt.media_type  # agrees with pyoxigraph
    for fmt in RESULTS_FORMATS:
        assert fmt.results_format is not None and fmt.kind == "results"
        assert fmt.results_format.media_type.split(";")[0] == fmt.media_type


def test_text_types_state_their_charset() -> None:
    assert TURTLE.content_type == "text/turtle; charset=utf-8"
    assert HTML.content_type == "text/html; charset=utf-8"
    assert JSONLD.content_type == "application/ld+json"


@pytest.mark.parametrize("value, offers, expected", [
    ("ttl", DOCUMENT_FORMATS, TURTLE),
    ("turtle", DOCUMENT_FORMATS, TURTLE),
    ("text/turtle", DOCUMENT_FORMATS, TURTLE),
    ("TTL", DOCUMENT_FORMATS, TURTLE),
    ("jsonld", DOCUMENT_FORMATS, JSONLD),
    ("json", DOCUMENT_FORMATS, JSONLD),        # a JSON ask for a graph means JSON-LD
    ("json", RESULTS_FORMATS, RESULTS_JSON),   # ... and SPARQL JSON for results
    ("xml", RESULTS_FORMATS, RESULTS_XML),
    ("xml", RDF_FORMATS, RDFXML),
    ("application/sparql-results+json", RESULTS_FORMATS, RESULTS_JSON),
    ("csv", RDF_FORMATS, None),
    ("banana", DOCUMENT_FORMATS, None),
    ("", DOCUMENT_FORMATS, None),
])
def test_by_name_is_scoped_to_the_offers(value, offers, expected) -> None:
    assert formats.by_name(value, offers) is expected


def test_split_suffix() -> None:
    assert formats.split_suffix("41101001.ttl", DOCUMENT_FORMATS) == ("41101001", TURTLE)
    assert formats.split_suffix("41101001.jsonld", DOCUMENT_FORMATS) == ("41101001", JSONLD)
    assert formats.split_suffix("41101001.html", DOCUMENT_FORMATS) == ("41101001", HTML)
    assert formats.split_suffix("41101001", DOCUMENT_FORMATS) == ("41101001", None)
    assert formats.split_suffix("a.b.nt", DOCUMENT_FORMATS) == ("a.b", NTRIPLES)
    assert formats.split_suffix("KG.C", DOCUMENT_FORMATS) == ("KG.C", None)
    assert formats.split_suffix(".ttl", DOCUMENT_FORMATS) == (".ttl", None)

# ------------------------------------------------------------------------- negotiation


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize("accept, expected", [
    (None, HTML),                                          # no header: the default
    ("", HTML),
    ("text/turtle", TURTLE),
    ("application/ld+json", JSONLD),
    ("application/json", JSONLD),
    ("application/n-triples", NTRIPLES),
    ("application/rdf+xml", RDFXML),
    (BROWSER, HTML),
    ("*/*", TURTLE),                                       # a tie: RDF wins
    ("text/html, text/turtle", TURTLE),                    # a tie: RDF wins
    ("text/*", TURTLE),
    ("text/html, */*", HTML),                              # the specific range is preferred
    ("text/turtle;q=0.5, application/ld+json;q=0.9", JSONLD),
    ("text/html;q=0.9, application/rdf+xml", RDFXML),
    ("text/html;q=0, */*", TURTLE),                        # q=0 excludes
    ("TEXT/TURTLE", TURTLE),
    ("application/ld+json;profile=\"http://www.w3.org/ns/json-ld#compacted\"", JSONLD),
    ("*", TURTLE),                                         # old clients' */*
    ("text/turtle;q=abc, application/n-triples", NTRIPLES),  # a malformed entry is skipped
    ("garbage", HTML),                                     # nothing parseable: the default
    ("*/*;q=0.1, text/turtle;q=0", JSONLD),                # the specific q=0 wins over */*
])
def test_negotiate_documents(accept, expected) -> None:
    assert negotiate(accept, DOCUMENT_FORMATS, default=HTML) is expected


@pytest.mark.parametrize("accept, expected", [
    (None, RESULTS_JSON),
    ("application/sparql-results+xml", RESULTS_XML),
    ("text/csv", RESULTS_CSV),
    ("text/tab-separated-values", RESULTS_TSV),
    ("application/json", RESULTS_JSON),
    ("application/sparql-results+json,application/json,text/javascript", RESULTS_JSON),
    ("text/*;q=0.5, application/sparql-results+xml;q=0.4", RESULTS_CSV),
])
def test_negotiate_results(accept, expected) -> None:
    assert negotiate(accept, RESULTS_FORMATS, default=RESULTS_JSON) is expected


@pytest.mark.parametrize("accept", ["application/pdf", "image/png, text/csv",
                                    "text/turtle;q=0, text/html;q=0"])
def test_nothing_acceptable_raises_with_a_hint(accept) -> None:
    with pytest.raises(negotiation.NotAcceptable) as err:
        negotiate(accept, DOCUMENT_FORMATS, default=HTML)
    assert "text/turtle" in str(err.value) and "format=" in str(err.value)


def test_quality_uses_the_most_specific_range() -> None:
    ranges = negotiation.parse_accept("text/*;q=0.3, text/turtle;q=0.7, */*;q=0.1")
    assert negotiation.quality(ranges, "text/turtle") == (0.7, 2)
    assert negotiation.quality(ranges, "text/html") == (0.3, 1)
    assert negotiation.quality(ranges, "application/n-triples") == (0.1, 0)
    assert negotiation.quality([], "text/html") == (0.0, -1)

# ---------------------------------------------------------------------- results writers


def _solutions():
    store = ox.Store()
    return store.query("""
        SELECT ?iri ?text ?lang ?num ?blank ?unbound WHERE {
          VALUES (?iri ?text ?lang ?num) {
            (<http://e.test/a> "tab\\there, \\"quoted\\"\\nnew line" "Бишкек"@ky 42)
            (<http://e.test/b?x=1&y=2> "plain" "x"@en-GB 4.5)
          }
          BIND(BNODE() AS ?blank)
        }""")


def _rows():
    results = _solutions()
    variables = [v.value for v in results.variables]
    return variables, [tuple(r) for r in results]


@pytest.mark.parametrize("fmt", [RESULTS_JSON, RESULTS_XML, RESULTS_TSV])
def test_solutions_round_trip_through_pyoxigraphs_parser(fmt) -> None:
    variables, rows = _rows()
    out = io.BytesIO()
    results.write_solutions(variables, rows, fmt, out)
    parsed = ox.parse_query_results(out.getvalue(), format=fmt.results_format)
    assert [v.value for v in parsed.variables] == variables
    back = [tuple(r) for r in parsed]
    assert len(back) == len(rows)
    for original, again in zip(rows, back, strict=True):
        for a, b in zip(original, again, strict=True):
            if isinstance(a, ox.BlankNode):
                assert isinstance(b, ox.BlankNode)
            else:
                assert a == b


def test_json_results_equal_pyoxigraphs_own() -> None:
    variables, rows = _rows()
    out = io.BytesIO()
    results.write_solutions(variables, rows, RESULTS_JSON, out)
    ours = json.loads(out.getvalue())
    theirs = json.loads(_solutions().serialize(format=ox.QueryResultsFormat.JSON))
    for doc in (ours, theirs):
        for binding in doc["results"]["bindings"]:
            binding.pop("blank")
    assert ours == theirs


def test_csv_results_follow_the_spec() -> None:
    variables, rows = _rows()
    out = io.BytesIO()
    results.write_solutions(variables, rows, RESULTS_CSV, out)
    text = out.getvalue().decode("utf-8")
    assert text.startswith("iri,text,lang,num,blank,unbound\r\n")
    assert '"tab\there, ""quoted""\nnew line"' in text
    assert ",Бишкек,42,_:" in text
    assert text.endswith(",\r\n")  # the unbound last column is empty


def test_booleans() -> None:
    for fmt, expected in [(RESULTS_JSON, b'{"head":{},"boolean":true}'),
                          (RESULTS_CSV, b"true\n"), (RESULTS_TSV, b"true\n")]:
        out = io.BytesIO()
        results.write_boolean(True, fmt, out)
        assert out.getvalue() == expected
    out = io.BytesIO()
    results.write_boolean(False, RESULTS_XML, out)
    assert ox.parse_query_results(out.getvalue(), format=ox.QueryResultsFormat.XML) \
        == ox.parse_query_results(b'{"head":{},"boolean":false}',
                                  format=ox.QueryResultsFormat.JSON)
    with pytest.raises(ValueError):
        results.write_boolean(True, TURTLE, io.BytesIO())


def test_guard_cuts_at_the_row_limit_and_stops_at_the_deadline() -> None:
    guard = results.Guard(max_rows=3)
    assert list(guard.rows_of(range(10))) == [0, 1, 2]
    assert guard.truncated and guard.rows == 3
    guard = results.Guard(max_rows=10)
    assert list(guard.rows_of(range(10))) == list(range(10)) and not guard.truncated
    guard = results.Guard(deadline=time.monotonic() - 1)
    with pytest.raises(results.ResultLimitReached):
        list(guard.rows_of(range(10)))

# ------------------------------------------------------------------------------ JSON-LD


@pytest.fixture(scope="module")
def school(sample) -> str:
    """The IRI of the sample school of the session's build (base ``sample.base``)."""
    return f"{sample.base}id/school/{sample.school}"


@pytest.fixture(scope="module")
def sample_triples(sample, school) -> list[ox.Triple]:
    """A part of the session's build: the regions, districts and safety graphs, the sample
    school and every record that names it."""
    base = sample.base
    return list(sample.store.query(f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
        {{ GRAPH ?g {{ ?s ?p ?o }}
          FILTER (?g IN (<{base}graph/regions>, <{base}graph/districts>, <{base}graph/safety>)) }}
        UNION {{ ?s <{base}def/emis#school> <{school}> ; ?p ?o }}
        UNION {{ <{school}> ?p ?o BIND (<{school}> AS ?s) }} }}""",
        use_default_graph_as_union=True))


@pytest.fixture(scope="module")
def school_document(sample, school) -> list[ox.Triple]:
    """What the app's CONSTRUCT returns for the sample school."""
    from emis_lod.endpoint.query import load_query
    from emis_lod.namespaces import prefixes
    from emis_lod.uris import Uris
    return list(sample.store.query(load_query("resource"), prefixes=prefixes(Uris(sample.base)),
                                   use_default_graph_as_union=True,
                                   substitutions={ox.Variable("this"): ox.NamedNode(school)}))


def _expand_to_graph(document: dict, context: dict, base: str = BASE) -> rdflib.Graph:
    def loader(url, options=None):
        assert url == f"{base}context/v1.jsonld"
        return {"contextUrl": None, "documentUrl": url, "document": context}
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    return rdflib.Graph().parse(data=nquads, format="nt")


def _graph(triples) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                                format="nt")


def test_context_template_is_filled_with_the_base() -> None:
    context = jsonld_context(BASE)
    text = json.dumps(context)
    assert "{base}" not in text
    assert context["@context"]["emis"] == f"{BASE}def/emis#"
    assert context["@context"]["concept"] == f"{BASE}def/concept/"
    assert context["@context"]["id"] == "@id" and context["@context"]["type"] == "@type"
    assert jsonld_context(BASE.rstrip("/")) == context


def test_school_document_compacts_around_the_school_and_expands_to_the_same_triples(
        sample, school, school_document) -> None:
    triples, base = school_document, sample.base
    [facts] = sample.select(f"""SELECT ?pupils ?lat ?yearOpened ?district ?region WHERE {{
        <{school}> emis:pupils ?pupils ; geo:lat ?lat ; emis:yearOpened ?yearOpened ;
                   emis:district/schema:name ?district ; emis:region/schema:name ?region .
        FILTER (lang(?district) = "en" && lang(?region) = "en") }}""")
    grades = sorted(int(r["grade"]) for r in sample.select(
        f"SELECT ?grade WHERE {{ <{school}> emis:enrolment/emis:grade ?grade }}"))
    context = jsonld_context(base)
    doc = compact_jsonld(triples, root=school, context=context,
                                 context_url=f"{base}context/v1.jsonld")
    assert doc["@context"] == f"{base}context/v1.jsonld"
    assert doc["id"] == school and doc["type"] == "School"
    assert doc["schoolCode"] == sample.school
    assert set(doc["name"]) == {"ky", "ru"}
    assert doc["pupils"] == int(facts["pupils"])     # a JSON number
    assert doc["lat"] == facts["lat"]                # decimals keep their lexical form
    assert doc["yearOpened"] == facts["yearOpened"]
    assert doc["district"]["name"]["en"] == facts["district"]  # linked things are named
    assert doc["region"]["name"]["en"] == facts["region"]
    assert sorted(e["grade"] for e in doc["enrolment"]) == grades
    assert doc["enrolment"][0]["school"] == doc["id"]  # back-link stays a reference
    assert "@graph" not in doc
    assert isomorphic(_expand_to_graph(doc, context, base), _graph(triples))


def test_whole_sample_compacts_to_a_graph_that_expands_back(sample, sample_triples) -> None:
    triples, base = sample_triples, sample.base
    context = jsonld_context(base)
    doc = compact_jsonld(triples, root=None, context=context,
                                 context_url=f"{base}context/v1.jsonld")
    assert "@graph" in doc
    assert isomorphic(_expand_to_graph(doc, context, base), _graph(triples))


def test_values_no_term_fits_keep_their_exact_type() -> None:
    s, p = ox.NamedNode(f"{BASE}id/school/1"), f"{BASE}def/emis#"
    triples = [
        ox.Triple(s, ox.NamedNode(p + "pupils"), ox.Literal(
            "7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#nonNegativeInteger"))),
        ox.Triple(s, ox.NamedNode(p + "settlement"), ox.Literal("Ош", language="ky")),
        ox.Triple(s, ox.NamedNode("https://schema.org/name"), ox.Literal("no language")),
        ox.Triple(s, ox.NamedNode(p + "district"), ox.Literal("not an IRI")),
        ox.Triple(s, ox.NamedNode("http://other.test/p"), ox.BlankNode("b")),
        ox.Triple(ox.BlankNode("b"), ox.NamedNode("http://other.test/q"), ox.Literal("007")),
        ox.Triple(s, ox.NamedNode(p + "lat"), ox.Literal("1e3", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#double"))),
    ]
    context = jsonld_context(BASE)
    doc = compact_jsonld(triples, root=s.value, context=context,
                                 context_url=f"{BASE}context/v1.jsonld")
    assert doc["pupils"] == {"@value": "7", "@type": "xsd:nonNegativeInteger"}
    assert doc["settlement"] == {"@value": "Ош", "@language": "ky"}
    assert doc["schema:name"] == "no language"   # the language map cannot hold it
    assert doc["emis:district"] == "not an IRI"  # the @id-typed term cannot hold it
    assert doc["http://other.test/p"]["http://other.test/q"] == "007"
    assert isomorphic(_expand_to_graph(doc, context), _graph(triples))


def test_arrays_are_in_natural_order() -> None:
    school = ox.NamedNode(f"{BASE}id/school/1")
    records = [ox.NamedNode(f"{BASE}id/enrolment/1-2025-g{g}") for g in (10, 2, 1, 11)]
    triples = [ox.Triple(school, ox.NamedNode(f"{BASE}def/emis#enrolment"), r) for r in records]
    triples += [ox.Triple(r, ox.NamedNode(f"{BASE}def/emis#schoolYear"), ox.Literal("2025-2026"))
                for r in records]
    doc = compact_jsonld(triples, root=school.value,
                                 context=jsonld_context(BASE))
    assert [e["id"].rsplit("g", 1)[1] for e in doc["enrolment"]] == ["1", "2", "10", "11"]


def test_rdflib_reads_the_compacted_document_too(sample, school, school_document) -> None:
    triples = school_document
    context = jsonld_context(sample.base)
    doc = compact_jsonld(triples, root=school, context=context)
    parsed = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    assert isomorphic(parsed, _graph(triples))


def test_serialize_graph_writes_only_used_prefixes(sample, school_document) -> None:
    triples = school_document
    from emis_lod.namespaces import prefixes
    from emis_lod.uris import Uris
    text = formats.serialize_graph(triples, TURTLE,
                                   prefixes=prefixes(Uris(sample.base))).decode()
    assert "@prefix emis:" in text and "@prefix dcat:" not in text
    assert isomorphic(rdflib.Graph().parse(data=text, format="turtle"), _graph(triples))
    with pytest.raises(ValueError):
        formats.serialize_graph(triples, RESULTS_JSON)


def test_json_results_are_what_json_dumps_gives_each_binding() -> None:
    """The JSON results writer assembles each binding from its terms' JSON, kept per term: the
    bytes are those of json.dumps of the binding, row by row."""
    from emis_lod.endpoint.results import _json_term, write_solutions
    from emis_lod.formats import RESULTS_JSON

    terms = [ox.NamedNode("http://example.org/школа/1"), ox.BlankNode("b1"),
             ox.Literal("Ала-Тоо \"№1\"\n", language="ky"),
             ox.Literal("12.50", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
             ox.Literal("plain"), None]
    variables = ["s", "ключ", "o"]
    rows = [(terms[i % 6], terms[(i * 5 + 1) % 6], terms[(i * 7 + 2) % 6]) for i in range(40)]
    out = io.BytesIO()
    write_solutions(variables, rows, RESULTS_JSON, out)
    expected = (b'{"head":{"vars":' + json.dumps(variables).encode()
                + b'},"results":{"bindings":['
                + b",".join(json.dumps({v: _json_term(t) for v, t in zip(variables, row, strict=True)
                                               if t is not None}, ensure_ascii=False).encode()
                            for row in rows) + b"]}}")
    assert out.getvalue() == expected
    assert json.loads(out.getvalue())["results"]["bindings"][0]["s"]["value"].endswith("/1")
