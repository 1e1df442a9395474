"""The web layer: SPARQL 1.1 endpoint, dereferenceable URIs and the HTML pages of a release.

``create_app(store_dir, settings)`` builds the Flask (WSGI) application; ``server.serve`` runs it
under gunicorn. The application never opens the store at import or creation time: each worker
process opens the current release READ-ONLY on its first request (after gunicorn forked it) and
re-opens when ``STORE/current`` is switched (``emis-lod publish`` or ``rollback``), so a switch
needs no restart; a request started before a switch ends on the release it started on.

Views parse the request, call one function, render; the one error handler is in ``errors.py``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Flask, Response, current_app, g, request

from emis_lod import __version__, profiles
from emis_lod.loaders import releases
from emis_lod.loaders.resource_types import ResourceType, from_manifest
from emis_lod.namespaces import prefixes as platform_prefixes
from emis_lod.profiles import Profile
from emis_lod.settings import Settings
from emis_lod.uris import Uris

log = logging.getLogger(__name__)

EXTENSION = "emis_lod"
EXECUTOR = "emis_lod.executor"


@dataclass(frozen=True)
class Release:
    """One opened release: its read-only store and what the views need to know about it."""

    path: Path
    store: ox.Store
    manifest: dict[str, Any]
    uris: Uris
    prefixes: dict[str, str]
    profile: Profile      # the country profile it was built with (its languages, publisher...)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages of its pages and labels, the first the default."""
        return self.profile.languages

    @property
    def id(self) -> str:
        return str(self.manifest.get("release", self.path.name))

    @cached_property
    def types(self) -> dict[str, ResourceType]:
        """The types of its ``/id/{type}/...`` resources, as the build recorded them in the
        manifest (loaders/resource_types.py): the endpoint dereferences and lists these."""
        return from_manifest(self.manifest, self.uris)


class ReleaseHolder:
    """Opens the served release lazily, once per process, and follows ``current`` when it moves."""

    def __init__(self, store_dir: Path, settings: Settings) -> None:
        self.store_dir = Path(store_dir)
        self.settings = settings
        self._lock = threading.Lock()
        self._release: Release | None = None
        self._pid: int | None = None

    def get(self) -> Release:
        path = releases.current_release(self.store_dir)
        release = self._release
        if release is not None and release.path == path and self._pid == os.getpid():
            return release
        with self._lock:
            release = self._release
            if release is None or release.path != path or self._pid != os.getpid():
                release = self._open(path)
                self._release, self._pid = release, os.getpid()
        return release

    def _open(self, path: Path) -> Release:
        manifest = releases.read_manifest(path)
        base = manifest.get("base_uri") or self.settings.base_uri
        if base.rstrip("/") != self.settings.base_uri.rstrip("/"):
            log.info("serving release %s with its own base URI %s", path.name, base)
        store = ox.Store.read_only(str(path / releases.OXIGRAPH))
        uris = Uris(base)
        log.info("opened release %s read-only (pid %s)", path.name, os.getpid())
        return Release(path=path, store=store, manifest=manifest, uris=uris,
                       prefixes=platform_prefixes(uris), profile=profiles.of_release(path))


def release() -> Release:
    """The release serving the current request: the one served when the request first asked,
    kept for the whole request, so that a publish or rollback while it runs never mixes two
    releases in one answer (the old release stays open until the request ends)."""
    rel: Release | None = g.get(EXTENSION)
    if rel is None:
        holder: ReleaseHolder = current_app.extensions[EXTENSION]
        rel = holder.get()
        setattr(g, EXTENSION, rel)
    return rel


def settings() -> Settings:
    holder: ReleaseHolder = current_app.extensions[EXTENSION]
    return holder.settings


@cache
def load_query(name: str) -> str:
    """The text of ``endpoint/queries/{name}.rq``."""
    return resources.files(__name__).joinpath("queries", f"{name}.rq").read_text("utf-8")


def solutions(store: ox.Store, query: str, prefixes: Mapping[str, str] | None = None,
              **options: Any) -> ox.QuerySolutions:
    """The rows of a SELECT over the union of all graphs (a typed answer: pyoxigraph's query()
    returns solutions, a boolean or triples)."""
    result = store.query(query, prefixes=dict(prefixes or {}), use_default_graph_as_union=True,
                         **options)
    assert isinstance(result, ox.QuerySolutions), "a SELECT query was expected"
    return result


def with_constants(text: str, bindings: Mapping[str, Any]) -> str:
    """A query's text with ``?name``/``$name`` written as the given terms (IRIs).

    Oxigraph plans a query with its constants in place, while pyoxigraph's ``substitutions``
    are joined in at the end for some patterns: a district's map query (a path with two
    alternatives from the district) read every school of every district, 1.2 s at 20,000 schools
    instead of 30 ms. A variable written so must not be projected."""
    for name, term in bindings.items():
        text = re.sub(rf"[?$]{name}\b", str(term).replace("\\", "\\\\"), text)
    return text


@cache
def has_query(name: str) -> bool:
    """True when ``endpoint/queries/{name}.rq`` exists."""
    return resources.files(__name__).joinpath("queries", f"{name}.rq").is_file()


CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers":
        "Link, Content-Location, Location, Vary, ETag, EMIS-Result-Truncated, EMIS-Release",
}


def _cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Accept, Accept-Language, Content-Type")
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _release_header(response: Response) -> Response:
    """Every answer drawn from a release names it (``EMIS-Release``), errors included."""
    rel: Release | None = g.get(EXTENSION)
    if rel is not None:
        response.headers.setdefault("EMIS-Release", rel.id)
    return response


def create_app(store_dir: Path, settings: Settings) -> Flask:
    """The WSGI application serving the current release of ``store_dir``."""
    from . import browse, catalog, documents, dumps, errors, examples, health, openapi, sparql, summary, void
    from .executor import QueryExecutor
    from .ldes import bp as ldes_bp
    from .prerendered import PrerenderedDocuments
    from .reconcile import bp as reconcile_bp

    app = Flask(__name__, static_folder="static", template_folder="templates")
    holder = app.extensions[EXTENSION] = ReleaseHolder(Path(store_dir), settings)
    # pre-rendered documents are answered before Flask, as static files are
    app.wsgi_app = PrerenderedDocuments(app.wsgi_app, holder, settings)  # type: ignore[method-assign]
    # SPARQL queries run in killable processes, started on first use (after gunicorn's fork)
    app.extensions[EXECUTOR] = QueryExecutor(settings.query_workers)
    # a query is at most max_query_length characters, i.e. at most 4 bytes each, percent-encoded
    app.config["MAX_CONTENT_LENGTH"] = settings.max_query_length * 12 + 64 * 1024
    app.jinja_env.globals["software_version"] = __version__
    app.url_map.strict_slashes = True
    app.register_blueprint(sparql.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(examples.bp)
    app.register_blueprint(void.bp)
    app.register_blueprint(dumps.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(summary.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(ldes_bp)
    app.register_blueprint(reconcile_bp)
    errors.register(app)
    app.after_request(_cors)
    app.after_request(_release_header)
    return app
