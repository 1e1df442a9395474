"""Value conditions: SPARQL expressions true for a value node that satisfies a datatype
(SHACL §4.1.2) or a node kind (§4.1.3), written over the placeholder variable :data:`V`."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from .terms import sparql_string

V = "?__VALUE__"  # the value node in a condition; each use replaces it by its own variable

_INTEGER_RANGES: dict[URIRef, tuple[int | None, int | None]] = {
    XSD.nonPositiveInteger: (None, 0),
    XSD.negativeInteger: (None, -1),
    XSD.long: (-(2**63), 2**63 - 1),
    XSD.int: (-(2**31), 2**31 - 1),
    XSD.short: (-(2**15), 2**15 - 1),
    XSD.byte: (-128, 127),
    XSD.nonNegativeInteger: (0, None),
    XSD.unsignedLong: (0, 2**64 - 1),
    XSD.unsignedInt: (0, 2**32 - 1),
    XSD.unsignedShort: (0, 2**16 - 1),
    XSD.unsignedByte: (0, 255),
    XSD.positiveInteger: (1, None),
}
# Datatypes Oxigraph can cast to: casting a literal to its own type fails iff it is ill-typed.
_CASTABLE = {
    XSD.integer, XSD.decimal, XSD.float, XSD.double, XSD.boolean, XSD.date, XSD.dateTime,
    XSD.time, XSD.gYear, XSD.gYearMonth, XSD.gMonth, XSD.gMonthDay, XSD.gDay, XSD.duration,
    XSD.yearMonthDuration, XSD.dayTimeDuration,
}
_LEXICAL_REGEX = {
    XSD.hexBinary: "^([0-9a-fA-F]{2})*$",
    XSD.language: "^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$",
}


def datatype_ok(dt: URIRef, v: str) -> str:
    """A SPARQL expression true iff ``v`` is a well-typed literal of ``dt`` (SHACL §4.1.2).

    "A literal matches a datatype if the literal's datatype has the same IRI and, for the
    datatypes supported by SPARQL 1.1, is not an ill-typed literal." Oxigraph keeps an
    ill-typed literal's lexical form (``"abc"^^xsd:integer``), and casting it to its own
    datatype fails, which is how ill-typed literals are found.
    """
    if dt == RDFS.Literal or dt == RDFS.Datatype:  # as pySHACL: every literal matches
        return f"isLiteral({v})"
    if dt == RDF.langString:
        return f'(isLiteral({v}) && lang({v}) != "")'
    if dt == XSD.string:
        return f"(datatype({v}) = <{XSD.string}>)"
    if dt in _CASTABLE:
        return f"(datatype({v}) = <{dt}> && isLiteral(<{dt}>({v})))"
    if dt in _INTEGER_RANGES:
        # Oxigraph stores a valid value of a type derived from xsd:integer as xsd:integer.
        lo, hi = _INTEGER_RANGES[dt]
        cond = f"(datatype({v}) = <{XSD.integer}> || datatype({v}) = <{dt}>) && isNumeric({v})"
        if lo is not None:
            cond += f" && {v} >= {lo}"
        if hi is not None:
            cond += f" && {v} <= {hi}"
        return f"({cond})"
    if dt == XSD.dateTimeStamp:  # stored as xsd:dateTime; must carry a timezone
        return (
            f"(datatype({v}) = <{XSD.dateTime}> && isLiteral(<{XSD.dateTime}>({v}))"
            f' && tz({v}) != "")'
        )
    if dt in _LEXICAL_REGEX:
        return f'(datatype({v}) = <{dt}> && regex(str({v}), {sparql_string(_LEXICAL_REGEX[dt])}))'
    return f"(datatype({v}) = <{dt}>)"


NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
