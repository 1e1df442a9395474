"""SHACL constraints decided on the mapped columns, so that their store queries need not run.

The mapping engine types and checks every column (datatype, range, pattern, code list,
required, references) and rejects a bad row before any triple is written, so most compiled
constraints (:mod:`loaders.shacl`) can find nothing in the store a build has just loaded; each
one is still a SPARQL query over millions of triples. :class:`ColumnChecks` proves, constraint
by constraint, from the mappings and the typed columns of the loaded rows
(``MappedTable.accepted``), that a constraint **cannot** report a violation in that store; the
validator then skips its query. Whatever is not proven runs on the store as before, and
``--validator pyshacl`` (the reference) never skips anything.

What the store holds when the first validation round runs is known exactly: the vocabulary
graph (ontology and code lists, read here the way the build loads it) and, per mapping
resource, the triples the mapper writes for the loaded rows. Every triple of a mapping comes
from a *producer*: one property of one resource block (or its ``inverse``), with the subject
IRI template of the block, the kind of object (a link template, a concept of a code list, a
literal with its datatype or language) and whether a row gives one value or a list. The
constraint's focus nodes are the instances of its target classes (``rdf:type`` and the
``rdfs:subClassOf`` triples of the vocabulary): the subjects of resource blocks whose class is
one of them, and vocabulary nodes typed so. A producer concerns a focus node when its subject
template can produce that node's IRI: keys are written as single path segments, so templates
with different fixed segments (``school/{code}``, ``building/{id}``) never meet.

Decided here (a constraint is skipped only when the reason holds for the whole store):

* every constraint of a shape whose targets have no instance at all in the loaded store (the
  summaries, indicators and provenance records are made later, and validated after they are);
* value constraints (``sh:datatype``, ``sh:nodeKind``, ``sh:in``, ``sh:pattern``, ranges,
  lengths, ``sh:languageIn``, and SHACL-SPARQL constraints that only filter the focus node's
  values of one predicate): the distinct values every concerned producer wrote are loaded into
  a small in-memory Oxigraph store, each set on a stand-in focus node of the target classes,
  and **the constraint's own compiled query** runs there. The same terms in the same engine
  give the same answer, so Oxigraph's canonical forms, regular expressions and ill-typed
  literals need no second implementation;
* ``sh:class``: every value is an instance of the class (a concept of a code list, or the IRI
  of a loaded row of a table whose block has that class);
* ``sh:minCount`` and ``sh:hasValue`` (also along ``( p skos:inScheme )`` paths): every row of
  every block that makes an instance writes the value(s) (a required column, a concept with the
  right scheme);
* ``sh:maxCount`` and ``sh:uniqueLang``: one producer per subject with one value per row and
  one row per subject, or else counted on the values themselves;
* ``sh:closed``: no producer that can write about an instance uses a predicate outside the
  shape's list.

Rows removed by a later validation round only take triples away, so a decision still holds
then unless it counted on a link to another row (a ``sh:minCount`` of ``emis:school``, say):
those are marked ``stable=False`` and run again in later rounds.

Anything else is not decided: SHACL-SPARQL rules across properties or resources, logical and
qualified shapes, other paths, shapes on the focus node itself, target nodes. The compiled
query of a decided constraint must select its focus nodes exactly as assumed here (checked on
its text), and before anything is decided the model must account for every line the mapper
wrote (as many triples per table); a mapping the model does not describe, or any error, decides
nothing, so every query runs.
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from emis_lod.namespaces import prefixes
from emis_lod.profiles import Profile
from emis_lod.uris import Uris

from . import ntriples as nt
from .codelists import vocabulary_files
from .mapper import _ABSOLUTE, MappedTable, TableMapper, _expand, _template
from .mapping_spec import LanguageFrom, Mapping, ObjectSpec, ResourceSpec
from .memory import return_free_pages

__all__ = ["ENABLED", "ColumnChecks", "Decision"]

# Switch for comparisons (tests, benchmarks): False makes every round run every query.
ENABLED = True

RDF_TYPE = str(RDF.type)
SUBCLASS = str(RDFS.subClassOf)
SHACL = str(SH)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SCRATCH_GRAPH = ox.NamedNode("urn:emis-lod:column-checks")

# Components whose query looks at each value node alone (shacl._value_build).
VALUE_COMPONENTS = {f"{SHACL}{c}ConstraintComponent" for c in (
    "Datatype", "NodeKind", "MinExclusive", "MinInclusive", "MaxExclusive", "MaxInclusive",
    "MinLength", "MaxLength", "Pattern", "LanguageIn", "In")}


@dataclass(frozen=True)
class Decision:
    """Why a constraint cannot be violated in the loaded store."""

    reason: str
    stable: bool = True   # still true after rows are removed (later validation rounds)


class ColumnChecks:
    """The constraints the mapped columns decide, for one store as the build loaded it.

    Create it right after the load and pass it to the validation rounds of that store (see
    :func:`loaders.validate.validate`). The first round skips every decided constraint; later
    rounds run after the build removed rejected rows (and changed nothing else), so they skip
    only the decisions that no removal can undo.
    """

    def __init__(self, mappings: Sequence[Mapping], mapped: dict[str, MappedTable], uris: Uris,
                 profile: Profile | None = None) -> None:
        self.mappings, self.mapped, self.uris = list(mappings), mapped, uris
        self.profile = profile
        self._decided: dict | None = None
        self.rounds = 0

    def decide(self, shapes: rdflib.Graph, compiled: Iterable) -> dict:
        """Compiled constraint -> :class:`Decision`, for the constraints proven to find nothing."""
        if self._decided is None:
            try:
                self._decided = _Checker(shapes, self.mappings, self.mapped, self.uris,
                                         self.profile).run(list(compiled))
            except Exception as err:  # noqa: BLE001 - an optimisation: if it cannot run, every query runs
                warnings.warn(f"SHACL constraints could not be decided on the columns ({err!r}); "
                              "every constraint is queried on the store", RuntimeWarning, stacklevel=2)
                self._decided = {}
        return self._decided

    def skip(self, shapes: rdflib.Graph, compiled: Iterable) -> set:
        """The constraints this validation round need not query (one call per round)."""
        first, self.rounds = self.rounds == 0, self.rounds + 1
        if not ENABLED:
            return set()
        return {c for c, d in self.decide(shapes, compiled).items() if first or d.stable}


def constraint_key(constraint: Any) -> tuple:
    """What names a compiled constraint in any process (its shape may be a blank node, whose
    label differs each time the shapes are parsed; its query and message do not)."""
    c = constraint
    return (c.component, c.path, c.sparql, c.message, c.severity, c.kind, c.node_shape)


@dataclass
class Decided:
    """What :class:`ColumnChecks` decided in another process (the build's worker, whose memory
    goes with it), applied by :func:`constraint_key`: the same :meth:`skip` per round."""

    decisions: dict[tuple, Decision]
    rounds: int = 0

    def skip(self, shapes: rdflib.Graph, compiled: Iterable) -> set:
        """The constraints this validation round need not query (one call per round)."""
        first, self.rounds = self.rounds == 0, self.rounds + 1
        if not ENABLED:
            return set()
        return {c for c in compiled
                if (d := self.decisions.get(constraint_key(c))) is not None and (first or d.stable)}


def decided(mappings: Sequence[Mapping], mapped: dict[str, MappedTable], uris: Uris,
            profile: Profile | None = None) -> Decided:
    """Decide the constraints on the mapped columns (what :class:`ColumnChecks` decides), to be
    run in a worker process (loaders/worker.py) before the store is loaded."""
    from .validate import compiled_shapes

    shapes, compiled = compiled_shapes(uris, profile)
    decisions = ColumnChecks(mappings, mapped, uris, profile).decide(shapes, compiled) if ENABLED else {}
    return Decided({constraint_key(c): d for c, d in decisions.items()})


# --------------------------------------------------------------------------- IRI templates


def _placeholders(template: str | None) -> list[str]:
    return _PLACEHOLDER.findall(template or "")


def _segment_regex(segment: str) -> str:
    parts = _PLACEHOLDER.split(segment)
    return "".join(re.escape(p) if i % 2 == 0 else "[^/]*" for i, p in enumerate(parts))


def _template_regex(template: str) -> re.Pattern[str]:
    """The IRIs a template can make: a filled key is one path segment (``/`` is %-encoded)."""
    return re.compile("/".join(_segment_regex(s) for s in template.split("/")))


def _overlap(a: str | None, b: str | None) -> bool:
    """Whether two IRI templates can make the same IRI (None: any IRI). Over-approximates."""
    if a is None or b is None:
        return True
    sa, sb = a.split("/"), b.split("/")
    if len(sa) != len(sb):
        return False
    for x, y in zip(sa, sb, strict=True):
        vx, vy = "{" in x, "{" in y
        if not vx and not vy:
            if x != y:
                return False
        elif not vx or not vy:
            literal, pattern = (x, y) if not vx else (y, x)
            if not re.fullmatch(_segment_regex(pattern), literal):
                return False
        else:   # both vary: their fixed starts and ends must agree
            px, py = _PLACEHOLDER.split(x)[0], _PLACEHOLDER.split(y)[0]
            ex, ey = _PLACEHOLDER.split(x)[-1], _PLACEHOLDER.split(y)[-1]
            if not (px.startswith(py) or py.startswith(px)) or not (ex.endswith(ey) or ey.endswith(ex)):
                return False
    return True


# --------------------------------------------------------------------------- producers


@dataclass(eq=False)
class _Resource:
    mapping: Mapping
    spec: ResourceSpec
    template: str          # subject IRI template
    cls: str | None


@dataclass(eq=False)
class _Producer:
    """One way the mapping writes triples of ``predicate``."""

    res: _Resource
    predicate: str
    obj: ObjectSpec
    inverse: bool          # the triple is (object, inverse, subject)
    subject: str | None    # subject IRI template; None: cannot tell (matches any IRI)
    kind: str              # object: "id" (a link), "concept" or "literal"
    target: str | None     # the link's IRI template (kind "id")
    multi: bool            # a list cell: several values per row
    deps: tuple[str, ...]  # the columns the object is made from


# --------------------------------------------------------------------------- the vocabulary


class _Vocabulary:
    """The vocabulary graph as the build loads it (same files, base and loader)."""

    def __init__(self, uris: Uris, profile: Profile | None = None) -> None:
        store = ox.Store()
        graph = ox.NamedNode(uris.graph("ontology"))
        for path in vocabulary_files(profile):
            store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=uris.concepts,
                            to_graph=graph)
        self.by_pred: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.out: dict[tuple[str, str], list[str]] = defaultdict(list)   # (subject, predicate) -> objects
        self.types: dict[str, set[str]] = defaultdict(set)
        self.subclasses_of: dict[str, set[str]] = defaultdict(set)
        for q in store.quads_for_pattern(None, None, None, None):
            s, p, o = _key(q.subject), q.predicate.value, q.object
            assert s is not None     # read from Turtle: a subject is an IRI or a blank node
            self.by_pred[p].append((s, str(o)))
            self.out[(s, p)].append(str(o))
            node = _key(o)
            if p == RDF_TYPE and node is not None:
                self.types[node].add(s)
            elif p == SUBCLASS and node is not None:
                self.subclasses_of[node].add(s)
        self.subjects = {s for pairs in self.by_pred.values() for s, _ in pairs}

    def subclasses(self, cls: str) -> set[str]:
        """``cls`` and every class below it (rdfs:subClassOf*)."""
        out, todo = {cls}, [cls]
        while todo:
            for sub in self.subclasses_of.get(todo.pop(), ()):
                if sub not in out:
                    out.add(sub)
                    todo.append(sub)
        return out


def _key(term: object) -> str | None:
    """A node as a plain IRI or ``_:label``; None for a literal."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return None


