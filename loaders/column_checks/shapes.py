"""How the column checks read the shapes graph (targets, paths, parameters) and the text of the
compiled queries (the focus-node and constraint patterns the compiler in :mod:`loaders.shacl` writes)."""

from __future__ import annotations

import re

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from .vocabulary import RDF_TYPE, SUBCLASS


def _label(node: object) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _targets(g: rdflib.Graph) -> dict[Node, list[tuple[str, str]] | None]:
    """Shape -> its focus nodes as (kind, IRI): ("class", C) or ("subjectsOf", P), as the
    compiler assembles them (own targets, inherited through sh:property from a node shape);
    None when they are anything else (values of another shape's path, target nodes...)."""
    class_types = {RDFS.Class} | set(g.subjects(RDFS.subClassOf, RDFS.Class))
    shapes: set[Node] = set()
    for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        shapes |= set(g.subjects(p, None))
    for t in class_types:
        shapes |= {s for s in g.subjects(RDF.type, t) if isinstance(s, URIRef)}
    out: dict[Node, list[tuple[str, str]] | None] = {}

    def deactivated(shape: Node) -> bool:
        return any(isinstance(v, Literal) and v.toPython() is True for v in g.objects(shape, SH.deactivated))

    def own(shape: Node) -> list[tuple[str, str]] | None:
        if any(True for _ in g.objects(shape, SH.targetNode)) or \
                any(True for _ in g.objects(shape, SH.targetObjectsOf)):
            return None
        found = [("class", str(c)) for c in g.objects(shape, SH.targetClass)]
        if isinstance(shape, URIRef) and any(t in class_types for t in g.objects(shape, RDF.type)):
            found.append(("class", str(shape)))
        found += [("subjectsOf", str(p)) for p in g.objects(shape, SH.targetSubjectsOf)]
        return found

    def visit(shape: Node, focus: list[tuple[str, str]] | None, depth: int) -> None:
        if deactivated(shape) or depth > 8:
            return
        if focus is None or (shape in out and out[shape] is None):
            out[shape] = None
        else:
            out[shape] = sorted(set(out.get(shape) or []) | set(focus))
        path = g.value(shape, SH.path)
        for prop in g.objects(shape, SH.property):
            visit(prop, focus if path is None else None, depth + 1)

    for shape in shapes:
        visit(shape, own(shape), 0)
    return out


def _path(g: rdflib.Graph, shape: Node) -> tuple[str, ...] | None:
    """A predicate path (one IRI) or a sequence of IRIs as a tuple; () for a node shape;
    None for any other path."""
    node = g.value(shape, SH.path)
    if node is None:
        return ()
    if isinstance(node, URIRef):
        return (str(node),)
    if (node, RDF.first, None) in g:
        members = list(Collection(g, node))
        if all(isinstance(m, URIRef) for m in members):
            return tuple(str(m) for m in members)
    return None


def _int_param(g: rdflib.Graph, shape: Node, param: URIRef) -> int | None:
    value = g.value(shape, param)
    if isinstance(value, Literal) and isinstance(value.toPython(), int):
        return int(value.toPython())
    return None


_TYPE_PATTERN = re.compile(r"\{ \?this <" + re.escape(RDF_TYPE) + r">/<" + re.escape(SUBCLASS)
                           + r">\* <([^>]+)> \. \}")
_SUBJECTS_PATTERN = re.compile(r"\{ \?this <([^>]+)> \[\] \. \}")
_CLASS_PATTERN = re.compile(r"MINUS \{ \?value <" + re.escape(RDF_TYPE) + r">/<" + re.escape(SUBCLASS)
                            + r">\* <([^>]+)> \. \}")
_HAS_VALUE = re.compile(r"MINUS \{ \?this (\S+) <([^<>\s]+)> \. \} \}\s*$")
_CLOSED = re.compile(r"FILTER\(\?path NOT IN \(([^)]*)\)\)")
_PREFIX = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?\s*:\s*<([^>]*)>", re.IGNORECASE)
# A SHACL-SPARQL constraint that only filters the values of one predicate of the focus node.
_VALUE_SELECT = re.compile(r"\s*SELECT\s+(?:DISTINCT\s+)?[$?]this\s+\?value\s+WHERE\s*\{\s*$", re.IGNORECASE)
_VALUE_BODY = re.compile(r"\s*\$this\s+(\S+)\s+\?value\s*\.\s*FILTER\s*\((.*)\)\s*\}\s*", re.DOTALL)
# Filters that may use the clock: ``?value > today`` only gets fewer solutions as time passes.
_CLOCK = {"NOW()", "xsd:date(SUBSTR(STR(NOW()),1,10))"}


def _one_expression(text: str) -> bool:
    """``text`` (inside FILTER( )) is one expression: its parentheses never close the FILTER's."""
    depth, quote = 0, None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and quote is None
