"""SHACL validation compiled to set-based SPARQL and run on an Oxigraph store.

pySHACL walks focus nodes one at a time in Python (about 10k triples/s); a 20,000-school
release is about 7 M triples. Here every constraint of a shapes graph becomes **one SPARQL
SELECT** that returns the violations of *all* focus nodes at once (``?this`` the focus node,
``?value`` the offending value), and Oxigraph evaluates it with its indexes. pySHACL stays the
reference: :func:`validate_pyshacl` maps its report into the same :class:`Violation` records,
and the tests run both engines on the same data and compare the results as sets.

    >>> import pyoxigraph, rdflib
    >>> shapes = rdflib.Graph().parse(format="turtle", data='''
    ...   @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
    ...   ex:S a sh:NodeShape ; sh:targetClass ex:School ;
    ...      sh:property [ sh:path ex:name ; sh:minCount 1 ] .''')
    >>> store = pyoxigraph.Store()
    >>> store.load(b"<http://example.org/s1> a <http://example.org/School> .",
    ...            format=pyoxigraph.RdfFormat.TURTLE, to_graph=pyoxigraph.NamedNode("http://g"))
    >>> [(v.focus, v.path, v.component.rsplit("#")[1]) for v in validate_store(store, shapes)]
    [('http://example.org/s1', 'http://example.org/name', 'MinCountConstraintComponent')]

Supported (each family cites its section of the SHACL Recommendation where it is compiled):
targets (node, class incl. ``rdfs:subClassOf*`` in the data, implicit class, subjects-of,
objects-of); node and property shapes, nested ``sh:property``; every SHACL path kind (compiled
to the equivalent SPARQL property path); the value type, cardinality, value range, string,
property pair, logical, shape-based (``sh:node``, ``sh:qualifiedValueShape`` without
``sh:qualifiedValueShapesDisjoint``) and other (``sh:closed``, ``sh:hasValue``, ``sh:in``)
components; ``sh:deactivated``, ``sh:severity``, ``sh:message``; SHACL-SPARQL ``sh:sparql``
constraints with ``sh:select``, ``sh:prefixes``/``sh:declare``, ``$this``, ``$PATH`` and
``$currentShape``. Anything else in the ``sh:`` namespace raises :class:`UnsupportedShape`
naming the shape: nothing is skipped silently.

Known differences from pySHACL, all consequences of how the engines store literals:

* Oxigraph stores a valid literal of a type derived from ``xsd:integer`` (``xsd:nonNegativeInteger``,
  ``xsd:int``, ``xsd:byte``...) as ``xsd:integer`` and ``xsd:dateTimeStamp`` as ``xsd:dateTime``;
  the original type is gone. So ``sh:datatype xsd:nonNegativeInteger`` accepts an ``xsd:integer``
  value in the type's range (and rejects ``-5`` or ``"abc"^^xsd:nonNegativeInteger`` like pySHACL),
  and ``sh:datatype xsd:integer`` accepts a valid ``"5"^^xsd:byte``, which pySHACL rejects.
  Oxigraph also canonicalises valid numbers (``"01"^^xsd:integer`` is read back as ``"1"``), so
  reported values are the store's canonical form, and ``sh:in``/``sh:hasValue`` compare numbers
  in that form.
* Lexical validity follows XML Schema as Oxigraph implements it, which is stricter than rdflib:
  ``"20x"^^xsd:gYear`` or ``" 1"^^xsd:integer`` are violations here; rdflib accepts them.
* ``sh:pattern`` uses Oxigraph's (Rust) regular expressions, pySHACL Python's ``re``: the
  common syntax is the same, exotic constructs may differ.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import pyoxigraph
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from .memory import return_free_pages

__all__ = [
    "CompiledConstraint",
    "InvalidShape",
    "ShaclError",
    "UnsupportedShape",
    "ValidationFailure",
    "Violation",
    "compile_shapes",
    "report_graph",
    "run_compiled",
    "validate_pyshacl",
    "validate_store",
]

SPEC = "https://www.w3.org/TR/shacl/"
SH_NS = str(SH)


# --------------------------------------------------------------------------- records and errors


@dataclass(frozen=True)
class Violation:
    """One validation result (SHACL §3.6.2), engine-independent.

    ``focus`` is an IRI, ``_:label`` for a blank node, or an N-Triples literal; ``path`` a
    predicate IRI, ``^IRI`` for an inverse path, or SPARQL property-path syntax for the other
    path kinds; ``value`` the offending value in N-Triples syntax.
    """

    focus: str
    path: str | None
    value: str | None
    component: str
    shape: str
    severity: str
    message: str

    def key(self) -> tuple[str, str | None, str | None, str]:
        """What the equivalence tests compare: (focus, path, value, component)."""
        return (self.focus, self.path, self.value, self.component)


@dataclass(frozen=True)
class CompiledConstraint:
    """One constraint of one shape, compiled to a SPARQL SELECT over all focus nodes at once.

    The query returns ``?this`` (focus node) and, where the component reports one, ``?value``;
    ``?count``/``?lang``/``?path`` feed the message. SHACL-SPARQL constraints return whatever
    their ``sh:select`` projects (plus ``?this``).
    """

    shape: str
    component: str
    path: str | None
    severity: str
    message: str  # template: {?var} / {$var} are replaced by the solution's bindings
    sparql: str
    kind: str = "core"  # "core" or "sparql" (SHACL-SPARQL, SHACL §5)
    node_shape: bool = True
    # The same constraint read per focus node from the index (LATERAL, FILTER NOT EXISTS),
    # for when the focus nodes are few: the set-based ``sparql`` hashes every triple of the
    # path's predicate in the store (a gigabyte for ``emis:school`` at 20,000 schools), however
    # few the focus nodes. ``focus`` counts the focus nodes, up to PER_FOCUS_LIMIT + 1.
    per_focus: str | None = None
    focus: str | None = None


class ShaclError(ValueError):
    """A shapes graph that cannot be compiled; says which shape, what, and the spec section."""

    def __init__(self, shape: str, problem: str, section: str) -> None:
        self.shape, self.problem, self.section = shape, problem, section
        where = re.sub(r"\s*\(#([\w-]+)\)", lambda m: f", {SPEC}#{m.group(1)}", section)
        super().__init__(f"shape {shape}: {problem} (SHACL {where})")


class InvalidShape(ShaclError):
    """The shape breaks a syntax rule of SHACL (e.g. ``sh:minCount "two"``)."""


class UnsupportedShape(ShaclError):
    """Valid SHACL this compiler does not handle; validate that shape with pySHACL instead."""


class ValidationFailure(RuntimeError):
    """A SHACL-SPARQL query reported ``?failure true`` or could not run (SHACL §5.3.2)."""


# --------------------------------------------------------------------------- term helpers


def _label(node: Node) -> str:
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        return _nt_rdflib(node)
    return str(node)


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def _nt_rdflib(node: Node) -> str:
    """An rdflib term in N-Triples syntax."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        body = f'"{_escape(str(node))}"'
        if node.language:
            return f"{body}@{node.language}"
        if node.datatype is not None and node.datatype != XSD.string:
            return f"{body}^^<{node.datatype}>"
        return body
    raise TypeError(f"not an RDF term: {node!r}")


