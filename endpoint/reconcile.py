"""``/reconcile``: a W3C Reconciliation Service API 0.2 service (the protocol OpenRefine speaks;
https://reconciliation-api.github.io/specs/0.2/), matching names as registries write them to our
schools, districts, regions and textbook editions.

- ``GET /reconcile`` without ``queries`` answers the service manifest: identifierSpace is
  ``{base}id/`` and an entity's id is the rest of its URI (``school/41101001``), schemaSpace is
  ``{base}def/emis#`` and a type's or property's id the rest of its IRI (``School``,
  ``district``); the view template is ``{base}id/{{id}}``.
- ``POST /reconcile`` with the form field ``queries`` (or ``GET /reconcile?queries=``) answers a
  reconciliation result batch (``endpoint/reconcile_match.py`` matches and scores).
- ``/reconcile/suggest/entity|type|property?prefix=`` (with ``cursor``) suggest, and
  ``/reconcile/preview?id=`` is a small HTML card of an entity, for OpenRefine's iframe.
- Every GET answer of JSON may be asked as JSONP (``?callback=name``); CORS is the
  application's (``endpoint/__init__.py``), preflights included.

The index is built on the first query of a release in each process and kept on the release
(``Release.memo``), since a release never changes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, g, render_template, request
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

from emis_lod import __version__
from emis_lod.formats import PROBLEM_JSON
from emis_lod.uris import RECONCILE_PATH, decode_key

from .messages import described_error
from .page import pick_label, term_labels
from .query import load_query, solutions
from .reconcile_index import (
    REC_PROPERTIES,
    REC_TYPES,
    TYPE_BY_SEGMENT,
    Entity,
    Index,
    RecProperty,
    RecType,
    build_index,
    find_property,
    find_type,
    property_iri,
)
from .reconcile_match import Candidate, Query, reconcile, resolve, suggest
from .reconcile_names import tokens as name_tokens
from .release import Release, release
from .responses import choose_language, languages

bp = Blueprint("reconcile", __name__)

PATH = RECONCILE_PATH
VERSIONS = ["0.2"]
MAX_BATCH = 50  # queries in one batch (the manifest's batchSize); more answer 413
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
SUGGEST_SIZE = 10
PREVIEW_WIDTH, PREVIEW_HEIGHT = 420, 220
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
CACHE_CONTROL = "public, max-age=300"


def index_of(rel: Release) -> Index:
    """The reconciliation index of a release, built once per release and process."""
    def build() -> Index:
        rows = solutions(rel.store, load_query("reconcile_index"), rel.prefixes)
        return build_index(rel.uris, rows)
    return rel.memo("reconcile.index", build)


# ------------------------------------------------------------------ answers


def _answer(document: Any, cache: bool = True) -> Response:
    """JSON, or JSONP when a GET asks with ``callback=``."""
    body = json.dumps(document, ensure_ascii=False)
    callback = request.args.get("callback", "") if request.method in ("GET", "HEAD") else ""
    if callback:
        if len(callback) > 100 or not CALLBACK.match(callback):
            raise BadRequest("callback must be a JavaScript name (letters, digits, _, $ and "
                             f"dots), not {callback[:100]!r}")
        response = Response(f"/**/{callback}({body});", content_type="application/javascript")
    else:
        response = Response(body, content_type="application/json")
    response.headers["X-Content-Type-Options"] = "nosniff"
    if cache:
        response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _labels(rel: Release, iri: str, lang: str, fallback: str) -> str:
    return pick_label(term_labels(rel).get(iri), lang) or fallback


def _type_object(rel: Release, rec_type: RecType, lang: str = "en") -> dict[str, str]:
    return {"id": rec_type.id, "name": _labels(rel, rel.uris.vocab + rec_type.id, lang,
                                              rec_type.id)}


def manifest(rel: Release) -> dict[str, Any]:
    base = rel.uris.base
    service = base.rstrip("/")
    return {
        "versions": VERSIONS,
        "name": "EMIS open data: schools, districts, regions and textbook editions",
        "identifierSpace": f"{base}id/",
        "schemaSpace": rel.uris.vocab,
        "documentation": f"{base}openapi.json",
        "serviceVersion": __version__,
        "defaultTypes": [_type_object(rel, t) for t in REC_TYPES],
        "view": {"url": f"{base}id/{{{{id}}}}"},
        "preview": {"url": f"{rel.uris.reconcile_preview}?id={{{{id}}}}", "width": PREVIEW_WIDTH,
                    "height": PREVIEW_HEIGHT},
        "suggest": {kind: {"service_url": service, "service_path": f"/{PATH}/suggest/{kind}"}
                    for kind in ("entity", "type", "property")},
        "batchSize": MAX_BATCH,
    }


# ------------------------------------------------------------------ parsing a batch


def _query(index: Index, key: str, raw: Any) -> Query:
    """One query of a batch, checked as the 0.2 query schema says, with its properties
    resolved against the index."""
    where = f"query {key!r}"
    if not isinstance(raw, dict):
        raise BadRequest(f"{where} must be a JSON object, not {type(raw).__name__}")
    unknown = set(raw) - {"query", "type", "limit", "properties", "type_strict"}
    if unknown:
        raise BadRequest(f"{where}: unknown fields {sorted(unknown)}; a query has query, type, "
                         "limit, properties and type_strict")
    text = raw.get("query", "")
    if not isinstance(text, str):
        raise BadRequest(f"{where}: query must be a string")
    types_raw = raw.get("type", [])
    types_list = [types_raw] if isinstance(types_raw, str) else types_raw
    if not isinstance(types_list, list) or not all(isinstance(t, str) for t in types_list):
        raise BadRequest(f"{where}: type must be a string or a list of strings")
    types: list[RecType] = []
    for type_id in types_list:
        found = find_type(index.uris, type_id)
        if found is None:
            raise BadRequest(f"{where}: unknown type {type_id!r}; the types are "
                             + ", ".join(t.id for t in REC_TYPES))
        types.append(found)
    limit = raw.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 1:
        raise BadRequest(f"{where}: limit must be a positive number")
    strict = raw.get("type_strict", "any")
    if strict not in ("any", "should", "all"):
        raise BadRequest(f"{where}: type_strict must be any, should or all")
    props = raw.get("properties", [])
    if not isinstance(props, list):
        raise BadRequest(f"{where}: properties must be a list of {{pid, v}} objects")
    conditions = []
    for prop in props:
        if not isinstance(prop, dict) or not isinstance(prop.get("pid"), str) or "v" not in prop:
            raise BadRequest(f"{where}: each property is an object with pid (a string) and v")
        rec_prop = find_property(index.uris, prop["pid"])
        if rec_prop is None:
            continue  # a column the service does not know: neither helps nor harms
        values = prop["v"] if isinstance(prop["v"], list) else [prop["v"]]
        conditions.append(resolve(index, rec_prop, values))
    if not text.strip() and not props:
        raise BadRequest(f"{where} has neither a query string nor properties")
    return Query(text, tuple(types), strict != "should", min(int(limit), MAX_LIMIT),
                 tuple(conditions))


def _batch() -> dict[str, Any]:
    raw = request.form.get("queries") if request.method == "POST" else None
    if raw is None:
        raw = request.args.get("queries")
    if raw is None and request.method == "POST" and request.is_json:
        batch = request.get_json(silent=True)
    else:
        try:
            batch = json.loads(raw or "")
        except ValueError as err:
            raise BadRequest(f"queries is not JSON: {err}") from None
    if not isinstance(batch, dict):
        raise BadRequest('queries must be a JSON object of queries, e.g. {"q0": {"query": '
                         '"СОШ №1", "type": "School"}}')
    if len(batch) > MAX_BATCH:
        raise RequestEntityTooLarge(f"a batch holds at most {MAX_BATCH} queries (the "
                                    f"manifest's batchSize); this one has {len(batch)}")
    return batch


# ------------------------------------------------------------------ answers to queries


def _lang_of(entity: Entity, name: str) -> str:
    return next((lang for lang, n in entity.names if n == name), "")


def describe(index: Index, entity: Entity, lang: str) -> str:
    """A short description that tells namesakes apart: code, settlement, district, region."""
    parts = [decode_key(entity.id.partition("/")[2])]
    parts += sorted(set(entity.settlements))
    for place in (entity.district, entity.region):
        if place and place in index.by_iri:
            parts.append(index.by_iri[place].name(lang or None))
    return " · ".join(p for p in parts if p)


def _candidate(rel: Release, index: Index, candidate: Candidate) -> dict[str, Any]:
    entity = candidate.entity
    lang = _lang_of(entity, candidate.name)
    return {
        "id": entity.id,
        "name": candidate.name,
        "description": describe(index, entity, lang),
        "type": [_type_object(rel, entity.type)],
        "score": candidate.score,
        "features": [{"id": k, "value": v} for k, v in candidate.features.items()],
        "match": candidate.match,
    }


@bp.route(f"/{PATH}", methods=["GET", "POST"])
def service() -> Response:
    g.response_format = PROBLEM_JSON
    rel = release()
    if "extend" in request.values:
        raise BadRequest("this service does not offer data extension; use /sparql for "
                         "property values")
    if "queries" not in request.values and not (request.method == "POST" and request.is_json):
        return _answer(manifest(rel))
    index = index_of(rel)
    batch = _batch()
    queries = {key: _query(index, key, raw) for key, raw in batch.items()}
    results = {key: {"result": [_candidate(rel, index, c) for c in reconcile(index, query)]}
               for key, query in queries.items()}
    return _answer(results, cache=request.method == "GET")


# ------------------------------------------------------------------ suggest and preview


def _cursor() -> int:
    raw = request.args.get("cursor", "0") or "0"
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"cursor={raw!r} is not a whole number") from None
    if value < 0:
        raise BadRequest("cursor must be 0 or more")
    return value


def _prefix() -> str:
    if "prefix" not in request.args:
        raise BadRequest("add the text typed so far: ?prefix=...")
    return request.args["prefix"]


def _matches_prefix(prefix: str, *texts: str) -> bool:
    """Whether every word of the prefix starts a word of one of the texts (any script)."""
    wanted = name_tokens(prefix) if prefix.strip() else ()
    if not wanted:
        return True
    for text in texts:
        words = name_tokens(text) + tuple(text.casefold().split())
        if all(any(w.startswith(q) for w in words) for q in wanted):
            return True
        if prefix.strip().casefold() in text.casefold():
            return True
    return False


@bp.route(f"/{PATH}/suggest/entity")
def suggest_entity() -> Response:
    g.response_format = PROBLEM_JSON
    rel = release()
    prefix, cursor = _prefix(), _cursor()
    index = index_of(rel)
    types: set[str] | None = None
    if request.args.get("type"):
        found = find_type(index.uris, request.args["type"])
        if found is None:
            raise BadRequest(f"unknown type {request.args['type']!r}; the types are "
                             + ", ".join(t.id for t in REC_TYPES))
        types = {found.segment}
    entities = suggest(index, prefix, types)[cursor:cursor + SUGGEST_SIZE]
    lang = request.args.get("lang", "")
    result = []
    for entity in entities:
        name = entity.name(lang if lang in languages(rel) else None)
        result.append({"id": entity.id, "name": name,
                       "description": describe(index, entity, _lang_of(entity, name)),
                       "notable": [_type_object(rel, entity.type)]})
    return _answer({"result": result})


def _term_names(rel: Release, iri: str) -> list[str]:
    return [label for labels in (term_labels(rel).get(iri) or {}).values() for label in labels]


@bp.route(f"/{PATH}/suggest/type")
def suggest_type() -> Response:
    g.response_format = PROBLEM_JSON
    rel = release()
    prefix, cursor = _prefix(), _cursor()
    found = [t for t in REC_TYPES
             if _matches_prefix(prefix, t.id, *_term_names(rel, rel.uris.vocab + t.id))]
    return _answer({"result": [_type_object(rel, t) for t in found][cursor:cursor + SUGGEST_SIZE]})


def _property_object(rel: Release, prop: RecProperty) -> dict[str, str]:
    iri = property_iri(rel.uris, prop)
    labels = term_labels(rel).get(iri) or {}
    others = [pick_label({lang: labels[lang]}, lang) for lang in ("ky", "ru") if labels.get(lang)]
    return {"id": prop.id, "name": _labels(rel, iri, "en", prop.id),
            "description": " / ".join(o for o in others if o) or iri}


@bp.route(f"/{PATH}/suggest/property")
def suggest_property() -> Response:
    g.response_format = PROBLEM_JSON
    rel = release()
    prefix, cursor = _prefix(), _cursor()
    found = [p for p in REC_PROPERTIES
             if _matches_prefix(prefix, p.id, *p.aliases,
                                *_term_names(rel, property_iri(rel.uris, p)))]
    return _answer({"result": [_property_object(rel, p)
                               for p in found][cursor:cursor + SUGGEST_SIZE]})


def _doc_url(rel: Release, entity: Entity) -> str:
    return f"{rel.uris.base}doc/{entity.id}"


@bp.route(f"/{PATH}/preview")
def preview() -> Response:
    rel = release()
    ref = request.args.get("id", "").strip()
    if not ref:
        raise BadRequest("add the entity's id: /reconcile/preview?id=school/41101001")
    index = index_of(rel)
    entity = index.entity(ref)
    if entity is None:
        raise described_error(NotFound, "not_an_entity", ref=ref, release=rel.id)
    lang = choose_language()
    names = {language: sorted(n for l_, n in entity.names if l_ == language)
             for language in (*languages(rel), "")}
    places = []
    for place in (entity.district, entity.region):
        if place and place in index.by_iri:
            places.append((TYPE_BY_SEGMENT[index.by_iri[place].type.segment],
                           index.by_iri[place]))
    body = render_template(
        "reconcile_preview.html", rel=rel, lang=lang, entity=entity, names=names,
        title=entity.name(lang), type_label=_type_object(rel, entity.type, lang)["name"],
        key=decode_key(entity.id.partition("/")[2]), places=[
            (_type_object(rel, t, lang)["name"], p.name(lang), _doc_url(rel, p))
            for t, p in places],
        settlements=sorted(set(entity.settlements)), doc=_doc_url(rel, entity),
        settlement_label=_labels(rel, rel.uris.vocab + "settlement", lang, "settlement"))
    response = Response(body, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Accept-Language"
    return response
