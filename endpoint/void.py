"""VoID (https://www.w3.org/TR/void/): a description of the dataset a release publishes.

- ``/id/dataset/emis`` (the dataset itself) answers ``303 See Other`` to ``/doc/dataset/emis``;
  ``/.well-known/void`` (RFC 5785, VoID section 7) answers ``303`` to the same document.
- ``/doc/dataset/emis[.html|.ttl|.jsonld|.nt|.rdf]``: HTML, Turtle, JSON-LD, N-Triples or
  RDF/XML, chosen like every other document (suffix, ``?format=``, ``Accept``).

The description carries title, description, licence and publisher (``dcterms``), the SPARQL
endpoint, the URI space ``{base}id/``, the RDF dumps (``void:dataDump``), the release's
triple count (from its manifest), one
class partition per class and one property partition per property with their counts (counted
from the store on the first request for a release, then kept), the vocabularies used, example
resources, and one subset per named graph with its triple count.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template

from emis_lod.formats import HTML
from emis_lod.loaders import changes, dumps

from . import jsonld
from .describe import render_rdf
from .query import solutions
from .release import Release, release
from .responses import (
    alternates,
    choose_language,
    document_response,
    languages,
    named_document_format,
    see_other,
)

bp = Blueprint("void", __name__)

DATASET_KEY = "dataset/emis"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
# defaults, overridden by the release manifest's "title", "description", "license", "publisher"
TITLE = "Education management information system (EMIS): schools, pupils, money, textbooks, " \
    "staff and building safety"
DESCRIPTION = ("The ministry of education's EMIS tables as linked open data: the schools "
               "registry with administrative units and pupils by grade and sex, school finance, "
               "textbook provision, staff qualifications (under pseudonyms) and building safety, "
               "with their code lists and the EMIS ontology.")
VOCABULARIES = ("https://schema.org/", "http://www.w3.org/ns/org#",
                "http://www.w3.org/2004/02/skos/core#", "http://www.w3.org/2003/01/geo/wgs84_pos#",
                "http://purl.org/dc/terms/")
EXAMPLE_TYPES = ("school", "region", "district")


def dataset_iri(rel: Release) -> str:
    return rel.uris.id(*DATASET_KEY.split("/"))


def doc_url(rel: Release) -> str:
    return rel.uris.doc(*DATASET_KEY.split("/"))


def _rows(store: ox.Store, query: str) -> list[tuple[str, int]]:
    out = []
    for row in solutions(store, query):
        term, count = row[0], row[1]
        if isinstance(term, ox.NamedNode):
            out.append((term.value, int(count.value)))
    return sorted(out)


def statistics(rel: Release) -> dict[str, list[tuple[str, int]]]:
    """Counts per class, property and named graph; computed once per release and process."""
    def count() -> dict[str, list[tuple[str, int]]]:
        store = rel.store
        return {
            "classes": _rows(store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) "
                                    "WHERE { ?s a ?c } GROUP BY ?c"),
            "properties": _rows(store, "SELECT ?p (COUNT(*) AS ?n) "
                                       "WHERE { ?s ?p ?o } GROUP BY ?p"),
            "graphs": _rows(store, "SELECT ?g (COUNT(*) AS ?n) "
                                   "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"),
            "examples": [(row[0].value, 0) for t in EXAMPLE_TYPES for row in solutions(
                store, f"SELECT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "
                       f"\"{rel.uris.id_prefix(t)}\")) }} ORDER BY ?s LIMIT 1")],
        }
    return rel.memo("void.statistics", count)


def description(rel: Release) -> list[ox.Triple]:
    """The VoID description of the release, as triples (the dataset node first)."""
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def integer(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=XSD_INTEGER)

    manifest = rel.manifest
    ds = n(dataset_iri(rel))
    stats = statistics(rel)
    t = [
        ox.Triple(ds, n(RDF_TYPE), n(VOID + "Dataset")),
        ox.Triple(ds, n(DCTERMS + "title"), ox.Literal(manifest.get("title") or TITLE,
                                                       language="en")),
        ox.Triple(ds, n(DCTERMS + "description"),
                  ox.Literal(manifest.get("description") or DESCRIPTION, language="en")),
        ox.Triple(ds, n(DCTERMS + "license"), n(manifest.get("license") or rel.profile.data["licence"])),
        ox.Triple(ds, n(VOID + "sparqlEndpoint"), n(rel.uris.sparql)),
        ox.Triple(ds, n(VOID + "uriSpace"), ox.Literal(rel.uris.base + "id/")),
        ox.Triple(ds, n(VOID + "rootResource"), n(rel.uris.ontology)),
        ox.Triple(ds, n(VOID + "vocabulary"), n(rel.uris.vocab)),
        ox.Triple(ds, n(FOAF + "homepage"), n(rel.uris.base)),
    ]
    publisher = ox.BlankNode("publisher")
    t += [ox.Triple(ds, n(DCTERMS + "publisher"), publisher),
          ox.Triple(publisher, n(RDF_TYPE), n(FOAF + "Organization"))]
    if manifest.get("publisher"):
        t.append(ox.Triple(publisher, n(FOAF + "name"), ox.Literal(manifest["publisher"], language="en")))
    else:
        t += [ox.Triple(publisher, n(FOAF + "name"), ox.Literal(name, language=lang))
              for lang, name in rel.profile.data["publisher"]["names"].items()]
    if manifest.get("built_at"):
        t.append(ox.Triple(ds, n(DCTERMS + "modified"), ox.Literal(
            str(manifest["built_at"]),
            datatype=n("http://www.w3.org/2001/XMLSchema#dateTime"))))
    t += [ox.Triple(ds, n(VOID + "vocabulary"), n(v)) for v in VOCABULARIES]
    # the RDF dumps of the release (the CSV tables are listed in the DCAT catalogue)
    t += [ox.Triple(ds, n(VOID + "dataDump"), n(rel.uris.dump(d["file"])))
          for d in manifest.get("dumps", []) if dumps.inner_media_type(d["file"])
          and not changes.is_changeset(d["file"])]
    if isinstance(manifest.get("triples"), int):
        t.append(ox.Triple(ds, n(VOID + "triples"), integer(manifest["triples"])))
    # what changed between releases: the event stream (endpoint/ldes.py)
    t.append(ox.Triple(ds, n("http://www.w3.org/2000/01/rdf-schema#seeAlso"), n(rel.uris.ldes)))
    t += [ox.Triple(ds, n(VOID + "exampleResource"), n(iri)) for iri, _ in stats["examples"]]
    t.append(ox.Triple(ds, n(VOID + "classes"), integer(len(stats["classes"]))))
    t.append(ox.Triple(ds, n(VOID + "properties"), integer(len(stats["properties"]))))
    for i, (cls, count) in enumerate(stats["classes"]):
        part = ox.BlankNode(f"class{i}")
        t += [ox.Triple(ds, n(VOID + "classPartition"), part),
              ox.Triple(part, n(VOID + "class"), n(cls)),
              ox.Triple(part, n(VOID + "entities"), integer(count))]
    for i, (prop, count) in enumerate(stats["properties"]):
        part = ox.BlankNode(f"property{i}")
        t += [ox.Triple(ds, n(VOID + "propertyPartition"), part),
              ox.Triple(part, n(VOID + "property"), n(prop)),
              ox.Triple(part, n(VOID + "triples"), integer(count))]
    for i, (graph, count) in enumerate(stats["graphs"]):
        sub = ox.BlankNode(f"graph{i}")
        t += [ox.Triple(ds, n(VOID + "subset"), sub),
              ox.Triple(sub, n(RDF_TYPE), n(VOID + "Dataset")),
              ox.Triple(sub, n("http://www.w3.org/ns/sparql-service-description#name"), n(graph)),
              ox.Triple(sub, n(VOID + "triples"), integer(count))]
    return t


def _short(rel: Release, iri: str) -> str:
    for prefix, ns in sorted(rel.prefixes.items(), key=lambda p: -len(p[1])):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _see_other(rel: Release) -> Response:
    return see_other(doc_url(rel))


@bp.route("/id/dataset/emis")
def dataset() -> Response:
    return _see_other(release())


@bp.route("/.well-known/void")
def well_known() -> Response:
    return _see_other(release())


@bp.route("/doc/dataset/<name>")
def document(name: str) -> Response:
    rel = release()
    fmt, suffix_format = named_document_format(name, DATASET_KEY.split("/")[1],
                                               f"the only dataset here is {dataset_iri(rel)}")
    triples = description(rel)
    if fmt is HTML:
        stats = statistics(rel)
        body: Any = render_template(
            "void.html", rel=rel, lang=choose_language(), languages=languages(rel),
            dataset=dataset_iri(rel), doc_url=doc_url(rel),
            triples=[t for t in triples if t.subject == ox.NamedNode(dataset_iri(rel))],
            short=lambda iri: _short(rel, iri), stats=stats, alternates=alternates(doc_url(rel)))
    else:
        body = render_rdf(triples, fmt, root=dataset_iri(rel), prefixes=rel.prefixes,
                          context=jsonld.jsonld_context(rel.uris.base),
                          context_url=rel.uris.context)
    return document_response(body, fmt, rel, doc_url(rel), dataset_iri(rel), suffix_format)
