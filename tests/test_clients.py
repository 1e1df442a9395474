"""Every client's formats work against the real server (``emis-lod serve``, behind nginx).

SPARQLWrapper sends its return format as ``format=``, ``output=`` and ``results=`` as well as
``Accept`` (Wrapper.py: ``_returnFormatSetting``, ``_getAcceptHeader``), with words that mean one
thing for SELECT/ASK and another for CONSTRUCT/DESCRIBE (``xml``, ``json``); rdflib's
``Graph().parse(url, format=F)`` sends an ``Accept`` of its own per format (``text/plain`` for
``nt``). ``emis_lod.formats.ALIASES`` reads them per query form; a word that fits no format of
the form falls back to ``Accept``, then to the form's default, never to a 406.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from xml.dom.minidom import Document

import pytest
import rdflib
from rdflib.compare import to_isomorphic
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from emis_lod import formats
from emis_lod.endpoint import negotiation
from emis_lod.formats import (
    DOCUMENT_FORMATS,
    HTML,
    NTRIPLES,
    RDF_FORMATS,
    RESULTS_CSV,
    RESULTS_FORMATS,
    RESULTS_JSON,
    RESULTS_TSV,
    RESULTS_XML,
)

# SPARQLWrapper's names (JSONLD, RDFXML, TURTLE) are its return formats; ours are formats.X

pytestmark = pytest.mark.e2e

PREFIXES = "PREFIX emis: <{base}def/emis#>\n"
QUERIES = {   # {base}: the server's; {school}: the sample school's code
    "SELECT": PREFIXES + "SELECT ?school WHERE {{ ?school a emis:School }} ORDER BY ?school",
    "ASK": PREFIXES + "ASK {{ <{base}id/school/{school}> a emis:School }}",
    "CONSTRUCT": PREFIXES + "CONSTRUCT {{ ?school emis:pupils ?n ; a emis:School }} "
                            "WHERE {{ ?school a emis:School ; emis:pupils ?n }}",
    "DESCRIBE": "DESCRIBE <{base}id/school/{school}>",
}
RETURN_FORMATS = (JSON, XML, TURTLE, N3, RDF, RDFXML, CSV, TSV, JSONLD)

# what each return format of SPARQLWrapper is answered in, per query form
FOR_RESULTS = {JSON: RESULTS_JSON, XML: RESULTS_XML, CSV: RESULTS_CSV, TSV: RESULTS_TSV}
FOR_GRAPHS = {TURTLE: formats.TURTLE, N3: formats.TURTLE, XML: formats.RDFXML, RDF: formats.RDFXML,
              RDFXML: formats.RDFXML, JSON: formats.JSONLD, JSONLD: formats.JSONLD}
RDFLIB_SYNTAX = {formats.TURTLE: "turtle", formats.JSONLD: "json-ld", NTRIPLES: "nt",
                 formats.RDFXML: "xml"}


def expected_format(form: str, return_format: str) -> formats.Format:
    """SPARQLWrapper's return format as the server answers it; a format of the other kind of
    answer (CSV for a CONSTRUCT, Turtle for a SELECT) gets the form's default."""
    if form in ("SELECT", "ASK"):
        return FOR_RESULTS.get(return_format, RESULTS_JSON)
    return FOR_GRAPHS.get(return_format, formats.TURTLE)


# ------------------------------------------------------------------------ the aliases table

@pytest.mark.parametrize("words, offers, expected", [
    (["xml"], RESULTS_FORMATS, RESULTS_XML),
    (["xml"], RDF_FORMATS, formats.RDFXML),
    (["json"], RESULTS_FORMATS, RESULTS_JSON),
    (["json"], RDF_FORMATS, formats.JSONLD),
    (["rdf+xml", "application/rdf+xml"], RDF_FORMATS, formats.RDFXML),   # SPARQLWrapper's RDFXML
    (["rdf"], RDF_FORMATS, formats.RDFXML),
    (["n3"], RDF_FORMATS, formats.TURTLE),
    (["turtle"], DOCUMENT_FORMATS, formats.TURTLE),
    (["ntriples"], DOCUMENT_FORMATS, NTRIPLES),
    (["text/plain"], DOCUMENT_FORMATS, NTRIPLES),
    (["json-ld", "application/ld+json,application/x-json+ld"], RDF_FORMATS, formats.JSONLD),
    (["jsonld"], RDF_FORMATS, formats.JSONLD),
    (["tsv", "text/tab-separated-values"], RESULTS_FORMATS, RESULTS_TSV),
    (["csv"], RESULTS_FORMATS, RESULTS_CSV),
    (["html"], DOCUMENT_FORMATS, HTML),
    (["csv"], RDF_FORMATS, None),             # not a graph format: Accept decides
    (["turtle"], RESULTS_FORMATS, None),
    (["", "pdf"], DOCUMENT_FORMATS, None),
    (["pdf", "TTL"], DOCUMENT_FORMATS, formats.TURTLE),   # the first that names one
])
def test_client_words_name_the_format_of_the_form(words, offers, expected) -> None:
    assert negotiation.named(words, offers) is expected