def _ox_label(term: object) -> str:
    if isinstance(term, pyoxigraph.NamedNode):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    return str(term)


_SHORT = {str(XSD): "xsd:", str(RDF): "rdf:", str(RDFS): "rdfs:", SH_NS: "sh:"}


_SHORT_DATATYPE = re.compile(
    r"\^\^<(" + "|".join(re.escape(ns) for ns in _SHORT) + r")([A-Za-z0-9_]*)>$"
)


_BARE = re.compile(r'^"([+-]?[0-9]+(?:\.[0-9]+)?|true|false)"\^\^xsd:(?:integer|decimal|boolean)$')


def _display(term: object) -> str:
    """A value for a human message: N-Triples, with xsd:/rdf: datatypes shortened and
    integers, decimals and booleans written bare as Turtle does (``-3``, ``true``)."""
    text = _SHORT_DATATYPE.sub(lambda m: "^^" + _SHORT[m.group(1)] + m.group(2), str(term))
    return _BARE.sub(r"\1", text)


def _message_value(term: object) -> str:
    """How pySHACL substitutes {?var} in sh:message: the IRI or the literal's lexical form."""
    if isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.Literal)):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    return str(term)


_TEMPLATE_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(template: str, bindings: dict[str, str]) -> str:
    return _TEMPLATE_VAR.sub(lambda m: bindings.get(m.group(1), m.group(0)), template)


# --------------------------------------------------------------------------- value conditions

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


def _datatype_ok(dt: URIRef, v: str) -> str:
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
        return f'(datatype({v}) = <{dt}> && regex(str({v}), "{_escape(_LEXICAL_REGEX[dt])}"))'
    return f"(datatype({v}) = <{dt}>)"


_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}

# --------------------------------------------------------------------------- the compiler

_TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
# Up to this many focus nodes a constraint that has a per-focus form runs in it (index lookups
# per focus node, about 10 microseconds each); above, in its set-based form.
PER_FOCUS_LIMIT = 100_000

# sh: terms that are read here but are not constraint parameters of their own.
_NON_CONSTRAINT = {
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path,
    SH.property, SH.severity, SH.message, SH.deactivated, SH.name, SH.description, SH.order,
    SH.group, SH.defaultValue, SH.flags, SH.ignoredProperties, SH.qualifiedMinCount,
    SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint, SH.prefixes, SH.declare,
}
_CONSTRAINT_PARAMS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minExclusive,
    SH.minInclusive, SH.maxExclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern,
    SH.languageIn, SH.uniqueLang, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
    SH["not"], SH["and"], SH["or"], SH.xone, SH.node, SH.qualifiedValueShape, SH.closed,
    SH.hasValue, SH["in"], SH.sparql,
}
_SHAPE_TYPES = {SH.NodeShape, SH.PropertyShape}

Src = Callable[[str], str]  # a focus-node source: given a variable, a pattern binding it


@dataclass
class _Query:
    """State while one SPARQL query is assembled: fresh variables and PREFIX declarations."""

    shape: str
    counter: int = 0
    prefixes: dict[str, str] = field(default_factory=dict)
    per_focus: bool = False    # build the per-focus form (CompiledConstraint.per_focus)

    def var(self, hint: str) -> str:
        self.counter += 1
        return f"?__{hint}{self.counter}"

    def prefix(self, name: str, ns: str) -> None:
        if self.prefixes.get(name, ns) != ns:
            raise UnsupportedShape(
                self.shape,
                f"prefix {name}: is declared as <{self.prefixes[name]}> and <{ns}> in the "
                "SPARQL constraints combined in one query; use one namespace per prefix",
                "§5.2.1 (#sparql-prefixes)",
            )
        self.prefixes[name] = ns

    def prologue(self) -> str:
        return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self.prefixes.items())


Build = Callable[[_Query, Src, str, str], "str | None"]


@dataclass
class _Rule:
    """One constraint before it is turned into a query; ``build`` gives its pattern."""

    shape: Node
    component: URIRef
    build: Build
    message: str
    sparql_text: str | None = None  # SHACL-SPARQL constraints: the rewritten sh:select ...
    brace: int = -1  # ... the position of its WHERE clause's opening brace ...
    prefixes: dict[str, str] = field(default_factory=dict)  # ... and its PREFIX declarations


def _group(*parts: str) -> str:
    return "{ " + " ".join(p for p in parts if p) + " }"


def _distinct(var: str, body: str) -> str:
    return _group(f"SELECT DISTINCT {var} WHERE", _group(body))


