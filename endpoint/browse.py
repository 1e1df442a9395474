"""Browse and search: ``/list/{type}`` and ``/search?q=``.

- ``/list/{type}`` lists every thing of one of the release's types (``Release.types``, as its
  manifest records them: every type its mappings and derived queries mint), a page at a time
  (``?page=N``, 1-based; ``?size=M``, at most :data:`MAX_SIZE`), ordered by IRI so a page holds
  the same things in every language and format. Schools (and every type linked to a school)
  can be narrowed with ``?region=KG-C``, ``?district=KG-C-01`` and (for things of a school)
  ``?school=41101001``; districts with ``?region=``. An unknown region, district or school
  answers 404. Answers in HTML, JSON-LD (a ``hydra:Collection`` with ``totalItems`` and the
  page's ``member`` objects, its ``view`` a ``hydra:PartialCollectionView`` with
  ``first``/``previous``/``next``/``last``, compacted with the published context) or CSV (one
  row per member): suffix (``/list/school.csv``), then ``?format=``, then ``Accept``.
  ``Link`` headers carry ``rel="first"|"prev"|"next"|"last"`` and the alternates.
- A type is listed by its class (:func:`list_types`): the types below have their filters and
  link columns (:data:`LIST_TYPES`); any other, a table added by its mapping alone, is listed
  under its class's label with no filter.
- Staff posts and training records are not listable when the release was built with
  ``staff_publication = aggregates`` (they are not in the store then either); a list of staff
  posts shows their pseudonym (the key) and school, nothing else (``queries/list_members.rq``
  reads only types, names, codes and links to school, district and region).
- ``/search?q=`` finds schools, districts and regions by any of their names in any language,
  ignoring case and accents and tolerant of transliteration (``search.py`` matches and ranks),
  and answers the matches as a list page does (``?type=``, ``?page=``, the same formats).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from string import Template
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, g, render_template, request
from werkzeug.exceptions import BadRequest, NotFound

from emis_lod import formats
from emis_lod.formats import HTML, JSONLD, Format

from . import jsonld, negotiation
from .messages import described_error
from .page import pick_label, term_labels
from .query import load_query, solutions
from .release import Release, release
from .responses import DEFAULT_LANGUAGES, choose_language, languages
from .search import search

bp = Blueprint("browse", __name__)

CSV = Format("csv", "table", "CSV", ("text/csv",), "csv")
#: What a list or a search answers in: JSON-LD first (it wins a tie), HTML without Accept.
LIST_FORMATS: tuple[Format, ...] = (JSONLD, CSV, HTML)
DEFAULT_SIZE = 50
MAX_SIZE = 500
CACHE_CONTROL = "public, max-age=300"
SCHEMA_NAME = "https://schema.org/name"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
HYDRA = "http://www.w3.org/ns/hydra/core#"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


@dataclass(frozen=True)
class ListType:
    """A listable type: its class (a local name in ``emis:``, or an IRI), the path from a member
    to its school (for the region, district and school filters) and the links a row shows."""

    type: str
    cls: str
    school_path: str | None
    links: tuple[str, ...]

    def class_iri(self, vocab: str) -> str:
        return self.cls if ":" in self.cls else vocab + self.cls


LIST_TYPES: dict[str, ListType] = {t.type: t for t in (
    ListType("school", "School", "", ("district", "region")),
    ListType("region", "Region", None, ()),
    ListType("district", "District", None, ("region",)),
    ListType("enrolment", "Enrolment", "emis:school", ("school",)),
    ListType("finance", "FinanceLine", "emis:school", ("school",)),
    ListType("textbook", "TextbookEdition", None, ()),
    ListType("provision", "TextbookProvision", "emis:school", ("school",)),
    ListType("staff", "StaffPost", "emis:school", ("school",)),
    ListType("training", "TrainingRecord", "emis:staff/emis:school", ()),
    ListType("staff-summary", "StaffSummary", "emis:school", ("school",)),
    ListType("building", "Building", "emis:school", ("school",)),
    ListType("assessment", "SafetyAssessment", "emis:building/emis:school", ()),
    ListType("finance-summary", "FinanceSummary", "emis:school", ("school",)),
    ListType("provision-summary", "ProvisionSummary", "emis:school", ("school",)),
    ListType("release", "Release", None, ()),
    ListType("observation", "IndicatorObservation", "emis:refArea", ()),
    ListType("cube", "IndicatorDataSet", None, ()),
)}


def list_types(rel: Release) -> dict[str, ListType]:
    """Every type of the release as a list: those of :data:`LIST_TYPES` first (their filters and
    links; the class the release gives the type), then the others under their class, with a
    column for each link their mapping makes to a school, district or region (``emis:school``...)
    and, when it links to a school, the school, district and region filters (the district
    and region filters alone when it links to both itself)."""
    types = rel.types
    out = {name: ListType(name, types[name].cls, info.school_path, info.links)
           for name, info in LIST_TYPES.items() if name in types}
    for name, made in types.items():
        if name not in out:
            links = dict(made.links)
            shown = tuple(t for t in ("school", "district", "region") if links.get(t) == f"emis:{t}")
            # through its school; else its own district and region (a preschool organisation's)
            path = "emis:school" if "school" in shown else \
                "" if {"district", "region"} <= set(shown) else None
            out[name] = ListType(name, made.cls, path, shown)
    return out


# ------------------------------------------------------------------ negotiation and paging

def choose_list_format(suffix_format: Format | None) -> Format:
    if suffix_format is not None:
        return suffix_format
    return negotiation.choose(request.args.get("format"), request.headers.get("Accept"),
                          LIST_FORMATS, default=HTML)


def _int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise described_error(BadRequest, "not_whole_number", name=name, raw=raw) from None
    if value < low or (high is not None and value > high):
        raise described_error(BadRequest, "out_of_range", name=name, low=low,
                              high=high if high else "any", value=value)
    return value


@dataclass
class Paging:
    url: str  # the collection's URL, with its filters, without page, size or format
    params: dict[str, str]
    page: int
    size: int
    total: int
    suffix: str = ""
    format_param: bool = False  # alternates as ?format= (the search) rather than a suffix

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    def href(self, page: int, suffix: str | None = None, explicit: bool = False) -> str:
        """The URL of a page; ``explicit``: with ``page=1`` too (a view, not the collection)."""
        params = dict(self.params)
        if self.size != DEFAULT_SIZE:
            params["size"] = str(self.size)
        if page != 1 or explicit:
            params["page"] = str(page)
        if suffix and self.format_param:
            params["format"] = suffix.lstrip(".")
            suffix = ""
        query = urlencode(params)
        return f"{self.url}{self.suffix if suffix is None else suffix}" + (
            f"?{query}" if query else "")

    def relations(self) -> dict[str, str]:
        out = {"first": self.href(1), "last": self.href(self.last)}
        if self.page > 1:
            out["prev"] = self.href(min(self.page - 1, self.last))
        if self.page < self.last:
            out["next"] = self.href(self.page + 1)
        return out

    def link_header(self) -> str:
        links = [f'<{href}>; rel="{rel}"' for rel, href in self.relations().items()]
        links += [f'<{self.href(self.page, "." + f.suffix)}>; rel="alternate"; '
                  f'type="{f.media_type}"' for f in LIST_FORMATS]
        return ", ".join(links)


# ------------------------------------------------------------------ members

@dataclass
class Member:
    iri: str
    type: str
    key: str
    names: dict[str, list[str]]
    links: dict[str, tuple[str, dict[str, list[str]]]]  # link -> (iri, names)
    matched: str = ""

    def name(self, lang: str) -> str:
        return pick_label(self.names, lang) or ""


def describe_members(rel: Release, iris: list[str]) -> tuple[list[ox.Triple], list[Member]]:
    """The triples a list shows about ``iris`` (``queries/list_members.rq``), and the members."""
    if not iris:
        return [], []
    text = Template(load_query("list_members")).substitute(
        members=" ".join(str(ox.NamedNode(i)) for i in iris))
    results = rel.store.query(text, prefixes=dict(rel.prefixes), use_default_graph_as_union=True)
    assert isinstance(results, ox.QueryTriples)
    triples = sorted(set(results), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    names: dict[str, dict[str, list[str]]] = {}
    links: dict[str, dict[str, str]] = {}
    vocab = rel.uris.vocab
    for t in triples:
        s = t.subject.value
        if t.predicate.value == SCHEMA_NAME and isinstance(t.object, ox.Literal):
            names.setdefault(s, {}).setdefault(t.object.language or "", []).append(t.object.value)
        elif t.predicate.value.startswith(vocab) and isinstance(t.object, ox.NamedNode):
            links.setdefault(s, {})[t.predicate.value[len(vocab):]] = t.object.value
    members = []
    for iri in iris:
        split = rel.uris.split_id(iri)
        type_, key = split if split else ("", iri)
        members.append(Member(iri, type_, key, names.get(iri, {}), {
            link: (target, names.get(target, {})) for link, target in links.get(iri, {}).items()}))
    return triples, members


def collection_jsonld(rel: Release, paging: Paging, triples: list[ox.Triple],
                      members: list[Member], extra: dict[str, Any] | None = None) -> bytes:
    """A page of a collection as compacted JSON-LD (``hydra:Collection``), the context by URL."""
    collection = ox.NamedNode(paging.href(1, ""))
    view = ox.NamedNode(paging.href(paging.page, "", explicit=True))
    own = [ox.Triple(collection, ox.NamedNode(RDF_TYPE), ox.NamedNode(HYDRA + "Collection")),
           ox.Triple(collection, ox.NamedNode(HYDRA + "totalItems"),
                     ox.Literal(str(paging.total), datatype=ox.NamedNode(XSD_INTEGER))),
           ox.Triple(collection, ox.NamedNode(HYDRA + "view"), view),
           ox.Triple(view, ox.NamedNode(RDF_TYPE), ox.NamedNode(HYDRA + "PartialCollectionView"))]
    for rel_name, term in (("first", "first"), ("last", "last"), ("prev", "previous"),
                           ("next", "next")):
        href = paging.relations().get(rel_name)
        if href:
            own.append(ox.Triple(view, ox.NamedNode(HYDRA + term),
                                 ox.NamedNode(paging.href(_page_of(paging, rel_name), "",
                                                          explicit=True))))
    own += [ox.Triple(collection, ox.NamedNode(HYDRA + "member"), ox.NamedNode(m.iri))
            for m in members]
    document = jsonld.compact_jsonld(
        own + triples, root=collection.value, context=jsonld.jsonld_context(rel.uris.base),
        context_url=rel.uris.context)
    members_value = document.get("member", [])
    document["member"] = members_value if isinstance(members_value, list) else [members_value]
    if extra:
        document.update(extra)
    return jsonld.dumps_jsonld(document)


def _page_of(paging: Paging, rel_name: str) -> int:
    return {"first": 1, "last": paging.last, "prev": min(paging.page - 1, paging.last),
            "next": paging.page + 1}[rel_name]


def members_csv(members: list[Member], links: tuple[str, ...], extra: tuple[str, ...] = (),
                langs: tuple[str, ...] = DEFAULT_LANGUAGES) -> str:
    """One row per member: IRI, type, key, names in each of ``langs`` (the release's languages)
    and without a language, links."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "type", "key", *(f"name_{lang}" for lang in langs), "name",
                     *links, *extra])
    for m in members:
        row = [m.iri, m.type, m.key]
        row += ["; ".join(sorted(m.names.get(lang, []))) for lang in (*langs, "")]
        row += [m.links.get(link, ("", {}))[0] for link in links]
        if "matched" in extra:
            row.append(m.matched)
        writer.writerow(row)
    return out.getvalue()


