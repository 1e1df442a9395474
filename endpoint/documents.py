"""Dereferenceable URIs: ``/id/`` (303 See Other), ``/doc/``, ``/def/``, home page, JSON-LD context.

- ``/id/{type}/{key}`` answers 303 to ``/doc/{type}/{key}`` when the thing exists, else 404.
- ``/doc/{type}/{key}``, ``/def/emis`` (the ontology; its terms are hash IRIs ``/def/emis#Term``),
  ``/def/concept/{scheme}`` and ``/def/concept/{scheme}/{code}`` (served directly with 200)
  answer HTML, Turtle, JSON-LD, N-Triples or RDF/XML: a suffix (``.ttl``) first, then
  ``?format=``, then ``Accept`` choose; ``Vary: Accept`` and ``Link: rel="alternate"`` headers.
  Lookup is ASK (404 when absent), then a CONSTRUCT: ``queries/{type}.rq`` when a type has its
  own (``school.rq``: the school with its latest money, textbooks, staff and buildings figures;
  ``building.rq``: a building with its assessments), else ``queries/resource.rq``; and
  ``queries/{scheme,ontology}.rq`` for ``/def/``. A school's HTML page shows the figures in four
  sections (``figures.py``, ``templates/_figures.html``).

The bytes of an RDF document come from :func:`document_bytes`, a pure function of the store and
the resource (no request, no Flask), so that a build can precompute documents later.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, render_template, request
from jinja2 import pass_context
from jinja2.runtime import Context
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import NotFound

from emis_lod import formats, profiles
from emis_lod.formats import DOCUMENT_FORMATS, HTML, JSONLD, Format
from emis_lod.loaders.releases import ReleaseError
from emis_lod.uris import Uris

from . import document_store, indicator_tables, jsonld, negotiation
from .document_cache import DocumentCache, Memo
from .document_store import Document
from .figures import SchoolFigures, school_figures
from .messages import described_error, message, template_message
from .query import has_query, load_query, solutions, with_constants
from .release import Release, release, settings
from .schema_org import coordinates, schema_org, script_json

bp = Blueprint("documents", __name__)
bp.add_app_template_global(template_message, "m")  # the message tables, in every template

DEFAULT_LANGUAGES = profiles.default().languages  # of a release that does not name its own
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
LABELS = ("https://schema.org/name", "http://www.w3.org/2004/02/skos/core#prefLabel",
          "http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/dc/terms/title")
INBOUND_LIMIT = 200  # links shown on a page
INBOUND_ROWS = 800  # the LIMIT of queries/inbound.rq (a thing has a few names)
CACHE_CONTROL = "public, max-age=300"
XSD = "http://www.w3.org/2001/XMLSchema#"
# datatypes a reader does not need to be told about
PLAIN_DATATYPES = {XSD + t for t in ("string", "integer", "decimal", "nonNegativeInteger",
                                     "double", "int", "long")}


# ------------------------------------------------------------------ pure: lookup and rendering

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


# ------------------------------------------------------------------ HTML view model (pure)

def pick_label(labels: Mapping[str, list[str]] | None, lang: str) -> str | None:
    """The label in ``lang``, else English, Russian, Kyrgyz, else any."""
    if not labels:
        return None
    for candidate in (lang, "en", "ru", "ky", ""):
        if labels.get(candidate):
            return sorted(labels[candidate])[0]
    return sorted(v for vs in labels.values() for v in vs)[0]


def web_href(iri: str) -> str | None:
    """An IRI a page may link to: http(s) only, never ``javascript:`` and the like."""
    return iri if iri.startswith(("http://", "https://")) else None


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``), a fallback label."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


@dataclass
class Value:
    text: str
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None


@dataclass
class Row:
    predicate: str
    label: str
    compact: str
    values: list[Value]


@dataclass
class Section:
    iri: str
    title: str
    anchor: str | None
    types: list[Value]
    rows: list[Row]


class Page:
    """Everything the document template shows, built from the document's triples."""

    def __init__(self, triples: Iterable[ox.Triple], root: str, rel: Release, lang: str,
                 term_labels: Mapping[str, Mapping[str, list[str]]]) -> None:
        self.root, self.lang, self.rel = root, lang, rel
        self.term_labels = term_labels
        self.by_subject: dict[str, list[tuple[str, Any]]] = {}
        self.labels: dict[str, dict[str, list[str]]] = {}
        for t in triples:
            key = self._key(t.subject)
            self.by_subject.setdefault(key, []).append((t.predicate.value, t.object))
            if t.predicate.value in LABELS and isinstance(t.object, ox.Literal):
                self.labels.setdefault(key, {}).setdefault(t.object.language or "", []).append(
                    t.object.value)
        self.compactor = jsonld.JsonLdCompactor({k: v for k, v in rel.prefixes.items()})
        vocab = rel.uris.vocab
        self.enrolment_props = {name: vocab + name
                                for name in ("grade", "schoolYear", "boys", "girls")}
        self.enrolment_nodes = [o.value for p, o in self.by_subject.get(root, ())
                                if p == vocab + "enrolment" and isinstance(o, ox.NamedNode)
                                and o.value in self.by_subject]
        # a school's money, textbooks, staff and buildings, shown as sections of their own
        self.figures: SchoolFigures | None = school_figures(self, root, vocab)
        self.tabled: set[str] = self.figures.tabled_properties() if self.figures else set()
        self.shown: set[str] = self.figures.shown() if self.figures else set()

    @staticmethod
    def _key(term: Any) -> str:
        return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value

    def label(self, iri: str) -> str | None:
        return pick_label(self.labels.get(iri) or self.term_labels.get(iri), self.lang)

    def title(self, iri: str) -> str:
        return self.label(iri) or self.compactor.compact_iri(iri)

    def term_label(self, iri: str) -> str:
        """An ontology term's label in the page language (its local name at worst)."""
        return pick_label(self.term_labels.get(iri), self.lang) or local_name(iri)

    def value(self, term: Any) -> Value:
        if isinstance(term, ox.Literal):
            dt = term.datatype.value
            if dt == XSD + "boolean" and term.value in ("true", "false", "1", "0"):
                return Value(message("true" if term.value in ("true", "1") else "false", self.lang))
            shown = None if term.language or dt in PLAIN_DATATYPES else \
                pick_label(self.term_labels.get(dt), self.lang) or self.compactor.compact_iri(dt)
            return Value(term.value, lang=term.language or None, datatype=shown)
        if isinstance(term, ox.NamedNode):
            return Value(self.title(term.value), href=web_href(term.value))
        if isinstance(term, ox.BlankNode):
            return Value("_:" + term.value, href="#" + "_" + term.value)
        return Value(str(term))

    def section(self, iri: str) -> Section:
        grouped: dict[str, list[Value]] = {}
        types: list[Value] = []
        tabled = self.rel.uris.vocab + "enrolment" if iri == self.root and self.enrolment_nodes \
            else None  # shown as the enrolment table instead
        for predicate, obj in self.by_subject.get(iri, ()):
            if predicate == tabled or (iri == self.root and predicate in self.tabled):
                continue
            if predicate == RDF_TYPE:
                types.append(self.value(obj))
            else:
                grouped.setdefault(predicate, []).append(self.value(obj))
        rows = [Row(p, pick_label(self.term_labels.get(p), self.lang) or local_name(p),
                    self.compactor.compact_iri(p), values)
                for p, values in grouped.items()]
        rows.sort(key=lambda r: (r.predicate not in LABELS, r.label.lower()))
        anchor = iri.rpartition("#")[2] if "#" in iri else (
            "_" + iri[2:] if iri.startswith("_:") else None)
        return Section(iri, self.title(iri), anchor, types, rows)

    def parents(self) -> dict[str, str]:
        """The district and region the page's resource lies in (for comparisons)."""
        vocab = self.rel.uris.vocab
        return {local: o.value for p, o in self.by_subject.get(self.root, ())
                for local in ("district", "region") if p == vocab + local}

    def main(self) -> Section:
        return self.section(self.root)

    def others(self) -> list[Section]:
        """Sections for the other resources the document describes beyond their names."""
        out = []
        skip = set(self.enrolment_nodes) | self.shown | {self.root}
        for iri, pairs in self.by_subject.items():
            if iri in skip or all(p in LABELS or p.endswith("#notation") for p, _ in pairs):
                continue
            out.append(self.section(iri))
        return sorted(out, key=lambda s: s.iri)

    def enrolment(self) -> list[dict[str, Any]]:
        """The school's enrolment by grade: grade, school year, boys, girls, total."""
        rows = []
        for node in self.enrolment_nodes:
            values = {name: next((o.value for p, o in self.by_subject[node]
                                  if p == iri and isinstance(o, ox.Literal)), None)
                      for name, iri in self.enrolment_props.items()}
            boys, girls = values["boys"], values["girls"]
            total = int(boys) + int(girls) if boys and girls and boys.isdigit() \
                and girls.isdigit() else None
            rows.append({**values, "total": total, "iri": node})
        return sorted(rows, key=lambda r: (r["schoolYear"] or "",
                                           int(r["grade"]) if (r["grade"] or "").isdigit()
                                           else 99, r["iri"]))