class _Compiler:
    def __init__(self, shapes: rdflib.Graph) -> None:
        self.g = shapes
        self._rules: dict[Node, list[_Rule]] = {}
        self._stack: list[Node] = []

    # ---- reading the shapes graph

    def _short(self, node: Node, depth: int = 0) -> str:
        """A term for a message: prefixed name, literal, or an anonymous shape by its content."""
        if isinstance(node, URIRef):
            try:
                return self.g.namespace_manager.normalizeUri(node)
            except Exception:  # noqa: BLE001 - rdflib raises several kinds for odd IRIs
                return f"<{node}>"
        if isinstance(node, Literal):
            text = _display(_nt_rdflib(node))
            return text if len(text) <= 60 else " ".join(text[:57].split()) + "..."
        if depth > 2:
            return "[...]"
        if (node, RDF.first, None) in self.g:
            return "( " + " ".join(self._short(m, depth + 1) for m in Collection(self.g, node)) + " )"
        pairs = sorted((self._short(p, depth + 1), self._short(o, depth + 1))
                       for p, o in self.g.predicate_objects(node) if p not in (SH.message, RDF.type))
        return "[ " + " ; ".join(f"{p} {o}" for p, o in pairs) + " ]" if pairs else _label(node)

    def _term(self, node: Node, shape: Node, what: str) -> str:
        """A shapes-graph term as a SPARQL constant."""
        if isinstance(node, BNode):
            raise UnsupportedShape(
                _label(shape),
                f"{what} is a blank node, which cannot be matched against the data graph; "
                "use an IRI or a literal",
                "§4 (#core-components)",
            )
        return _nt_rdflib(node)

    def _list(self, node: Node, shape: Node, param: str) -> list[Node]:
        if node != RDF.nil and self.g.value(node, RDF.first) is None:
            raise InvalidShape(_label(shape), f"the value of {param} must be an RDF list", "§1.5")
        return list(Collection(self.g, node))

    def _one(self, shape: Node, param: URIRef) -> Node | None:
        values = list(self.g.objects(shape, param))
        if len(values) > 1:
            raise InvalidShape(
                _label(shape), f"{self._short(param)} has {len(values)} values, at most one allowed",
                "§4 (#core-components)",
            )
        return values[0] if values else None

    def _int(self, shape: Node, param: URIRef, value: Node) -> int:
        if not isinstance(value, Literal) or not isinstance(value.toPython(), int) or isinstance(
            value.toPython(), bool
        ):
            raise InvalidShape(
                _label(shape), f"{self._short(param)} must be an xsd:integer, found {_label(value)}",
                "§4.2 (#core-components-count)",
            )
        return int(value.toPython())

    def _deactivated(self, shape: Node) -> bool:
        return any(bool(v.toPython()) is True for v in self.g.objects(shape, SH.deactivated)
                   if isinstance(v, Literal))

    def _is_property_shape(self, shape: Node) -> bool:
        return (shape, SH.path, None) in self.g

    def path(self, shape: Node) -> tuple[str, str] | None:
        """SHACL §2.3.1 property paths -> (SPARQL property path, report string)."""
        node = self._one(shape, SH.path)
        if node is None:
            return None
        sparql = self._path_sparql(node, shape)
        if isinstance(node, URIRef):
            return sparql, str(node)
        inv = self.g.value(node, SH.inversePath)
        if isinstance(inv, URIRef) and len(list(self.g.predicate_objects(node))) == 1:
            return sparql, f"^{inv}"
        return sparql, sparql

    def _path_sparql(self, node: Node, shape: Node) -> str:
        return path_to_sparql(self.g, node, _label(shape))

    def _message(self, node: Node) -> str | None:
        msgs = [m for m in self.g.objects(node, SH.message) if isinstance(m, Literal)]
        if not msgs:
            return None
        msgs.sort(key=lambda m: (m.language not in (None, "en"), m.language or "", str(m)))
        return str(msgs[0])

    # ---- targets (SHACL §2.1.3)

    def target_src(self, shape: Node) -> Src | None:
        g = self.g
        classes = list(g.objects(shape, SH.targetClass))
        # §2.1.3.3 implicit class targets: a shape that is also an rdfs:Class (or a subclass of it
        # declared in the shapes graph, as pySHACL reads it).
        class_types = {RDFS.Class} | set(g.subjects(RDFS.subClassOf, RDFS.Class))
        if isinstance(shape, URIRef) and any(t in class_types for t in g.objects(shape, RDF.type)):
            classes.append(shape)
        nodes = list(g.objects(shape, SH.targetNode))
        subjects_of = list(g.objects(shape, SH.targetSubjectsOf))
        objects_of = list(g.objects(shape, SH.targetObjectsOf))
        if not (classes or nodes or subjects_of or objects_of):
            return None
        for c in classes + subjects_of + objects_of:
            if not isinstance(c, URIRef):
                raise InvalidShape(_label(shape), f"target {_label(c)} must be an IRI", "§2.1.3")
        node_terms = [self._term(n, shape, "sh:targetNode") for n in nodes]

        def src(v: str) -> str:
            alts = [_group(f"{v} {_TYPE_PATH} <{c}> .") for c in classes]  # §2.1.3.2
            if node_terms:  # §2.1.3.1
                alts.append(_group(f"VALUES {v} {{ {' '.join(node_terms)} }}"))
            alts += [_group(f"{v} <{p}> [] .") for p in subjects_of]  # §2.1.3.4
            alts += [_group(f"[] <{p}> {v} .") for p in objects_of]  # §2.1.3.5
            return _distinct(v, " UNION ".join(alts))

        return src

    # ---- constraints of one shape

    def rules(self, shape: Node) -> list[_Rule]:
        if shape not in self._rules:
            self._rules[shape] = self._make_rules(shape)
        return self._rules[shape]

    def _make_rules(self, shape: Node) -> list[_Rule]:
        g, label = self.g, _label(shape)
        for p in set(g.predicates(shape)):
            if str(p).startswith(SH_NS) and p not in _NON_CONSTRAINT | _CONSTRAINT_PARAMS:
                raise UnsupportedShape(
                    label, f"parameter {self._short(p)} is not supported by the SPARQL compiler",
                    "§4 (#core-components)",
                )
        pth = self.path(shape)
        path = pth[0] if pth else None
        path_txt = self._short_path(shape, pth)
        rules: list[_Rule] = []

        def add(component: URIRef, build: Build, message: str) -> None:
            rules.append(_Rule(shape, component, build, message))

        def value_check(component: URIRef, ok: str, message: str) -> None:
            """A constraint on each value node alone: ``ok`` is true for a good value ``?V``."""
            add(component, partial(_value_build, path, ok), message)

        # §4.1 value type constraints
        for cls in g.objects(shape, SH["class"]):  # §4.1.1 sh:class
            c = self._term(cls, shape, "sh:class")
            add(SH.ClassConstraintComponent,
                partial(_class_build, path, c),
                f"Value {{?value}} is not an instance of {self._short(cls)} (sh:class)")
        dt = self._one(shape, SH.datatype)
        if dt is not None:  # §4.1.2 sh:datatype
            if not isinstance(dt, URIRef):
                raise InvalidShape(label, "sh:datatype must be an IRI", "§4.1.2")
            value_check(SH.DatatypeConstraintComponent, _datatype_ok(dt, V),
                        f"Value {{?value}} is not a valid literal of datatype {self._short(dt)}"
                        " (sh:datatype)")
        kind = self._one(shape, SH.nodeKind)
        if kind is not None:  # §4.1.3 sh:nodeKind
            if not isinstance(kind, URIRef) or kind not in _NODE_KINDS:
                raise InvalidShape(label, f"sh:nodeKind {_label(kind)} is not one of the six node kinds",
                                   "§4.1.3")
            value_check(SH.NodeKindConstraintComponent, _NODE_KINDS[kind].format(v=V),
                        f"Value {{?value}} is not of node kind {self._short(kind)} (sh:nodeKind)")

        # §4.2 cardinality constraints (property shapes only)
        for param, component in ((SH.minCount, SH.MinCountConstraintComponent),
                                 (SH.maxCount, SH.MaxCountConstraintComponent)):
            raw = self._one(shape, param)
            if raw is None:
                continue
            if path is None:
                raise InvalidShape(label, f"{self._short(param)} is only allowed on property shapes",
                                   "§4.2")
            n = self._int(shape, param, raw)
            if param == SH.minCount and n > 0:  # §4.2.1 sh:minCount
                add(component, partial(_min_count, path, n),
                    f"{path_txt} has {{?count}} value(s), fewer than sh:minCount {n}")
            elif param == SH.maxCount:  # §4.2.2 sh:maxCount
                add(component, partial(_max_count, path, n),
                    f"{path_txt} has {{?count}} values, more than sh:maxCount {n}")

        # §4.3 value range constraints: "$min <= v" must be true; incomparable values fail.
        for param, component, op, words in (
            (SH.minExclusive, SH.MinExclusiveConstraintComponent, ">", "greater than"),
            (SH.minInclusive, SH.MinInclusiveConstraintComponent, ">=", "at least"),
            (SH.maxExclusive, SH.MaxExclusiveConstraintComponent, "<", "less than"),
            (SH.maxInclusive, SH.MaxInclusiveConstraintComponent, "<=", "at most"),
        ):
            bound = self._one(shape, param)
            if bound is None:
                continue
            if not isinstance(bound, Literal):
                raise InvalidShape(label, f"{self._short(param)} must be a literal", "§4.3")
            b = _nt_rdflib(bound)
            value_check(component, f"{V} {op} {b}",
                        f"Value {{?value}} is not {words} {self._short(bound)} ({self._short(param)})")

        # §4.4 string-based constraints
        for param, component, op, words in (
            (SH.minLength, SH.MinLengthConstraintComponent, ">=", "shorter than"),
            (SH.maxLength, SH.MaxLengthConstraintComponent, "<=", "longer than"),
        ):
            raw = self._one(shape, param)
            if raw is None:
                continue
            n = self._int(shape, param, raw)
            value_check(component, f"(!isBlank({V}) && strlen(str({V})) {op} {n})",
                        f"Value {{?value}} is {words} {n} characters ({self._short(param)})")
        flags_node = self._one(shape, SH.flags)
        flags = str(flags_node) if flags_node is not None else ""
        if not re.fullmatch(r"[smixq]*", flags):
            raise InvalidShape(label, f"sh:flags {flags!r} has flags outside 'smixq'", "§4.4.3")
        for pat in g.objects(shape, SH.pattern):  # §4.4.3 sh:pattern
            expr = f'"{_escape(str(pat))}", "{flags}"'
            value_check(SH.PatternConstraintComponent,
                        f"(!isBlank({V}) && regex(str({V}), {expr}))",
                        f"Value {{?value}} does not match the pattern {str(pat)!r} (sh:pattern)")
        lang_in = self._one(shape, SH.languageIn)
        if lang_in is not None:  # §4.4.4 sh:languageIn
            tags = [str(x) for x in self._list(lang_in, shape, "sh:languageIn")]
            matches = " || ".join(f'langMatches(lang({V}), "{_escape(t)}")' for t in tags) or "false"
            value_check(SH.LanguageInConstraintComponent, f"(isLiteral({V}) && ({matches}))",
                        f"Value {{?value}} has no language tag in {tags} (sh:languageIn)")
        unique = self._one(shape, SH.uniqueLang)
        if isinstance(unique, Literal) and unique.toPython() is True:  # §4.4.5 sh:uniqueLang
            if path is None:
                raise InvalidShape(label, "sh:uniqueLang is only allowed on property shapes", "§4.4.5")
            add(SH.UniqueLangConstraintComponent, partial(_unique_lang, path),
                f"Language tag {{?lang}} is used by more than one value of {path_txt} (sh:uniqueLang)")

        # §4.5 property pair constraints
        for param, component in ((SH.equals, SH.EqualsConstraintComponent),
                                 (SH.disjoint, SH.DisjointConstraintComponent),
                                 (SH.lessThan, SH.LessThanConstraintComponent),
                                 (SH.lessThanOrEquals, SH.LessThanOrEqualsConstraintComponent)):
            for other in g.objects(shape, param):
                if not isinstance(other, URIRef):
                    raise InvalidShape(label, f"{self._short(param)} must be an IRI", "§4.5")
                if param in (SH.lessThan, SH.lessThanOrEquals) and path is None:
                    raise InvalidShape(label, f"{self._short(param)} needs a property shape", "§4.5")
                add(component, partial(_pair, path, param, f"<{other}>"),
                    f"Value {{?value}} breaks {self._short(param)} {self._short(other)}")

        # §4.6 logical constraints and §4.7 shape-based constraints
        for ref in g.objects(shape, SH["not"]):  # §4.6.1
            add(SH.NotConstraintComponent, self._logical("not", [ref], path),
                f"Value {{?value}} conforms to {self._short(ref)}, which sh:not forbids")
        for param, kind_, component in ((SH["and"], "and", SH.AndConstraintComponent),
                                        (SH["or"], "or", SH.OrConstraintComponent),
                                        (SH.xone, "xone", SH.XoneConstraintComponent)):
            for lst in g.objects(shape, param):  # §4.6.2-4.6.4
                members = self._list(lst, shape, self._short(param))
                names = ", ".join(self._short(m) for m in members)
                add(component, self._logical(kind_, members, path),
                    f"Value {{?value}} does not satisfy {self._short(param)} ({names})")
        for ref in g.objects(shape, SH.node):  # §4.7.1 sh:node
            add(SH.NodeConstraintComponent, self._logical("and", [ref], path),
                f"Value {{?value}} does not conform to node shape {self._short(ref)} (sh:node)")
        qvs = self._one(shape, SH.qualifiedValueShape)
        if qvs is not None:  # §4.7.3 sh:qualifiedValueShape
            if path is None:
                raise InvalidShape(label, "sh:qualifiedValueShape needs a property shape", "§4.7.3")
            disjoint = self._one(shape, SH.qualifiedValueShapesDisjoint)
            if isinstance(disjoint, Literal) and disjoint.toPython() is True:
                raise UnsupportedShape(label, "sh:qualifiedValueShapesDisjoint true is not supported",
                                       "§4.7.3")
            for param, component, op in (
                (SH.qualifiedMinCount, SH.QualifiedMinCountConstraintComponent, "<"),
                (SH.qualifiedMaxCount, SH.QualifiedMaxCountConstraintComponent, ">"),
            ):
                raw = self._one(shape, param)
                if raw is None:
                    continue
                n = self._int(shape, param, raw)
                add(component, self._qualified(qvs, path, op, n),
                    f"{path_txt} has {{?count}} values conforming to {self._short(qvs)}, "
                    f"breaking {self._short(param)} {n}")

        # §4.8 other constraints
        closed = self._one(shape, SH.closed)
        if isinstance(closed, Literal) and closed.toPython() is True:  # §4.8.1 sh:closed
            if path is not None:
                raise UnsupportedShape(label, "sh:closed on a property shape is not supported", "§4.8.1")
            allowed = {str(p) for p in self._closed_allowed(shape)}
            ignored = self._one(shape, SH.ignoredProperties)
            if ignored is not None:
                allowed |= {str(x) for x in self._list(ignored, shape, "sh:ignoredProperties")}
            add(SH.ClosedConstraintComponent, partial(_closed, sorted(allowed)),
                "Predicate {?path} (value {?value}) is not allowed by the closed shape (sh:closed)")
        for hv in g.objects(shape, SH.hasValue):  # §4.8.2 sh:hasValue
            h = self._term(hv, shape, "sh:hasValue")
            add(SH.HasValueConstraintComponent, partial(_has_value, path, h),
                f"{path_txt or 'The focus node'} does not have the value {self._short(hv)} (sh:hasValue)")
        in_list = self._one(shape, SH["in"])
        if in_list is not None:  # §4.8.3 sh:in
            allowed_terms = [self._term(x, shape, "a member of sh:in")
                             for x in self._list(in_list, shape, "sh:in")]
            shown = ", ".join(self._short(x) for x in Collection(g, in_list))
            value_check(SH.InConstraintComponent,
                        " || ".join(f"sameTerm({V}, {m})" for m in allowed_terms) or "false",
                        f"Value {{?value}} is not one of the allowed values ({shown}) (sh:in)")

        # §5 SPARQL-based constraints
        for cnode in g.objects(shape, SH.sparql):
            rule = self._sparql_rule(shape, cnode, pth)
            if rule is not None:
                rules.append(rule)
        return rules

    def _short_path(self, shape: Node, pth: tuple[str, str] | None) -> str:
        if pth is None:
            return ""
        node = self.g.value(shape, SH.path)
        if isinstance(node, URIRef):
            return self._short(node)
        return pth[1]

    def _closed_allowed(self, shape: Node) -> Iterable[Node]:
        for prop in self.g.objects(shape, SH.property):
            p = self.g.value(prop, SH.path)
            if isinstance(p, URIRef):
                yield p

    # ---- nested shapes: the focus nodes that fail a shape (§4.6, §4.7)

    def failing(self, q: _Query, shape: Node, src: Src, x: str) -> str | None:
        """A pattern binding ``x`` to every node of ``src`` that does not conform to ``shape``.

        None when the shape cannot fail (deactivated or without constraints). Recursive shapes
        are refused: SHACL leaves their validation undefined (§3.4.2).
        """
        if self._deactivated(shape):
            return None
        if shape in self._stack:
            raise UnsupportedShape(_label(shape), "recursive shape references are not supported",
                                   "§3.4.2 (#shapes-recursion)")
        self._stack.append(shape)
        try:
            branches = []
            for rule in self.rules(shape):
                body = rule.build(q, src, x, q.var("v"))
                if body:
                    branches.append(_group(body))
            pth = self.path(shape)
            for prop in self.g.objects(shape, SH.property):
                if pth is None:
                    inner = self.failing(q, prop, src, x)
                else:
                    y = q.var("y")
                    sub = self.failing(q, prop, _values_src(q, src, pth[0]), y)
                    inner = None if sub is None else _distinct(x, f"{src(x)} {x} {pth[0]} {y} . {sub}")
                if inner:
                    branches.append(inner)
        finally:
            self._stack.pop()
        if not branches:
            return None
        return _distinct(x, " UNION ".join(branches))

    def _logical(self, kind: str, members: Sequence[Node], path: str | None) -> Build:
        def build(q: _Query, src: Src, t: str, v: str) -> str | None:
            vals = _vals(src, path, t, v)
            value_src = src if path is None else _values_src(q, src, path)
            fails = [self.failing(q, m, value_src, v) for m in members]
            if kind == "not":  # violation: the value conforms
                return vals if fails[0] is None else f"{vals} MINUS {fails[0]}"
            if kind == "and":  # violation: fails any member
                real = [f for f in fails if f]
                return f"{vals} {_group(' UNION '.join(real))}" if real else None
            if kind == "or":  # violation: fails every member
                if not fails or any(f is None for f in fails):
                    return None if fails else vals
                return f"{vals} {' '.join(f for f in fails if f)}"
            # xone: violation unless exactly one member conforms
            terms, always = [], 0
            opts = []
            for f in fails:
                if f is None:
                    always += 1
                    continue
                b = q.var("b")
                opts.append(f"OPTIONAL {_group(f, f'BIND(true AS {b})')}")
                terms.append(f"IF(BOUND({b}), 0, 1)")
            count = " + ".join(terms + [str(always)])
            return f"{vals} {' '.join(opts)} FILTER(({count}) != 1)"

        return build

    def _qualified(self, qvs: Node, path: str, op: str, n: int) -> Build:
        def build(q: _Query, src: Src, t: str, v: str) -> str:
            y = q.var("y")
            fail = self.failing(q, qvs, _values_src(q, src, path), y)
            inner = f"{t} {path} {y} ." + (f" MINUS {fail}" if fail else "")
            return _group(
                f"SELECT {t} (COUNT(DISTINCT {y}) AS ?count) WHERE",
                _group(src(t), f"OPTIONAL {_group(inner)}"),
                f"GROUP BY {t} HAVING (COUNT(DISTINCT {y}) {op} {n})",
            )

        return build

    # ---- §5 SHACL-SPARQL

    def _sparql_rule(self, shape: Node, cnode: Node, pth: tuple[str, str] | None) -> _Rule | None:
        label = _label(shape)
        if self._deactivated(cnode):
            return None
        selects = list(self.g.objects(cnode, SH.select))
        if len(selects) != 1 or not isinstance(selects[0], Literal):
            raise InvalidShape(label, "a SPARQL-based constraint needs exactly one sh:select string",
                               "§5.2 (#sparql-constraints-syntax)")
        prefixes: dict[str, str] = {}
        for holder in (shape, cnode):  # sh:prefixes on the constraint (and, leniently, the shape)
            for pnode in self.g.objects(holder, SH.prefixes):
                for decl in self.g.objects(pnode, SH.declare):
                    pfx, ns = self.g.value(decl, SH.prefix), self.g.value(decl, SH.namespace)
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
        message = self._message(cnode) or self._message(shape)
        generated = (f"Focus node {{?this}} breaks the SPARQL constraint of {self._short(shape)}"
                     + (" (value {?value})" if "?value" in body or "$value" in body else ""))

        def build(q: _Query, src: Src, t: str, v: str) -> str:
            for p, ns in prefixes.items():
                q.prefix(p, ns)
            inner = body[: brace + 1] + " " + src("?this") + "\n" + body[brace + 1:] + "\n"
            return _group(f"SELECT DISTINCT (?this AS {t}) WHERE", _group(_group(inner)))

        return _Rule(shape, SH.SPARQLConstraintComponent, build, message or generated,
                     sparql_text=body, brace=brace, prefixes=prefixes)

    # ---- top level: which shapes run on which focus nodes

    def compile(self) -> list[CompiledConstraint]:
        g = self.g
        shapes: set[Node] = set()
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            shapes |= set(g.subjects(p, None))
        class_types = {RDFS.Class} | set(g.subjects(RDFS.subClassOf, RDFS.Class))
        for t in class_types:
            for s in g.subjects(RDF.type, t):
                if any(True for _ in g.objects(s, RDF.type) if _ in _SHAPE_TYPES) or any(
                    p in _CONSTRAINT_PARAMS or p == SH.property for p in g.predicates(s)
                ):
                    shapes.add(s)
        if any(True for _ in g.subjects(SH.target, None)):
            s = next(iter(g.subjects(SH.target, None)))
            raise UnsupportedShape(_label(s), "SPARQL-based targets (sh:target) are not supported",
                                   "SHACL-AF §5 (#targets)")
        # Focus sources per shape: its own targets plus those inherited through sh:property.
        sources: dict[Node, list[Src]] = {}
        order: list[Node] = []

        def visit(shape: Node, src: Src, stack: tuple[Node, ...]) -> None:
            if shape in stack:
                raise UnsupportedShape(_label(shape), "sh:property cycles are not supported", "§3.4.2")
            if self._deactivated(shape):
                return
            if shape not in sources:
                sources[shape] = []
                order.append(shape)
            sources[shape].append(src)
            pth = self.path(shape)
            for prop in sorted(g.objects(shape, SH.property), key=_label):
                if not self._is_property_shape(prop):
                    raise InvalidShape(_label(prop), "a value of sh:property must have sh:path",
                                       "§4.7.2 (#PropertyConstraintComponent)")
                child = src if pth is None else _values_src(_Query(_label(shape)), src, pth[0])
                visit(prop, child, stack + (shape,))

        for shape in sorted(shapes, key=_label):
            src = self.target_src(shape)
            if src is not None:
                visit(shape, src, ())

        compiled: list[CompiledConstraint] = []
        for shape in order:
            srcs = sources[shape]
            src = srcs[0] if len(srcs) == 1 else _union_src(srcs)
            compiled.extend(self._top_level(shape, src))
        return compiled

    def _top_level(self, shape: Node, src: Src) -> list[CompiledConstraint]:
        label = _label(shape)
        pth = self.path(shape)
        severity = str(self.g.value(shape, SH.severity) or SH.Violation)
        shape_msg = self._message(shape)
        out = []
        for rule in self.rules(shape):
            q = _Query(label)
            per_focus: str | None = None
            if rule.component == SH.SPARQLConstraintComponent:
                body, brace = rule.sparql_text or "", rule.brace
                for p, ns in rule.prefixes.items():
                    q.prefix(p, ns)
                text = body[: brace + 1] + " " + src("?this") + "\n" + body[brace + 1:] + "\n"
                kind, message = "sparql", rule.message
            else:
                core = rule.build(q, src, "?this", "?value")
                if not core:
                    continue
                text = f"SELECT DISTINCT ?this ?value ?count ?lang ?path WHERE {_group(core)}\n"
                kind, message = "core", shape_msg or rule.message
                pq = _Query(label, per_focus=True)
                each = rule.build(pq, src, "?this", "?value")
                if each and each != core:
                    each_text = f"SELECT DISTINCT ?this ?value ?count ?lang ?path WHERE {_group(each)}\n"
                    per_focus = _standard_prefixes(pq.prologue() + each_text) + pq.prologue() + each_text
            sparql = _standard_prefixes(q.prologue() + text) + q.prologue() + text
            for query in filter(None, (sparql, per_focus)):
                try:
                    pyoxigraph.Store().query(query)  # syntax check now, not in the middle of a build
                except SyntaxError as e:
                    raise InvalidShape(label, f"the compiled query does not parse ({e}); query:\n{query}",
                                       "§5.2" if kind == "sparql" else "§4") from e
            out.append(CompiledConstraint(
                shape=label, component=str(rule.component), path=pth[1] if pth else None,
                severity=severity, message=message, sparql=sparql, kind=kind,
                node_shape=pth is None,
                per_focus=per_focus,
                focus=(f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?this WHERE {{ {src('?this')} }} "
                       f"LIMIT {PER_FOCUS_LIMIT + 1} }} }}") if per_focus else None,
            ))
        return out


