"""Pre-rendered documents (endpoint/prerender.py, document_store.py) are the live documents:
the same bytes and headers for a sample of every pre-rendered type, in every format and
language; answered without rendering; conditional requests still work; an interrupted render
resumes; a file rendered under other page settings is not used."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder

from emis_lod.endpoint import create_app, document_store
from emis_lod.endpoint.prerender import PRERENDERED_TYPES, render_release, things
from emis_lod.formats import DOCUMENT_FORMATS, HTML
from emis_lod.loaders import releases
from emis_lod.loaders.build import BuildReport
from emis_lod.settings import load_settings

from serverutil import free_port, session_members

BASE = "http://data.test/"
SAMPLE = 3       # resources per type


@pytest.fixture(scope="module")
def store(built: BuildReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's 50-school build (this module adds files to its release)."""
    source = built.release_dir.parent.parent
    target = tmp_path_factory.mktemp("prerender") / "store"
    shutil.copytree(source, target, symlinks=True)
    return target


def requests_of(app) -> list[tuple[str, dict[str, str]]]:
    """A sample of every pre-rendered type in every format (negotiated and by suffix) and
    every language of the page."""
    rel = app.extensions["emis_lod"].get()
    out = []
    for type_ in PRERENDERED_TYPES:
        keys = things(rel, type_)
        assert keys, f"the demo build has no {type_}"
        for key in keys[:SAMPLE]:
            path = "/" + rel.uris.doc(type_, key)[len(rel.uris.base):]
            for fmt in DOCUMENT_FORMATS:
                if fmt is HTML:
                    for lang in ("ky", "ru", "en"):
                        out.append((path, {"Accept": "text/html", "Accept-Language": lang}))
                        out.append((f"{path}?lang={lang}", {}))
                else:
                    out.append((path, {"Accept": fmt.media_type}))
                    out.append((f"{path}.{fmt.suffix}", {}))
            for accept in CLIENT_ACCEPTS:
                out.append((path, {"Accept": accept}))
    return out


# what rdflib sends for format="nt" (N-Triples), "n3" (Turtle) and "json-ld"
CLIENT_ACCEPTS = ("text/plain, */*;q=0.1", "text/n3, */*;q=0.1",
                  "application/ld+json, application/json;q=0.9, */*;q=0.1")


def answers(app, asked) -> list[tuple[int, bytes, dict[str, str | None]]]:
    client = app.test_client()
    out = []
    for path, headers in asked:
        response = client.get(path, headers=headers)
        got = dict(response.headers)
        assert got.pop("Date")   # the time of the answer
        out.append((response.status_code, response.data, got))
    return out


def test_prerendered_documents_are_the_live_documents(store: Path) -> None:
    settings = load_settings(base_uri=BASE)
    live_app = create_app(store, settings)
    asked = requests_of(live_app)
    live = answers(live_app, asked)
    assert all(status == 200 for status, _, _ in live)
    release_dir = releases.current_release(store)
    assert document_store.of_release(release_dir, settings) is None

    rendered = render_release(store, settings)
    assert rendered == release_dir / releases.DOCUMENTS and rendered.exists()
    assert not rendered.with_name(rendered.name + ".partial").exists()

    app = create_app(store, settings)       # a fresh worker: nothing rendered in its memory
    for path, headers in asked:             # each answered before Flask (prerendered.py)
        environ = EnvironBuilder(path=path, headers=headers).get_environ()
        assert app.wsgi_app.answer(environ) is not None, (path, headers)
    served = answers(app, asked)
    cache = app.extensions.get("emis-lod.documents")
    assert cache is None or cache.misses == 0, "a pre-rendered document was rendered again"
    for (path, headers), one, other in zip(asked, live, served, strict=True):
        assert one == other, f"{path} {headers}: the pre-rendered answer differs from the live one"

    # conditional requests (answered by the application, from the stored document): the stored
    # ETag is the live one
    path, headers = asked[0]
    etag = served[0][2]["ETag"]
    again = app.test_client().get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    other = app.test_client().get(path + "?foo=1", headers=headers)   # not pre-rendered: live
    assert other.status_code == 200 and other.headers["ETag"] == etag
    assert render_release(store, settings) is None       # already there: nothing to do


def unrendered_copy(store: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the store whose release has no rendered documents, and that release."""
    copy = tmp_path / "store"
    shutil.copytree(store, copy, symlinks=True)
    release_dir = releases.current_release(copy)
    (release_dir / releases.DOCUMENTS).unlink(missing_ok=True)
    return copy, release_dir


def test_an_interrupted_render_resumes_and_other_page_settings_are_not_used(store: Path,
                                                                             tmp_path: Path) -> None:
    copy, release_dir = unrendered_copy(store, tmp_path)
    settings = load_settings(base_uri=BASE)
    calls = []

    def stop_after_five() -> bool:
        calls.append(1)
        return len(calls) <= 5

    assert render_release(copy, settings, keep_going=stop_after_five) is None
    partial = release_dir / (releases.DOCUMENTS + ".partial")
    assert partial.exists() and not (release_dir / releases.DOCUMENTS).exists()
    done = []
    assert render_release(copy, settings, progress=lambda *args: done.append(args)) is not None
    total = sum(len(things(create_app(copy, settings).extensions["emis_lod"].get(), t))
                for t in PRERENDERED_TYPES)
    assert len(done) == total - 5, "the five rendered before the stop are not rendered again"

    tiles = load_settings(base_uri=BASE, map_tiles="https://tiles.example/{z}/{x}/{y}.png")
    assert document_store.DocumentStore.open(release_dir, tiles) is None
    assert document_store.DocumentStore.open(release_dir, settings) is not None


def test_serve_renders_the_served_release_in_the_background_and_stops_it(store: Path,
                                                                         tmp_path: Path) -> None:
    copy, release_dir = unrendered_copy(store, tmp_path)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "emis_lod.cli", "serve", "--store", str(copy),
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not (release_dir / releases.DOCUMENTS).exists():
            assert server.poll() is None, "serve stopped"
            assert time.monotonic() < deadline, "the documents were not rendered in 180 s"
            time.sleep(0.5)
        school = things(create_app(copy, load_settings()).extensions["emis_lod"].get(), "school")[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/doc/school/{school}.ttl",
                                    timeout=30) as answer:
            assert answer.status == 200 and answer.read()
        assert len(session_members(server.pid)) >= 4   # arbiter, two workers, the renderer
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    time.sleep(0.5)
    left = session_members(server.pid)
    if left:
        os.killpg(server.pid, signal.SIGKILL)
    assert not left, "processes of serve outlived it"
