"""SHACL-SPARQL constraints (SHACL §5): an ``sh:sparql`` constraint read into a compiler rule,
and the text helpers its query needs (the prologue split off, the WHERE clause found outside
comments, IRIs and strings, PREFIX lines for the standard prefixes a query uses undeclared)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from .model import SH_NS, InvalidShape, UnsupportedShape
from .patterns import Query, Rule, Src, group
from .terms import node_label

if TYPE_CHECKING:
    from .compiler import Compiler


def sparql_rule(compiler: Compiler, shape: Node, cnode: Node,
                pth: tuple[str, str] | None) -> Rule | None:
    """The rule of one ``sh:sparql`` constraint of ``shape`` (SHACL §5): its ``sh:select`` with
    ``$PATH`` and ``$currentShape`` substituted, checked for what pre-binding ``$this`` forbids, and
    projecting ``?this``; None when the constraint is deactivated."""
    g, label = compiler.g, node_label(shape)
    if compiler.deactivated(cnode):
        return None
    selects = list(g.objects(cnode, SH.select))
    if len(selects) != 1 or not isinstance(selects[0], Literal):
        raise InvalidShape(label, "a SPARQL-based constraint needs exactly one sh:select string",
                           "§5.2 (#sparql-constraints-syntax)")
    prefixes: dict[str, str] = {}
    for holder in (shape, cnode):  # sh:prefixes on the constraint (and, leniently, the shape)
        for pnode in g.objects(holder, SH.prefixes):
            for decl in g.objects(pnode, SH.declare):
                pfx, ns = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
                if pfx is None or ns is None:
                    raise InvalidShape(label, "every sh:declare needs sh:prefix and sh:namespace",
                                       "§5.2.1 (#sparql-prefixes)")
                prefixes[str(pfx)] = str(ns)
    text = str(selects[0])
    if "$shapesGraph" in text:
        raise UnsupportedShape(label, "$shapesGraph is not supported: the shapes graph is not "
                               "in the store", "§5.3.1 (#pre-bound)")
    if "$currentShape" in text:
        if not isinstance(shape, URIRef):
            raise UnsupportedShape(label, "$currentShape needs a shape with an IRI", "§5.3.1")
        text = re.sub(r"\$currentShape\b", f"<{shape}>", text)
    if re.search(r"\$PATH\b", text):
        if pth is None:
            raise InvalidShape(label, "$PATH is only allowed in property shapes", "§6.3 (#PATH)")
        text = re.sub(r"\$PATH\b", lambda _: pth[0], text)
    prologue, body = _split_prologue(text)
    if re.search(r"\bBASE\b", prologue, re.IGNORECASE):
        raise UnsupportedShape(label, "BASE in sh:select is not supported; use full IRIs",
                               "§5.2 (#sparql-constraints-syntax)")
    for pfx, ns in re.findall(r"PREFIX\s+([A-Za-z][\w.-]*)?\s*:\s*<([^>]*)>", prologue, re.IGNORECASE):
        prefixes[pfx] = ns
    forbidden = re.findall(r"\b(VALUES|MINUS|SERVICE)\b", _code_only(body), re.IGNORECASE)
    if forbidden:
        raise InvalidShape(label, f"sh:select must not use {forbidden[0].upper()}: the "
                           "pre-binding of $this is undefined for it",
                           "§5.3.1 and its appendix on pre-binding (#pre-binding)")
    if not re.match(r"\s*SELECT\b", body, re.IGNORECASE):
        raise InvalidShape(label, "sh:select must be a SELECT query", "§5.2")
    brace = _first_brace(body)
    if brace < 0:
        raise InvalidShape(label, "sh:select has no WHERE clause", "§5.2")
    projection = body[:brace]
    if not re.search(r"[?$]this\b|\*", projection):
        if re.search(r"\bGROUP\s+BY\b", body, re.IGNORECASE):
            raise InvalidShape(label, "a grouped sh:select must project $this", "§5.3.1")
        body = re.sub(r"(?i)^\s*SELECT(\s+(DISTINCT|REDUCED))?", lambda m: m.group(0) + " ?this",
                      body, count=1)
        brace = _first_brace(body)
    message = compiler.shape_message(cnode) or compiler.shape_message(shape)
    generated = (f"Focus node {{?this}} breaks the SPARQL constraint of {compiler.short(shape)}"
                 + (" (value {?value})" if "?value" in body or "$value" in body else ""))

    def build(q: Query, src: Src, t: str, v: str) -> str:
        for p, ns in prefixes.items():
            q.prefix(p, ns)
        inner = body[: brace + 1] + " " + src("?this") + "\n" + body[brace + 1:] + "\n"
        return group(f"SELECT DISTINCT (?this AS {t}) WHERE", group(group(inner)))

    return Rule(shape, SH.SPARQLConstraintComponent, build, message or generated,
                sparql_text=body, brace=brace, prefixes=prefixes)


_PROLOGUE = re.compile(
    r"\A(?:\s+|#[^\n]*(?:\n|\Z)|PREFIX\s+(?:[A-Za-z][\w.-]*)?\s*:\s*<[^>]*>|BASE\s*<[^>]*>)*", re.IGNORECASE
)


def _split_prologue(text: str) -> tuple[str, str]:
    m = _PROLOGUE.match(text)
    end = m.end() if m else 0
    return text[:end], text[end:]


_IRI_TOKEN = re.compile(r"<[^<>\"{}|^`\\\s]*>")


def _code_only(text: str) -> str:
    """``text`` with comments, IRIs and string literals blanked out (same length)."""
    out, i, n = list(text), 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c == "<" and (m := _IRI_TOKEN.match(text, i)):
            blank(i, m.end())
            i = m.end()
        elif c in "\"'":
            q3 = text[i:i + 3]
            if q3 in ('"""', "'''"):
                j = text.find(q3, i + 3)
                j = n if j < 0 else j + 3
            else:
                j = i + 1
                while j < n and text[j] != c:
                    j += 2 if text[j] == "\\" else 1
                j += 1
            blank(i, j)
            i = j
        else:
            i += 1
    return "".join(out)


def _first_brace(text: str) -> int:
    """Index of the first ``{`` outside comments, IRIs and strings (the WHERE clause)."""
    return _code_only(text).find("{")


_STANDARD = {"rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL), "sh": SH_NS}


def standard_prefixes(query: str) -> str:
    """PREFIX lines for rdf/rdfs/xsd/owl/sh when a query uses them without declaring them."""
    lines = []
    for p, ns in _STANDARD.items():
        declared = re.search(rf"PREFIX\s+{p}\s*:", query, re.IGNORECASE)
        if not declared and re.search(rf"(?<![\w<:/#?$]){p}:", query):
            lines.append(f"PREFIX {p}: <{ns}>\n")
    return "".join(lines)