# ------------------------------------------------------------------ request helpers

def term_labels(rel: Release) -> dict[str, dict[str, list[str]]]:
    """Labels of the ontology's terms, read once per release and process."""
    def read() -> dict[str, dict[str, list[str]]]:
        labels: dict[str, dict[str, list[str]]] = {}
        for row in select(rel.store, "term_labels", rel.prefixes,
                          {ox.Variable("graph"): ox.NamedNode(rel.uris.graph("ontology"))}):
            term, label = row["term"], row["label"]
            labels.setdefault(term.value, {}).setdefault(label.language or "", []).append(
                label.value)
        return labels
    return rel.memo("documents.term_labels", read)


def languages(rel: Release | None = None) -> tuple[str, ...]:
    """The languages of the pages of ``rel`` (the served release by default), the default
    first: its profile's, else those its manifest names, else DEFAULT_LANGUAGES (also when no
    release can be opened, for the error page that says so)."""
    if rel is None:
        try:
            rel = release()
        except ReleaseError:
            return DEFAULT_LANGUAGES
    profile = getattr(rel, "profile", None)
    found = getattr(profile, "languages", None) or rel.manifest.get("languages")
    return tuple(found) if found else DEFAULT_LANGUAGES


@pass_context
def template_term(context: Context, iri: str) -> str:
    """``term(iri)`` in a template: the label of a term (of the ontology or a reused one) in the
    page's language, else its compact IRI."""
    rel = release()
    lang = context.get("lang") or languages(rel)[0]
    return pick_label(term_labels(rel).get(iri), lang) or \
        jsonld.JsonLdCompactor(dict(rel.prefixes)).compact_iri(iri)


