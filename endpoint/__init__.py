"""The web layer: SPARQL 1.1 endpoint, dereferenceable URIs and the HTML pages of a release.

``create_app(store_dir, settings)`` builds the Flask (WSGI) application; ``server.serve`` runs it
under gunicorn. The application never opens the store at import or creation time: each worker
process opens the current release READ-ONLY on its first request (after gunicorn forked it) and
re-opens when ``STORE/current`` is switched (``emis-lod publish`` or ``rollback``), so a switch
needs no restart; a request started before a switch ends on the release it started on.

The release a request is served from, and the holder that opens it, are ``release.py``'s; the
application's own queries ``query.py``'s. Views parse the request, call one function, render;
the one error handler is in ``errors.py``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, g, request

from emis_lod import __version__
from emis_lod.settings import Settings

from .release import EXTENSION, Release, ReleaseHolder

EXECUTOR = "emis_lod.executor"   # the application's key for its QueryExecutor

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
    from . import (
        browse,
        catalog,
        documents,
        dumps,
        errors,
        examples,
        health,
        home,
        openapi,
        sparql,
        summary,
        void,
    )
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
    app.register_blueprint(home.bp)
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
