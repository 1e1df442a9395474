"""Every RDF and query-results format of the platform, in one registry, and one content negotiation.

A :class:`Format` names one serialization: a short name (what ``?format=`` takes), its media types
(the first is the canonical one, sent as ``Content-Type``), the file suffix (what ``/doc/...ttl``
and dump files use) and the serializer behind it. The web layer (``?format=``, suffixes,
``Accept``), the service description and the dump writer all read this registry; nothing else
lists formats.

- RDF graphs: Turtle, JSON-LD, N-Triples, RDF/XML (:data:`RDF_FORMATS`), serialized by pyoxigraph,
  except JSON-LD documents about one resource, which :func:`compact_jsonld` writes against the
  published ``@context`` so that a school is the top object with short readable keys.
- RDF datasets (dumps): N-Quads, TriG (:data:`DATASET_FORMATS`).
- SPARQL results: JSON, XML, CSV, TSV (:data:`RESULTS_FORMATS`), written by
  :func:`write_solutions` / :func:`write_boolean` row by row, so that a row limit and a deadline
  can stop a long answer.
- HTML pages and plain-text / JSON messages (:data:`HTML`, :data:`TEXT`, :data:`PROBLEM_JSON`).

:func:`negotiate` is the one content-negotiation function (RFC 9110 section 12.5.1): q-values,
wildcards and specificity; among equally acceptable formats the order of the offers decides, and
offers list RDF before HTML, so ``Accept: */*`` gets Turtle while a browser gets HTML.
:data:`ALIASES` is what clients call formats (``format=n3``, ``output=json``), per kind of answer
(``xml`` is SPARQL results XML for a SELECT, RDF/XML for a CONSTRUCT); :func:`choose_requested`
reads it, then ``Accept``, and refuses nothing a client named.

The published JSON-LD context (``ontology/context.jsonld``) is a template: the namespaces that
depend on the deployment (``emis:``, ``concept:``) are written with a ``{base}`` placeholder, which
:func:`jsonld_context` replaces with the base URI of the release being served.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_attr

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = XSD + "string"


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


# ------------------------------------------------------------------------ what clients send

#: The words clients send to name a format (``?format=``; SPARQLWrapper sends its return format as
#: ``format=``, ``output=`` and ``results=`` at once; Jena, rdflib and curl users use the same short
#: names), per kind of answer: the same word names a results format for SELECT and ASK and a graph
#: format for CONSTRUCT, DESCRIBE and documents. A format's media types name it too (and
#: :func:`by_name`'s names: ``html``). A word that names nothing for the kind asked is not an
#: error: :func:`choose_requested` then negotiates ``Accept``. README "The SPARQL endpoint".
ALIASES: Mapping[str, Mapping[str, Format]] = {
    "results": {   # SELECT, ASK (CSV and TSV: an ASK answers the bare word)
        "json": RESULTS_JSON, "srj": RESULTS_JSON, "sparql-results+json": RESULTS_JSON,
        "xml": RESULTS_XML, "srx": RESULTS_XML, "sparql-results+xml": RESULTS_XML,
        "application/xml": RESULTS_XML,
        "csv": RESULTS_CSV, "tsv": RESULTS_TSV,
    },
    "graph": {     # CONSTRUCT, DESCRIBE, documents
        "ttl": TURTLE, "turtle": TURTLE, "n3": TURTLE,   # Turtle is N3 too
        "nt": NTRIPLES, "ntriples": NTRIPLES, "n-triples": NTRIPLES,
        "xml": RDFXML, "rdf": RDFXML, "rdf+xml": RDFXML, "rdfxml": RDFXML, "owl": RDFXML,
        "application/xml": RDFXML,
        "json": JSONLD, "json-ld": JSONLD, "jsonld": JSONLD,
    },
}


def named(values: Iterable[str], offers: Sequence[Format]) -> Format | None:
    """The first of ``values`` that names one of ``offers`` (:data:`ALIASES`, media types, or
    :func:`by_name`), else None. A value may be a comma-separated list, as SPARQLWrapper sends
    its ``Accept`` header as a second ``format=`` value (``format=tsv&format=text/tab-...``)."""
    for value in values:
        for item in value.split(","):
            word = item.split(";", 1)[0].strip().lower()
            if not word:
                continue
            for table in ALIASES.values():
                fmt = table.get(word)
                if fmt is not None and fmt in offers:
                    return fmt
            fmt = by_name(word, offers)
            if fmt is not None:
                return fmt
    return None


# ------------------------------------------------------------------------ content negotiation

class NotAcceptable(Exception):
    """Nothing offered matches the ``Accept`` header (HTTP 406)."""

    def __init__(self, accept: str, offers: Sequence[Format]) -> None:
        self.accept = accept
        self.offers = tuple(offers)
        available = ", ".join(f.media_type for f in offers)
        super().__init__(
            f"none of the media types in 'Accept: {accept}' can be served here; "
            f"available: {available} (or add ?format=NAME, "
            f"NAME one of {', '.join(f.name for f in offers)})")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        """2 for ``type/subtype``, 1 for ``type/*``, 0 for ``*/*``."""
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        type_, _, subtype = media_type.partition("/")
        return (self.type == "*" or self.type == type_) and (
            self.subtype == "*" or self.subtype == subtype)


_TOKEN = re.compile(r"^[A-Za-z0-9!#$&^_.+\-*]+$")


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped."""
    ranges: list[MediaRange] = []
    for item in (header or "").split(","):
        parts = [p.strip() for p in item.split(";")]
        if not parts[0]:
            continue
        mime = parts[0].lower()
        if mime == "*":  # sent by some old clients for */*
            mime = "*/*"
        type_, slash, subtype = mime.partition("/")
        if not slash or not _TOKEN.match(type_) or not _TOKEN.match(subtype):
            continue
        if type_ == "*" and subtype != "*":
            continue
        q = 1.0
        valid = True
        for param in parts[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    valid = False
                if not 0.0 <= q <= 1.0:
                    valid = False
                break  # parameters after q are accept-extensions, not media type parameters
        if valid:
            ranges.append(MediaRange(type_, subtype, q))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> tuple[float, int]:
    """``(q, specificity)`` of one media type: the most specific matching range decides."""
    best: tuple[int, float] | None = None
    for r in ranges:
        if r.matches(media_type):
            key = (r.specificity, r.q)
            if best is None or key > best:
                best = key
    if best is None:
        return 0.0, -1
    return best[1], best[0]


def format_quality(ranges: Sequence[MediaRange], fmt: Format) -> tuple[float, int]:
    """A format's ``(q, specificity)``: its canonical media type when the header names it
    exactly (``text/turtle;q=0`` excludes Turtle, alias types too), else its best media type."""
    canonical = quality(ranges, fmt.media_type)
    if canonical[1] == 2:
        return canonical
    return max(quality(ranges, mt) for mt in fmt.media_types)


def negotiate(accept: str | None, offers: Sequence[Format],
              default: Format | None = None) -> Format:
    """The best of ``offers`` for an ``Accept`` header.

    No header (or one with nothing parseable in it) gives ``default`` (the first offer if None).
    Higher q wins; at equal q the format matched by the more specific range wins
    (``text/html, */*`` prefers HTML); at equal specificity the earlier offer wins.
    Raises :class:`NotAcceptable` when every offer has q=0.
    """
    if not offers:
        raise ValueError("nothing offered")
    ranges = parse_accept(accept)
    if not ranges:
        return default if default is not None else offers[0]
    best: tuple[float, int, int] | None = None
    chosen: Format | None = None
    for position, fmt in enumerate(offers):
        q, specificity = format_quality(ranges, fmt)
        if q <= 0.0:
            continue
        key = (q, specificity, -position)
        if best is None or key > best:
            best, chosen = key, fmt
    if chosen is None:
        raise NotAcceptable(accept or "", offers)
    return chosen


def choose(format_param: str | None, accept: str | None, offers: Sequence[Format],
           default: Format | None = None) -> Format:
    """``?format=`` when given (it must name one of ``offers``), else :func:`negotiate` on Accept."""
    if format_param:
        fmt = by_name(format_param, offers)
        if fmt is None:
            raise NotAcceptable(f"format={format_param}", offers)
        return fmt
    return negotiate(accept, offers, default=default)


def choose_requested(values: Sequence[str], accept: str | None, offers: Sequence[Format],
                     default: Format) -> Format:
    """What a client asked for, leniently: the first of ``values`` (the ``format=`` parameters;
    at /sparql also ``output=`` and ``results=``) that names one of ``offers`` (:func:`named`),
    else :func:`negotiate` on ``Accept``. A parameter that names nothing here (``csv`` for a
    CONSTRUCT, ``pdf``) is passed over, not refused; when ``Accept`` then excludes every offer,
    a request that sent a parameter gets ``default`` (the client named a format and reads the
    ``Content-Type``), one that sent none :class:`NotAcceptable`."""
    fmt = named(values, offers)
    if fmt is not None:
        return fmt
    try:
        return negotiate(accept, offers, default=default)
    except NotAcceptable:
        if any(v.strip() for v in values):
            return default
        raise


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


def error_graph(fmt: Format, status: int, title: str, message: str) -> str:
    """An error message as an empty graph in an RDF syntax other than JSON-LD (which gets JSON
    problem details): the message in comments, so that a client that asked for Turtle gets
    Turtle it can parse, whatever the status."""
    if fmt.rdf_format is None or fmt.kind != "rdf":
        raise ValueError(f"{fmt.label} is not an RDF graph format")
    lines = [f"{status} {title}", "", *message.splitlines()]
    if fmt.rdf_format == ox.RdfFormat.RDF_XML:
        text = "\n".join(lines).replace("--", "- -")  # "--" may not occur in an XML comment
        return ('<?xml version="1.0" encoding="utf-8"?>\n'
                f"<!--\n{text}\n-->\n"
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n')
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


# ------------------------------------------------------------------------ SPARQL results

class ResultLimitReached(Exception):
    """Raised by a :class:`Guard` when an answer runs past its deadline."""


@dataclass
class Guard:
    """Stops a result stream at a row limit (the cut is recorded) or a deadline (an error)."""

    max_rows: int | None = None
    deadline: float | None = None  # time.monotonic() value
    rows: int = 0
    truncated: bool = False

    def rows_of(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            if self.max_rows is not None and self.rows >= self.max_rows:
                self.truncated = True
                return
            if self.deadline is not None and self.rows % 64 == 0 \
                    and time.monotonic() > self.deadline:
                raise ResultLimitReached(
                    f"the answer took longer than allowed (stopped after {self.rows} rows)")
            self.rows += 1
            yield item


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return (f"<literal xml:lang={_xml_attr(term.language)}>"
                    f"{_xml_escape(term.value)}</literal>")
        if term.datatype.value != XSD_STRING:
            return (f"<literal datatype={_xml_attr(term.datatype.value)}>"
                    f"{_xml_escape(term.value)}</literal>")
        return f"<literal>{_xml_escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
                f"<predicate>{_xml_term(term.predicate)}</predicate>"
                f"<object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


JSON_TERMS_KEPT = 200_000   # distinct terms whose JSON one answer keeps


def write_solutions(variables: Sequence[str], rows: Iterable[Sequence[Any]], fmt: Format,
                    out: io.BufferedIOBase | io.BytesIO) -> None:
    """SELECT results (``rows`` of terms or None, in ``variables`` order) in a results format."""
    if fmt is RESULTS_JSON:
        out.write(b'{"head":{"vars":' + json.dumps(list(variables)).encode()
                  + b'},"results":{"bindings":[')
        # each binding is the text json.dumps gives the dict {variable: term}, put together from
        # the JSON of each distinct term, written once (an answer repeats its IRIs row after row)
        keys = [json.dumps(v, ensure_ascii=False) + ": " for v in variables]
        terms: dict[Any, str] = {}
        separator = b""
        for row in rows:
            parts = []
            for key, term in zip(keys, row, strict=True):
                if term is None:
                    continue
                written = terms.get(term)
                if written is None:
                    written = json.dumps(_json_term(term), ensure_ascii=False)
                    if len(terms) < JSON_TERMS_KEPT:
                        terms[term] = written
                parts.append(key + written)
            out.write(separator + ("{" + ", ".join(parts) + "}").encode("utf-8"))
            separator = b","
        out.write(b"]}}")
    elif fmt is RESULTS_XML:
        head = "".join(f"<variable name={_xml_attr(v)}/>" for v in variables)
        out.write(('<?xml version="1.0" encoding="utf-8"?>\n'
                   '<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                   f"<head>{head}</head><results>").encode())
        for row in rows:
            cells = "".join(f"<binding name={_xml_attr(v)}>{_xml_term(t)}</binding>"
                            for v, t in zip(variables, row, strict=True) if t is not None)
            out.write(f"<result>{cells}</result>\n".encode())
        out.write(b"</results></sparql>\n")
    elif fmt is RESULTS_CSV:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(variables)
        out.write(text.getvalue().encode("utf-8"))
        for row in rows:
            text.seek(0)
            text.truncate()
            writer.writerow([_csv_term(t) for t in row])
            out.write(text.getvalue().encode("utf-8"))
    elif fmt is RESULTS_TSV:
        out.write(("\t".join("?" + v for v in variables) + "\n").encode("utf-8"))
        for row in rows:
            # str() of a pyoxigraph term is its N-Triples form, tabs and newlines escaped
            out.write(("\t".join("" if t is None else str(t) for t in row) + "\n").encode("utf-8"))
    else:
        raise ValueError(f"{fmt.label} is not a SPARQL results format")


def write_boolean(value: bool, fmt: Format, out: io.BufferedIOBase | io.BytesIO) -> None:
    """An ASK answer in a results format (CSV/TSV: the bare word, as most stores do)."""
    word = "true" if value else "false"
    if fmt is RESULTS_JSON:
        out.write(b'{"head":{},"boolean":' + word.encode() + b"}")
    elif fmt is RESULTS_XML:
        out.write(('<?xml version="1.0" encoding="utf-8"?>\n'
                   '<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                   f"<head/><boolean>{word}</boolean></sparql>\n").encode())
    elif fmt in (RESULTS_CSV, RESULTS_TSV):
        out.write(f"{word}\n".encode())
    else:
        raise ValueError(f"{fmt.label} is not a SPARQL results format")


# ------------------------------------------------------------------------ JSON-LD

@lru_cache(maxsize=8)
def _context_template() -> str:
    return resources.files("emis_lod.ontology").joinpath("context.jsonld").read_text("utf-8")


def jsonld_context(base: str) -> dict[str, Any]:
    """The published context document for a deployment base (``{base}`` filled in): one object
    per base, shared by every caller (read it, never change it)."""
    if not base.endswith("/"):
        base += "/"
    return _context_of(base)


@lru_cache(maxsize=8)
def _context_of(base: str) -> dict[str, Any]:
    return dict(json.loads(_context_template().replace("{base}", base)))


@dataclass(frozen=True)
class _Term:
    name: str
    iri: str
    coerce: str | None  # "@id", a datatype IRI, or None
    language_map: bool


class JsonLdCompactor:
    """Writes small RDF graphs as compacted JSON-LD against one context.

    Only the parts of JSON-LD compaction our context needs: keyword aliases, prefixes, terms
    with ``@type`` coercion (``@id`` or a datatype), ``@container: @language`` maps and
    ``@reverse`` terms. A value that fits no term goes under its compact IRI (``emis:foo``) as
    an explicit value object, so the output always expands to exactly the input triples. Nodes
    described in the graph are embedded where they are first reached, breadth-first from the
    root, so a school's direct links (district, region, code-list concepts, enrolment records)
    are objects with labels. A node that no link reaches but that links to an embedded node by
    a property with a reverse term (a finance line's ``emis:school``) is embedded under that
    term in the node it links to, so the root stays the one top object.
    """

    def __init__(self, context: Mapping[str, Any]) -> None:
        ctx = context.get("@context", context)
        self.context = ctx
        self.aliases: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        simple: dict[str, str] = {}
        raw: dict[str, tuple[str, str | None, bool]] = {}
        self.reverse_terms: dict[str, str] = {}  # property IRI -> the term of its reverse
        for name, definition in ctx.items():
            if name.startswith("@"):
                continue
            if isinstance(definition, dict) and "@reverse" in definition:
                continue  # after the prefixes are known
            if isinstance(definition, str):
                if definition.startswith("@"):
                    self.aliases[definition] = name
                    continue
                raw[name] = (definition, None, False)
            elif isinstance(definition, dict):
                iri = definition.get("@id", name)
                raw[name] = (iri, definition.get("@type"),
                             definition.get("@container") == "@language")
        for name, (iri, _, _) in raw.items():
            if isinstance(ctx[name], str) and iri[-1:] in ("/", "#", ":", "?", "[", "]", "@"):
                self.prefixes[name] = iri
        self.terms_by_iri: dict[str, list[_Term]] = {}
        for name, (iri, coerce, lang) in raw.items():
            full = self._expand(iri)
            term = _Term(name, full, self._expand(coerce) if coerce and coerce != "@id"
                         else coerce, lang)
            self.terms_by_iri.setdefault(full, []).append(term)
            if isinstance(ctx[name], str) and name not in self.prefixes:
                simple.setdefault(full, name)
        self.simple_terms = simple
        self._ordered_prefixes = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))
        for name, definition in ctx.items():
            if isinstance(definition, dict) and "@reverse" in definition:
                self.reverse_terms.setdefault(self._expand(definition["@reverse"]), name)

    def _expand(self, value: str) -> str:
        prefix, colon, rest = value.partition(":")
        if colon and not rest.startswith("//"):
            definition = self.context.get(prefix)
            if isinstance(definition, str):
                return definition + rest
        return value

    def _key(self, keyword: str) -> str:
        return self.aliases.get(keyword, keyword)

    def compact_iri(self, iri: str) -> str:
        """``prefix:local`` for an IRI under a context prefix, else the IRI itself."""
        for prefix, ns in self._ordered_prefixes:
            if iri.startswith(ns) and len(iri) > len(ns):
                local = iri[len(ns):]
                candidate = f"{prefix}:{local}"
                if not local.startswith("//") and candidate not in self.context:
                    return candidate
        return iri

    def compact_vocab(self, iri: str) -> str:
        """A class or datatype IRI: a term if the context has one, else a compact IRI."""
        return self.simple_terms.get(iri) or self.compact_iri(iri)

    @staticmethod
    def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
        return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value

    @staticmethod
    def _native(literal: ox.Literal) -> Any:
        """A JSON number or boolean when it reads back as the same lexical form, else a string."""
        dt = literal.datatype.value
        lexical = literal.value
        if dt == XSD + "boolean" and lexical in ("true", "false"):
            return lexical == "true"
        if dt in (XSD + "integer", XSD + "nonNegativeInteger", XSD + "positiveInteger",
                  XSD + "int", XSD + "long") and re.fullmatch(r"0|-?[1-9][0-9]{0,14}", lexical):
            return int(lexical)
        return lexical

    def _value_object(self, literal: ox.Literal) -> Any:
        """A literal where no term coerces its type: a string, a JSON number or boolean when
        JSON-LD reads those back as the same literal (xsd:integer, xsd:boolean), else
        an explicit value object."""
        if literal.language:
            return {"@value": literal.value, "@language": literal.language}
        dt = literal.datatype.value
        if dt == XSD_STRING:
            return literal.value
        if dt in (XSD + "integer", XSD + "boolean"):
            native = self._native(literal)
            if not isinstance(native, str):
                return native
        return {"@value": literal.value, "@type": self.compact_vocab(dt)}

    def _place(self, predicate: str, obj: Any) -> tuple[str, str, Any]:
        """``(key, mode, value)`` for one object; mode is "lang", "ref", "node" or "value"."""
        for term in self.terms_by_iri.get(predicate, ()):
            if isinstance(obj, ox.Literal):
                if term.language_map:
                    if obj.language:
                        return term.name, "lang", obj
                    continue
                if term.coerce is None:
                    return term.name, "value", self._value_object(obj)
                if term.coerce != "@id" and not obj.language and obj.datatype.value == term.coerce:
                    return term.name, "value", self._native(obj)
            elif isinstance(obj, (ox.NamedNode, ox.BlankNode)):
                if term.coerce == "@id":
                    return term.name, "ref", obj
                if term.coerce is None and not term.language_map:
                    return term.name, "node", obj
        key = self.compact_iri(predicate)
        if isinstance(obj, ox.Literal):
            return key, "value", self._value_object(obj)
        return key, "node", obj

    def _order(self, value: Any) -> tuple[Any, ...]:
        """Sort key of values: node objects by id, numbers in the id compared as numbers
        (``...-g2`` before ``...-g10``), then everything else by its JSON text."""
        id_key = self._key("@id")
        if isinstance(value, dict) and id_key in value:
            text = str(value[id_key])
        else:
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                     for part in re.split(r"(\d+)", text))

    def compact(self, triples: Iterable[ox.Triple], root: str | None,
                context_ref: Any) -> dict[str, Any]:
        """The JSON-LD document of ``triples``, ``root`` (an IRI) as the top object."""
        description: dict[Any, list[tuple[str, Any]]] = {}
        for t in sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate),
                                                     str(t.object))):
            description.setdefault(t.subject, []).append((t.predicate.value, t.object))

        # breadth-first: each described node is embedded once, where it is first reached
        owner: dict[Any, tuple[Any, str, Any]] = {}

        def claim(start: Any) -> None:
            queue = [start]
            while queue:
                nxt = []
                for node in queue:
                    for predicate, obj in description.get(node, ()):
                        # a class is never embedded under the node it types: "@type" takes IRIs
                        if (obj in description and obj not in owner and obj != start
                                and predicate != RDF_TYPE and not isinstance(obj, ox.Literal)):
                            owner[obj] = (node, predicate, obj)
                            nxt.append(obj)
                queue = nxt

        # nodes nested under a reverse term: parent -> [(reverse term, predicate, child)]
        reverse: dict[Any, list[tuple[str, str, Any]]] = {}

        def claim_reverse() -> None:
            """Nest unreached nodes that link to a nested one by a property with a reverse
            term, until none is left."""
            found = True
            while found:
                found = False
                for node, pairs in description.items():
                    if node in owner:
                        continue
                    for predicate, obj in pairs:
                        term = self.reverse_terms.get(predicate)
                        if term and obj in owner and not isinstance(obj, ox.Literal):
                            owner[node] = (obj, "^" + predicate, node)
                            reverse.setdefault(obj, []).append((term, predicate, node))
                            claim(node)
                            found = True
                            break

        root_node = ox.NamedNode(root) if root else None
        tops: list[Any] = []
        if root_node is not None and root_node in description:
            tops.append(root_node)
            owner[root_node] = (None, "", None)
            claim(root_node)
            claim_reverse()
        for node in description:
            if node not in owner:
                owner[node] = (None, "", None)
                tops.append(node)
                claim(node)

        def build(node: Any) -> dict[str, Any]:
            out: dict[str, Any] = {self._key("@id"): self._node_id(node)}
            types: list[str] = []
            grouped: dict[str, list[Any]] = {}
            languages: dict[str, dict[str, list[str]]] = {}
            parent = owner.get(node, (None, "", None))
            for predicate, obj in description.get(node, ()):
                if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
                    types.append(self.compact_vocab(obj.value))
                    continue
                if parent[1] == "^" + predicate and obj == parent[0]:
                    continue  # said by nesting this node under the parent's reverse term
                key, mode, value = self._place(predicate, obj)
                if mode == "lang":
                    languages.setdefault(key, {}).setdefault(value.language, []).append(
                        value.value)
                    continue
                if mode in ("ref", "node"):
                    embedded = owner.get(value) == (node, predicate, value)
                    if embedded:
                        value = build(value)
                    elif mode == "ref":
                        value = self._node_id(value)
                    else:
                        value = {self._key("@id"): self._node_id(value)}
                grouped.setdefault(key, []).append(value)
            for term, _, child in reverse.get(node, ()):
                grouped.setdefault(term, []).append(build(child))
            if types:
                out[self._key("@type")] = types[0] if len(types) == 1 else sorted(types)
            for key, by_lang in languages.items():
                grouped.setdefault(key, []).append(
                    {lang: vs[0] if len(vs) == 1 else sorted(vs)
                     for lang, vs in sorted(by_lang.items())})
            for key in sorted(grouped):
                values = grouped[key]
                out[key] = values[0] if len(values) == 1 else sorted(values, key=self._order)
            return out

        if len(tops) == 1:
            return {"@context": context_ref, **build(tops[0])}
        return {"@context": context_ref, "@graph": [build(n) for n in tops]}


def compact_jsonld(triples: Iterable[ox.Triple], *, root: str | None, context: Mapping[str, Any],
                   context_url: str | None = None) -> dict[str, Any]:
    """Compacted JSON-LD for a small graph; ``@context`` is ``context_url`` when given."""
    known = _COMPACTORS.get(id(context))
    if known is not None and known[0] is context:    # a published context: its compactor is made
        compactor = known[1]
    else:
        compactor = _compactor(json.dumps(context, sort_keys=True))
        if len(_COMPACTORS) < 8:
            _COMPACTORS[id(context)] = (context, compactor)
    ref: Any = context_url if context_url else context.get("@context", context)
    return compactor.compact(triples, root, ref)


_COMPACTORS: dict[int, tuple[Mapping[str, Any], JsonLdCompactor]] = {}  # by the context's id


@lru_cache(maxsize=8)
def _compactor(context_json: str) -> JsonLdCompactor:
    return JsonLdCompactor(json.loads(context_json))


def dumps_jsonld(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