# --------------------------------------------------------------------------- pattern builders


_SOURCE_VARS = itertools.count(1)


def _values_src(q: _Query, src: Src, path: str) -> Src:
    """The value nodes of all focus nodes of ``src`` along ``path``, as a new source."""
    t = f"?__f{next(_SOURCE_VARS)}"  # unique across queries: sources nest inside each other
    return lambda v: _distinct(v, f"{src(t)} {t} {path} {v} .")


def _union_src(srcs: list[Src]) -> Src:
    return lambda v: _distinct(v, " UNION ".join(_group(s(v)) for s in srcs))


# Pattern builders: each takes the compile-time parameters first (bound with functools.partial),
# then (query, focus source, focus variable, value variable) and returns a group pattern body.
def _vals(src: Src, path: str | None, t: str, v: str) -> str:
    """Focus nodes ``t`` of ``src`` and their value nodes ``v`` (§2.1.2: the focus node itself
    for a node shape)."""
    if path is None:
        return f"{src(t)} BIND({t} AS {v})"
    return f"{src(t)} {t} {path} {v} ."


def _value_build(path: str | None, ok: str, q: _Query, src: Src, t: str, v: str) -> str:
    # An expression that errors (an ill-typed or incomparable value) counts as not ok.
    return f"{_vals(src, path, t, v)} FILTER(!COALESCE({ok.replace(V, v)}, false))"


