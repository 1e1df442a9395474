"""Which constraints must run again once the derived summaries and indicators are in the store.

The validation rounds leave a store whose every constraint has been answered. Deriving then
only *adds* triples, in its own graphs (``graph/derived``, ``graph/indicators``). A compiled
constraint reads the focus nodes of its target classes (``rdf:type/rdfs:subClassOf*``), their
values and the types of those values; so its answer can change only if an added triple has a
subject or object that is an instance of a class it names, or adds an instance of a class it
names. Every other constraint would give the answer it gave before, which the report already
holds: running it again over millions of records (a national staff or finance table) finds
nothing new. SHACL-SPARQL constraints may read beyond their focus nodes, so one of them also
runs again when its text names a predicate the added graphs use.

The classes are read from the added graphs themselves (the types of their subjects and IRI
objects, and the superclasses of those), not assumed, so a new derived query needs no change
here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import pyoxigraph as ox

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
# every class a compiled constraint names: its targets, sh:class and nested shapes' targets
_NAMED_CLASS = re.compile(rf"<{re.escape(RDF_TYPE)}>/<{re.escape(SUBCLASS)}>\* <([^>]+)>")


def _column(store: ox.Store, query: str) -> set[str]:
    answer = store.query(query, use_default_graph_as_union=True)
    assert isinstance(answer, ox.QuerySolutions)
    return {row[0].value for row in answer if row[0] is not None}  # type: ignore[union-attr]


def _classes_touched(store: ox.Store, graph: str) -> tuple[set[str], set[str]]:
    """(classes of the added graph's subjects and IRI objects with their superclasses,
    predicates the graph uses)."""
    # LATERAL: each node's types are looked up in the index; a join would hash every type
    # triple of the store (1.3 GB at 20,000 schools)
    types = _column(store, f"""
        SELECT DISTINCT ?c WHERE {{
          {{ {{ SELECT DISTINCT ?n WHERE {{ GRAPH <{graph}> {{ ?n ?p ?o }} }} }}
             UNION
             {{ SELECT DISTINCT ?n WHERE {{ GRAPH <{graph}> {{ ?s ?p ?n }} FILTER(isIRI(?n)) }} }} }}
          LATERAL {{ ?n <{RDF_TYPE}> ?c }} }}""")
    if types:
        values = " ".join(f"<{c}>" for c in sorted(types))
        types |= _column(store, f"SELECT DISTINCT ?sup WHERE {{ VALUES ?c {{ {values} }} "
                                f"?c <{SUBCLASS}>+ ?sup }}")
    predicates = _column(store, f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return types, predicates


def touched_by(store: ox.Store, graphs: Iterable[str]) -> Callable[[Any], bool]:
    """A filter of compiled constraints: True for those the triples of ``graphs`` can change."""
    classes: set[str] = set()
    predicates: set[str] = set()
    for graph in graphs:
        c, p = _classes_touched(store, graph)
        classes |= c
        predicates |= p
    mentioned = [f"<{p}>" for p in sorted(predicates)]

    def touched(constraint: Any) -> bool:
        if classes & set(_NAMED_CLASS.findall(constraint.sparql)):
            return True
        return constraint.kind == "sparql" and any(p in constraint.sparql for p in mentioned)

    return touched
