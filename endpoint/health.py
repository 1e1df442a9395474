"""``/healthz``: whether this worker can answer from its release, for a load balancer.

200 with ``{"release": ID, "triples": N, "ok": true}`` when the worker has the served release
open (it opens it on the first call, as on any first request); 503 with ``{"ok": false,
"error": ...}`` when there is no release to serve or it cannot be opened. Cheap: no query of the
data, the triple count comes from the release's manifest; never cached.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from emis_lod.loaders import releases

from .release import release

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    try:
        rel = release()
        if not (rel.path / releases.OXIGRAPH).is_dir():
            raise OSError(f"the release's store {rel.path / releases.OXIGRAPH} is gone")
    except (releases.NoRelease, OSError, RuntimeError, ValueError) as err:
        response = jsonify({"ok": False, "error": str(err)})
        response.status_code = 503
    else:
        response = jsonify({"release": rel.id, "triples": int(rel.manifest.get("triples", 0)),
                            "ok": True})
    response.headers["Cache-Control"] = "no-store"
    return response