def respond(body: str | bytes, fmt: Format, paging: Paging, vary: str = "Accept") -> Response:
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = vary
    response.headers["Link"] = paging.link_header()
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["EMIS-Total-Count"] = str(paging.total)
    response.add_etag()
    response.make_conditional(request)
    return response


def _type_label(rel: Release, cls: str, lang: str) -> str:
    """The label of a class (a local name in ``emis:`` or an IRI) in ``lang``, else its name."""
    iri = cls if ":" in cls else rel.uris.vocab + cls
    return pick_label(term_labels(rel).get(iri), lang) or iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def type_labels(rel: Release, lang: str) -> dict[str, str]:
    """Type name -> the label of its class in ``lang`` (the home page, the release summary)."""
    return {name: _type_label(rel, info.cls, lang) for name, info in list_types(rel).items()}


# ------------------------------------------------------------------ /list/{type}

def _filters(rel: Release, info: ListType) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """SPARQL patterns of the asked filters, the filters as query parameters, and the IRIs of
    the things filtered by. Unknown values are 404; filters a type does not have are 400."""
    patterns: list[str] = []
    params: dict[str, str] = {}
    things: dict[str, str] = {}
    for name, cls in (("region", "Region"), ("district", "District"), ("school", "School")):
        value = request.args.get(name, "").strip()
        if not value:
            continue
        if info.type == "district" and name == "region":
            path = "emis:region"
        elif info.school_path is None or (name == "school" and not info.school_path):
            raise described_error(BadRequest, "cannot_narrow", type=info.type, name=name)
        elif name == "school":
            path = info.school_path
        else:
            path = f"{info.school_path}/emis:{name}" if info.school_path else f"emis:{name}"
        iri = rel.uris.id(name, value)
        ask = f"ASK {{ {ox.NamedNode(iri)} a emis:{cls} }}"
        if not rel.store.query(ask, prefixes=dict(rel.prefixes), use_default_graph_as_union=True):
            raise described_error(NotFound, "no_such_filter", name=name, value=value,
                                  release=rel.id, list=rel.uris.list(name))
        patterns.append(f"?s {path} {ox.NamedNode(iri)} .")
        params[name] = value
        things[name] = iri
    return patterns, params, things


