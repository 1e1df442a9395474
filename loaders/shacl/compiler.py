"""The SHACL-to-SPARQL compiler: a shapes graph becomes one SPARQL SELECT per constraint, which
returns the violations of all focus nodes at once (see the package docs).

:class:`Compiler` reads the shapes graph (targets §2.1.3, paths §2.3.1, the core components §4,
nested shapes §4.6-4.7), turns each constraint into a :class:`~.patterns.Rule` whose pattern the
builders of :mod:`.patterns` write, and assembles the queries of the shapes that have targets:
a set-based form, and where it differs a per-focus form for constraints with few focus nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import partial

import pyoxigraph
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from .conditions import NODE_KINDS, V, datatype_ok
from .model import SH_NS, CompiledConstraint, InvalidShape, UnsupportedShape
from .paths import path_to_sparql
from .patterns import (
    TYPE_PATH,
    Build,
    Query,
    Rule,
    Src,
    class_build,
    closed_build,
    distinct,
    focus_values,
    group,
    has_value_build,
    max_count_build,
    min_count_build,
    pair_build,
    union_src,
    unique_lang_build,
    value_build,
    values_src,
)
from .sparql import sparql_rule, standard_prefixes
from .terms import as_ntriples, display, node_label, sparql_string

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


class Compiler:
    """Reads one shapes graph (each shape's rules made once) and compiles its constraints."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.g = shapes
        self._rules: dict[Node, list[Rule]] = {}
        self._stack: list[Node] = []

    # ---- reading the shapes graph

    def short(self, node: Node, depth: int = 0) -> str:
        """A term for a message: prefixed name, literal, or an anonymous shape by its content."""
        if isinstance(node, URIRef):
            try:
                return self.g.namespace_manager.normalizeUri(node)
            except Exception:  # noqa: BLE001 - rdflib raises several kinds for odd IRIs
                return f"<{node}>"
        if isinstance(node, Literal):
            text = display(as_ntriples(node))
            return text if len(text) <= 60 else " ".join(text[:57].split()) + "..."
        if depth > 2:
            return "[...]"
        if (node, RDF.first, None) in self.g:
            return "( " + " ".join(self.short(m, depth + 1) for m in Collection(self.g, node)) + " )"
        pairs = sorted((self.short(p, depth + 1), self.short(o, depth + 1))
                       for p, o in self.g.predicate_objects(node) if p not in (SH.message, RDF.type))
        return "[ " + " ; ".join(f"{p} {o}" for p, o in pairs) + " ]" if pairs else node_label(node)

    def _term(self, node: Node, shape: Node, what: str) -> str:
        """A shapes-graph term as a SPARQL constant."""
        if isinstance(node, BNode):
            raise UnsupportedShape(
                node_label(shape),
                f"{what} is a blank node, which cannot be matched against the data graph; "
                "use an IRI or a literal",
                "§4 (#core-components)",
            )
        return as_ntriples(node)

    def _list(self, node: Node, shape: Node, param: str) -> list[Node]:
        if node != RDF.nil and self.g.value(node, RDF.first) is None:
            raise InvalidShape(node_label(shape), f"the value of {param} must be an RDF list", "§1.5")
        return list(Collection(self.g, node))

    def _one(self, shape: Node, param: URIRef) -> Node | None:
        values = list(self.g.objects(shape, param))
        if len(values) > 1:
            raise InvalidShape(
                node_label(shape), f"{self.short(param)} has {len(values)} values, at most one allowed",
                "§4 (#core-components)",
            )
        return values[0] if values else None

    def _int(self, shape: Node, param: URIRef, value: Node) -> int:
        if not isinstance(value, Literal) or not isinstance(value.toPython(), int) or isinstance(
            value.toPython(), bool
        ):
            raise InvalidShape(
                node_label(shape), f"{self.short(param)} must be an xsd:integer, found {node_label(value)}",
                "§4.2 (#core-components-count)",
            )
        return int(value.toPython())

    def deactivated(self, shape: Node) -> bool:
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
        return path_to_sparql(self.g, node, node_label(shape))

    def shape_message(self, node: Node) -> str | None:
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
                raise InvalidShape(node_label(shape), f"target {node_label(c)} must be an IRI", "§2.1.3")
        node_terms = [self._term(n, shape, "sh:targetNode") for n in nodes]

        def src(v: str) -> str:
            alts = [group(f"{v} {TYPE_PATH} <{c}> .") for c in classes]  # §2.1.3.2
            if node_terms:  # §2.1.3.1
                alts.append(group(f"VALUES {v} {{ {' '.join(node_terms)} }}"))
            alts += [group(f"{v} <{p}> [] .") for p in subjects_of]  # §2.1.3.4
            alts += [group(f"[] <{p}> {v} .") for p in objects_of]  # §2.1.3.5
            return distinct(v, " UNION ".join(alts))

        return src

    # ---- constraints of one shape

    def rules(self, shape: Node) -> list[Rule]:
        if shape not in self._rules:
            self._rules[shape] = self._make_rules(shape)
        return self._rules[shape]

    def _make_rules(self, shape: Node) -> list[Rule]:
        g, label = self.g, node_label(shape)
        for p in set(g.predicates(shape)):
            if str(p).startswith(SH_NS) and p not in _NON_CONSTRAINT | _CONSTRAINT_PARAMS:
                raise UnsupportedShape(
                    label, f"parameter {self.short(p)} is not supported by the SPARQL compiler",
                    "§4 (#core-components)",
                )
        pth = self.path(shape)
        path = pth[0] if pth else None
        path_txt = self._short_path(shape, pth)
        rules: list[Rule] = []

        def add(component: URIRef, build: Build, message: str) -> None:
            rules.append(Rule(shape, component, build, message))

        def value_check(component: URIRef, ok: str, message: str) -> None:
            """A constraint on each value node alone: ``ok`` is true for a good value ``?V``."""
            add(component, partial(value_build, path, ok), message)

        # §4.1 value type constraints
        for cls in g.objects(shape, SH["class"]):  # §4.1.1 sh:class
            c = self._term(cls, shape, "sh:class")
            add(SH.ClassConstraintComponent,
                partial(class_build, path, c),
                f"Value {{?value}} is not an instance of {self.short(cls)} (sh:class)")
        dt = self._one(shape, SH.datatype)
        if dt is not None:  # §4.1.2 sh:datatype
            if not isinstance(dt, URIRef):
                raise InvalidShape(label, "sh:datatype must be an IRI", "§4.1.2")
            value_check(SH.DatatypeConstraintComponent, datatype_ok(dt, V),
                        f"Value {{?value}} is not a valid literal of datatype {self.short(dt)}"
                        " (sh:datatype)")
        kind = self._one(shape, SH.nodeKind)
        if kind is not None:  # §4.1.3 sh:nodeKind
            if not isinstance(kind, URIRef) or kind not in NODE_KINDS:
                raise InvalidShape(label, f"sh:nodeKind {node_label(kind)} is not one of the six node kinds",
                                   "§4.1.3")
            value_check(SH.NodeKindConstraintComponent, NODE_KINDS[kind].format(v=V),
                        f"Value {{?value}} is not of node kind {self.short(kind)} (sh:nodeKind)")

        # §4.2 cardinality constraints (property shapes only)
        for param, component in ((SH.minCount, SH.MinCountConstraintComponent),
                                 (SH.maxCount, SH.MaxCountConstraintComponent)):
            raw = self._one(shape, param)
            if raw is None:
                continue
            if path is None:
                raise InvalidShape(label, f"{self.short(param)} is only allowed on property shapes",
                                   "§4.2")
            n = self._int(shape, param, raw)
            if param == SH.minCount and n > 0:  # §4.2.1 sh:minCount
                add(component, partial(min_count_build, path, n),
                    f"{path_txt} has {{?count}} value(s), fewer than sh:minCount {n}")
            elif param == SH.maxCount:  # §4.2.2 sh:maxCount
                add(component, partial(max_count_build, path, n),
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
                raise InvalidShape(label, f"{self.short(param)} must be a literal", "§4.3")
            b = as_ntriples(bound)
            value_check(component, f"{V} {op} {b}",
                        f"Value {{?value}} is not {words} {self.short(bound)} ({self.short(param)})")

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
                        f"Value {{?value}} is {words} {n} characters ({self.short(param)})")
        flags_node = self._one(shape, SH.flags)
        flags = str(flags_node) if flags_node is not None else ""
        if not re.fullmatch(r"[smixq]*", flags):
            raise InvalidShape(label, f"sh:flags {flags!r} has flags outside 'smixq'", "§4.4.3")
        for pat in g.objects(shape, SH.pattern):  # §4.4.3 sh:pattern
            expr = f'{sparql_string(str(pat))}, "{flags}"'
            value_check(SH.PatternConstraintComponent,
                        f"(!isBlank({V}) && regex(str({V}), {expr}))",
                        f"Value {{?value}} does not match the pattern {str(pat)!r} (sh:pattern)")
        lang_in = self._one(shape, SH.languageIn)
        if lang_in is not None:  # §4.4.4 sh:languageIn
            tags = [str(x) for x in self._list(lang_in, shape, "sh:languageIn")]
            matches = " || ".join(f'langMatches(lang({V}), {sparql_string(t)})' for t in tags) or "false"
            value_check(SH.LanguageInConstraintComponent, f"(isLiteral({V}) && ({matches}))",
                        f"Value {{?value}} has no language tag in {tags} (sh:languageIn)")
        unique = self._one(shape, SH.uniqueLang)
        if isinstance(unique, Literal) and unique.toPython() is True:  # §4.4.5 sh:uniqueLang
            if path is None:
                raise InvalidShape(label, "sh:uniqueLang is only allowed on property shapes", "§4.4.5")
            add(SH.UniqueLangConstraintComponent, partial(unique_lang_build, path),
                f"Language tag {{?lang}} is used by more than one value of {path_txt} (sh:uniqueLang)")

        # §4.5 property pair constraints
        for param, component in ((SH.equals, SH.EqualsConstraintComponent),
                                 (SH.disjoint, SH.DisjointConstraintComponent),
                                 (SH.lessThan, SH.LessThanConstraintComponent),
                                 (SH.lessThanOrEquals, SH.LessThanOrEqualsConstraintComponent)):
            for other in g.objects(shape, param):
                if not isinstance(other, URIRef):
                    raise InvalidShape(label, f"{self.short(param)} must be an IRI", "§4.5")
                if param in (SH.lessThan, SH.lessThanOrEquals) and path is None:
                    raise InvalidShape(label, f"{self.short(param)} needs a property shape", "§4.5")
                add(component, partial(pair_build, path, param, f"<{other}>"),
                    f"Value {{?value}} breaks {self.short(param)} {self.short(other)}")

        # §4.6 logical constraints and §4.7 shape-based constraints
        for ref in g.objects(shape, SH["not"]):  # §4.6.1
            add(SH.NotConstraintComponent, self._logical("not", [ref], path),
                f"Value {{?value}} conforms to {self.short(ref)}, which sh:not forbids")
        for param, kind_, component in ((SH["and"], "and", SH.AndConstraintComponent),
                                        (SH["or"], "or", SH.OrConstraintComponent),
                                        (SH.xone, "xone", SH.XoneConstraintComponent)):
            for lst in g.objects(shape, param):  # §4.6.2-4.6.4
                members = self._list(lst, shape, self.short(param))
                names = ", ".join(self.short(m) for m in members)
                add(component, self._logical(kind_, members, path),
                    f"Value {{?value}} does not satisfy {self.short(param)} ({names})")
        for ref in g.objects(shape, SH.node):  # §4.7.1 sh:node
            add(SH.NodeConstraintComponent, self._logical("and", [ref], path),
                f"Value {{?value}} does not conform to node shape {self.short(ref)} (sh:node)")
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
                    f"{path_txt} has {{?count}} values conforming to {self.short(qvs)}, "
                    f"breaking {self.short(param)} {n}")

        # §4.8 other constraints
        closed = self._one(shape, SH.closed)
        if isinstance(closed, Literal) and closed.toPython() is True:  # §4.8.1 sh:closed
            if path is not None:
                raise UnsupportedShape(label, "sh:closed on a property shape is not supported", "§4.8.1")
            allowed = {str(p) for p in self._closed_allowed(shape)}
            ignored = self._one(shape, SH.ignoredProperties)
            if ignored is not None:
                allowed |= {str(x) for x in self._list(ignored, shape, "sh:ignoredProperties")}
            add(SH.ClosedConstraintComponent, partial(closed_build, sorted(allowed)),
                "Predicate {?path} (value {?value}) is not allowed by the closed shape (sh:closed)")
        for hv in g.objects(shape, SH.hasValue):  # §4.8.2 sh:hasValue
            h = self._term(hv, shape, "sh:hasValue")
            add(SH.HasValueConstraintComponent, partial(has_value_build, path, h),
                f"{path_txt or 'The focus node'} does not have the value {self.short(hv)} (sh:hasValue)")
        in_list = self._one(shape, SH["in"])
        if in_list is not None:  # §4.8.3 sh:in
            allowed_terms = [self._term(x, shape, "a member of sh:in")
                             for x in self._list(in_list, shape, "sh:in")]
            shown = ", ".join(self.short(x) for x in Collection(g, in_list))
            value_check(SH.InConstraintComponent,
                        " || ".join(f"sameTerm({V}, {m})" for m in allowed_terms) or "false",
                        f"Value {{?value}} is not one of the allowed values ({shown}) (sh:in)")

        # §5 SPARQL-based constraints
        for cnode in g.objects(shape, SH.sparql):
            rule = sparql_rule(self, shape, cnode, pth)
            if rule is not None:
                rules.append(rule)
        return rules

    def _short_path(self, shape: Node, pth: tuple[str, str] | None) -> str:
        if pth is None:
            return ""
        node = self.g.value(shape, SH.path)
        if isinstance(node, URIRef):
            return self.short(node)
        return pth[1]

    def _closed_allowed(self, shape: Node) -> Iterable[Node]:
        for prop in self.g.objects(shape, SH.property):
            p = self.g.value(prop, SH.path)
            if isinstance(p, URIRef):
                yield p

    # ---- nested shapes: the focus nodes that fail a shape (§4.6, §4.7)

    def failing(self, q: Query, shape: Node, src: Src, x: str) -> str | None:
        """A pattern binding ``x`` to every node of ``src`` that does not conform to ``shape``.

        None when the shape cannot fail (deactivated or without constraints). Recursive shapes
        are refused: SHACL leaves their validation undefined (§3.4.2).
        """
        if self.deactivated(shape):
            return None
        if shape in self._stack:
            raise UnsupportedShape(node_label(shape), "recursive shape references are not supported",
                                   "§3.4.2 (#shapes-recursion)")
        self._stack.append(shape)
        try:
            branches = []
            for rule in self.rules(shape):
                body = rule.build(q, src, x, q.var("v"))
                if body:
                    branches.append(group(body))
            pth = self.path(shape)
            for prop in self.g.objects(shape, SH.property):
                if pth is None:
                    inner = self.failing(q, prop, src, x)
                else:
                    y = q.var("y")
                    sub = self.failing(q, prop, values_src(q, src, pth[0]), y)
                    inner = None if sub is None else distinct(x, f"{src(x)} {x} {pth[0]} {y} . {sub}")
                if inner:
                    branches.append(inner)
        finally:
            self._stack.pop()
        if not branches:
            return None
        return distinct(x, " UNION ".join(branches))

    def _logical(self, kind: str, members: Sequence[Node], path: str | None) -> Build:
        def build(q: Query, src: Src, t: str, v: str) -> str | None:
            vals = focus_values(src, path, t, v)
            value_src = src if path is None else values_src(q, src, path)
            fails = [self.failing(q, m, value_src, v) for m in members]
            if kind == "not":  # violation: the value conforms
                return vals if fails[0] is None else f"{vals} MINUS {fails[0]}"
            if kind == "and":  # violation: fails any member
                real = [f for f in fails if f]
                return f"{vals} {group(' UNION '.join(real))}" if real else None
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
                opts.append(f"OPTIONAL {group(f, f'BIND(true AS {b})')}")
                terms.append(f"IF(BOUND({b}), 0, 1)")
            count = " + ".join(terms + [str(always)])
            return f"{vals} {' '.join(opts)} FILTER(({count}) != 1)"

        return build

    def _qualified(self, qvs: Node, path: str, op: str, n: int) -> Build:
        def build(q: Query, src: Src, t: str, v: str) -> str:
            y = q.var("y")
            fail = self.failing(q, qvs, values_src(q, src, path), y)
            inner = f"{t} {path} {y} ." + (f" MINUS {fail}" if fail else "")
            return group(
                f"SELECT {t} (COUNT(DISTINCT {y}) AS ?count) WHERE",
                group(src(t), f"OPTIONAL {group(inner)}"),
                f"GROUP BY {t} HAVING (COUNT(DISTINCT {y}) {op} {n})",
            )

        return build

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
            raise UnsupportedShape(node_label(s), "SPARQL-based targets (sh:target) are not supported",
                                   "SHACL-AF §5 (#targets)")
        # Focus sources per shape: its own targets plus those inherited through sh:property.
        sources: dict[Node, list[Src]] = {}
        order: list[Node] = []

        def visit(shape: Node, src: Src, stack: tuple[Node, ...]) -> None:
            if shape in stack:
                raise UnsupportedShape(node_label(shape), "sh:property cycles are not supported", "§3.4.2")
            if self.deactivated(shape):
                return
            if shape not in sources:
                sources[shape] = []
                order.append(shape)
            sources[shape].append(src)
            pth = self.path(shape)
            for prop in sorted(g.objects(shape, SH.property), key=node_label):
                if not self._is_property_shape(prop):
                    raise InvalidShape(node_label(prop), "a value of sh:property must have sh:path",
                                       "§4.7.2 (#PropertyConstraintComponent)")
                child = src if pth is None else values_src(Query(node_label(shape)), src, pth[0])
                visit(prop, child, stack + (shape,))

        for shape in sorted(shapes, key=node_label):
            src = self.target_src(shape)
            if src is not None:
                visit(shape, src, ())

        compiled: list[CompiledConstraint] = []
        for shape in order:
            srcs = sources[shape]
            src = srcs[0] if len(srcs) == 1 else union_src(srcs)
            compiled.extend(self._top_level(shape, src))
        return compiled

    def _top_level(self, shape: Node, src: Src) -> list[CompiledConstraint]:
        label = node_label(shape)
        pth = self.path(shape)
        severity = str(self.g.value(shape, SH.severity) or SH.Violation)
        shape_msg = self.shape_message(shape)
        out = []
        for rule in self.rules(shape):
            q = Query(label)
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
                text = f"SELECT DISTINCT ?this ?value ?count ?lang ?path WHERE {group(core)}\n"
                kind, message = "core", shape_msg or rule.message
                pq = Query(label, per_focus=True)
                each = rule.build(pq, src, "?this", "?value")
                if each and each != core:
                    each_text = f"SELECT DISTINCT ?this ?value ?count ?lang ?path WHERE {group(each)}\n"
                    per_focus = standard_prefixes(pq.prologue() + each_text) + pq.prologue() + each_text
            sparql = standard_prefixes(q.prologue() + text) + q.prologue() + text
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


def compile_shapes(shapes: rdflib.Graph) -> list[CompiledConstraint]:
    """Compile a SHACL shapes graph into one SPARQL SELECT per constraint (see module docs)."""
    return Compiler(shapes).compile()
