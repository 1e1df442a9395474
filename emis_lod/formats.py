"""Every RDF and query-results format of the platform, in one registry.

A :class:`Format` names one serialization: a short name (what ``?format=`` takes), its media types
(the first is the canonical one, sent as ``Content-Type``), the file suffix (what ``/doc/...ttl``
and dump files use) and the serializer behind it. The web layer (``?format=``, suffixes,
``Accept``), the service description and the dump writer all read this registry; nothing else
lists formats.

- RDF graphs: Turtle, JSON-LD, N-Triples, RDF/XML (:data:`RDF_FORMATS`), serialized by pyoxigraph
  (:func:`serialize_graph`), except JSON-LD documents about one resource, which the endpoint
  compacts against the published ``@context`` (``endpoint/jsonld.py``).
- RDF datasets (dumps): N-Quads, TriG (:data:`DATASET_FORMATS`).
- SPARQL results: JSON, XML, CSV, TSV (:data:`RESULTS_FORMATS`), written row by row by
  ``endpoint/results.py``.
- HTML pages and plain-text / JSON messages (:data:`HTML`, :data:`TEXT`, :data:`PROBLEM_JSON`).

Which of them a request gets (``Accept``, ``?format=``, what clients call formats) is the
endpoint's business: ``endpoint/negotiation.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

# --------------------------------------------------------------------------------------- registry

@dataclass(frozen=True)
class Format:
    """One serialization. ``media_types[0]`` is canonical; ``suffix`` has no dot."""

    name: str
    kind: str  # "rdf" | "dataset" | "results" | "html" | "message"
    label: str
    media_types: tuple[str, ...]
    suffix: str
    iri: str | None = None  # the W3C format IRI (http://www.w3.org/ns/formats/...)
    aliases: tuple[str, ...] = ()
    rdf_format: ox.RdfFormat | None = field(default=None, compare=False)
    results_format: ox.QueryResultsFormat | None = field(default=None, compare=False)

    @property
    def media_type(self) -> str:
        return self.media_types[0]

    @property
    def content_type(self) -> str:
        """``Content-Type`` header value; text types state their (always UTF-8) charset."""
        if self.media_type.startswith("text/"):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    @property
    def extension(self) -> str:
        return "." + self.suffix

    def names(self) -> tuple[str, ...]:
        """Everything ``?format=`` accepts for this format."""
        return (self.name, self.suffix, *self.aliases, *self.media_types)

    def __repr__(self) -> str:
        return f"Format({self.name!r})"


_W3C = "http://www.w3.org/ns/formats/"

TURTLE = Format("ttl", "rdf", "Turtle", ("text/turtle", "application/x-turtle", "application/turtle",
                                        "text/n3", "text/rdf+n3", "application/n3"), "ttl",
                _W3C + "Turtle", ("turtle",), rdf_format=ox.RdfFormat.TURTLE)
JSONLD = Format("jsonld", "rdf", "JSON-LD", ("application/ld+json", "application/json"), "jsonld",
                _W3C + "JSON-LD", ("json-ld", "json"), rdf_format=ox.RdfFormat.JSON_LD)
NTRIPLES = Format("nt", "rdf", "N-Triples", ("application/n-triples", "text/plain"), "nt",
                  _W3C + "N-Triples", ("ntriples", "n-triples"), rdf_format=ox.RdfFormat.N_TRIPLES)
RDFXML = Format("rdf", "rdf", "RDF/XML", ("application/rdf+xml",), "rdf",
                _W3C + "RDF_XML", ("rdfxml", "xml", "owl"), rdf_format=ox.RdfFormat.RDF_XML)
NQUADS = Format("nq", "dataset", "N-Quads", ("application/n-quads",), "nq",
                _W3C + "N-Quads", ("nquads", "n-quads"), rdf_format=ox.RdfFormat.N_QUADS)
TRIG = Format("trig", "dataset", "TriG", ("application/trig",), "trig",
              _W3C + "TriG", (), rdf_format=ox.RdfFormat.TRIG)
RESULTS_JSON = Format("json", "results", "SPARQL Results JSON",
                      ("application/sparql-results+json", "application/json"), "srj",
                      _W3C + "SPARQL_Results_JSON", (),
                      results_format=ox.QueryResultsFormat.JSON)
RESULTS_XML = Format("xml", "results", "SPARQL Results XML", ("application/sparql-results+xml",),
                     "srx", _W3C + "SPARQL_Results_XML", (),
                     results_format=ox.QueryResultsFormat.XML)
RESULTS_CSV = Format("csv", "results", "SPARQL Results CSV", ("text/csv",), "csv",
                     _W3C + "SPARQL_Results_CSV", (), results_format=ox.QueryResultsFormat.CSV)
RESULTS_TSV = Format("tsv", "results", "SPARQL Results TSV", ("text/tab-separated-values",), "tsv",
                     _W3C + "SPARQL_Results_TSV", (), results_format=ox.QueryResultsFormat.TSV)
HTML = Format("html", "html", "HTML", ("text/html", "application/xhtml+xml"), "html",
              None, ("htm",))
TEXT = Format("txt", "message", "plain text", ("text/plain",), "txt", None, ("text",))
PROBLEM_JSON = Format("problem", "message", "JSON problem details",
                      ("application/problem+json", "application/json"), "json")

FORMATS: tuple[Format, ...] = (
    TURTLE, JSONLD, NTRIPLES, RDFXML, NQUADS, TRIG,
    RESULTS_JSON, RESULTS_XML, RESULTS_CSV, RESULTS_TSV,
    HTML, TEXT, PROBLEM_JSON,
)

#: Graph formats, in the server's order of preference (the first wins a tie).
RDF_FORMATS: tuple[Format, ...] = (TURTLE, JSONLD, NTRIPLES, RDFXML)
#: Dataset formats, for dumps of whole releases.
DATASET_FORMATS: tuple[Format, ...] = (NQUADS, TRIG)
#: SELECT / ASK results formats, in order of preference.
RESULTS_FORMATS: tuple[Format, ...] = (RESULTS_JSON, RESULTS_XML, RESULTS_CSV, RESULTS_TSV)
#: What a document (``/doc/...``, ``/def/...``) is offered in: RDF first, so RDF wins ties.
DOCUMENT_FORMATS: tuple[Format, ...] = (*RDF_FORMATS, HTML)
#: What an error message is written in.
MESSAGE_FORMATS: tuple[Format, ...] = (TEXT, PROBLEM_JSON, HTML)

assert len({f.name for f in FORMATS}) == len(FORMATS), "format names must be unique"
assert len({f.suffix for f in FORMATS}) == len(FORMATS), "suffixes must be unique"


def by_name(value: str, offers: Sequence[Format] = FORMATS) -> Format | None:
    """The offered format that ``value`` names (short name, alias, suffix or media type)."""
    wanted = value.strip().lower()
    if not wanted:
        return None
    wanted = wanted.split(";", 1)[0].strip()
    for fmt in offers:
        if wanted in fmt.names():
            return fmt
    return None


def by_suffix(suffix: str, offers: Sequence[Format] = FORMATS) -> Format | None:
    """The offered format with this file suffix (``"ttl"`` or ``".ttl"``)."""
    wanted = suffix.lower().lstrip(".")
    for fmt in offers:
        if wanted == fmt.suffix or wanted in fmt.aliases:
            return fmt
    return None


def split_suffix(name: str, offers: Sequence[Format]) -> tuple[str, Format | None]:
    """``"41101001.ttl"`` -> ``("41101001", TURTLE)``; without a known suffix ``(name, None)``."""
    stem, dot, suffix = name.rpartition(".")
    if dot and stem:
        fmt = by_suffix(suffix, offers)
        if fmt is not None:
            return stem, fmt
    return name, None

# ------------------------------------------------------------------------ RDF serialization

_SEPARATORS = re.compile("[/#]")


def used_prefixes(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> dict[str, str]:
    """The subset of ``prefixes`` whose namespace some IRI in ``triples`` starts with (and is
    longer than). A namespace ending in ``/`` or ``#`` is found by looking up each such cut of
    an IRI, not by comparing every IRI with every namespace."""
    iris: set[str] = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    cut = {ns for ns in prefixes.values() if ns.endswith(("/", "#"))}
    found: set[str] = set()
    for iri in iris:
        for separator in _SEPARATORS.finditer(iri, 0, len(iri) - 1):
            if iri[:separator.end()] in cut:
                found.add(iri[:separator.end()])
    others = [ns for ns in prefixes.values() if ns not in cut]
    if others:
        found |= {ns for ns in others if any(i.startswith(ns) and i != ns for i in iris)}
    return {p: ns for p, ns in prefixes.items() if ns in found}


def serialize_graph(triples: Sequence[ox.Triple], fmt: Format, *,
                    prefixes: Mapping[str, str] | None = None) -> bytes:
    """Triples in one of :data:`RDF_FORMATS` (JSON-LD here is pyoxigraph's expanded form)."""
    if fmt.rdf_format is None or fmt.kind != "rdf":
        raise ValueError(f"{fmt.label} is not an RDF graph format")
    lines = fmt.rdf_format in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)  # no prefixes
    used = used_prefixes(triples, prefixes) if prefixes and not lines else None
    out = ox.serialize(triples, format=fmt.rdf_format, prefixes=used)
    assert out is not None
    return out