def _node_of(term: str) -> str | None:
    """An N-Triples term as a node key (see :func:`_key`); None for a literal."""
    if term.startswith("<") and term.endswith(">"):
        return term[1:-1]
    if term.startswith("_:"):
        return term
    return None


_LITERAL = re.compile(r'^"(.*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?$', re.DOTALL)
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"


def _distinct_key(term: str) -> tuple:
    """A key under which two different keys are surely two different RDF terms in the store
    (numbers and other typed literals, which the store canonicalises, share one key per
    datatype: a lower bound on the number of distinct values)."""
    node = _node_of(term)
    if node is not None:
        return ("node", node)
    m = _LITERAL.match(term)
    if m is None:
        return ("?", term)
    body, lang, datatype = m.groups()
    if lang:
        return ("lang", body, lang.lower())
    if datatype and datatype != _XSD_STRING:
        return ("typed", datatype)
    return ("string", body)


# --------------------------------------------------------------------------- shapes


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


# --------------------------------------------------------------------------- the checker


@dataclass
class _Focus:
    classes: frozenset[str]
    subjects_of: frozenset[str]
    resources: list[_Resource]          # blocks whose subjects are instances
    via: list[_Producer]                # producers of the subjectsOf predicates
    vocab: set[str]                     # vocabulary nodes in focus
    templates: list[str | None] = field(default_factory=list)


