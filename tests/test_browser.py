"""The query UI in a real browser: headless Chromium (Debian's package) drives ``emis-lod serve``.

It opens ``/sparql``, picks a documented example query from the menu (``docs/queries``), runs it
with YASGUI's run button and reads the result table. Everything the page needs comes from the
server itself (YASGUI is vendored in ``endpoint/static/vendor``): a request to any other host is
aborted and fails the test.

Chromium: ``$CHROMIUM``, else ``chromium`` / ``chromium-browser`` / ``google-chrome`` on the PATH
(``make test`` installs Debian's ``chromium`` when it runs as root). Playwright for Python drives
it through ``executable_path``; Playwright's own browser download is never used. Without a
Chromium the test is SKIPPED, saying so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from emis_lod.loaders.build import build
from emis_lod.settings import load_settings

from serverutil import free_port, running_server

pytestmark = pytest.mark.e2e

TABLES = ("regions.csv", "districts.csv", "schools.csv", "finance.csv")
EXAMPLE = "07-extra-budgetary-share-by-region"  # reads only the tables above
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions"]


def find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM", "")]
    candidates += [shutil.which(n) or "" for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found (set $CHROMIUM, or install Debian's package: "
                    "apt-get install chromium; `make test` does so when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is not installed "
                                          "(pip install -e '.[test]')")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def ui_server(demo_source: Path, tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    source = tmp_path_factory.mktemp("browser-source")
    for name in TABLES:
        shutil.copy(demo_source / name, source / name)
    store = tmp_path_factory.mktemp("browser-store")
    build(source, store, load_settings(base_uri=f"http://127.0.0.1:{port}/"),
          echo=lambda *_: None)
    with running_server(store, port=port, workers=2) as base:
        yield base


def test_example_query_in_the_query_ui(browser, ui_server: str) -> None:
    own = urlsplit(ui_server).netloc
    foreign: list[str] = []
    page_errors: list[str] = []
    queries: list[str] = []  # the bodies YASGUI POSTed to our /sparql
    context = browser.new_context()
    page = context.new_page()

    def only_our_server(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            if urlsplit(route.request.url).path == "/sparql" and route.request.method == "POST":
                queries.append(route.request.post_data or "")
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    try:
        response = page.goto(ui_server + "sparql", wait_until="load")
        assert response is not None and response.status == 200
        # YASGUI replaced the plain form, with syntax highlighting (CodeMirror tokens)
        page.wait_for_selector("#yasgui .yasqe .CodeMirror", timeout=15000)
        assert page.locator("#plain-form").is_hidden()
        page.wait_for_selector("#example-select[data-loaded='13']", state="attached",
                               timeout=15000)
        page.select_option("#example-select", EXAMPLE)
        editor = page.locator("#yasgui .yasqe .CodeMirror-code")
        assert "extraBudgetary" in editor.inner_text()
        assert page.locator("#yasgui .yasqe .CodeMirror-code .cm-keyword").count() > 0

        page.click("#yasgui .yasqe_queryButton")
        rows = page.locator("#yasgui .yasr table.dataTable tbody tr")
        rows.first.wait_for(timeout=20000)
        assert rows.count() >= 2, "the result table has rows"
        headers = [h.strip() for h in
                   page.locator("#yasgui .yasr table.dataTable thead th").all_inner_texts()]
        assert "region" in headers and "share" in " ".join(headers), headers
        first = rows.first.inner_text()
        assert "KG-" in first, first  # a region IRI (or its ISO code) in the first row
    finally:
        context.close()
    assert any("extraBudgetary" in q for q in queries), "the query went to our /sparql by POST"
    assert not foreign, f"the page asked other hosts: {foreign}"
    assert not page_errors, f"JavaScript errors: {page_errors}"
