"""SPARQL group patterns for the core constraint components (SHACL §4).

A constraint becomes a pattern over a *focus-node source* (:data:`Src`: given a variable, a
pattern binding it to every focus node) that binds ``?this`` to each focus node breaking the
constraint and ``?value`` to the offending value. :class:`Query` holds the state of one query
being assembled; the ``*_build`` functions take their compile-time parameters first (bound with
``functools.partial`` by the compiler), then (query, source, focus variable, value variable).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from .conditions import V
from .model import UnsupportedShape

TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"

Src = Callable[[str], str]  # a focus-node source: given a variable, a pattern binding it


@dataclass
class Query:
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


Build = Callable[[Query, Src, str, str], "str | None"]


@dataclass
class Rule:
    """One constraint before it is turned into a query; ``build`` gives its pattern."""

    shape: Node
    component: URIRef
    build: Build
    message: str
    sparql_text: str | None = None  # SHACL-SPARQL constraints: the rewritten sh:select ...
    brace: int = -1  # ... the position of its WHERE clause's opening brace ...
    prefixes: dict[str, str] = field(default_factory=dict)  # ... and its PREFIX declarations


def group(*parts: str) -> str:
    return "{ " + " ".join(p for p in parts if p) + " }"


def distinct(var: str, body: str) -> str:
    return group(f"SELECT DISTINCT {var} WHERE", group(body))


_SOURCE_VARS = itertools.count(1)


def values_src(q: Query, src: Src, path: str) -> Src:
    """The value nodes of all focus nodes of ``src`` along ``path``, as a new source."""
    t = f"?__f{next(_SOURCE_VARS)}"  # unique across queries: sources nest inside each other
    return lambda v: distinct(v, f"{src(t)} {t} {path} {v} .")


def union_src(srcs: list[Src]) -> Src:
    return lambda v: distinct(v, " UNION ".join(group(s(v)) for s in srcs))


# Pattern builders: each takes the compile-time parameters first (bound with functools.partial),
# then (query, focus source, focus variable, value variable) and returns a group pattern body.
def focus_values(src: Src, path: str | None, t: str, v: str) -> str:
    """Focus nodes ``t`` of ``src`` and their value nodes ``v`` (§2.1.2: the focus node itself
    for a node shape)."""
    if path is None:
        return f"{src(t)} BIND({t} AS {v})"
    return f"{src(t)} {t} {path} {v} ."


def value_build(path: str | None, ok: str, q: Query, src: Src, t: str, v: str) -> str:
    # An expression that errors (an ill-typed or incomparable value) counts as not ok.
    return f"{focus_values(src, path, t, v)} FILTER(!COALESCE({ok.replace(V, v)}, false))"


def class_build(path: str | None, cls: str, q: Query, src: Src, t: str, v: str) -> str:
    # §4.1.1: SHACL instances via rdf:type/rdfs:subClassOf* in the data; MINUS is an anti-join
    # evaluated once (FILTER NOT EXISTS would probe per value, ~8x slower on an on-disk store).
    if q.per_focus and path is not None:
        return f"{src(t)} LATERAL {{ {t} {path} {v} . }} MINUS {{ {v} {TYPE_PATH} {cls} . }}"
    return f"{focus_values(src, path, t, v)} MINUS {{ {v} {TYPE_PATH} {cls} . }}"


def min_count_build(path: str, n: int, q: Query, src: Src, t: str, v: str) -> str:
    # Set-based on purpose: MINUS and a pre-grouped OPTIONAL are anti/outer joins that Oxigraph
    # evaluates once, where FILTER NOT EXISTS probes the index per focus node (3x slower on disk).
    x = q.var("x")
    if n == 1 and q.per_focus:
        return f"{src(t)} FILTER NOT EXISTS {{ {t} {path} {x} . }} BIND(0 AS ?count)"
    if n == 1:
        return f"{src(t)} MINUS {{ {t} {path} {x} . }} BIND(0 AS ?count)"
    c = q.var("c")
    counted = group(f"SELECT {t} (COUNT(DISTINCT {x}) AS {c}) WHERE", group(f"{t} {path} {x} ."),
                     f"GROUP BY {t}")
    return f"{src(t)} OPTIONAL {counted} BIND(COALESCE({c}, 0) AS ?count) FILTER(?count < {n})"


def max_count_build(path: str, n: int, q: Query, src: Src, t: str, v: str) -> str:
    # Count over the whole predicate first, then join the (fewer) over-full nodes to the
    # focus nodes: about 2.5x faster in Oxigraph than grouping the join.
    x = q.var("x")
    if q.per_focus:
        return src(t) + " LATERAL " + group(
            f"SELECT {t} (COUNT(DISTINCT {x}) AS ?count) WHERE", group(f"{t} {path} {x} ."),
            f"GROUP BY {t}") + f" FILTER(?count > {n})"
    return src(t) + " " + group(
        f"SELECT {t} (COUNT(DISTINCT {x}) AS ?count) WHERE",
        group(f"{t} {path} {x} ."),
        f"GROUP BY {t} HAVING (COUNT(DISTINCT {x}) > {n})",
    )


def unique_lang_build(path: str, q: Query, src: Src, t: str, v: str) -> str:
    x = q.var("x")
    return src(t) + " " + group(
        f"SELECT {t} ?lang WHERE",
        group(f'{t} {path} {x} . FILTER(isLiteral({x}) && lang({x}) != "")'),
        f"GROUP BY {t} (lang({x}) AS ?lang) HAVING (COUNT(DISTINCT {x}) > 1)",
    )


def has_value_build(path: str | None, h: str, q: Query, src: Src, t: str, v: str) -> str:
    if path is None:
        return f"{src(t)} FILTER(!sameTerm({t}, {h}))"
    if q.per_focus:
        return f"{src(t)} FILTER NOT EXISTS {{ {t} {path} {h} . }}"
    return f"{src(t)} MINUS {{ {t} {path} {h} . }}"


def pair_build(path: str | None, param: URIRef, other: str, q: Query, src: Src, t: str, v: str) -> str:
    vals = focus_values(src, path, t, v)
    if param == SH.equals:  # §4.5.1: values of either side missing on the other
        missing = f"FILTER(!sameTerm({t}, {v}))" if path is None else f"MINUS {{ {t} {path} {v} . }}"
        return (f"{group(vals, f'MINUS {{ {t} {other} {v} . }}')} UNION "
                f"{group(src(t), f'{t} {other} {v} .', missing)}")
    if param == SH.disjoint:  # §4.5.2
        return f"{vals} {t} {other} {v} ."
    o = q.var("o")
    op = "<" if param == SH.lessThan else "<="  # §4.5.3, §4.5.4
    return f"{vals} {t} {other} {o} . FILTER(!COALESCE({v} {op} {o}, false))"


def closed_build(allowed: list[str], q: Query, src: Src, t: str, v: str) -> str:
    listed = ", ".join(f"<{a}>" for a in allowed)
    cond = f"?path NOT IN ({listed})" if allowed else "true"
    # LATERAL: the focus nodes' own triples are read per node from the index. As a plain join,
    # Oxigraph hash-joins the focus nodes against `?this ?path ?value` over the whole store,
    # holding every triple of the store in memory (1 GB at 2,000 schools).
    return f"{src(t)} LATERAL {{ {t} ?path {v} . FILTER({cond}) }}"