def _class_build(path: str | None, cls: str, q: _Query, src: Src, t: str, v: str) -> str:
    # §4.1.1: SHACL instances via rdf:type/rdfs:subClassOf* in the data; MINUS is an anti-join
    # evaluated once (FILTER NOT EXISTS would probe per value, ~8x slower on an on-disk store).
    if q.per_focus and path is not None:
        return f"{src(t)} LATERAL {{ {t} {path} {v} . }} MINUS {{ {v} {_TYPE_PATH} {cls} . }}"
    return f"{_vals(src, path, t, v)} MINUS {{ {v} {_TYPE_PATH} {cls} . }}"


def _min_count(path: str, n: int, q: _Query, src: Src, t: str, v: str) -> str:
    # Set-based on purpose: MINUS and a pre-grouped OPTIONAL are anti/outer joins that Oxigraph
    # evaluates once, where FILTER NOT EXISTS probes the index per focus node (3x slower on disk).
    x = q.var("x")
    if n == 1 and q.per_focus:
        return f"{src(t)} FILTER NOT EXISTS {{ {t} {path} {x} . }} BIND(0 AS ?count)"
    if n == 1:
        return f"{src(t)} MINUS {{ {t} {path} {x} . }} BIND(0 AS ?count)"
    c = q.var("c")
    counted = _group(f"SELECT {t} (COUNT(DISTINCT {x}) AS {c}) WHERE", _group(f"{t} {path} {x} ."),
                     f"GROUP BY {t}")
    return f"{src(t)} OPTIONAL {counted} BIND(COALESCE({c}, 0) AS ?count) FILTER(?count < {n})"


