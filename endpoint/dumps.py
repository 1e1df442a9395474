"""Bulk downloads of the served release: ``/dumps/`` lists them, ``/dumps/{file}`` serves one.

The list answers HTML or JSON (``Accept``, ``?format=json``, or ``/dumps/index.json``). The files
are the release's ``dumps/`` directory as the build wrote it (see ``loaders/dumps.py``); their
sizes and SHA-256 sums come from the release manifest.

The gzipped dumps are served as what they are on disk, ``application/gzip`` downloads, with no
``Content-Encoding``: with ``Content-Encoding: gzip`` browsers and most HTTP clients would
decompress on the fly and save an uncompressed file under a ``.gz`` name whose checksum no
longer matches ``SHA256SUMS``. The media type of the content (N-Quads, TriG) is stated in the
DCAT catalogue (``dcat:packageFormat`` / ``dcat:mediaType``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, send_file
from werkzeug.exceptions import NotFound

from emis_lod.formats import HTML, PROBLEM_JSON
from emis_lod.loaders import dumps as dump_files

from .messages import described_error
from .negotiation import choose
from .release import Release, release
from .responses import CACHE_CONTROL, choose_language, languages

bp = Blueprint("dumps", __name__)


def listing(rel: Release) -> list[dict[str, Any]]:
    """The release's dumps (file, bytes, sha256, media_type, url), from its manifest."""
    return [{**d, "url": rel.uris.dump(d["file"])} for d in rel.manifest.get("dumps", [])]


@bp.route("/dumps/")
def index(suffix: str | None = None) -> Response:
    rel = release()
    files = listing(rel)
    fmt = HTML if suffix == "html" else PROBLEM_JSON if suffix == "json" else choose(
        request.args.get("format"), request.headers.get("Accept"), (HTML, PROBLEM_JSON))
    if fmt is HTML:
        response = Response(render_template("dumps.html", rel=rel, files=files,
                                            lang=choose_language(), languages=languages(rel),
                                            sums=rel.uris.dump(dump_files.SUMS_FILE)),
                            content_type=HTML.content_type)
    else:
        response = jsonify({"release": rel.id, "catalog": rel.uris.catalog, "dumps": files})
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.route("/dumps/<path:name>")
def download(name: str) -> Response:
    if name in ("index.json", "index.html"):
        return index(name.rsplit(".", 1)[1])
    rel = release()
    known = {d["file"] for d in rel.manifest.get("dumps", [])} | {dump_files.SUMS_FILE}
    path = rel.path / dump_files.DUMPS / name
    if name not in known or not path.is_file():
        raise described_error(NotFound, "no_such_dump", name=name, url=rel.uris.dumps)
    response = send_file(path, mimetype=dump_files.media_type(name), conditional=True,
                         as_attachment=name.endswith(".gz"), download_name=name, etag=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
