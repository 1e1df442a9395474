"""The vocabulary graph (ontology and code lists) as the build loads it, for the column checks,
and the node and literal keys they compare terms by."""

from __future__ import annotations

import re
from collections import defaultdict

import pyoxigraph as ox
from rdflib.namespace import RDF, RDFS

from emis_lod.profiles import Profile
from emis_lod.uris import Uris

from ..codelists import vocabulary_files

RDF_TYPE = str(RDF.type)
SUBCLASS = str(RDFS.subClassOf)


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
