"""``/``: the home page of a release: its schools, regions, code lists and indicators by
name, the types it lists, an example document in each format and the release's figures."""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template

from emis_lod.formats import DOCUMENT_FORMATS, HTML

from . import browse
from .describe import select
from .messages import message
from .page import named_rows, web_href
from .release import release
from .responses import choose_language, languages

bp = Blueprint("home", __name__)


@bp.route("/")
def home() -> Response:
    rel = release()
    lang = choose_language()
    g.response_format = HTML

    def named(query: str, key: str, label: str) -> list[tuple[str, str]]:
        rows = select(rel.store, query, rel.prefixes, {})
        return sorted(((iri, name) for iri, name, _ in named_rows(rows, key, label, lang)
                       if web_href(iri)), key=lambda pair: (pair[1], pair[0]))

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