class _Checker:
    def __init__(self, shapes: rdflib.Graph, mappings: list[Mapping], mapped: dict[str, MappedTable],
                 uris: Uris, profile: Profile | None = None) -> None:
        self.g, self.mappings, self.mapped, self.uris = shapes, mappings, mapped, uris
        self.id_base = uris.base + "id/"
        self.prefixes = prefixes(uris)
        self.vocab = _Vocabulary(uris, profile)
        self.resources: list[_Resource] = []
        self.producers: list[_Producer] = []
        self.opaque = False      # a mapping writes rdf:type or rdfs:subClassOf itself
        self.mappers = {m.table: TableMapper(m, uris, None, self.prefixes) for m in mappings}  # type: ignore[arg-type]
        for m in mappings:
            for spec in m.resources:
                self._add(m, spec)
        self.by_pred: dict[str, list[_Producer]] = defaultdict(list)
        for p in self.producers:
            self.by_pred[p.predicate].append(p)
            self.opaque |= p.predicate in (RDF_TYPE, SUBCLASS)
        self.labels = {_label(s): s for s in set(shapes.subjects())}
        self.targets = _targets(shapes)
        self._cache: dict[tuple, object] = {}
        self._lexical: dict[str, dict[str, pd.Series]] = {}
        self._rows: dict[str, pd.Index] = {}

    def _add(self, m: Mapping, spec: ResourceSpec) -> None:
        where = f"{m.path}: resource {spec.id}"
        cls = _expand(spec.class_, self.prefixes, where) if spec.class_ else None
        res = _Resource(m, spec, self.id_base + spec.id, cls)
        self.resources.append(res)
        columns = {c.name: c for c in m.columns}
        for predicate, obj in spec.properties:
            pred = _expand(predicate, self.prefixes, where)
            col = columns.get(obj.column) if obj.column else None
            target = None
            if obj.id is not None:
                kind = "id"
                target = obj.id if _ABSOLUTE.match(obj.id) else self.id_base + obj.id
            elif col is not None and col.concept:
                kind = "concept"
            else:
                kind = "literal"
            deps = ([obj.column] if obj.column else []) + _placeholders(obj.id) + _placeholders(obj.value)
            if isinstance(obj.lang, LanguageFrom):
                deps.append(obj.lang.column)
            multi = bool(col is not None and col.separator)
            self.producers.append(_Producer(res, pred, obj, False, res.template, kind, target, multi,
                                            tuple(dict.fromkeys(deps))))
            if obj.inverse:
                inv = _expand(obj.inverse, self.prefixes, where)
                self.producers.append(_Producer(res, inv, obj, True, target, "id", res.template, multi,
                                                tuple(dict.fromkeys(deps))))

    # ---- the loaded rows

    def lexical(self, table: str) -> dict[str, pd.Series]:
        if table not in self._lexical:
            t = self.mapped.get(table)
            frame = t.accepted_frame() if t is not None else pd.DataFrame()
            self._lexical[table] = {c: frame[c] for c in frame.columns}
            self._rows[table] = frame.index
        return self._lexical[table]

    def _cached(self, key: tuple, make):  # noqa: ANN001, ANN202 - a small memo
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def selected(self, res: _Resource) -> pd.Index:
        """The rows the block is written for (as mapper.TableMapper.write selects them)."""
        def make() -> pd.Index:
            table = res.mapping.table
            if table not in self.mapped:
                return pd.Index([])
            lexical = self.lexical(table)
            index = self._rows[table]
            rows = pd.Series(True, index=index)
            if res.spec.when_any_positive:
                rows &= pd.concat([pd.to_numeric(lexical[c], errors="coerce").fillna(0) > 0
                                   for c in res.spec.when_any_positive], axis=1).any(axis=1)
            keys = self.mappers[table]._keys(lexical)
            for column, value in res.spec.when_equals:
                rows &= keys[column].eq(value).fillna(False).astype(bool)
            return rows[rows].index
        return self._cached(("selected", id(res)), make)

    def rows(self, res: _Resource) -> pd.Index:
        """The rows the block makes a subject from: selected, with every key of the subject."""
        def make() -> pd.Index:
            made = self.selected(res)
            if not len(made):
                return made
            lexical = self.lexical(res.mapping.table)
            present = pd.Series(True, index=made)
            for c in _placeholders(res.spec.id):
                present &= _restrict(lexical[c], made).notna()
            return made[present.to_numpy(dtype=bool)]
        return self._cached(("rows", id(res)), make)

    def subjects(self, res: _Resource) -> pd.Series:
        """Subject IRIs of the block, per row (from rows()): the mapper's own list when it lines
        up with the block's rows, else made again from the template."""
        def make() -> pd.Series:
            index = self.rows(res)
            if not len(index):
                return pd.Series([], dtype="string")
            written = self._written_subjects(res.mapping).get(id(res))
            if written is not None:
                return written.loc[index]
            local = self._local(res, index)
            return self.id_base + _template(res.spec.id, self.mappers[res.mapping.table]._keys(local), index,
                                            encode=True)
        return self._cached(("subjects", id(res)), make)

    def _written_subjects(self, mapping: Mapping) -> dict[int, pd.Series]:
        """MappedTable.subjects split into the blocks that wrote them (block by block, in the
        mapping's order, one entry per selected row); {} when it does not line up."""
        def make() -> dict[int, pd.Series]:
            table = self.mapped.get(mapping.table)
            if table is None:
                return {}
            frame, start, out = table.subjects, 0, {}
            for res in (r for r in self.resources if r.mapping is mapping):
                made = self.selected(res)
                if not len(made):
                    continue
                block = frame.iloc[start:start + len(made)]
                start += len(made)
                if len(block) != len(made) or not (block["row"].to_numpy() == made.to_numpy()).all():
                    return {}
                out[id(res)] = pd.Series(block["subject"].to_numpy(), index=made, dtype="string")
            return out if start == len(frame) else {}
        return self._cached(("written", id(mapping)), make)

    def unique_subjects(self, res: _Resource) -> bool:
        return self._cached(("unique", id(res)), lambda: not self.subjects(res).duplicated().any())

    def _local(self, res: _Resource, index: pd.Index) -> dict[str, pd.Series]:
        lexical = self.lexical(res.mapping.table)
        return _Local(lexical, index)

    def _objects(self, prod: _Producer, index: pd.Index) -> pd.Series:
        """N-Triples objects of the producer's triples for these rows, as the mapper writes
        them (a list cell gives one entry per item, under its row); NA dropped."""
        if not len(index):
            return pd.Series([], dtype="string")
        mapper = self.mappers[prod.res.mapping.table]
        local = self._local(prod.res, index)
        if prod.multi:
            column = prod.obj.column
            assert column is not None
            spec = prod.res.mapping.column(column)
            exploded = local[column].str.split("\t").explode()
            exploded = exploded[exploded.notna() & (exploded != "")]
            objects = nt.iri(exploded) if spec.concept else nt.literal(
                exploded, None, mapper._language(prod.obj, local, index))
        else:
            objects = mapper._object(prod.obj, local, index, f"{prod.res.mapping.path}: {prod.predicate}")
        return objects.dropna()

    def pairs(self, prod: _Producer) -> pd.DataFrame:
        """The producer's triples: ``s`` (subject IRI) and ``o`` (N-Triples object), by row."""
        def make() -> pd.DataFrame:
            objects = self._objects(prod, self.rows(prod.res))
            subjects = self.subjects(prod.res).reindex(objects.index)
            frame = pd.DataFrame({"s": subjects.to_numpy(), "o": objects.to_numpy()}, index=objects.index)
            frame = frame.dropna()
            if prod.inverse:
                frame = pd.DataFrame({"s": frame["o"].str[1:-1].to_numpy(),
                                      "o": ("<" + frame["s"] + ">").to_numpy()}, index=frame.index)
            return frame
        return self._cached(("pairs", id(prod)), make)

    def values(self, prod: _Producer) -> set[str]:
        """The distinct objects the producer writes."""
        def make() -> set[str]:
            if prod.inverse:
                return set(self.pairs(prod)["o"])
            index = self.rows(prod.res)
            if not prod.deps:
                index = index[:1]       # a constant: one row says it all
            elif len(index):
                lexical = self.lexical(prod.res.mapping.table)
                if len(prod.deps) == 1:
                    index = _restrict(lexical[prod.deps[0]], index).drop_duplicates().index
                else:
                    frame = pd.DataFrame({c: _restrict(lexical[c], index) for c in prod.deps})
                    index = frame.drop_duplicates().index
            return set(self._objects(prod, index))
        return self._cached(("values", id(prod)), make)

    def has_value(self, prod: _Producer) -> pd.Index:
        """The rows for which the producer writes at least one triple."""
        index = self.rows(prod.res)
        if not len(index):
            return index
        lexical = self.lexical(prod.res.mapping.table)
        present = pd.Series(True, index=index)
        for c in prod.deps:
            if isinstance(prod.obj.lang, LanguageFrom) and c == prod.obj.lang.column:
                continue   # no language tag: a plain string, still a value
            present &= _restrict(lexical[c], index).notna()
        if prod.multi:
            cell = _restrict(lexical[prod.obj.column or ""], index).fillna("")
            present &= cell.str.replace("\t", "", regex=False) != ""
        return index[present.to_numpy(dtype=bool)]

    def written(self, mapping: Mapping) -> int:
        """How many triple lines the model says the mapper wrote for the table."""
        count = sum(len(self.rows(r)) for r in self.resources if r.mapping is mapping and r.cls)
        lexical = self.lexical(mapping.table)
        for prod in (p for p in self.producers if p.res.mapping is mapping):
            rows = self.has_value(prod)
            if prod.multi and len(rows):
                items = _restrict(lexical[prod.obj.column or ""], rows).str.split("\t").explode()
                count += int((items.notna() & (items != "")).sum())
            else:
                count += len(rows)
        return count

    def consistent(self) -> bool:
        """The model writes as many triples per table as the mapper did (else it describes
        another mapping engine, and nothing is decided)."""
        return all(self.written(m) == self.mapped[m.table].triples
                   for m in self.mappings if m.table in self.mapped)

    def instances(self, cls: str) -> set[str]:
        """Every instance of ``cls`` in the loaded store (as node keys)."""
        def make() -> set[str]:
            classes = self.vocab.subclasses(cls)
            out = {s for c in classes for s in self.vocab.types.get(c, ())}
            for res in self.resources:
                if res.cls in classes:
                    out |= set(self.subjects(res).dropna())
            return out
        return self._cached(("instances", cls), make)

    # ---- focus nodes and the producers that concern them

    def focus(self, targets: list[tuple[str, str]]) -> _Focus:
        classes = frozenset(c for kind, c in targets if kind == "class")
        subjects_of = frozenset(p for kind, p in targets if kind == "subjectsOf")
        below = set().union(*(self.vocab.subclasses(c) for c in classes)) if classes else set()
        resources = [r for r in self.resources if r.cls is not None and r.cls in below]
        via = [p for q in subjects_of for p in self.by_pred.get(q, [])]
        vocab = {s for c in below for s in self.vocab.types.get(c, ())}
        vocab |= {s for q in subjects_of for s, _ in self.vocab.by_pred.get(q, [])}
        templates: list[str | None] = [r.template for r in resources]
        templates += [p.subject for p in via]
        return _Focus(classes, subjects_of, resources, via, vocab, templates)

    def empty(self, focus: _Focus) -> bool:
        return not focus.vocab and all(not len(self.rows(r)) for r in focus.resources) \
            and all(self.pairs(p).empty for p in focus.via)

    def nodes(self, focus: _Focus) -> set[str]:
        """Every focus node (as node keys)."""
        def make() -> set[str]:
            out = set(focus.vocab)
            for r in focus.resources:
                out |= set(self.subjects(r).dropna())
            for p in focus.via:
                out |= set(self.pairs(p)["s"])
            return out
        return self._cached(("nodes", focus.classes, focus.subjects_of), make)

    def _matches_vocab(self, template: str | None) -> set[str]:
        """The vocabulary nodes a subject template can make."""
        def make() -> set[str]:
            if template is None:
                return set(self.vocab.subjects)
            regex = _template_regex(template)
            return {s for s in self.vocab.subjects if regex.fullmatch(s)}
        return self._cached(("vmatch", template), make)

    def concerned(self, focus: _Focus, predicate: str) -> tuple[list[_Producer], list[tuple[str, str]]]:
        """The producers that may write ``predicate`` about a focus node, and the vocabulary's
        triples of it about one: (subject, object) pairs."""
        prods = [p for p in self.by_pred.get(predicate, [])
                 if any(_overlap(p.subject, t) for t in focus.templates)
                 or (focus.vocab and self._matches_vocab(p.subject) & focus.vocab)]
        regexes = [None if t is None else _template_regex(t) for t in focus.templates]
        vocab = [(s, o) for s, o in self.vocab.by_pred.get(predicate, [])
                 if s in focus.vocab or any(r is None or r.fullmatch(s) for r in regexes)]
        return prods, vocab

    # ---- deciding

    def run(self, compiled: list) -> dict:
        decided: dict = {}
        if self.opaque or not self.consistent():
            return decided
        pending: list[tuple[object, tuple[frozenset[str], str]]] = []
        groups: dict[tuple[frozenset[str], str], set[str]] = defaultdict(set)
        # The constraints of one focus (a class, usually one table) one after the other; what
        # was worked out for a focus is forgotten before the next: at national scale the
        # columns, subjects and value pairs of every table would not fit in memory together.
        work = []
        for cc in compiled:
            node = self.labels.get(cc.shape)
            targets = self.targets.get(node) if node is not None else None
            if node is not None and targets:
                work.append((cc, node, self.focus(targets)))
        work.sort(key=lambda w: sorted(w[2].classes | w[2].subjects_of))
        last = None
        for cc, node, focus in work:
            if last is not None and (focus.classes, focus.subjects_of) != last:
                self._forget()
            last = (focus.classes, focus.subjects_of)
            if not self._same_focus(cc, focus):
                continue
            if self.empty(focus):
                decided[cc] = Decision("no focus node in the loaded data")
                continue
            result = self._decide(cc, node, focus)
            if isinstance(result, Decision):
                decided[cc] = result
            elif isinstance(result, tuple):      # values to check on the scratch store
                group, terms = result
                groups[group] |= terms
                pending.append((cc, group))
        if pending:
            decided.update(self._scratch(pending, groups))
        return decided

    def _forget(self) -> None:
        """Drop what was worked out for the last focus, but the instances of classes, which
        the class constraints of every table read (the schools a finance line refers to)."""
        self._cache = {k: v for k, v in self._cache.items() if k[0] == "instances"}
        self._lexical.clear()
        self._rows.clear()
        return_free_pages()

    def _same_focus(self, cc: object, focus: _Focus) -> bool:
        """The compiled query's focus nodes are those this module assumes (or it decides nothing)."""
        text = cc.sparql  # type: ignore[attr-defined]
        if "VALUES ?this" in text or re.search(r"\[\] <[^>]+> \?this \.", text):
            return False
        return set(_TYPE_PATTERN.findall(text)) == focus.classes and \
            set(_SUBJECTS_PATTERN.findall(text)) == focus.subjects_of

    def _decide(self, cc: object, node: Node, focus: _Focus) -> Decision | tuple | None:
        component = cc.component  # type: ignore[attr-defined]
        if cc.kind == "sparql":  # type: ignore[attr-defined]
            return self._sparql_values(cc, focus)
        path = _path(self.g, node)
        if path is None:
            return None
        if path == ():
            return self._closed(cc, focus) if component == f"{SHACL}ClosedConstraintComponent" else None
        if len(path) > 1:
            if component == f"{SHACL}MinCountConstraintComponent" \
                    and _int_param(self.g, node, SH.minCount) == 1:
                return self._chain(focus, path, None)
            if component == f"{SHACL}HasValueConstraintComponent" and len(path) == 2:
                m = _HAS_VALUE.search(cc.sparql)  # type: ignore[attr-defined]
                if m and m.group(1) == "(" + "/".join(f"<{x}>" for x in path) + ")":
                    return self._chain(focus, path, m.group(2))
            return None
        p = path[0]
        if component in VALUE_COMPONENTS:
            return self._values(focus, p)
        if component == f"{SHACL}ClassConstraintComponent":
            m = _CLASS_PATTERN.search(cc.sparql)  # type: ignore[attr-defined]
            return self._class(focus, p, m.group(1)) if m else None
        if component == f"{SHACL}MinCountConstraintComponent":
            n = _int_param(self.g, node, SH.minCount)
            return self._min_count(focus, p, n) if n is not None else None
        if component == f"{SHACL}MaxCountConstraintComponent":
            n = _int_param(self.g, node, SH.maxCount)
            return self._max_count(focus, p, n) if n is not None else None
        if component == f"{SHACL}UniqueLangConstraintComponent":
            return self._unique_lang(focus, p)
        if component == f"{SHACL}HasValueConstraintComponent":
            m = _HAS_VALUE.search(cc.sparql)  # type: ignore[attr-defined]
            if m and m.group(1) == f"<{p}>":
                return self._chain(focus, (p,), m.group(2))
        return None

    # value constraints: the constraint's own query on the distinct values

    def _values(self, focus: _Focus, p: str) -> tuple | None:
        if focus.subjects_of:
            return None      # the stand-in focus node is made by its classes
        prods, vocab = self.concerned(focus, p)
        terms: set[str] = set()
        for prod in prods:
            terms |= self.values(prod)
        terms |= {o for _, o in vocab}
        return (focus.classes, p), terms

    def _sparql_values(self, cc: object, focus: _Focus) -> tuple | None:
        """A SHACL-SPARQL constraint of the form ``SELECT $this ?value WHERE { $this p ?value .
        FILTER(...) }`` whose filter reads ?value alone is a value constraint too."""
        text = cc.sparql  # type: ignore[attr-defined]
        declared = {p or "": ns for p, ns in _PREFIX.findall(text)}
        # compiled: the select up to its WHERE brace, the focus nodes' pattern on the same
        # line, then the rest of the select on the next lines
        head, newline, rest = _PREFIX.sub("", text).lstrip().partition("\n")
        start = head.find("{")
        if not newline or start < 0 or not _VALUE_SELECT.match(head[:start + 1]):
            return None
        m = _VALUE_BODY.fullmatch(rest)
        if m is None:
            return None
        token, condition = m.groups()
        if set(re.findall(r"[?$](\w+)", condition)) != {"value"} or not _one_expression(condition) \
                or re.search(r"[{}]|\bEXISTS\b|\b(RAND|UUID|STRUUID|BNODE)\s*\(", condition, re.IGNORECASE):
            return None
        if "NOW" in condition.upper():
            left, _, right = condition.partition(">")
            if left.strip() != "?value" or "".join(right.split()).lstrip("=") not in _CLOCK \
                    or declared.get("xsd", _XSD) != _XSD:
                return None
        if token.startswith("<") and token.endswith(">"):
            predicate = token[1:-1]
        else:
            prefix, colon, local = token.partition(":")
            if not colon or prefix not in declared or not re.fullmatch(r"[\w.-]*", local):
                return None
            predicate = declared[prefix] + local
        return self._values(focus, predicate)

    def _scratch(self, pending: list, groups: dict[tuple[frozenset[str], str], set[str]]) -> dict:
        """Runs the pending constraints' own queries on a store holding, per (classes,
        predicate), one stand-in focus node with every value the concerned producers wrote."""
        lines = []
        for i, ((classes, predicate), terms) in enumerate(groups.items()):
            focus = f"<urn:emis-lod:column-checks:focus:{i}>"
            lines += [f"{focus} <{RDF_TYPE}> <{c}> .\n" for c in sorted(classes)]
            lines += [f"{focus} <{predicate}> {t} .\n" for t in sorted(terms)]
        store = ox.Store()
        store.bulk_load(input="".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=_SCRATCH_GRAPH)
        decided = {}
        for cc, _group in pending:
            solutions = store.query(cc.sparql, use_default_graph_as_union=True)
            assert isinstance(solutions, ox.QuerySolutions)   # every compiled query is a SELECT
            if next(iter(solutions), None) is None:
                decided[cc] = Decision("every value the columns wrote passes the constraint's query")
        return decided

    # value types, counts, closed shapes

    def _class(self, focus: _Focus, p: str, cls: str) -> Decision | None:
        prods, vocab = self.concerned(focus, p)
        instances = self.instances(cls)
        for prod in prods:
            if prod.kind == "literal" and not prod.inverse:
                return None
            nodes = {_node_of(t) for t in self.values(prod)}
            if None in nodes or not nodes <= instances:
                return None
        if any(_node_of(o) not in instances for _, o in vocab):
            return None
        return Decision(f"every value is an instance of <{cls}>",
                        stable=not any(c.startswith(self.id_base) for c in self.vocab.subclasses(cls)))

    def _min_count(self, focus: _Focus, p: str, n: int) -> Decision | None:
        if focus.via or n < 1:
            return None if focus.via else Decision("sh:minCount 0")
        stable = True
        for v in focus.vocab:
            objects = self.vocab.out.get((v, p), [])
            if len({_distinct_key(o) for o in objects}) < n:
                return None
            stable &= not any(o.startswith("<" + self.id_base) for o in objects)
        for res in focus.resources:
            own = [q for q in self.by_pred.get(p, []) if q.res is res and not q.inverse]
            need = self.rows(res)
            if not len(need):
                continue
            if n == 1:
                got = pd.Index([]).append([self.has_value(q) for q in own]) if own else pd.Index([])
                if not need.isin(got).all():
                    return None
            else:
                frames = [self.pairs(q)["o"].map(_distinct_key) for q in own]
                if not frames:
                    return None
                keys = pd.concat(frames)
                counts = keys.groupby(level=0).nunique().reindex(need, fill_value=0)
                if (counts < n).any():
                    return None
            stable &= not any(q.kind == "id" and (q.target or "").startswith(self.id_base) for q in own)
        return Decision(f"every row that makes a focus node writes {n} value(s)", stable=stable)

    def _max_count(self, focus: _Focus, p: str, n: int) -> Decision | None:
        prods, vocab = self.concerned(focus, p)
        if not prods and not vocab:
            return Decision("no producer writes the predicate about a focus node")
        if n >= 1 and not vocab and self._one_value_per_subject(prods):
            return Decision("one producer per subject, one value per row, one row per subject")
        counts = self._per_subject(focus, prods, vocab).groupby("s")["o"].nunique()
        if counts.empty or counts.max() <= n:
            return Decision("counted on the columns")
        return None

    def _one_value_per_subject(self, prods: list[_Producer]) -> bool:
        for i, a in enumerate(prods):
            if a.multi or a.inverse or a.subject is None:
                return False
            if any(_overlap(a.subject, b.subject) for b in prods[i + 1:]):
                return False
            if not self.unique_subjects(a.res):
                return False
        return True

    def _per_subject(self, focus: _Focus, prods: list[_Producer],
                     vocab: list[tuple[str, str]]) -> pd.DataFrame:
        """The concerned triples about focus nodes, as distinct (s, o)."""
        frames = [self.pairs(q)[["s", "o"]] for q in prods]
        if vocab:
            frames.append(pd.DataFrame(vocab, columns=["s", "o"]))
        if not frames:
            return pd.DataFrame({"s": [], "o": []})
        frame = pd.concat(frames, ignore_index=True)
        frame = frame[frame["s"].isin(self.nodes(focus))]
        return frame.drop_duplicates()

    def _unique_lang(self, focus: _Focus, p: str) -> Decision | None:
        prods, vocab = self.concerned(focus, p)
        frame = self._per_subject(focus, prods, vocab)
        lang = frame["o"].astype("string").str.extract(r'^".*"@([A-Za-z0-9-]+)$', expand=False).str.lower()
        tagged = frame.assign(lang=lang).dropna(subset=["lang"])
        if tagged.empty or tagged.groupby(["s", "lang"])["o"].nunique().max() <= 1:
            return Decision("at most one value per language tag, counted on the columns")
        return None

    def _chain(self, focus: _Focus, path: tuple[str, ...], value: str | None) -> Decision | None:
        """sh:minCount 1 (value None) or sh:hasValue along ``p`` or ``( p q )`` where ``q``
        comes from the vocabulary: every focus node has such a value."""
        if focus.via:
            return None
        first, rest = path[0], path[1:]
        if rest:
            ends = {s for s, o in self.vocab.by_pred.get(rest[0], [])
                    if (value is None or o == f"<{value}>") and not s.startswith(self.id_base)
                    and not (_node_of(o) or "").startswith(self.id_base)}
            good = {f"<{s}>" for s in ends if not s.startswith("_:")}
        else:
            if value is None:
                return None
            good = {f"<{value}>"}
        if value is not None and value.startswith(self.id_base):
            return None
        for v in focus.vocab:
            if not any(o in good for o in self.vocab.out.get((v, first), [])):
                return None
        for res in focus.resources:
            need = self.rows(res)
            if not len(need):
                continue
            own = [q for q in self.by_pred.get(first, []) if q.res is res and not q.inverse]
            if not own:
                return None
            hits = pd.concat([self.pairs(q)["o"] for q in own])
            ok = hits[hits.isin(good)].index.unique()
            if not need.isin(ok).all():
                return None
        what = "has the value" if value else "has a value along the path"
        return Decision(f"every row that makes a focus node {what}")

    def _closed(self, cc: object, focus: _Focus) -> Decision | None:
        m = _CLOSED.search(cc.sparql)  # type: ignore[attr-defined]
        if m is None:
            return None
        allowed = set(re.findall(r"<([^>]+)>", m.group(1)))
        used: set[str] = set()
        for res in self.resources:
            if any(_overlap(res.template, t) for t in focus.templates) and res.cls is not None:
                used.add(RDF_TYPE)
        for prod in self.producers:
            if any(_overlap(prod.subject, t) for t in focus.templates) or \
                    (focus.vocab and self._matches_vocab(prod.subject) & focus.vocab):
                used.add(prod.predicate)
        regexes = [None if t is None else _template_regex(t) for t in focus.templates]
        for predicate, pairs in self.vocab.by_pred.items():
            if any(s in focus.vocab or any(r is None or r.fullmatch(s) for r in regexes) for s, _ in pairs):
                used.add(predicate)
        if used <= allowed:
            return Decision("no producer writes another predicate about a focus node")
        return None


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


def _restrict(column: pd.Series, index: pd.Index) -> pd.Series:
    """A column at some of its rows (``index`` is a subset of the column's index, in order)."""
    return column if len(index) == len(column) else column.loc[index]


class _Local(dict):
    """Columns of a table restricted to some rows, fetched when first used."""

    def __init__(self, lexical: dict[str, pd.Series], index: pd.Index) -> None:
        super().__init__()
        self.lexical, self.index = lexical, index

    def __missing__(self, name: str) -> pd.Series:
        value = _restrict(self.lexical[name], self.index)
        self[name] = value
        return value
