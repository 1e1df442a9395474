"""``/healthz`` tells a load balancer whether a worker can answer from its release: 200 with the
release and its triple count, 503 when there is no release to serve; never cached."""

from __future__ import annotations

import shutil
from pathlib import Path

from emis_lod.endpoint import create_app
from emis_lod.loaders import releases
from emis_lod.loaders.build import BuildReport
from emis_lod.settings import load_settings


def test_a_worker_with_its_release_is_healthy(built: BuildReport) -> None:
    store = built.release_dir.parent.parent
    answer = create_app(store, load_settings(base_uri=built.base_uri)).test_client().get("/healthz")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    manifest = releases.read_manifest(built.release_dir)
    assert answer.json == {"release": manifest["release"], "triples": built.triples, "ok": True}
    assert answer.headers["EMIS-Release"] == manifest["release"]


def test_no_release_or_a_vanished_store_is_unhealthy(built: BuildReport, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    answer = create_app(empty, load_settings()).test_client().get("/healthz")
    assert answer.status_code == 503 and answer.json["ok"] is False
    assert "no release" in answer.json["error"]

    store = tmp_path / "store"
    shutil.copytree(built.release_dir.parent.parent, store, symlinks=True)
    client = create_app(store, load_settings(base_uri=built.base_uri)).test_client()
    assert client.get("/healthz").status_code == 200
    shutil.rmtree(releases.current_release(store) / releases.OXIGRAPH)
    gone = client.get("/healthz")
    assert gone.status_code == 503 and "gone" in gone.json["error"]
