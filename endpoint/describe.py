"""Looking up and describing a resource: pure functions of a release's store, no request.

Lookup is ASK (``queries/ask.rq``: any triple about the IRI, in any graph); the description a
CONSTRUCT: ``queries/{type}.rq`` when a type has its own (``school.rq``: the school with its
latest money, textbooks, staff and buildings figures; ``building.rq``: a building with its
assessments), else ``queries/resource.rq``; ``queries/{scheme,ontology}.rq`` for ``/def/``.
The bytes of an RDF document come from :func:`document_bytes`, a pure function of the store
and the resource (no request, no Flask), so that documents can be rendered ahead
(``prerender.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from werkzeug.exceptions import NotFound

from emis_lod import formats
from emis_lod.formats import JSONLD, Format
from emis_lod.uris import Uris

from . import jsonld
from .messages import described_error
from .query import has_query, load_query, solutions, with_constants
from .release import Release

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"


@dataclass(frozen=True)
class Resource:
    """What a document is about: its IRI, the CONSTRUCT that describes it, and where it lives."""

    iri: str
    query: str  # name of a file in queries/
    doc_url: str  # URL of the document, without suffix
    substitutions: Mapping[str, Any] = field(default_factory=dict)

    def bindings(self) -> dict[ox.Variable, Any]:
        out: dict[ox.Variable, Any] = {ox.Variable("this"): ox.NamedNode(self.iri)}
        for name, value in self.substitutions.items():
            out[ox.Variable(name)] = value
        return out


#: The types whose documents have a query of their own, ``queries/{type}.rq`` (a school's carries
#: its latest figures, a building's its assessments, a release's its graphs); every other type is
#: described by ``resource.rq``.
OWN_QUERIES = frozenset({"school", "preschool", "building", "release"})


def document_query(type_: str) -> str:
    """The CONSTRUCT behind ``/doc/{type}/...``."""
    return type_ if type_ in OWN_QUERIES and has_query(type_) else "resource"


def thing_resource(uris: Uris, type_: str, key: str) -> Resource:
    """The document about ``/id/{type}/{key}``, with the query its type is described by."""
    return Resource(uris.id(type_, key), document_query(type_), uris.doc(type_, key))


def construct(store: ox.Store, query: str, prefixes: Mapping[str, str],
              bindings: dict[ox.Variable, Any]) -> list[ox.Triple]:
    """The triples of one of the app's CONSTRUCT queries, over the union of all graphs."""
    text = with_constants(load_query(query), {v.value: term for v, term in bindings.items()})
    results = store.query(text, prefixes=dict(prefixes), use_default_graph_as_union=True)
    assert isinstance(results, ox.QueryTriples), query
    return list(results)


def select(store: ox.Store, query: str, prefixes: Mapping[str, str],
           bindings: dict[ox.Variable, Any]) -> list[ox.QuerySolution]:
    """The rows of one of the app's SELECT queries, over the union of all graphs, with the
    bindings written into it as constants (see ``with_constants``)."""
    text = with_constants(load_query(query), {v.value: term for v, term in bindings.items()})
    return list(solutions(store, text, prefixes))


def exists(store: ox.Store, prefixes: Mapping[str, str], iri: str) -> bool:
    """True when the store has any triple about ``iri`` (in any graph)."""
    return bool(store.query(with_constants(load_query("ask"), {"this": ox.NamedNode(iri)}),
                            prefixes=dict(prefixes), use_default_graph_as_union=True))


def describe(store: ox.Store, prefixes: Mapping[str, str], resource: Resource) -> list[ox.Triple]:
    """The triples of the document about ``resource``, deduplicated, the resource's own first."""
    triples = set(construct(store, resource.query, prefixes, resource.bindings()))
    root = ox.NamedNode(resource.iri)
    return sorted(triples, key=lambda t: (t.subject != root, str(t.subject),
                                          t.predicate.value != RDF_TYPE, str(t.predicate),
                                          str(t.object)))


def lookup(rel: Release, resource: Resource) -> list[ox.Triple]:
    """The triples of the document about ``resource``; 404 when the release does not know it."""
    if not exists(rel.store, rel.prefixes, resource.iri):
        raise described_error(NotFound, "not_described", iri=resource.iri, release=rel.id,
                              sparql=rel.uris.sparql)
    return describe(rel.store, rel.prefixes, resource)


def render_rdf(triples: Sequence[ox.Triple], fmt: Format, *, root: str | None,
               prefixes: Mapping[str, str], context: Mapping[str, Any],
               context_url: str) -> bytes:
    """One document in one RDF format; JSON-LD compacted with the published context."""
    if fmt is JSONLD:
        return jsonld.dumps_jsonld(jsonld.compact_jsonld(
            triples, root=root, context=context, context_url=context_url))
    return formats.serialize_graph(triples, fmt, prefixes=prefixes)


def document_bytes(store: ox.Store, uris: Uris, prefixes: Mapping[str, str],
                   resource: Resource, fmt: Format) -> bytes | None:
    """The bytes of the RDF document about ``resource`` in ``fmt``, or None if it is unknown."""
    if not exists(store, prefixes, resource.iri):
        return None
    triples = describe(store, prefixes, resource)
    return render_rdf(triples, fmt, root=resource.iri, prefixes=prefixes,
                      context=jsonld.jsonld_context(uris.base), context_url=uris.context)