def test_every_alias_names_a_format_of_its_kind() -> None:
    for kind, offers in (("results", RESULTS_FORMATS), ("graph", RDF_FORMATS)):
        for word, fmt in negotiation.ALIASES[kind].items():
            assert fmt in offers, (kind, word)
            assert negotiation.named([word], offers) is fmt


def test_a_word_that_fits_nothing_falls_back_to_accept_then_the_default() -> None:
    choose = negotiation.choose_requested
    assert choose(["csv"], "application/rdf+xml", RDF_FORMATS, formats.TURTLE) is formats.RDFXML
    assert choose(["csv"], "text/csv", RDF_FORMATS, formats.TURTLE) is formats.TURTLE
    assert choose(["bogus"], None, DOCUMENT_FORMATS, HTML) is HTML
    with pytest.raises(negotiation.NotAcceptable):   # nothing named, nothing acceptable: 406
        choose([], "text/csv", RDF_FORMATS, formats.TURTLE)
    with pytest.raises(negotiation.NotAcceptable):
        choose([""], "text/csv", RDF_FORMATS, formats.TURTLE)


# ------------------------------------------------------------------------ helpers

def fetch(url: str, accept: str | None = None) -> tuple[str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get_content_type(), response.read()


def sparql_url(server: str, query: str, **params: str) -> str:
    return server + "sparql?" + urllib.parse.urlencode({"query": query, **params})


def graph(data: bytes, syntax: str, base: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=syntax, publicID=base)


def same_graph(one: rdflib.Graph, other: rdflib.Graph) -> bool:
    return to_isomorphic(one) == to_isomorphic(other)


def plain(converted: rdflib.Graph) -> rdflib.Graph:
    """The triples of a graph SPARQLWrapper made (a ConjunctiveGraph), as a plain Graph."""
    out = rdflib.Graph()
    for triple in converted.triples((None, None, None)):
        out.add(triple)
    return out


def schools_of(converted: object, fmt: formats.Format) -> list[str]:
    """The ``?school`` column of a SELECT answer as SPARQLWrapper's ``convert()`` gives it."""
    if fmt is RESULTS_JSON:
        assert isinstance(converted, dict)
        return [row["school"]["value"] for row in converted["results"]["bindings"]]
    if fmt is RESULTS_XML:
        assert isinstance(converted, Document)
        return [uri.firstChild.data for uri in converted.getElementsByTagName("uri")]
    assert isinstance(converted, bytes)
    rows = list(csv.reader(io.StringIO(converted.decode("utf-8")),
                           delimiter="\t" if fmt is RESULTS_TSV else ","))
    assert rows[0] == (["school"] if fmt is RESULTS_CSV else ["?school"])
    return [cell.strip("<>") for cell, in rows[1:]]


def boolean_of(converted: object, fmt: formats.Format) -> bool:
    if fmt is RESULTS_JSON:
        assert isinstance(converted, dict)
        return bool(converted["boolean"])
    if fmt is RESULTS_XML:
        assert isinstance(converted, Document)
        return converted.getElementsByTagName("boolean")[0].firstChild.data == "true"
    assert isinstance(converted, bytes)
    return converted.decode().strip() == "true"


# ------------------------------------------------------------------------ SPARQLWrapper

@pytest.fixture(scope="module")
def queries(server: str, sample) -> dict[str, str]:
    """:data:`QUERIES` for the server and the sample school."""
    return {form: text.format(base=server, school=sample.school)
            for form, text in QUERIES.items()}


@pytest.fixture(scope="module")
def reference(server: str, queries) -> dict[str, object]:
    """Each query's answer fetched plainly: the schools, and the graphs in Turtle."""
    out: dict[str, object] = {}
    _, body = fetch(sparql_url(server, queries["SELECT"]),
                    "application/sparql-results+json")
    out["SELECT"] = [row["school"]["value"] for row in json.loads(body)["results"]["bindings"]]
    for form in ("CONSTRUCT", "DESCRIBE"):
        mime, body = fetch(sparql_url(server, queries[form]), "text/turtle")
        assert mime == "text/turtle"
        out[form] = graph(body, "turtle", server + "sparql")
        assert len(out[form]) > 3
    return out


@pytest.mark.parametrize("method", ["GET", POST])
@pytest.mark.parametrize("form", list(QUERIES))
@pytest.mark.parametrize("return_format", RETURN_FORMATS)
def test_sparqlwrapper_every_return_format(server, queries, reference, form, return_format,
                                           method) -> None:
    client = SPARQLWrapper(server + "sparql")
    client.setQuery(queries[form])
    client.setMethod(method)
    client.setReturnFormat(return_format)
    with warnings.catch_warnings():
        # SPARQLWrapper warns when it sends Accept: */* (CSV for a CONSTRUCT) and when the
        # answer is not the format it asked for: both are the documented fall-back here
        warnings.simplefilter("ignore")
        result = client.query()
        converted = result.convert()
    fmt = expected_format(form, return_format)
    assert result.response.status == 200
    assert result.response.headers.get_content_type() == fmt.media_type
    if form == "SELECT":
        assert schools_of(converted, fmt) == reference["SELECT"]
    elif form == "ASK":
        assert boolean_of(converted, fmt) is True
    else:
        if isinstance(converted, rdflib.Graph):
            got = plain(converted)
        else:
            assert isinstance(converted, bytes), type(converted)
            got = graph(converted, RDFLIB_SYNTAX[fmt], server + "sparql")
        assert same_graph(got, reference[form])   # type: ignore[arg-type]


def test_sparqlwrapper_posting_the_query_directly(server, queries, reference) -> None:
    client = SPARQLWrapper(server + "sparql")
    client.setQuery(queries["CONSTRUCT"])
    client.setMethod(POST)
    client.setRequestMethod("postdirectly")
    client.setReturnFormat(RDFXML)
    converted = client.query().convert()
    assert isinstance(converted, rdflib.Graph)
    assert same_graph(plain(converted), reference["CONSTRUCT"])  # type: ignore[arg-type]


@pytest.mark.parametrize("params, accept, expected", [
    ({"format": "rdf+xml"}, None, formats.RDFXML),
    ({"output": "n3"}, None, formats.TURTLE),
    ({"results": "json"}, None, formats.JSONLD),
    ({"format": "csv"}, "application/rdf+xml", formats.RDFXML),   # CSV fits no graph: Accept
    ({"format": "csv"}, "text/csv", formats.TURTLE),              # ... nor Accept: the default
    ({"format": "bogus"}, "application/n-triples", NTRIPLES),
    ({}, "text/plain, */*;q=0.1", NTRIPLES),                     # rdflib's format="nt"
])
def test_construct_format_words_over_http(server, queries, params, accept, expected) -> None:
    mime, _ = fetch(sparql_url(server, queries["CONSTRUCT"], **params), accept)
    assert mime == expected.media_type


def test_nothing_named_and_nothing_acceptable_is_still_406(server, queries) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(sparql_url(server, queries["CONSTRUCT"]), "text/csv")
    assert err.value.code == 406


# ------------------------------------------------------------------------ rdflib

# rdflib's parsers that send an Accept naming their format (rdflib/parser.py, URLInputSource):
# a plain URL answers them in a format they read (TriG and N3 read Turtle)
NEGOTIATED = ("turtle", "ttl", "nt", "n3", "xml", "trig", "json-ld")
# the others send every parser's media type at q=1 (the server's first, Turtle, wins): they get
# theirs by naming it in the URL, in rdflib's own words where the server knows them
NAMED = {"ntriples": "ntriples", "application/n-triples": "application/n-triples",
         "nt11": "nt", "nquads": "nt",   # N-Triples is N-Quads too
         "text/turtle": "turtle", "text/n3": "n3", "application/rdf+xml": "rdf+xml",
         "application/ld+json": "json-ld", "application/trig": "ttl"}


@pytest.fixture(scope="module")
def rdf_urls(server: str, sample, queries) -> dict[str, str]:
    return {"id": f"{server}id/school/{sample.school}",
            "doc": f"{server}doc/school/{sample.school}",
            "district": f"{server}doc/district/{sample.district}",
            "sparql": sparql_url(server, queries["CONSTRUCT"])}


@pytest.fixture(scope="module")
def turtle_answers(rdf_urls) -> dict[str, rdflib.Graph]:
    out = {}
    for name, url in rdf_urls.items():
        mime, body = fetch(url, "text/turtle")
        assert mime == "text/turtle"
        out[name] = graph(body, "turtle", url)
    return out


def with_format(url: str, word: str) -> str:
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode({"format": word})


@pytest.mark.parametrize("syntax", NEGOTIATED)
@pytest.mark.parametrize("where", ["id", "doc", "district", "sparql"])
def test_rdflib_parses_every_url_in_its_formats(rdf_urls, turtle_answers, where, syntax) -> None:
    url = rdf_urls[where]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # rdflib's own ConjunctiveGraph
        got = rdflib.Graph().parse(url, format=syntax)
    assert same_graph(got, turtle_answers[where])


@pytest.mark.parametrize("syntax", list(NAMED))
@pytest.mark.parametrize("where", ["doc", "sparql"])
def test_rdflib_parses_a_url_that_names_its_format(rdf_urls, turtle_answers, where,
                                                    syntax) -> None:
    url = with_format(rdf_urls[where], NAMED[syntax])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        got = rdflib.Graph().parse(url, format=syntax)
    assert same_graph(got, turtle_answers[where])


def test_text_plain_is_n_triples_with_the_negotiation_headers(server, sample) -> None:
    url = f"{server}doc/school/{sample.school}"
    request = urllib.request.Request(url, headers={"Accept": "text/plain, */*;q=0.1"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        assert response.headers.get_content_type() == "application/n-triples"
        assert "Accept" in response.headers["Vary"]
        assert response.headers["Content-Location"].endswith(f"/doc/school/{sample.school}.nt")
        etag = response.headers["ETag"]
    _, by_suffix = fetch(url + ".nt")
    assert body == by_suffix
    again = urllib.request.Request(url, headers={"Accept": "text/plain", "If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(again, timeout=30)
    assert err.value.code == 304
