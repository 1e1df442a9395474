"""``/release/``: the HTML summary of the served release, and its reports as files.

- ``/release/`` (HTML, in ky, ru or en): release id, build time, software version; per table the
  source file, encoding, SHA-256, rows read / loaded / rejected (and whether that accounting
  closes), the periods it reports on, triples and named graph (a link to the query editor, ready
  to list the graph); then the rejected rows (file, row, column, value, reason) a page at a time
  (``?page=N``, ``?table=`` to see one table's). The figures come from the release's
  ``manifest.json`` and ``rejections.csv``, exactly as the build wrote them; the periods from its
  provenance graph.
- ``/release/rejections.csv``, ``/release/validation.ttl`` (the SHACL validation report) and
  ``/release/manifest.json``: those files of the release directory, served read-only.

The release as linked data (PROV, DCAT: ``{base}id/release/{id}``) is the provenance graph's.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from flask import Blueprint, Response, g, render_template, request, send_file
from werkzeug.exceptions import BadRequest, NotFound

from emis_lod.formats import HTML
from emis_lod.loaders import provenance, releases
from emis_lod.loaders.errors import Rejection

from .browse import type_labels
from .messages import described_error
from .query import solutions
from .release import Release, release
from .responses import CACHE_CONTROL, choose_language, languages

bp = Blueprint("summary", __name__)

PAGE_SIZE = 100
# the release's files a reader may download, and what they are served as
FILES = {releases.REJECTIONS: "text/csv; charset=utf-8",
         releases.VALIDATION: "text/turtle; charset=utf-8",
         releases.MANIFEST: "application/json"}


def rejections(rel: Release) -> pd.DataFrame:
    """The release's rejected rows as the build wrote them; read once per release and process."""
    def read() -> pd.DataFrame:
        path = rel.path / releases.REJECTIONS
        return pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() \
            else pd.DataFrame(columns=list(Rejection.FIELDS))
    return rel.memo("summary.rejections", read)


def periods(rel: Release) -> dict[str, str]:
    """Graph IRI -> the periods it reports on, from the release's provenance graph."""
    rows = solutions(
        rel.store, "SELECT ?g (GROUP_CONCAT(STR(?period); separator=\", \") AS ?periods) WHERE { "
        f"GRAPH <{rel.uris.graph(provenance.GRAPH)}> {{ ?g <{rel.uris.vocab}reportingPeriod> "
        "?period } } GROUP BY ?g")
    return {row["g"].value: ", ".join(sorted(row["periods"].value.split(", "))) for row in rows}


def tables(rel: Release) -> list[dict[str, Any]]:
    """The manifest's accounting per table, with whether it closes, the periods it reports on
    and a query for its graph."""
    out = []
    reported = periods(rel)
    for name, t in rel.manifest.get("tables", {}).items():
        query = f"SELECT ?s ?p ?o WHERE {{\n  GRAPH <{t['graph']}> {{ ?s ?p ?o }}\n}}\nLIMIT 100"
        out.append({**t, "table": name, "periods": reported.get(t["graph"], ""),
                    "closes": t["rows_read"] == t["rows_loaded"] + t["rows_rejected"],
                    "graph_query": f"{rel.uris.sparql}?{urlencode({'example': query})}"})
    return out


def _page_number(pages: int) -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise described_error(BadRequest, "not_whole_page", raw=raw)
    page = int(raw)
    if page > pages:
        raise described_error(NotFound, "rejected_pages_beyond", pages=pages, page=page)
    return page


@bp.route("/release/")
def summary() -> Response:
    rel = release()
    lang = choose_language()
    g.response_format = HTML
    rows = rejections(rel)
    table = request.args.get("table", "")
    if table:
        if table not in rel.manifest.get("tables", {}):
            raise described_error(NotFound, "no_such_table", release=rel.id, table=table,
                                  tables=", ".join(rel.manifest.get("tables", {})))
        rows = rows[rows["table"] == table]
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = _page_number(pages)

    def link(number: int) -> str:
        args = {k: v for k, v in (("table", table), ("lang", lang)) if v}
        return f"{rel.uris.release_summary}?{urlencode({**args, 'page': number})}"

    body = render_template(
        "release.html", rel=rel, lang=lang, languages=languages(rel), type_labels=type_labels(rel, lang),
        tables=tables(rel), table=table, total=len(rows), page=page, pages=pages,
        rejected=rows.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE].to_dict("records"),
        prev=link(page - 1) if page > 1 else None, next=link(page + 1) if page < pages else None,
        release_iri=rel.uris.release(rel.id),
        files={name: rel.uris.release_file(name) for name in FILES})
    response = Response(body, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.route("/release/<name>")
def download(name: str) -> Response:
    rel = release()
    path = rel.path / name
    if name not in FILES or not path.is_file():
        raise described_error(NotFound, "no_such_report", name=name,
                              files=", ".join(rel.uris.release_file(f) for f in FILES))
    response = send_file(path, mimetype=FILES[name], conditional=True, etag=True,
                         download_name=name)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
