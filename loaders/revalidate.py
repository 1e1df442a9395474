"""Which constraints must run again once the derived summaries and indicators are in the store,
or once a validation round has taken rejected rows out of it.

The validation rounds leave a store whose every constraint has been answered. Deriving then
only *adds* triples, in its own graphs (``graph/derived``, ``graph/indicators``). A constraint's
query can give another answer only if one of its triple patterns can match an added triple;
every other constraint would give the answer it gave before, which the report already holds:
running it again over millions of records (a national staff or finance table) finds nothing
new. What the added graphs hold is read from the store (their predicates, the classes they
type, the classes of their subjects), not assumed, so a new derived query needs no change here.

Taking triples out is the mirror case: a query whose triple patterns cannot match a removed
triple gives the answer it gave before, so a validation round after a removal runs only the
constraints the removed triples can change (:func:`touched_by_removal`).

A constraint's query is read as text, conservatively (anything that might be a predicate is
taken as one):

- ``?x rdf:type/rdfs:subClassOf* <C>`` matches an added triple only if the added graphs type a
  node with ``C`` or one of its subclasses;
- a predicate right after the focus node (``?this <p>``, ``$this <p>``: the first step of the
  constraint's path) matches only added triples about a focus node, so only if ``p`` is added
  to a node of one of the classes whose instances the query focuses on;
- any other IRI (a later step of a path, a value's predicate, a SPARQL constraint's body) is
  taken as a predicate that matches if the added graphs use it; a variable in the predicate
  position matches anything (``$this ?p ?o`` only what is added to focus nodes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyoxigraph as ox

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
# how the compiled constraints type a node (a target, sh:class, a nested shape's target) and
# how a SPARQL constraint may
_TYPED = re.compile(rf"([?$]\w+)\s+(?:<{re.escape(RDF_TYPE)}>/<{re.escape(SUBCLASS)}>\*|a|"
                    rf"<{re.escape(RDF_TYPE)}>)\s+<([^>]+)>")
_FOCUS = re.compile(r"[?$]this")
_FIRST_STEP = re.compile(r"([?$]this\s+\(?\s*)<([^>]+)>")             # ?this <p>, ?this (<p>/...
_VARIABLE_PREDICATE = re.compile(r"(?:([?$]\w+)|;)\s+[?$]\w+\s+[?$<\"'_\d(\[]")
_TYPE_KEYWORD = re.compile(r"(?:[?$]\w+|;)\s+a\s")
_TARGET = re.compile(r"\s*SELECT\b[^{]*?\bWHERE\s*\{\s*(\{\s*SELECT\s+DISTINCT\s+[?$]this\s+WHERE\s*\{)",
                     re.IGNORECASE | re.DOTALL)
_ONLY_UNIONS = re.compile(r"[\s{}.]*(?:UNION[\s{}.]*)*", re.IGNORECASE)
# IRIs as values, never matched against the data: FILTER(?p [NOT] IN (...)), BIND(<p> AS ?v)
_VALUES = re.compile(r"\b(?:NOT\s+)?IN\s*\([^()]*\)|\bBIND\s*\(\s*<[^>]*>\s+AS\s+[?$]\w+\s*\)",
                     re.IGNORECASE)
_IRI = re.compile(r"<([^>\s]*)>")
_PREFIX = re.compile(r"PREFIX\s+([\w-]*):\s*<([^>]*)>", re.IGNORECASE)
_PREFIXED = re.compile(r"(?<![\w?$:])([A-Za-z][\w-]*)?:([\w-]*\w)?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_PROJECTION = re.compile(r"\bSELECT\b(.*?)\bWHERE\b", re.IGNORECASE | re.DOTALL)
_GROUPING = re.compile(r"\b(?:GROUP|ORDER)\s+BY\b[^{}]*?(?=\bHAVING\b|\bLIMIT\b|\})", re.IGNORECASE)


@dataclass(frozen=True)
class Reads:
    """What a constraint's query can match (see the module's docstring)."""

    typed: frozenset[str]        # classes of typing patterns
    focus: frozenset[str]        # the classes the focus node is typed with (empty: not known)
    first_steps: frozenset[str]  # predicates right after the focus node
    focus_any: bool              # $this ?p ...: any predicate of a focus node
    others: frozenset[str]       # every other IRI, taken as a predicate
    any_other: bool              # a variable predicate elsewhere, or rdf:type used otherwise


def _full_iris(text: str) -> str:
    """A SPARQL constraint's prefixed names as full IRIs (outside the IRIs already full)."""
    prefixes = dict(_PREFIX.findall(text))
    parts = re.split(r"(<[^>\s]*>)", _PREFIX.sub(" ", text))
    if prefixes:
        parts = [part if part.startswith("<") else _PREFIXED.sub(
            lambda m: f"<{prefixes[m[1] or '']}{m[2] or ''}>" if (m[1] or "") in prefixes else m[0],
            part) for part in parts]
    return "".join(parts)