@bp.route("/list/<name>")
def list_things(name: str) -> Response:
    type_, suffix_format = formats.split_suffix(name, LIST_FORMATS)
    with_suffix = suffix_format is not None
    try:
        g.response_format = choose_list_format(suffix_format)
    except negotiation.NotAcceptable:
        g.response_format = None
        raise
    fmt: Format = g.response_format
    rel = release()
    lists = list_types(rel)
    info = lists.get(type_)
    if info is None:
        raise described_error(NotFound, "no_such_list", type=type_,
                              lists=", ".join(rel.uris.list(t) for t in lists))
    if rel.types[type_].describes_people and rel.manifest.get("staff_publication") == "aggregates":
        raise described_error(NotFound, "staff_aggregates", release=rel.id,
                              list=rel.uris.list("staff-summary"))
    page = _int_arg("page", 1, 1)
    size = _int_arg("size", DEFAULT_SIZE, 1, MAX_SIZE)
    patterns, params, things = _filters(rel, info)
    cls = str(ox.NamedNode(info.class_iri(rel.uris.vocab)))
    filters = " ".join(patterns)
    total = int(next(iter(solutions(
        rel.store, Template(load_query("list_count")).substitute(cls=cls, filters=filters),
        rel.prefixes)))["n"].value)
    paging = Paging(rel.uris.list(type_), params, page, size, total,
                    "." + fmt.suffix if with_suffix else "")
    if page > paging.last:
        raise described_error(NotFound, "page_beyond", page=page, last=paging.last,
                              url=paging.href(1))
    text = Template(load_query("list_page")).substitute(
        cls=cls, filters=filters, limit=size, offset=(page - 1) * size)
    iris = [row["s"].value for row in solutions(rel.store, text, rel.prefixes)]
    triples, members = describe_members(rel, iris)
    if fmt is JSONLD:
        body: str | bytes = collection_jsonld(rel, paging, triples, members)
        return respond(body, fmt, paging)
    if fmt is CSV:
        return respond(members_csv(members, info.links, langs=languages(rel)), fmt, paging)
    lang = choose_language()
    labels = {k: _thing_name(rel, iri, lang) for k, iri in things.items()}
    body = render_template(
        "list.html", rel=rel, lang=lang, languages=languages(rel), info=info, members=members,
        paging=paging, filters=params, filter_names=labels,
        pick=lambda names: pick_label(names, lang),
        title=_type_label(rel, info.cls, lang),
        link_labels={link: _type_label(rel, lists[link].cls, lang) for link in info.links},
        alternates=[(f, paging.href(page, "." + f.suffix)) for f in LIST_FORMATS if f is not HTML],
        types=[(t, _type_label(rel, about.cls, lang)) for t, about in lists.items()])
    return respond(body, fmt, paging, vary="Accept, Accept-Language")


