"""The documented example queries (``docs/queries/*.rq``) as the query UI's menu.

``GET /sparql/examples.json`` lists them, in file order, as ``[{"id", "title", "query", ...}]``:
``id`` is the file name without ``.rq``, ``title`` (and ``ru``, ``ky``, ``why`` when present) come
from the file's ``# key: value`` header, ``query`` is the whole file text, comments included.
The files are installed as the package ``emis_lod.examples`` (``pyproject.toml`` maps it to
``docs/queries``), so the docs stay the single source of the examples the UI offers.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from flask import Blueprint, Response, request

bp = Blueprint("examples", __name__)

PACKAGE = "emis_lod.examples"
_HEADER = re.compile(r"#\s*(title|ru|ky|why):\s*(.*)")


@cache
def example_queries() -> tuple[dict[str, Any], ...]:
    """Every ``.rq`` file of the package, sorted by name, with its header fields."""
    try:
        folder = resources.files(PACKAGE)
    except ModuleNotFoundError:  # an install without the docs: no examples, not an error
        return ()
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text("utf-8")
        item: dict[str, Any] = {"id": entry.name[:-3], "title": entry.name[:-3]}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            m = _HEADER.match(line)
            if m:
                item[m.group(1)] = m.group(2).strip()
        item["query"] = text
        out.append(item)
    return tuple(out)


@bp.route("/sparql/examples.json")
def examples() -> Response:
    body = json.dumps(list(example_queries()), ensure_ascii=False, indent=1) + "\n"
    response = Response(body, content_type="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.add_etag()
    response.make_conditional(request)
    return response
