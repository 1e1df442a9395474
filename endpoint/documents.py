"""Dereferenceable URIs: ``/id/`` (303 See Other), ``/doc/``, ``/def/``, the JSON-LD context.

- ``/id/{type}/{key}`` answers 303 to ``/doc/{type}/{key}`` when the thing exists, else 404.
- ``/doc/{type}/{key}``, ``/def/emis`` (the ontology; its terms are hash IRIs ``/def/emis#Term``),
  ``/def/concept/{scheme}`` and ``/def/concept/{scheme}/{code}`` (served directly with 200)
  answer HTML, Turtle, JSON-LD, N-Triples or RDF/XML: a suffix (``.ttl``) first, then
  ``?format=``, then ``Accept`` choose (``responses.py``); ``Vary: Accept`` and
  ``Link: rel="alternate"`` headers. Lookup is ASK (404 when absent), then a CONSTRUCT
  (``describe.py``); the HTML page is ``page.py``'s model in ``templates/document.html``, with
  what links to the thing, its indicators (``indicator_tables.py``) and its map (``maps.py``).
  A school's HTML page shows the figures in four sections (``figures.py``,
  ``templates/_figures.html``).
- A document comes from the release's pre-rendered documents when it has them
  (``document_store.py``), else is rendered here and kept (``document_cache.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, render_template, request
from jinja2 import pass_context
from jinja2.runtime import Context
from werkzeug.exceptions import NotFound

from emis_lod import formats
from emis_lod.formats import DOCUMENT_FORMATS, HTML, JSONLD, Format

from . import document_store, indicator_tables, jsonld
from .describe import Resource, exists, lookup, render_rdf, select, thing_resource
from .document_cache import DocumentCache, Memo
from .document_store import Document
from .maps import map_view
from .messages import described_error, template_message
from .page import Page, local_name, named_rows, pick_label, term_labels, web_href
from .release import Release, release, settings
from .responses import (
    alternates,
    choose_document_format,
    choose_language,
    document_response,
    error_format_guess,
    languages,
    see_other,
    vary_for,
)
from .schema_org import schema_org, script_json

bp = Blueprint("documents", __name__)
bp.add_app_template_global(template_message, "m")  # the message tables, in every template

INBOUND_LIMIT = 200  # links shown on a page
INBOUND_ROWS = 800  # the LIMIT of queries/inbound.rq (a thing has a few names)


@pass_context
def template_term(context: Context, iri: str) -> str:
    """``term(iri)`` in a template: the label of a term (of the ontology or a reused one) in the
    page's language, else its compact IRI."""
    rel = release()
    lang = context.get("lang") or languages(rel)[0]
    return pick_label(term_labels(rel).get(iri), lang) or \
        jsonld.JsonLdCompactor(dict(rel.prefixes)).compact_iri(iri)


bp.add_app_template_global(template_term, "term")


# ------------------------------------------------------------------ rendering

def serve_document(rel: Release, resource: Resource, suffix_format: Format | None,
                   thing: str | None = None, inbound: bool = True) -> Response:
    """Look up, describe and render one resource in the negotiated format: from the release's
    pre-rendered documents when it has them (document_store), else rendered here (once per
    release and worker: see document_cache)."""
    fmt = choose_document_format(suffix_format)
    g.response_format = fmt
    lang = choose_language() if fmt is HTML else ""
    vary = vary_for(fmt)
    stored = prerendered(rel, resource.iri, fmt, lang) if thing == resource.iri and inbound else None
    if stored is not None:
        return document_response(stored.body, fmt, rel, resource.doc_url, thing, suffix_format,
                                 vary, etag=stored.etag)
    # an HTML page also shows its own query string (the language links keep it)
    page_url = request.full_path if fmt is HTML else ""
    key = (rel.id, resource.iri, resource.query, fmt.media_type, lang, page_url, thing, inbound)
    cache = current_app.extensions.setdefault("emis-lod.documents", DocumentCache())  # per app
    body = cache.get_or_render(key, lambda: render_document(rel, resource, fmt, lang, thing, inbound))
    return document_response(body, fmt, rel, resource.doc_url, thing, suffix_format, vary)


def prerendered(rel: Release, iri: str, fmt: Format, lang: str) -> Document | None:
    """The release's pre-rendered document, when it has one that fits the request: a page
    depends on the query string only through ``lang`` (its language links are relative)."""
    if request.args and set(request.args) != {"lang"}:
        return None
    documents = document_store.of_release(rel.path, settings())
    return documents.get(iri, fmt.media_type, lang) if documents is not None else None


def render_document(rel: Release, resource: Resource, fmt: Format, lang: str,
                    thing: str | None, inbound: bool) -> bytes | str:
    return render_body(rel, resource, lookup(rel, resource), fmt, lang, thing, inbound)


def render_body(rel: Release, resource: Resource, triples: Sequence[ox.Triple], fmt: Format,
                lang: str, thing: str | None, inbound: bool) -> bytes | str:
    """One document from its triples: RDF in ``fmt``, or the HTML page in ``lang`` (which needs
    a request context: the page's links are built by Flask)."""
    if fmt is not HTML:
        return render_rdf(triples, fmt, root=resource.iri, prefixes=rel.prefixes,
                          context=jsonld.jsonld_context(rel.uris.base),
                          context_url=rel.uris.context)
    page = Page(triples, resource.iri, rel, lang, term_labels(rel))
    links = inbound_links(rel, resource.iri, lang, page) if inbound else []
    described = schema_org(page.by_subject, resource.iri, rel.uris.vocab, resource.doc_url,
                           rel.profile.data["country"]["code"])
    return render_template(
        "document.html", page=page, main=page.main(), others=page.others(),
        enrolment=page.enrolment(), inbound=links[:INBOUND_LIMIT],
        domains=page.figures.domains() if page.figures else [],
        indicators=indicator_tables.for_page(rel, resource.iri, lang, page.parents()),
        inbound_more=len(links) > INBOUND_LIMIT or len(links) >= INBOUND_ROWS // 4,
        doc_url=resource.doc_url, thing=thing,
        alternates=alternates(resource.doc_url),
        rel=rel, lang=lang, languages=languages(rel),
        schema_org=script_json(described) if described else None,
        map=map_view(rel, page, described, lang))


