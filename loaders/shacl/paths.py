"""SHACL property paths (SHACL §2.3.1) translated to SPARQL 1.1 property-path syntax."""

from __future__ import annotations

import rdflib
from rdflib import URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .model import InvalidShape
from .terms import node_label


def path_to_sparql(g: rdflib.Graph, node: Node, shape: str = "?") -> str:
    """A SHACL property path (§2.3.1) as SPARQL 1.1 property-path syntax."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if (node, RDF.first, None) in g:  # sequence path
        parts = [path_to_sparql(g, m, shape) for m in Collection(g, node)]
        if len(parts) < 2:
            raise InvalidShape(shape, "a sequence path needs at least two members", "§2.3.1.2")
        return "(" + "/".join(parts) + ")"
    for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "({})*"),
                      (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
        inner = g.value(node, pred)
        if inner is not None:
            text = path_to_sparql(g, inner, shape)
            return fmt.format(text if pred != SH.inversePath or isinstance(inner, URIRef) else f"({text})")
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        parts = [path_to_sparql(g, m, shape) for m in Collection(g, alt)]
        return "(" + "|".join(parts) + ")"
    raise InvalidShape(shape, f"{node_label(node)} is not a SHACL property path", "§2.3.1 (#property-paths)")
