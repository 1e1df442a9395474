"""Content negotiation: which registered format (``emis_lod/formats.py``) a request gets.

:func:`negotiate` is the one content-negotiation function (RFC 9110 section 12.5.1): q-values,
wildcards and specificity; among equally acceptable formats the order of the offers decides, and
offers list RDF before HTML, so ``Accept: */*`` gets Turtle while a browser gets HTML.
:data:`ALIASES` is what clients call formats (``format=n3``, ``output=json``), per kind of answer
(``xml`` is SPARQL results XML for a SELECT, RDF/XML for a CONSTRUCT); :func:`choose_requested`
reads it, then ``Accept``, and refuses nothing a client named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from emis_lod.formats import (
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESULTS_CSV,
    RESULTS_JSON,
    RESULTS_TSV,
    RESULTS_XML,
    TURTLE,
    Format,
    by_name,
)

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