# what links to the pages rendered last: a page is rendered in each language in turn
_INBOUND: Memo[list[dict[str, Any]]] = Memo(64)


def inbound_links(rel: Release, iri: str, lang: str, page: Page) -> list[dict[str, Any]]:
    """What links to ``iri`` (beyond the document itself), named, sorted by link and name."""
    rows = _INBOUND.get_or_render((rel.id, iri), lambda: [
        {"s": r["s"], "p": r["p"], "label": r["label"]}
        for r in select(rel.store, "inbound", rel.prefixes, {ox.Variable("this"): ox.NamedNode(iri)})])
    out = []
    for subject, name, row in named_rows(rows, "s", "label", lang):
        if subject in page.by_subject or web_href(subject) is None:
            continue
        p = row["p"].value
        out.append({"href": subject, "text": name,
                    "via": pick_label(page.term_labels.get(p), lang) or local_name(p)})
    return sorted(out, key=lambda link: (link["via"], link["text"], link["href"]))


def resolve(rel: Release, name: str, make: Any) -> tuple[Resource, Format | None]:
    """The resource a last path segment names, and the format its suffix asks for.

    ``41101001.ttl`` is the school 41101001 in Turtle, unless a thing's key really is
    ``41101001.ttl``; ``make(name)`` builds the candidate resource for a name.
    """
    stem, suffix_format = formats.split_suffix(name, DOCUMENT_FORMATS)
    if suffix_format is not None:
        candidate = make(stem)
        documents = document_store.of_release(rel.path, settings())
        if (documents is not None and documents.has(candidate.iri)) or \
                exists(rel.store, rel.prefixes, candidate.iri):
            return candidate, suffix_format
        if exists(rel.store, rel.prefixes, make(name).iri):
            return make(name), None
        return candidate, suffix_format
    return make(name), None


def check_type(rel: Release, type_: str) -> None:
    """404 for a type the release has no resources of (its types: its manifest's)."""
    if type_ not in rel.types:
        error_format_guess()
        raise described_error(NotFound, "no_such_type", type=type_, types=", ".join(rel.types))


# ------------------------------------------------------------------ views

@bp.route("/id/<type_>/<path:key>")
def thing(type_: str, key: str) -> Response:
    """303 See Other from a thing to the document about it."""
    rel = release()
    check_type(rel, type_)
    uris = rel.uris
    if not exists(rel.store, rel.prefixes, uris.id(type_, key)):
        error_format_guess()
        raise described_error(NotFound, "not_known", iri=uris.id(type_, key), release=rel.id,
                              sparql=uris.sparql)
    return see_other(uris.doc(type_, key))


@bp.route("/doc/<type_>/<path:key>")
def doc(type_: str, key: str) -> Response:
    rel = release()
    check_type(rel, type_)
    uris = rel.uris

    def make(k: str) -> Resource:
        return thing_resource(uris, type_, k)

    resource, suffix_format = resolve(rel, key, make)
    return serve_document(rel, resource, suffix_format, thing=resource.iri)


@bp.route("/def/emis")
@bp.route("/def/emis.<suffix>")
def ontology(suffix: str | None = None) -> Response:
    rel = release()
    uris = rel.uris
    suffix_format = None
    if suffix is not None:
        suffix_format = formats.by_suffix(suffix, DOCUMENT_FORMATS)
        if suffix_format is None:
            error_format_guess()
            raise described_error(NotFound, "no_such_suffix", suffix=suffix,
                                  suffixes=", ".join("." + f.suffix for f in DOCUMENT_FORMATS))
    resource = Resource(uris.ontology, "ontology", uris.ontology,
                        {"graph": ox.NamedNode(uris.graph("ontology"))})
    return serve_document(rel, resource, suffix_format, inbound=False)


@bp.route("/def/concept/<scheme>")
def concept_scheme(scheme: str) -> Response:
    rel = release()
    uris = rel.uris
    resource, suffix_format = resolve(
        rel, scheme, lambda s: Resource(uris.scheme(s), "scheme", uris.scheme(s)))
    return serve_document(rel, resource, suffix_format, inbound=False)


@bp.route("/def/concept/<scheme>/<path:code>")
def concept(scheme: str, code: str) -> Response:
    rel = release()
    uris = rel.uris
    resource, suffix_format = resolve(
        rel, code, lambda c: Resource(uris.concept(scheme, c), "resource", uris.concept(scheme, c)))
    return serve_document(rel, resource, suffix_format)


@bp.route("/context/v1.jsonld")
def context() -> Response:
    """The published JSON-LD context, with this deployment's base filled in."""
    rel = release()
    body = json.dumps(jsonld.jsonld_context(rel.uris.base), ensure_ascii=False, indent=2) + "\n"
    response = Response(body, content_type=JSONLD.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.add_etag()
    response.make_conditional(request)
    return response