def _thing_name(rel: Release, iri: str, lang: str) -> str:
    names: dict[str, list[str]] = {}
    for row in solutions(rel.store, f"SELECT ?n WHERE {{ {ox.NamedNode(iri)} schema:name ?n }}",
                         rel.prefixes):
        names.setdefault(row["n"].language or "", []).append(row["n"].value)
    return pick_label(names, lang) or iri


# ------------------------------------------------------------------ search

SEARCH_TYPES = ("school", "district", "region")


@bp.route("/search")
def search_view() -> Response:
    g.response_format = choose_list_format(None)
    fmt: Format = g.response_format
    rel = release()
    q = request.args.get("q", "").strip()
    asked = request.args.get("type", "").strip()
    if asked and asked not in SEARCH_TYPES:
        raise described_error(BadRequest, "search_type", types=", ".join(SEARCH_TYPES), asked=asked)
    types = {asked} if asked else set(SEARCH_TYPES)
    page = _int_arg("page", 1, 1)
    size = _int_arg("size", DEFAULT_SIZE, 1, MAX_SIZE)
    if not q and fmt is not HTML:
        raise BadRequest("add the name to look for: /search?q=NAME (any language, Cyrillic or "
                         "Latin letters; optional type=school|district|region)")
    found = search(rel, q, types) if q else []
    params = {**({"q": q} if q else {}), **({"type": asked} if asked else {})}
    paging = Paging(rel.uris.search, params, page, size, len(found), format_param=True)
    if page > paging.last:
        raise described_error(NotFound, "results_beyond", page=page, last=paging.last)
    chosen = found[(page - 1) * size: page * size]
    triples, members = describe_members(rel, [iri for iri, _, _ in chosen])
    for member, (_, matched, _) in zip(members, chosen, strict=True):
        member.matched = matched
    if fmt is JSONLD:
        body: str | bytes = collection_jsonld(rel, paging, triples, members)
        return respond(body, fmt, paging)
    if fmt is CSV:
        return respond(members_csv(members, ("district", "region"), ("matched",), languages(rel)), fmt,
                       paging)
    lang = choose_language()
    body = render_template(
        "search.html", rel=rel, lang=lang, languages=languages(rel), q=q, asked=asked,
        members=members, paging=paging, search_types=SEARCH_TYPES,
        pick=lambda names: pick_label(names, lang),
        type_labels={t: _type_label(rel, LIST_TYPES[t].cls, lang) for t in SEARCH_TYPES},
        alternates=[(f, paging.href(page, "." + f.suffix)) for f in LIST_FORMATS
                    if f is not HTML])
    return respond(body, fmt, paging, vary="Accept, Accept-Language")