bp.add_app_template_global(template_term, "term")


def choose_language() -> str:
    return language_for(request.args.get("lang", ""), request.accept_languages, languages())


def language_for(asked: str, accepted: LanguageAccept,
                 offered: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """``?lang=`` when it names one of ``offered``, else the best of ``Accept-Language``,
    else the first of ``offered``."""
    if asked in offered:
        return asked
    return accepted.best_match(offered) or offered[0]


def vary_for(fmt: Format) -> str:
    """What a document's answer varies with: its format, and a page's language."""
    return "Accept, Accept-Language" if fmt is HTML else "Accept"


def choose_document_format(suffix_format: Format | None) -> Format:
    """Suffix, then ``?format=`` (the words of ``negotiation.ALIASES``; one that names no format here
    falls back), then ``Accept`` (no header: HTML; a tie: RDF)."""
    if suffix_format is not None:
        return suffix_format
    return negotiation.choose_requested(request.args.getlist("format"), request.headers.get("Accept"),
                                    DOCUMENT_FORMATS, default=HTML)


def _error_format_guess() -> None:
    """Let a 404 answer in the format the client asked for, when that can be told."""
    with contextlib.suppress(negotiation.NotAcceptable):
        g.response_format = choose_document_format(None)


def alternates(doc_url: str) -> list[tuple[Format, str]]:
    """The other formats of an HTML document, each with its URL (``<link rel="alternate">``)."""
    return [(f, f"{doc_url}.{f.suffix}") for f in DOCUMENT_FORMATS if f is not HTML]


def named_document_format(name: str, expected: str, missing: str) -> tuple[Format, Format | None]:
    """The negotiated format, and the suffix's, of ``/doc/.../{name}`` for a document with one
    fixed name (the VoID dataset, the DCAT catalogue); any other name is a 404 in that format."""
    stem, suffix_format = formats.split_suffix(name, DOCUMENT_FORMATS)
    fmt = choose_document_format(suffix_format)
    g.response_format = fmt
    if stem != expected:
        raise NotFound(missing)
    return fmt, suffix_format


def link_header(doc_url: str, thing: str | None) -> str:
    links = [f'<{doc_url}.{f.suffix}>; rel="alternate"; type="{f.media_type}"'
             for f in DOCUMENT_FORMATS]
    links.append(f'<{doc_url}>; rel="canonical"')
    if thing and thing != doc_url:
        links.append(f'<{thing}>; rel="describes"')
    return ", ".join(links)


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


def lookup(rel: Release, resource: Resource) -> list[ox.Triple]:
    """The triples of the document about ``resource``; 404 when the release does not know it."""
    if not exists(rel.store, rel.prefixes, resource.iri):
        raise described_error(NotFound, "not_described", iri=resource.iri, release=rel.id,
                              sparql=rel.uris.sparql)
    return describe(rel.store, rel.prefixes, resource)


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


def document_response(body: Any, fmt: Format, rel: Release, doc_url: str, thing: str | None,
                      suffix_format: Format | None, vary: str = "Accept",
                      etag: str | None = None) -> Response:
    """A negotiated document: alternates, release, caching, and its own URL when negotiated.
    ``etag``: the body's, when known (a pre-rendered document's), else computed here."""
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = vary
    response.headers["Link"] = link_header(doc_url, thing)
    response.headers["Cache-Control"] = CACHE_CONTROL
    if suffix_format is None:
        response.headers["Content-Location"] = f"{doc_url}.{fmt.suffix}"
    if etag is None:
        response.add_etag()
    else:
        response.set_etag(etag)
    response.make_conditional(request)
    return response


def named_rows(rows: Iterable[Any], key: str, label: str,
               lang: str) -> list[tuple[str, str, Any]]:
    """``(iri, name in lang, first row)`` per distinct ``key``, from rows carrying all names."""
    names: dict[str, dict[str, list[str]]] = {}
    first: dict[str, Any] = {}
    for row in rows:
        iri, name = row[key].value, row[label]
        first.setdefault(iri, row)
        names.setdefault(iri, {}).setdefault(name.language or "", []).append(name.value)
    return [(iri, pick_label(names[iri], lang) or iri, first[iri]) for iri in first]


def map_view(rel: Release, page: Page, described: Mapping[str, Any] | None,
             lang: str) -> dict[str, Any] | None:
    """What the page's map shows: a school's own point, or the schools of a district or region
    (``queries/places.rq``); None when there is nothing to put on a map."""
    if described is None:
        return None
    if described["@type"] == "School":
        point = coordinates(page.by_subject, page.root)
        places = [{"lat": point[0], "long": point[1], "name": page.title(page.root),
                   "href": None}] if point else []
    else:
        rows = select(rel.store, "places", rel.prefixes,
                      {ox.Variable("this"): ox.NamedNode(page.root)})
        places = []
        for iri, name, row in named_rows(rows, "s", "name", lang):
            try:
                lat, long = float(row["lat"].value), float(row["long"].value)
            except ValueError:
                continue
            places.append({"lat": lat, "long": long, "name": name, "href": web_href(iri)})
        places.sort(key=lambda p: (p["name"], p["href"] or ""))
    if not places:
        return None
    config = settings()
    return {"places": places, "school": described["@type"] == "School",
            "title": message("map", lang), "coordinates": message("coordinates", lang),
            "count_label": message("schools_on_map", lang),
            "data": script_json({"places": places, "tiles": config.map_tiles or None,
                                 "attribution": config.map_attribution}, indent=None)}


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


def _check_type(rel: Release, type_: str) -> None:
    """404 for a type the release has no resources of (its types: its manifest's)."""
    if type_ not in rel.types:
        _error_format_guess()
        raise described_error(NotFound, "no_such_type", type=type_, types=", ".join(rel.types))


# ------------------------------------------------------------------ views

@bp.route("/id/<type_>/<path:key>")
def thing(type_: str, key: str) -> Response:
    """303 See Other from a thing to the document about it."""
    rel = release()
    _check_type(rel, type_)
    uris = rel.uris
    if not exists(rel.store, rel.prefixes, uris.id(type_, key)):
        _error_format_guess()
        raise described_error(NotFound, "not_known", iri=uris.id(type_, key), release=rel.id,
                              sparql=uris.sparql)
    return see_other(uris.doc(type_, key))


def see_other(location: str) -> Response:
    """303 See Other to the document about a thing (Cool URIs), keeping the query string."""
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = Response(status=303, headers={"Location": location, "Vary": "Accept"})
    response.headers["Link"] = f'<{location}>; rel="describedby"'
    return response


@bp.route("/doc/<type_>/<path:key>")
def doc(type_: str, key: str) -> Response:
    rel = release()
    _check_type(rel, type_)
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
            _error_format_guess()
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


@bp.route("/")
def home() -> Response:
    rel = release()
    lang = choose_language()
    g.response_format = HTML

    def named(query: str, key: str, label: str) -> list[tuple[str, str]]:
        rows = select(rel.store, query, rel.prefixes, {})
        return sorted(((iri, name) for iri, name, _ in named_rows(rows, key, label, lang)
                       if web_href(iri)), key=lambda pair: (pair[1], pair[0]))

    from . import browse  # browse's lists know the classes of the types

    schools = sorted(named("home_schools", "school", "name"))
    example = schools[0][0] if schools else rel.uris.id("school", "41101001")
    split = rel.uris.split_id(example)
    example_doc = rel.uris.doc(*split) if split else example
    body = render_template(
        "home.html", rel=rel, lang=lang, languages=languages(rel), schools=schools,
        regions=named("home_regions", "region", "name"),
        schemes=sorted(named("home_schemes", "scheme", "label")),
        indicators=named("home_indicators", "indicator", "label"),
        indicators_title=message("indicators", lang), example=example,
        example_doc=example_doc, document_formats=DOCUMENT_FORMATS,
        type_labels=browse.type_labels(rel, lang),
        types=list(browse.list_types(rel)), manifest=rel.manifest)
    response = Response(body, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept-Language"
    return response
