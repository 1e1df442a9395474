"""The DCAT catalogue (https://www.w3.org/TR/vocab-dcat-3/) of the served release, DCAT-AP 3.0.1.

- ``/id/catalog/emis`` (the ``dcat:Catalog``) answers ``303 See Other`` to ``/doc/catalog/emis``,
  which answers HTML, Turtle, JSON-LD, N-Triples or RDF/XML like every other document (suffix,
  ``?format=``, ``Accept``).
- What it says is assembled in one place, ``loaders/catalog.py``: the build stores it as the
  release's graph ``{base}graph/catalog``, and this view serves that graph with the size and
  SHA-256 of each file from the manifest (which the store cannot hold: the dumps hold the
  graph). A release built before the catalogue had a graph is described by the same functions.
- One ``dcat:Dataset`` per domain (registry, money, textbooks, staff, buildings and safety,
  indicators), as hash IRIs of the catalogue (``{base}id/catalog/emis#registry``: they dereference
  to the catalogue document, which describes them); the whole release (the VoID dataset
  ``{base}id/dataset/emis``) with the domains as ``dcterms:hasPart``; the dumps as
  distributions; the SPARQL endpoint and the Linked Data Event Stream as ``dcat:DataService``.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template

from emis_lod.formats import HTML
from emis_lod.loaders import catalog as catalogue
from emis_lod.loaders import dumps as dump_files

from . import jsonld
from .describe import render_rdf
from .release import Release, release
from .responses import (
    alternates,
    choose_language,
    document_response,
    languages,
    named_document_format,
    see_other,
)

bp = Blueprint("catalog", __name__)

NAME = catalogue.NAME
DCAT = catalogue.DCAT
DCTERMS = catalogue.DCTERMS
FOAF = catalogue.FOAF
SPDX = catalogue.SPDX
FREQUENCY = catalogue.FREQUENCY
PREFIXES = {"dcat": DCAT, "dcterms": DCTERMS, "spdx": SPDX, "foaf": FOAF, "dcatap": catalogue.DCATAP,
            "vcard": catalogue.VCARD, "skos": catalogue.SKOS}


def catalog_iri(rel: Release) -> str:
    return catalogue.catalog_iri(rel.uris)


def doc_url(rel: Release) -> str:
    return rel.uris.doc("catalog", NAME)


def domain_iri(rel: Release, key: str) -> str:
    return catalogue.domain_iri(rel.uris, key)


def stored_or_assembled(rel: Release) -> list[ox.Triple]:
    """The release's catalogue graph; for a release built without one, the same function's
    triples for what its manifest lists."""
    stored = catalogue.stored(rel.store, rel.uris)
    if stored is not None:
        return stored
    manifest = rel.manifest
    return catalogue.triples(rel.uris, [d["file"] for d in manifest.get("dumps", [])],
                             catalogue.coverage(rel.store, rel.uris, rel.profile),
                             manifest.get("built_at"), manifest.get("license"),
                             manifest.get("publisher"), rel.profile)


def description(rel: Release) -> list[ox.Triple]:
    """The catalogue as served: its triples and the files' sizes and checksums; once per release
    and process."""
    def describe() -> list[ox.Triple]:
        triples = stored_or_assembled(rel)
        return triples + catalogue.file_facts(rel.uris, rel.manifest.get("dumps", []), triples)
    return rel.memo("catalog.description", describe)


def coverage(rel: Release) -> dict[str, tuple[str, str]]:
    """Domain -> (first, last) date covered, as the catalogue states it (its periods)."""
    triples = description(rel)
    temporal = {str(t.subject): str(t.object) for t in triples
                if t.predicate == ox.NamedNode(DCTERMS + "temporal")}
    dates = {(str(t.subject), t.predicate.value): t.object for t in triples
             if t.predicate.value in (DCAT + "startDate", DCAT + "endDate")}
    out = {}
    for d in catalogue.domains(rel.profile):
        period = temporal.get(f"<{domain_iri(rel, d.key)}>", "")
        start, end = dates.get((period, DCAT + "startDate")), dates.get((period, DCAT + "endDate"))
        if isinstance(start, ox.Literal) and isinstance(end, ox.Literal):
            out[d.key] = (start.value, end.value)
    return out


def _see_other(rel: Release) -> Response:
    return see_other(doc_url(rel))


@bp.route(f"/id/catalog/{NAME}")
def catalog() -> Response:
    return _see_other(release())


@bp.route("/doc/catalog/<name>")
def document(name: str) -> Response:
    rel = release()
    fmt, suffix_format = named_document_format(name, NAME,
                                               f"the only catalogue here is {catalog_iri(rel)}")
    triples = description(rel)
    if fmt is HTML:
        lang = choose_language()
        body: Any = render_template(
            "catalog.html", rel=rel, lang=lang, languages=languages(rel), catalog=catalog_iri(rel),
            doc_url=doc_url(rel),
            domains=[(d, domain_iri(rel, d.key), coverage(rel).get(d.key))
                     for d in catalogue.domains(rel.profile)],
            dumps={d["file"]: d for d in rel.manifest.get("dumps", [])}, frequency=FREQUENCY,
            whole=catalogue.dataset_iri(rel.uris), nquads=dump_files.NQUADS_FILE, trig=dump_files.TRIG_FILE,
            alternates=alternates(doc_url(rel)))
    else:
        body = render_rdf(triples, fmt, root=catalog_iri(rel), prefixes={
            **rel.prefixes, **PREFIXES},
            context=jsonld.jsonld_context(rel.uris.base), context_url=rel.uris.context)
    return document_response(body, fmt, rel, doc_url(rel), catalog_iri(rel), suffix_format)
