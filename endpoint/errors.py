"""The one error handler of the application: every error answers in the negotiated format.

A view that has already chosen a response format (``g.response_format``) gets its errors in a
matching form (HTML for HTML, JSON problem details for JSON and JSON-LD, an empty graph with the
message in comments for Turtle, N-Triples and RDF/XML, so that a 404 for ``.ttl`` is Turtle; plain
text for results formats); otherwise the ``Accept`` header chooses among plain text, JSON
(``application/problem+json``, RFC 9457; any ``+json`` type counts) and HTML. No ``Accept``
header gives plain text, which every client can show.
"""

from __future__ import annotations

import json
import logging

import pyoxigraph as ox
from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.http import HTTP_STATUS_CODES

from emis_lod import formats, messages
from emis_lod.formats import HTML, PROBLEM_JSON, TEXT, Format
from emis_lod.loaders.releases import NoRelease

from . import negotiation, results
from .messages import localised_description

log = logging.getLogger(__name__)


def message_format() -> Format:
    """The format an error message for the current request is written in."""
    wanted: Format | None = g.get("response_format")
    if wanted is not None:
        if wanted is HTML:
            return HTML
        if wanted.media_type.endswith("json"):
            return PROBLEM_JSON
        if wanted.kind == "rdf":
            return wanted
        return TEXT
    accept = request.headers.get("Accept")
    if not accept:
        return TEXT
    ranges = []
    for part in accept.split(","):
        mime, sep, params = part.partition(";")
        if mime.strip().lower().endswith("+json"):
            mime = "application/json"
        ranges.append(mime + sep + params)
    try:
        return negotiation.negotiate(",".join(ranges), formats.MESSAGE_FORMATS, default=TEXT)
    except negotiation.NotAcceptable:
        return TEXT


def page_language() -> tuple[str, tuple[str, ...]]:
    """The language of an HTML error page and the languages it links to (never failing: a
    page that says what went wrong is written even when the release cannot be opened)."""
    from .responses import DEFAULT_LANGUAGES, choose_language, languages

    try:
        return choose_language(), languages()
    except Exception:  # noqa: BLE001 (the error being answered may be this very one)
        return DEFAULT_LANGUAGES[0], DEFAULT_LANGUAGES


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   error: Exception | None = None) -> Response:
    """An error answer: status, a message saying what went wrong and how to fix it (on an
    HTML page in the page's language when the error was raised with a message key)."""
    title = HTTP_STATUS_CODES.get(status, "Error")
    fmt = message_format()
    if fmt is HTML:
        lang, offered = page_language()
        texts = messages.messages(lang)
        body = render_template(
            "error.html", status=status, lang=lang, languages=offered,
            title=texts.get(f"status_{status}") or (title if lang == "en" else texts.get("error", title)),
            message=(localised_description(error, lang) if error is not None else None) or message)
    elif fmt is PROBLEM_JSON:
        body = json.dumps({"type": "about:blank", "title": title, "status": status,
                           "detail": message}, ensure_ascii=False, indent=2) + "\n"
    elif fmt.kind == "rdf":
        body = error_graph(fmt, status, title, message)
    else:
        body = f"{status} {title}\n\n{message}\n"
    response = Response(body, status=status, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http(error: HTTPException) -> Response:
    headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type",)}
    status = error.code or 500
    message = error.description or HTTP_STATUS_CODES.get(status, "")
    return error_response(status, message, headers, error)


def _not_acceptable(error: negotiation.NotAcceptable) -> Response:
    return error_response(406, str(error))


def _too_slow(error: results.ResultLimitReached) -> Response:
    return error_response(
        503, f"{error}. Narrow the query (add LIMIT, more specific patterns) and try again.",
        {"Retry-After": "5"})


def _no_release(error: NoRelease) -> Response:
    return error_response(ServiceUnavailable.code, str(error), {"Retry-After": "60"})


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _http(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(InternalServerError.code,
                          "the server failed to answer this request; the error has been logged")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(negotiation.NotAcceptable, _not_acceptable)
    app.register_error_handler(results.ResultLimitReached, _too_slow)
    app.register_error_handler(NoRelease, _no_release)
    app.register_error_handler(Exception, _unexpected)


def error_graph(fmt: Format, status: int, title: str, message: str) -> str:
    """An error message as an empty graph in an RDF syntax other than JSON-LD (which gets JSON
    problem details): the message in comments, so that a client that asked for Turtle gets
    Turtle it can parse, whatever the status."""
    if fmt.rdf_format is None or fmt.kind != "rdf":
        raise ValueError(f"{fmt.label} is not an RDF graph format")
    lines = [f"{status} {title}", "", *message.splitlines()]
    if fmt.rdf_format == ox.RdfFormat.RDF_XML:
        text = "\n".join(lines).replace("--", "- -")  # "--" may not occur in an XML comment
        return ('<?xml version="1.0" encoding="utf-8"?>\n'
                f"<!--\n{text}\n-->\n"
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n')
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)