def _target(text: str) -> tuple[frozenset[str], str]:
    """The classes of the compiled target (``{ SELECT DISTINCT ?this WHERE { { ?this
    rdf:type/rdfs:subClassOf* <C> } UNION ... } }`` first in the outer WHERE) and the text
    without it; no classes if the query has no such target (the focus is not known)."""
    start = _TARGET.match(text)
    if start is None:
        return frozenset(), text
    depth, end = 0, start.end() - 1
    for end in range(start.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    block = text[start.end():end]
    if _ONLY_UNIONS.fullmatch(_TYPED.sub(" ", block)) is None:
        return frozenset(), text
    classes = frozenset(c for var, c in _TYPED.findall(block) if _FOCUS.fullmatch(var))
    return classes, text[:start.start(1)] + text[end + 1:]


@cache
def reads(sparql: str) -> Reads:
    text = _full_iris(_STRING.sub('""', sparql))
    targets, text = _target(text)
    # a subquery that does not project ?this has a ?this of its own: the focus is not known
    scoped = all(re.search(r"[?$]this\b|\*", m[1]) for m in _PROJECTION.finditer(text))
    focus = targets if scoped else frozenset()
    text = _VALUES.sub(" ", _GROUPING.sub(" ", _PROJECTION.sub(" WHERE", text)))
    typed = _TYPED.findall(text) + [("?this", c) for c in targets]
    body = _TYPED.sub(" ", text)
    first: frozenset[str] = frozenset()
    if focus:
        first = frozenset(m[2] for m in _FIRST_STEP.finditer(body))
        body = _FIRST_STEP.sub(r"\1 ", body)
    subjects = [m[1] for m in _VARIABLE_PREDICATE.finditer(body)]
    iris = set(_IRI.findall(body))
    return Reads(
        typed=frozenset(c for _, c in typed), focus=focus, first_steps=first,
        focus_any=bool(focus) and any(s and _FOCUS.fullmatch(s) for s in subjects),
        others=frozenset(iris),
        any_other=any(not (focus and s and _FOCUS.fullmatch(s)) for s in subjects)
        or RDF_TYPE in iris or bool(_TYPE_KEYWORD.search(body)))


@dataclass(frozen=True)
class Added:
    """What the added graphs hold: their predicates, the classes they type nodes with (and the
    superclasses), and the classes of their subjects (from every graph, with superclasses)."""

    predicates: frozenset[str]
    typed: frozenset[str]
    subject_classes: frozenset[str]

    def can_change(self, r: Reads) -> bool:
        if not self.predicates:
            return False
        if (r.typed & self.typed) or r.any_other or (r.others & self.predicates):
            return True
        if SUBCLASS in self.predicates and r.typed:
            return True
        about_focus = bool(r.focus & self.subject_classes)
        return about_focus and (r.focus_any or bool(r.first_steps & self.predicates))


def _column(store: ox.Store, query: str) -> set[str]:
    answer = store.query(query, use_default_graph_as_union=True)
    assert isinstance(answer, ox.QuerySolutions)
    return {row[0].value for row in answer if row[0] is not None}  # type: ignore[union-attr]


def _with_superclasses(store: ox.Store, classes: set[str]) -> set[str]:
    if not classes:
        return classes
    values = " ".join(f"<{c}>" for c in sorted(classes))
    return classes | _column(store, f"SELECT DISTINCT ?sup WHERE {{ VALUES ?c {{ {values} }} "
                                    f"?c <{SUBCLASS}>+ ?sup }}")


def added(store: ox.Store, graphs: Iterable[str]) -> Added:
    predicates: set[str] = set()
    typed: set[str] = set()
    subjects: set[str] = set()
    for graph in graphs:
        predicates |= _column(store, f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        typed |= _column(store, f"SELECT DISTINCT ?c WHERE {{ GRAPH <{graph}> {{ ?s <{RDF_TYPE}> ?c }} }}")
        # LATERAL: each subject's types are looked up in the index; a join would hash every
        # type triple of the store (1.3 GB at 20,000 schools)
        subjects |= _column(store, f"""
            SELECT DISTINCT ?c WHERE {{
              {{ SELECT DISTINCT ?n WHERE {{ GRAPH <{graph}> {{ ?n ?p ?o }} }} }}
              LATERAL {{ ?n <{RDF_TYPE}> ?c }} }}""")
    return Added(frozenset(predicates), frozenset(_with_superclasses(store, typed)),
                 frozenset(_with_superclasses(store, subjects)))


def touched_by(store: ox.Store, graphs: Iterable[str]) -> Callable[[Any], bool]:
    """A filter of compiled constraints: True for those the triples of ``graphs`` can change."""
    facts = added(store, graphs)
    return lambda constraint: facts.can_change(reads(constraint.sparql))


def removed(store: ox.Store, lines: Iterable[bytes]) -> Added:
    """What removed triples (N-Triples lines, as the build takes them out) held: their
    predicates, the classes they typed nodes with, and the classes of their subjects (read
    from the removed lines for a node taken out, from the store for a node that stays), each
    with its superclasses."""
    predicates: set[str] = set()
    typed: set[str] = set()
    subjects: set[str] = set()
    for line in lines:
        subject, predicate, rest = line.decode("utf-8").split(" ", 2)
        predicates.add(predicate[1:-1])
        if predicate[1:-1] == RDF_TYPE:
            typed.add(rest.rsplit(" ", 1)[0].strip()[1:-1])
        if subject.startswith("<"):
            subjects.add(subject[1:-1])
    classes = set(typed)
    listed = sorted(subjects)
    for i in range(0, len(listed), 500):
        values = " ".join(f"<{s}>" for s in listed[i:i + 500])
        classes |= _column(store, f"SELECT DISTINCT ?c WHERE {{ VALUES ?s {{ {values} }} "
                                  f"?s <{RDF_TYPE}> ?c }}")
    return Added(frozenset(predicates), frozenset(_with_superclasses(store, typed)),
                 frozenset(_with_superclasses(store, classes)))


def touched_by_removal(store: ox.Store, lines: Iterable[bytes]) -> Callable[[Any], bool]:
    """A filter of compiled constraints: True for those that taking out the triples of these
    N-Triples ``lines`` can change (call it once they are out: the store answers the classes of
    the subjects that stay)."""
    facts = removed(store, lines)
    return lambda constraint: facts.can_change(reads(constraint.sparql))