def _max_count(path: str, n: int, q: _Query, src: Src, t: str, v: str) -> str:
    # Count over the whole predicate first, then join the (fewer) over-full nodes to the
    # focus nodes: about 2.5x faster in Oxigraph than grouping the join.
    x = q.var("x")
    if q.per_focus:
        return src(t) + " LATERAL " + _group(
            f"SELECT {t} (COUNT(DISTINCT {x}) AS ?count) WHERE", _group(f"{t} {path} {x} ."),
            f"GROUP BY {t}") + f" FILTER(?count > {n})"
    return src(t) + " " + _group(
        f"SELECT {t} (COUNT(DISTINCT {x}) AS ?count) WHERE",
        _group(f"{t} {path} {x} ."),
        f"GROUP BY {t} HAVING (COUNT(DISTINCT {x}) > {n})",
    )


def _unique_lang(path: str, q: _Query, src: Src, t: str, v: str) -> str:
    x = q.var("x")
    return src(t) + " " + _group(
        f"SELECT {t} ?lang WHERE",
        _group(f'{t} {path} {x} . FILTER(isLiteral({x}) && lang({x}) != "")'),
        f"GROUP BY {t} (lang({x}) AS ?lang) HAVING (COUNT(DISTINCT {x}) > 1)",
    )


