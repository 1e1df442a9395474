"""``/openapi.json``: an OpenAPI 3.1 description of the HTTP API (https://spec.openapis.org/oas/v3.1.0).

Built here as data, with the deployment's base as the server; ``tests/test_openapi.py`` checks
that every route of the application is described and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response

from emis_lod import __version__
from emis_lod.formats import DOCUMENT_FORMATS, RDF_FORMATS, RESULTS_FORMATS

from .browse import list_types
from .negotiation import ALIASES
from .release import release

bp = Blueprint("openapi", __name__)

TEXT = {"text/plain": {"schema": {"type": "string"}}}
PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}, **TEXT,
           "text/html": {"schema": {"type": "string"}}}


def _media(formats: Any) -> dict[str, Any]:
    return {f.media_type: {"schema": {"type": "string"}} for f in formats}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": PROBLEM}


def _param(name: str, where: str, description: str, *, required: bool = False,
           schema: dict[str, Any] | None = None, multi: bool = False) -> dict[str, Any]:
    s = schema or {"type": "string"}
    if multi:
        s = {"type": "array", "items": s}
    out: dict[str, Any] = {"name": name, "in": where, "description": description,
                           "required": required, "schema": s}
    if multi:
        out["style"], out["explode"] = "form", True
    return out


FORMAT_DOC = _param("format", "query", "the answer's format, instead of Accept",
                    schema={"type": "string",
                            "enum": [f.name for f in DOCUMENT_FORMATS]})
LANG = _param("lang", "query", "language of the HTML page, one of the served release's (its "
              "profile's languages), else Accept-Language",
              schema={"type": "string", "pattern": "^[a-z]{2,3}$"})
DOCUMENT_OK = {"description": "the document, in the negotiated format (Vary: Accept; ETag; "
                              "Link rel=alternate for every format)",
               "content": _media(DOCUMENT_FORMATS)}
NOT_FOUND = _error("not described in the served release")
NOT_ACCEPTABLE = _error("none of the formats is acceptable")


def _document_get(summary: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": [*params, FORMAT_DOC, LANG],
                    "responses": {"200": DOCUMENT_OK, "304": {"description": "not modified"},
                                  "404": NOT_FOUND, "406": NOT_ACCEPTABLE}}}


def _see_other(summary: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params, "responses": {
        "303": {"description": "See Other: the document about it",
                "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}}},
        "404": NOT_FOUND}}}


def _ldes_get(summary: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    fmt = _param("format", "query", "the answer's format, instead of Accept",
                 schema={"type": "string", "enum": [f.name for f in DOCUMENT_FORMATS if f.name != "html"]})
    return {"get": {"summary": summary, "parameters": [*params, fmt],
                    "responses": {"200": {"description": "RDF (Turtle, JSON-LD, N-Triples, RDF/XML)",
                                          "content": _media(f for f in DOCUMENT_FORMATS
                                                            if f.name != "html")},
                                  "304": {"description": "not modified"}, "404": NOT_FOUND,
                                  "406": NOT_ACCEPTABLE, "410": _error("a release no longer kept")}}}


def _collection_get(summary: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    """A paged list (``/list/...``, ``/search``): HTML, JSON-LD (hydra:Collection) or CSV."""
    paging = [_param("page", "query", "the page (1-based)",
                     schema={"type": "integer", "minimum": 1}),
              _param("size", "query", "things per page (default 50, at most 500)",
                     schema={"type": "integer", "minimum": 1, "maximum": 500}),
              _param("format", "query", "the answer's format, instead of Accept",
                     schema={"type": "string", "enum": ["html", "jsonld", "csv"]}), LANG]
    media = {t: {"schema": {"type": "string"}}
             for t in ("text/html", "application/ld+json", "text/csv")}
    return {"get": {"summary": summary, "parameters": [*params, *paging], "responses": {
        "200": {"description": "one page: Link rel=first/prev/next/last and alternate; "
                               "EMIS-Total-Count", "content": media},
        "304": {"description": "not modified"},
        "400": _error("a bad page, size or filter"),
        "404": NOT_FOUND, "406": NOT_ACCEPTABLE}}}


def _reconcile_paths() -> dict[str, Any]:
    """``/reconcile``: the W3C Reconciliation Service API 0.2 (OpenRefine)."""
    json_: dict[str, Any] = {"application/json": {}, "application/javascript": {}}
    callback = _param("callback", "query", "JSONP: the answer wrapped in a call of this "
                      "function (GET only)")
    queries = _param("queries", "query", 'a reconciliation query batch (JSON): {"q0": '
                     '{"query": NAME, "type": "School", "limit": N, "properties": [{"pid": '
                     '"district", "v": VALUE}]}}; without it, the service manifest')
    batch_ok = {"description": "the service manifest, or a reconciliation result batch "
                               '{"q0": {"result": [{id, name, description, type, score, '
                               "features, match}]}}", "content": json_}
    bad = {"400": _error("malformed batch (not JSON, unknown type or field, no query)"),
           "413": _error("more queries than the manifest's batchSize")}
    suggest = [_param("prefix", "query", "the text typed so far", required=True),
               _param("cursor", "query", "suggestions to skip",
                      schema={"type": "integer", "minimum": 0}), callback]
    suggest_ok = {"200": {"description": '{"result": [{id, name, ...}]}', "content": json_},
                  "400": _error("no prefix, or a bad cursor")}
    return {
        "/reconcile": {
            "get": {"summary": "reconciliation service (W3C Reconciliation Service API 0.2): "
                               "the manifest, or a query batch in queries=",
                    "parameters": [queries, callback],
                    "responses": {"200": batch_ok, **bad}},
            "post": {"summary": "a reconciliation query batch, form-encoded (as OpenRefine "
                                "sends it) or as a JSON body",
                     "requestBody": {"required": True, "content": {
                         "application/x-www-form-urlencoded": {"schema": {
                             "type": "object", "required": ["queries"],
                             "properties": {"queries": {"type": "string"}}}},
                         "application/json": {"schema": {"type": "object"}}}},
                     "responses": {"200": batch_ok, **bad}}},
        "/reconcile/suggest/entity": {"get": {
            "summary": "suggest schools, districts, regions and textbook editions by the start "
                       "of a name or code", "parameters": [
                *suggest, _param("type", "query", "only this type (School, District, Region, "
                                 "TextbookEdition)")],
            "responses": suggest_ok}},
        "/reconcile/suggest/type": {"get": {
            "summary": "suggest the types reconciled against", "parameters": suggest,
            "responses": suggest_ok}},
        "/reconcile/suggest/property": {"get": {
            "summary": "suggest the properties a query may carry (district, region, statCode, "
                       "schoolCode, settlement, catalogueNumber, isbn)", "parameters": suggest,
            "responses": suggest_ok}},
        "/reconcile/preview": {"get": {
            "summary": "a small HTML card of an entity, for an iframe",
            "parameters": [_param("id", "query", "the entity's id (school/41101001) or URI",
                                  required=True), LANG],
            "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                          "400": _error("no id"), "404": NOT_FOUND}}},
    }


def spec(base: str, types: list[str]) -> dict[str, Any]:
    """The OpenAPI document, with ``base`` as the server and ``types`` the release's types."""
    type_ = _param("type", "path", "the type of thing", required=True,
                   schema={"type": "string", "enum": types})
    key = _param("key", "path", "the thing's stable key (source code); may end in a format "
                 "suffix (.html, .ttl, .jsonld, .nt, .rdf) on /doc/", required=True)
    sparql_params = [
        _param("query", "query", "the SPARQL 1.1 query (GET; or in a POST form)"),
        _param("default-graph-uri", "query", "a graph of the default graph (absolute IRI); "
               "without any, the default graph is the union of all graphs", multi=True),
        _param("named-graph-uri", "query", "a named graph of the dataset (absolute IRI)",
               multi=True),
        *(_param(name, "query", "the answer's format, instead of Accept: a format's name or media "
                 "type, or a client's short word read per query form (negotiation.ALIASES: `xml` is "
                 "SPARQL results XML for SELECT/ASK and RDF/XML for CONSTRUCT/DESCRIBE, `json` "
                 "SPARQL JSON or JSON-LD, `n3`/`ttl` Turtle, `nt`/`text/plain` N-Triples); a word "
                 "that fits no format of the query's form falls back to Accept"
                 + ("" if name == "format" else "; read when `format` is absent (SPARQLWrapper "
                    "sends all three)"),
                 schema={"type": "string",
                         "examples": sorted({f.name for f in (*RESULTS_FORMATS, *RDF_FORMATS)}
                                            | {w for t in ALIASES.values() for w in t})})
          for name in ("format", "output", "results")),
    ]
    results = {"description": "SELECT/ASK results (JSON, XML, CSV, TSV); CONSTRUCT/DESCRIBE "
                              "graphs (Turtle, N-Triples, JSON-LD, RDF/XML). A cut at "
                              "max_result_rows is stated in EMIS-Result-Truncated.",
               "headers": {"EMIS-Result-Truncated": {"schema": {"type": "string"}},
                           "EMIS-Release": {"schema": {"type": "string"}}},
               "content": _media((*RESULTS_FORMATS, *RDF_FORMATS))}
    sparql_errors = {"400": _error("malformed query (the parser's message), two query "
                                   "parameters, or a query over max_query_length"),
                     "403": _error("SPARQL Update or SERVICE: the endpoint is read-only and "
                                   "makes no outbound requests"),
                     "406": NOT_ACCEPTABLE,
                     "415": _error("unsupported request media type or charset"),
                     "503": _error("the query ran longer than query_timeout")}
    refused = {"summary": "refused: the endpoint is read-only",
               "responses": {"405": _error("method not allowed on /sparql")}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "EMIS open data", "version": __version__,
                 "description": "Linked open data of the education management information "
                                "system: a read-only SPARQL 1.1 endpoint, dereferenceable "
                                "URIs with content negotiation, the ontology and code lists.",
                 "license": {"name": "MIT (software)", "identifier": "MIT"}},
        "servers": [{"url": base.rstrip("/")}],
        "paths": {
            "/": {"get": {"summary": "home page", "parameters": [LANG],
                          "responses": {"200": {"description": "HTML",
                                                "content": {"text/html": {}}}}}},
            "/sparql": {
                "get": {"summary": "SPARQL 1.1 query (with query=), else the service "
                                   "description (RDF) or the query UI (HTML)",
                        "parameters": [*sparql_params,
                                       _param("example", "query", "query UI: text to start "
                                              "the editor with")],
                        "responses": {"200": results, **sparql_errors}},
                "post": {"summary": "SPARQL 1.1 query in the body",
                         "parameters": sparql_params[1:],
                         "requestBody": {"required": True, "content": {
                             "application/x-www-form-urlencoded": {"schema": {
                                 "type": "object", "required": ["query"], "properties": {
                                     "query": {"type": "string"},
                                     "default-graph-uri": {"type": "array",
                                                           "items": {"type": "string"}},
                                     "named-graph-uri": {"type": "array",
                                                         "items": {"type": "string"}}}}},
                             "application/sparql-query": {"schema": {"type": "string"}}}},
                         "responses": {"200": results, **sparql_errors}},
                "options": {"summary": "CORS preflight",
                            "responses": {"204": {"description": "allowed methods"}}},
                "put": refused, "delete": refused, "patch": refused,
            },
            "/sparql/examples.json": {"get": {
                "summary": "the documented example queries (docs/queries), for the query UI",
                "responses": {"200": {"description": "[{id, title, ru, ky, why, query}]",
                                      "content": {"application/json": {}}}}}},
            "/id/{type}/{key}": _see_other("a thing: 303 to its document", [type_, key]),
            "/doc/{type}/{key}": _document_get("the document about a thing", [type_, key]),
            "/id/dataset/emis": _see_other("the dataset: 303 to its VoID description", []),
            "/.well-known/void": _see_other("VoID well-known location: 303 to the dataset's "
                                            "description", []),
            "/doc/dataset/{name}": _document_get(
                "the dataset's VoID description (name: emis, with an optional suffix)",
                [_param("name", "path", "emis[.html|.ttl|.jsonld|.nt|.rdf]", required=True)]),
            "/id/catalog/emis": _see_other("the DCAT catalogue: 303 to its document", []),
            "/doc/catalog/{name}": _document_get(
                "the DCAT catalogue: a dataset per domain, distributions (the dumps), the "
                "SPARQL endpoint as a data service (name: emis, with an optional suffix)",
                [_param("name", "path", "emis[.html|.ttl|.jsonld|.nt|.rdf]", required=True)]),
            "/dumps/": {"get": {
                "summary": "the bulk downloads of the served release (file, bytes, sha256, "
                           "media type, url)",
                "parameters": [_param("format", "query", "the answer's format, instead of "
                                      "Accept", schema={"type": "string",
                                                        "enum": ["html", "json"]})],
                "responses": {"200": {"description": "HTML or JSON list", "content": {
                    "text/html": {}, "application/json": {}}}, "406": NOT_ACCEPTABLE}}},
            "/dumps/{name}": {"get": {
                "summary": "one dump file: emis.nq.gz, emis.trig.gz (application/gzip "
                           "downloads, no Content-Encoding), {table}.csv, "
                           "{table}.csv-metadata.json (CSVW), SHA256SUMS; index.json and "
                           "index.html are the list",
                "parameters": [_param("name", "path", "the file name", required=True)],
                "responses": {"200": {"description": "the file, as the build wrote it", "content": {
                    "application/gzip": {}, "text/csv": {}, "application/csvm+json": {},
                    "text/plain": {}}}, "304": {"description": "not modified"},
                    "404": NOT_FOUND}}},
            "/release/": {"get": {
                "summary": "the HTML summary of the served release: build, software version, "
                           "per table file, encoding, SHA-256, rows read/loaded/rejected, "
                           "triples, graph; the rejected rows a page at a time",
                "parameters": [LANG, _param("page", "query", "the page of rejected rows "
                                            "(1-based)", schema={"type": "integer", "minimum": 1}),
                               _param("table", "query", "only this table's rejected rows")],
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                              "400": _error("a bad page number"),
                              "404": _error("no such page or table")}}},
            "/ldes": _ldes_get("what changed between releases: the Linked Data Event Stream "
                               "(ldes:EventStream; its tree:view is /ldes/root)", []),
            "/ldes.{suffix}": _ldes_get("the event stream in one format", [_param(
                "suffix", "path", "ttl, jsonld, nt or rdf", required=True)]),
            "/ldes/{name}": _ldes_get("the root node (root, root.ttl, ...): a relation per "
                                      "release compared to its first page", [_param(
                                          "name", "path", "root[.suffix]", required=True)]),
            "/ldes/{release_id}/{name}": _ldes_get(
                "page N (from 1) of the members of one release: versions of the resources it "
                "added, changed or removed (immutable: Cache-Control immutable; 410 Gone for a "
                "release no longer kept)", [_param("release_id", "path", "a release id",
                                                    required=True),
                                             _param("name", "path", "N[.suffix]", required=True)]),
            "/ldes/{release_id}/{resource}": _see_other(
                "a member (the version of {base}{resource} a release made): 303 to its page",
                [_param("release_id", "path", "a release id", required=True),
                 _param("resource", "path", "id/{type}/{key} or def/concept/...", required=True)]),
            "/release/{name}": {"get": {
                "summary": "a report of the served release, as the build wrote it: "
                           "rejections.csv (file, row, column, value, reason), validation.ttl "
                           "(the SHACL validation report), manifest.json (the accounting)",
                "parameters": [_param("name", "path", "the file name", required=True, schema={
                    "type": "string",
                    "enum": ["rejections.csv", "validation.ttl", "manifest.json"]})],
                "responses": {"200": {"description": "the file", "content": {
                    "text/csv": {}, "text/turtle": {}, "application/json": {}}},
                    "304": {"description": "not modified"}, "404": NOT_FOUND}}},
            "/def/emis": _document_get("the ontology", []),
            "/def/emis.{suffix}": _document_get("the ontology in one format", [_param(
                "suffix", "path", "format suffix", required=True,
                schema={"type": "string", "enum": [f.suffix for f in DOCUMENT_FORMATS]})]),
            "/def/concept/{scheme}": _document_get(
                "a code list (SKOS concept scheme)",
                [_param("scheme", "path", "the scheme's name", required=True)]),
            "/def/concept/{scheme}/{code}": _document_get(
                "a code-list concept", [_param("scheme", "path", "the scheme", required=True),
                                        _param("code", "path", "the code", required=True)]),
            "/list/{name}": _collection_get(
                "a list of every thing of a type, a page at a time (schools also by region "
                "and district)",
                [_param("name", "path", "the type, with an optional suffix (.html, .jsonld, "
                        ".csv)", required=True),
                 _param("region", "query", "only things in this region (ISO 3166-2 code)"),
                 _param("district", "query", "only things in this district (its code)"),
                 _param("school", "query", "only the records of this school (its code)")]),
            "/search": _collection_get(
                "find schools, districts and regions by any of their names (any language, "
                "Cyrillic or Latin letters; case does not matter), best matches first",
                [_param("q", "query", "the name, or part of it, or a school code"),
                 _param("type", "query", "only this type", schema={
                     "type": "string", "enum": ["school", "district", "region"]})]),
            **_reconcile_paths(),
            "/context/v1.jsonld": {"get": {
                "summary": "the published JSON-LD context",
                "responses": {"200": {"description": "JSON-LD context",
                                      "content": {"application/ld+json": {}}}}}},
            "/healthz": {"get": {
                "summary": "whether this worker can answer from its release (for load balancers)",
                "responses": {"200": {"description": '{"release": ID, "triples": N, "ok": true}',
                                      "content": {"application/json": {}}},
                              "503": {"description": '{"ok": false, "error": ...}: no release '
                                                     "to answer from",
                                      "content": {"application/json": {}}}}}},
            "/openapi.json": {"get": {
                "summary": "this OpenAPI description",
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {}}}}}},
            "/static/{filename}": {"get": {
                "summary": "files of the web pages (CSS, the query UI's scripts)",
                "parameters": [_param("filename", "path", "file path", required=True)],
                "responses": {"200": {"description": "the file"}, "404": NOT_FOUND}}},
        },
    }


@bp.route("/openapi.json")
def openapi() -> Response:
    rel = release()
    body = json.dumps(spec(rel.uris.base, list(list_types(rel))), ensure_ascii=False, indent=1) + "\n"
    response = Response(body, content_type="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
