"""Pre-rendered documents answered before Flask: the static-file path of ``/doc/``.

A request for a document the release has pre-rendered (``document_store.py``) needs no routing,
no request object and no template. This WSGI middleware reads the path, negotiates the format
and the language as ``documents.serve_document`` does (the same functions), and answers the
stored bytes with the headers the Flask view gives them: ``tests/test_prerender.py`` compares
the two answers header by header. Anything else goes to the application unchanged: another
path, a query parameter other than ``lang``, a conditional, ranged or HEAD request, a format
that cannot be negotiated, a document the release has not pre-rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import http_date, parse_accept_header, quote_etag

from emis_lod.formats import DOCUMENT_FORMATS, HTML, split_suffix
from emis_lod.loaders.releases import NoRelease
from emis_lod.settings import Settings

from . import CORS_HEADERS, document_store
from .negotiation import NotAcceptable, negotiate
from .prerender import PRERENDERED_TYPES
from .release import ReleaseHolder
from .responses import CACHE_CONTROL, language_for, languages, link_header, vary_for

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# a request with any of these is answered by the application (it knows 304s, 412s and ranges)
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE",
               "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")


class PrerenderedDocuments:
    def __init__(self, app: WSGIApp, holder: ReleaseHolder, settings: Settings) -> None:
        self.app, self.holder, self.settings = app, holder, settings

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        answer = self.answer(environ)
        if answer is None:
            return self.app(environ, start_response)
        headers, body = answer
        start_response("200 OK", headers)
        return [body]

    def answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        if environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in CONDITIONAL):
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/doc/"):
            return None
        type_, _, name = path[len("/doc/"):].partition("/")
        if type_ not in PRERENDERED_TYPES or not name:
            return None
        args = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if any(key != "lang" for key, _ in args):
            return None
        try:
            rel = self.holder.get()
        except (NoRelease, OSError):
            return None
        documents = document_store.of_release(rel.path, self.settings)
        if documents is None:
            return None
        name = name.encode("latin-1").decode("utf-8", "replace")   # WSGI's PATH_INFO
        stem, suffix_format = split_suffix(name, DOCUMENT_FORMATS)
        key = stem if suffix_format is not None else name
        iri = rel.uris.id(type_, key)
        try:
            fmt = suffix_format or negotiate(environ.get("HTTP_ACCEPT"), DOCUMENT_FORMATS,
                                             default=HTML)
        except NotAcceptable:
            return None
        lang = language_for(dict(args).get("lang", ""), parse_accept_header(
            environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept), languages(rel)) if fmt is HTML else ""
        document = documents.get(iri, fmt.media_type, lang)
        if document is None:
            return None
        doc_url = rel.uris.doc(type_, key)
        headers = [("Content-Type", fmt.content_type), ("Content-Length", str(len(document.body))),
                   ("Vary", vary_for(fmt)),
                   ("Link", link_header(doc_url, iri)), ("Cache-Control", CACHE_CONTROL)]
        if suffix_format is None:
            headers.append(("Content-Location", f"{doc_url}.{fmt.suffix}"))
        headers.append(("ETag", quote_etag(document.etag)))
        headers.append(("Date", http_date()))   # as make_conditional adds it
        headers += list(CORS_HEADERS.items())
        headers.append(("EMIS-Release", rel.id))
        return headers, document.body