def _has_value(path: str | None, h: str, q: _Query, src: Src, t: str, v: str) -> str:
    if path is None:
        return f"{src(t)} FILTER(!sameTerm({t}, {h}))"
    if q.per_focus:
        return f"{src(t)} FILTER NOT EXISTS {{ {t} {path} {h} . }}"
    return f"{src(t)} MINUS {{ {t} {path} {h} . }}"


def _pair(path: str | None, param: URIRef, other: str, q: _Query, src: Src, t: str, v: str) -> str:
    vals = _vals(src, path, t, v)
    if param == SH.equals:  # §4.5.1: values of either side missing on the other
        missing = f"FILTER(!sameTerm({t}, {v}))" if path is None else f"MINUS {{ {t} {path} {v} . }}"
        return (f"{_group(vals, f'MINUS {{ {t} {other} {v} . }}')} UNION "
                f"{_group(src(t), f'{t} {other} {v} .', missing)}")
    if param == SH.disjoint:  # §4.5.2
        return f"{vals} {t} {other} {v} ."
    o = q.var("o")
    op = "<" if param == SH.lessThan else "<="  # §4.5.3, §4.5.4
    return f"{vals} {t} {other} {o} . FILTER(!COALESCE({v} {op} {o}, false))"


def _closed(allowed: list[str], q: _Query, src: Src, t: str, v: str) -> str:
    listed = ", ".join(f"<{a}>" for a in allowed)
    cond = f"?path NOT IN ({listed})" if allowed else "true"
    # LATERAL: the focus nodes' own triples are read per node from the index. As a plain join,
    # Oxigraph hash-joins the focus nodes against `?this ?path ?value` over the whole store,
    # holding every triple of the store in memory (1 GB at 2,000 schools).
    return f"{src(t)} LATERAL {{ {t} ?path {v} . FILTER({cond}) }}"


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
    raise InvalidShape(shape, f"{_label(node)} is not a SHACL property path", "§2.3.1 (#property-paths)")


# --------------------------------------------------------------------------- SPARQL text helpers

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


def _standard_prefixes(query: str) -> str:
    """PREFIX lines for rdf/rdfs/xsd/owl/sh when a query uses them without declaring them."""
    lines = []
    for p, ns in _STANDARD.items():
        declared = re.search(rf"PREFIX\s+{p}\s*:", query, re.IGNORECASE)
        if not declared and re.search(rf"(?<![\w<:/#?$]){p}:", query):
            lines.append(f"PREFIX {p}: <{ns}>\n")
    return "".join(lines)


# --------------------------------------------------------------------------- public API


def compile_shapes(shapes: rdflib.Graph) -> list[CompiledConstraint]:
    """Compile a SHACL shapes graph into one SPARQL SELECT per constraint (see module docs)."""
    return _Compiler(shapes).compile()


def run_compiled(
    store: pyoxigraph.Store,
    compiled: Iterable[CompiledConstraint],
    *,
    union: bool = True,
    workers: int | None = None,
) -> list[Violation]:
    """Run compiled constraints on a store; ``union`` reads all named graphs as the default.

    Oxigraph evaluates a query without holding the GIL, so ``workers`` threads (default: the
    number of CPUs, at most 4) run constraints side by side: 1.75x faster on 2 cores. The result
    does not depend on it: duplicates are dropped and the list is sorted.
    """
    todo = list(compiled)
    n = workers if workers is not None else min(4, os.cpu_count() or 1)
    few: dict[str, bool] = {}         # focus count query -> at most PER_FOCUS_LIMIT focus nodes
    one_set_based = threading.Lock()  # set-based forms hash a whole predicate: one at a time

    def query(cc: CompiledConstraint) -> pyoxigraph.QuerySolutions | _Answered:
        if cc.per_focus is None or cc.focus is None:
            return store.query(cc.sparql, use_default_graph_as_union=union)  # type: ignore[return-value]
        if cc.focus not in few:
            counted = store.query(cc.focus, use_default_graph_as_union=union)
            assert isinstance(counted, pyoxigraph.QuerySolutions)
            few[cc.focus] = int(next(iter(counted))[0].value) <= PER_FOCUS_LIMIT  # type: ignore[index,union-attr]
        if few[cc.focus]:
            return store.query(cc.per_focus, use_default_graph_as_union=union)  # type: ignore[return-value]
        with one_set_based:
            # the answer is read here and the hash tables' pages handed back before the next
            # one starts (each thread's malloc arena would keep its own high-water mark)
            answered = _Answered(store.query(cc.sparql, use_default_graph_as_union=union))
            return_free_pages()
            return answered

    def run(cc: CompiledConstraint) -> list[Violation]:
        try:
            solutions = query(cc)
        except (SyntaxError, OSError, ValueError) as e:
            raise ValidationFailure(f"shape {cc.shape}: the {cc.component} query failed: {e}") from e
        assert isinstance(solutions, pyoxigraph.QuerySolutions | _Answered)  # every one a SELECT
        names = [v.value for v in solutions.variables]
        return [_violation(cc, {k: sol[k] for k in names if sol[k] is not None}) for sol in solutions]

    if n > 1 and len(todo) > 1:
        with ThreadPoolExecutor(n) as pool:
            batches = list(pool.map(run, todo))
    else:
        batches = [run(cc) for cc in todo]
    found = dict.fromkeys(v for batch in batches for v in batch)
    return sorted(found, key=lambda v: (v.shape, v.focus, v.path or "", v.component, v.value or ""))


