"""How a document is answered: its format (a suffix, then ``?format=``, then ``Accept``) and
a page's language (``?lang=``, then ``Accept-Language``, among the release's languages) chosen
from the request, and the headers of the answer: ``Vary``, ``Link`` (the alternates, the
canonical URL, what it describes), ``Content-Location`` when negotiated, ETag and
``Cache-Control``; and the 303 See Other from a thing to its document (Cool URIs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from flask import Response, g, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import NotFound

from emis_lod import formats, profiles
from emis_lod.formats import DOCUMENT_FORMATS, HTML, Format
from emis_lod.loaders.releases import ReleaseError

from . import negotiation
from .release import Release, release

DEFAULT_LANGUAGES = profiles.default().languages  # of a release that does not name its own
CACHE_CONTROL = "public, max-age=300"


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


def error_format_guess() -> None:
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


def see_other(location: str) -> Response:
    """303 See Other to the document about a thing (Cool URIs), keeping the query string."""
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = Response(status=303, headers={"Location": location, "Vary": "Accept"})
    response.headers["Link"] = f'<{location}>; rel="describedby"'
    return response
