"""schema.org JSON-LD for the head of an HTML page, and the points of its map, from the triples of
the page's document (never from hand-built strings).

A school becomes a ``schema:School`` (its names in every language, identifier, address, geo
coordinates, the district and region it is in); a district or a region a
``schema:AdministrativeArea`` (names, identifier, the region a district is in). The context is
inline (``{"@vocab": "https://schema.org/"}``), so a client expands it without fetching anything.
:func:`script_json` makes the text safe inside ``<script>`` (``<``, ``>`` and ``&`` as ``\\u``
escapes: no ``</script>`` can end the element early).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox
from markupsafe import Markup

SCHEMA = "https://schema.org/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CONTEXT = {"@vocab": SCHEMA}

Pairs = Mapping[str, Sequence[tuple[str, Any]]]


def _values(pairs: Sequence[tuple[str, Any]], predicate: str) -> list[Any]:
    return [o for p, o in pairs if p == predicate]


def _literal(pairs: Sequence[tuple[str, Any]], predicate: str) -> str | None:
    found = sorted(o.value for o in _values(pairs, predicate) if isinstance(o, ox.Literal))
    return found[0] if found else None


def _iri(pairs: Sequence[tuple[str, Any]], predicate: str) -> str | None:
    found = sorted(o.value for o in _values(pairs, predicate) if isinstance(o, ox.NamedNode))
    return found[0] if found else None


def _names(pairs: Sequence[tuple[str, Any]]) -> list[dict[str, str]]:
    """``schema:name`` values as JSON-LD value objects, with their language tags."""
    out = []
    for o in _values(pairs, SCHEMA + "name"):
        if isinstance(o, ox.Literal):
            out.append({"@value": o.value, "@language": o.language} if o.language
                       else {"@value": o.value})
    return sorted(out, key=lambda v: (v.get("@language", ""), v["@value"]))


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def coordinates(by_subject: Pairs, iri: str) -> tuple[float, float] | None:
    """WGS84 latitude and longitude of ``iri`` in the document, if it has both."""
    pairs = by_subject.get(iri, ())
    lat, long = _number(_literal(pairs, GEO + "lat")), _number(_literal(pairs, GEO + "long"))
    return (lat, long) if lat is not None and long is not None else None


def _place(by_subject: Pairs, iri: str) -> dict[str, Any]:
    place: dict[str, Any] = {"@id": iri, "@type": "AdministrativeArea"}
    names = _names(by_subject.get(iri, ()))
    if names:
        place["name"] = names
    return place


def schema_org(by_subject: Pairs, root: str, vocab: str, url: str,
               country: str | None = None) -> dict[str, Any] | None:
    """The schema.org description of a school, district or region, or None for other things."""
    pairs = by_subject.get(root, ())
    types = {o.value for o in _values(pairs, RDF_TYPE) if isinstance(o, ox.NamedNode)}
    if vocab + "School" in types:
        kind, code = "School", _literal(pairs, vocab + "schoolCode")
    elif types & {vocab + "District", vocab + "Region"}:
        kind, code = "AdministrativeArea", _literal(pairs, vocab + "unitCode")
    else:
        return None
    out: dict[str, Any] = {"@context": CONTEXT, "@id": root, "@type": kind, "url": url}
    names = _names(pairs)
    if names:
        out["name"] = names
    if code:
        out["identifier"] = code
    district, region = _iri(pairs, vocab + "district"), _iri(pairs, vocab + "region")
    if kind == "School":
        address: dict[str, Any] = {"@type": "PostalAddress"}
        if country:            # the profile's (ISO 3166-1)
            address["addressCountry"] = country
        street, settlement = _literal(pairs, SCHEMA + "address"), _literal(pairs, vocab + "settlement")
        if street:
            address["streetAddress"] = street
        if settlement:
            address["addressLocality"] = settlement
        out["address"] = address
        point = coordinates(by_subject, root)
        if point:
            out["geo"] = {"@type": "GeoCoordinates", "latitude": point[0], "longitude": point[1]}
    contained = [_place(by_subject, i) for i in (district, region) if i]
    if contained:
        out["containedInPlace"] = contained
    return out


def script_json(data: Any, indent: int | None = 1) -> Markup:
    """``json.dumps`` made safe to place inside a ``<script>`` element of an HTML page."""
    text = json.dumps(data, ensure_ascii=False, indent=indent,
                      separators=None if indent else (",", ":"))
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)