class _Answered:
    """A query's solutions read at once (variables and rows), for run_compiled's lock."""

    def __init__(self, solutions: object) -> None:
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        self.variables = solutions.variables
        self.rows = list(solutions)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rows)


def _violation(cc: CompiledConstraint, row: dict[str, object]) -> Violation:
    this = row.get("this")
    if this is None:
        raise ValidationFailure(f"shape {cc.shape}: a {cc.component} solution has no ?this")
    value = row.get("value")
    path = cc.path
    if cc.kind == "sparql":
        failure = row.get("failure")
        if isinstance(failure, pyoxigraph.Literal) and failure.value == "true":
            raise ValidationFailure(f"shape {cc.shape}: the SPARQL constraint reported ?failure "
                                    f"for {_ox_label(this)} (SHACL §5.3.2)")
        if isinstance(row.get("path"), pyoxigraph.NamedNode):
            path = _ox_label(row["path"])
        if value is None and cc.node_shape:  # §5.3.2: node shapes report the focus node
            value = this
        bindings = {k: _message_value(t) for k, t in row.items()}
    else:
        if isinstance(row.get("path"), pyoxigraph.NamedNode):  # sh:closed reports the predicate
            path = _ox_label(row["path"])
        bindings = {k: _message_value(t) for k, t in row.items()}
        if value is not None:
            bindings["value"] = _display(value)
        bindings["path"] = path or ""
    return Violation(
        focus=_ox_label(this),
        path=path,
        value=str(value) if value is not None else None,
        component=cc.component,
        shape=cc.shape,
        severity=cc.severity,
        message=_fill(cc.message, bindings),
    )


def validate_store(
    store: pyoxigraph.Store, shapes: rdflib.Graph, *, union: bool = True, workers: int | None = None
) -> list[Violation]:
    """Validate the store's data against ``shapes`` with one SPARQL query per constraint.

    ``union=True`` runs with ``use_default_graph_as_union``, because a release keeps its data in
    named graphs; ``union=False`` sees the default graph only. ``workers``: see
    :func:`run_compiled`.
    """
    return run_compiled(store, compile_shapes(shapes), union=union, workers=workers)


def validate_pyshacl(
    data: rdflib.Graph, shapes: rdflib.Graph, ont: rdflib.Graph | None = None
) -> list[Violation]:
    """The reference: pySHACL's report mapped into :class:`Violation` records."""
    import pyshacl  # imported here: slow to import, and only the reference path needs it

    _conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ont, inference="none", advanced=False,
        abort_on_first=False, allow_warnings=False, allow_infos=False,
    )
    if not isinstance(results, rdflib.Graph):  # pySHACL returns its failure in place of the report
        raise ValidationFailure(f"pySHACL could not validate: {results}")
    out: dict[Violation, None] = {}
    for r in results.subjects(RDF.type, SH.ValidationResult):
        if any(True for _ in results.subjects(SH.detail, r)):
            continue  # a nested result inside another result's sh:detail
        focus = results.value(r, SH.focusNode)
        shape = results.value(r, SH.sourceShape)
        if focus is None or shape is None:
            raise ValidationFailure(f"pySHACL returned a result without focus node or shape: {r}")
        path_node = results.value(r, SH.resultPath)
        value = results.value(r, SH.value)
        path = None
        if path_node is not None:
            if isinstance(path_node, URIRef):
                path = str(path_node)
            else:
                src = results if (path_node, None, None) in results else shapes
                inv = src.value(path_node, SH.inversePath)
                if isinstance(inv, URIRef) and len(list(src.predicate_objects(path_node))) == 1:
                    path = f"^{inv}"
                else:
                    path = path_to_sparql(src, path_node)
        messages = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        out[Violation(
            focus=_label(focus),
            path=path,
            value=_nt_rdflib(value) if value is not None else None,
            component=str(results.value(r, SH.sourceConstraintComponent)),
            shape=_label(shape),
            severity=str(results.value(r, SH.resultSeverity)),
            message=messages[0] if messages else "",
        )] = None
    return sorted(out, key=lambda v: (v.shape, v.focus, v.path or "", v.component, v.value or ""))


_SEVERITY_RANK = {str(SH.Info): 0, str(SH.Warning): 1, str(SH.Violation): 2}


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
    lines = [
        f"@prefix sh: <{SH_NS}> .",
        "",
        "[] a sh:ValidationReport ;",
        f"    sh:conforms {'true' if conforms else 'false'}" + (" ;" if violations else " ."),
    ]
    for i, v in enumerate(violations):
        props = [
            "a sh:ValidationResult",
            f"sh:focusNode {_turtle_node(v.focus)}",
            f"sh:sourceConstraintComponent <{v.component}>",
            f"sh:sourceShape {_turtle_node(v.shape)}",
            f"sh:resultSeverity <{v.severity}>",
            f'sh:resultMessage "{_escape(v.message)}"',
        ]
        if v.path is not None:
            props.append(f"sh:resultPath {_turtle_path(v.path)}")
        if v.value is not None:
            props.append(f"sh:value {_turtle_value(v.value)}")
        end = " ;" if i < len(violations) - 1 else " ."
        lines.append("    sh:result [\n        " + " ;\n        ".join(props) + "\n    ]" + end)
    return "\n".join(lines) + "\n"


def _bnode_label(label: str) -> str:
    return "_:" + (re.sub(r"[^A-Za-z0-9_]", "_", label[2:]) or "b")


def _turtle_node(text: str) -> str:
    if text.startswith("_:"):
        return _bnode_label(text)
    if text.startswith('"'):
        return text
    return f"<{text}>"


def _turtle_value(nt: str) -> str:
    return _bnode_label(nt) if nt.startswith("_:") else nt


def _turtle_path(path: str) -> str:
    if path.startswith("^") and not path.startswith("^("):
        return f"[ sh:inversePath <{path[1:]}> ]"
    if path.startswith(("<", "(")):
        # Other path kinds are reported in SPARQL syntax; keep them readable as a string.
        return f'"{_escape(path)}"'
    return f"<{path}>"
