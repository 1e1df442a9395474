"""The validation report a release publishes (``validation.ttl``): the results as a
``sh:ValidationReport`` (SHACL §3.6), written by Oxigraph's Turtle serializer."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib.namespace import RDF, SH

from .model import SH_NS, Violation

_SEVERITY_RANK = {str(SH.Info): 0, str(SH.Warning): 1, str(SH.Violation): 2}


def _sh(name: str) -> ox.NamedNode:
    return ox.NamedNode(SH_NS + name)


_TYPE = ox.NamedNode(str(RDF.type))


def report_graph(violations: Iterable[Violation], conforms_base: str = str(SH.Info)) -> str:
    """A ``sh:ValidationReport`` (SHACL §3.6) as Turtle.

    ``sh:conforms`` is false when a result has severity ``conforms_base`` or worse: the default
    (sh:Info) is the Recommendation's rule, any result at all; ``str(SH.Violation)`` lets
    warnings and infos through, like pySHACL's ``allow_warnings``.
    """
    violations = list(violations)
    floor = _SEVERITY_RANK.get(str(conforms_base))
    if floor is None:
        raise ValueError(f"conforms_base must be sh:Info, sh:Warning or sh:Violation, not {conforms_base}")
    conforms = not any(_SEVERITY_RANK.get(v.severity, 2) >= floor for v in violations)
    # the report's own nodes are named with a "-", which a violation's blank node never has
    # (see _blank): the same violations give the same bytes
    report = ox.BlankNode("validation-report")
    results = [ox.BlankNode(f"result-{i}") for i in range(1, len(violations) + 1)]
    triples = [ox.Triple(report, _TYPE, _sh("ValidationReport")),
               ox.Triple(report, _sh("conforms"), ox.Literal(conforms))]
    triples += [ox.Triple(report, _sh("result"), r) for r in results]
    for i, (r, v) in enumerate(zip(results, violations, strict=True), start=1):
        triples += [
            ox.Triple(r, _TYPE, _sh("ValidationResult")),
            ox.Triple(r, _sh("focusNode"), _node(v.focus)),
            ox.Triple(r, _sh("sourceConstraintComponent"), ox.NamedNode(v.component)),
            ox.Triple(r, _sh("sourceShape"), _node(v.shape)),
            ox.Triple(r, _sh("resultSeverity"), ox.NamedNode(v.severity)),
            ox.Triple(r, _sh("resultMessage"), ox.Literal(v.message)),
        ]
        inverse: list[ox.Triple] = []
        if v.path is not None:
            path, inverse = _path(v.path, ox.BlankNode(f"path-{i}"))
            triples.append(ox.Triple(r, _sh("resultPath"), path))
        if v.value is not None:
            triples.append(ox.Triple(r, _sh("value"), _term(v.value)))
        triples += inverse
    turtle = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={"sh": SH_NS})
    assert turtle is not None  # no output given: the bytes are returned
    return turtle.decode("utf-8")


def _blank(label: str) -> ox.BlankNode:
    """The blank node a violation names ``_:label`` (the same label, the same node)."""
    return ox.BlankNode(re.sub(r"[^A-Za-z0-9_]", "_", label[2:]) or "b")


def _term(nt: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A term a violation holds in N-Triples syntax, read by Oxigraph's parser."""
    if nt.startswith("_:"):
        return _blank(nt)
    (triple,) = ox.parse(f"<urn:x:s> <urn:x:p> {nt} .", format=ox.RdfFormat.N_TRIPLES)
    return triple.object  # type: ignore[return-value]


def _node(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A focus node or shape as a violation names it: an IRI, ``_:label`` or a literal."""
    return _term(text) if text.startswith(("_:", '"')) else ox.NamedNode(text)


def _path(path: str, node: ox.BlankNode) -> tuple[ox.NamedNode | ox.BlankNode | ox.Literal, list[ox.Triple]]:
    """``sh:resultPath`` and the triples of its path node: a predicate, an inverse path ``^IRI``
    as an ``sh:inversePath`` on ``node``, the other path kinds (in SPARQL syntax) as a string."""
    if path.startswith(("<", "(", "^(", "^<")):
        return ox.Literal(path), []
    if path.startswith("^"):
        return node, [ox.Triple(node, _sh("inversePath"), ox.NamedNode(path[1:]))]
    return ox.NamedNode(path), []
