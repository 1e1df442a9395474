"""The query UI and the HTML pages in a real browser: headless Chromium (Debian's package) drives
``emis-lod serve`` on the session's build (the ``server`` fixture).

It opens ``/sparql``, picks a documented example query from the menu (``docs/queries``), runs it
with YASGUI's run button and reads the result table. Everything the page needs comes from the
server itself (YASGUI is vendored in ``endpoint/static/vendor``): a request to any other host is
aborted and fails the test. A school's page is read in Kyrgyz, Russian and English through the
language switcher, its Leaflet map (vendored too) shows the school's marker, and its link to the
district leads to the district's page.

Chromium: ``$CHROMIUM``, else ``chromium`` / ``chromium-browser`` / ``google-chrome`` on the PATH
(``make test`` installs Debian's ``chromium`` when it runs as root). Playwright for Python drives
it through ``executable_path``; Playwright's own browser download is never used. Without a
Chromium the test is SKIPPED, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest

pytestmark = pytest.mark.e2e

EXAMPLE = "07-extra-budgetary-share-by-region"
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


def confine(page, base: str, on_request=None) -> tuple[list[str], list[str]]:
    """Let the page reach our server only: requests to other hosts are refused and listed, and
    JavaScript errors are listed too; ``on_request`` sees every request to our server."""
    own = urlsplit(base).netloc
    foreign: list[str] = []
    errors: list[str] = []

    def only_our_server(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            if on_request is not None:
                on_request(route.request)
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.on("pageerror", lambda err: errors.append(str(err)))
    return foreign, errors


def test_example_query_in_the_query_ui(browser, server: str) -> None:
    queries: list[str] = []  # the bodies YASGUI POSTed to our /sparql
    context = browser.new_context()
    page = context.new_page()

    def keep_query(request) -> None:
        if urlsplit(request.url).path == "/sparql" and request.method == "POST":
            queries.append(request.post_data or "")

    foreign, page_errors = confine(page, server, keep_query)
    try:
        response = page.goto(server + "sparql", wait_until="load")
        assert response is not None and response.status == 200
        # YASGUI replaced the plain form, with syntax highlighting (CodeMirror tokens)
        page.wait_for_selector("#yasgui .yasqe .CodeMirror", timeout=15000)
        assert page.locator("#plain-form").is_hidden()
        documented = len(list((Path(__file__).resolve().parent.parent / "docs" / "queries")
                              .glob("*.rq")))
        page.wait_for_selector(f"#example-select[data-loaded='{documented}']", state="attached",
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


def _sparql(base: str, query: str) -> list[dict]:
    request = Request(base + "sparql?" + urlencode({"query": query}),
                      headers={"Accept": "application/sparql-results+json"})
    with urlopen(request, timeout=30) as response:
        return json.load(response)["results"]["bindings"]


def test_school_page_language_map_and_district(browser, server: str) -> None:
    """A school's page in ky, ru and en, its map with the school's marker, then its district."""
    emis = server + "def/emis#"
    geo = "http://www.w3.org/2003/01/geo/wgs84_pos#"
    name = "https://schema.org/name"
    [row] = _sparql(server, f"""
        SELECT ?school ?lat ?long ?district ?ky ?ru ?en WHERE {{
          ?school a <{emis}School> ; <{emis}district> ?district ; <{geo}lat> ?lat ;
                  <{geo}long> ?long .
          ?district <{name}> ?ky, ?ru, ?en .
          FILTER(lang(?ky) = "ky" && lang(?ru) = "ru" && lang(?en) = "en")
        }} ORDER BY ?school LIMIT 1""")
    school, district = row["school"]["value"], row["district"]["value"]
    lat, long = float(row["lat"]["value"]), float(row["long"]["value"])
    district_names = {lang: row[lang]["value"] for lang in ("ky", "ru", "en")}
    context = browser.new_context(locale="ky")
    page = context.new_page()
    foreign, page_errors = confine(page, server)
    district_link = page.locator(f'table.props a[href="{district}"]').first
    try:
        response = page.goto(school + "?lang=ky", wait_until="load")  # /id/ -> 303 -> /doc/
        assert response is not None and response.status == 200
        assert "/doc/school/" in page.url
        seen = {}
        for lang in ("ky", "ru", "en"):
            if lang != "ky":
                page.click(f'header .langs a[hreflang="{lang}"]')
                page.wait_for_url(f"**/doc/school/*?lang={lang}")
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator(f'header .langs a[hreflang="{lang}"]').get_attribute(
                "aria-current") == "true"
            seen[lang] = (district_link.inner_text().strip(),
                          page.locator("section.map h2").inner_text().strip())
        assert {lang: s[0] for lang, s in seen.items()} == district_names
        assert len({s[1] for s in seen.values()}) == 3, seen  # the map's heading, per language

        # the Leaflet map, drawn by the vendored library, with one marker at the school
        page.wait_for_selector("#map.leaflet-container[data-ready='1']", timeout=15000)
        marker = page.locator("#map .leaflet-marker-icon")
        assert marker.count() == 1
        assert float(marker.get_attribute("data-lat")) == pytest.approx(lat)
        assert float(marker.get_attribute("data-long")) == pytest.approx(long)
        assert page.locator("#map .leaflet-tile").count() == 0  # no tile layer by default
        assert float(page.locator("p.coords .lat").inner_text()) == pytest.approx(lat)
        assert float(page.locator("p.coords .long").inner_text()) == pytest.approx(long)

        # the indicators beside the district's and the region's, with bars that are drawn
        indicators = page.locator("section#indicators")
        assert indicators.is_visible()
        assert indicators.locator("tbody tr").count() >= 1
        bar = indicators.locator("span.bar").first.bounding_box()
        assert bar is not None and bar["width"] > 0 and bar["height"] > 0
        indicator = indicators.locator("tbody tr th a").first.get_attribute("href")

        # follow the link to the district: /id/district/... -> 303 -> its page
        district_link.click()
        page.wait_for_url("**/doc/district/*")
        assert page.url.split("?")[0].rsplit("/", 1)[1] == district.rsplit("/", 1)[1]
        assert page.locator("h1").inner_text().strip() in district_names.values()
        page.wait_for_selector("#map.leaflet-container[data-ready]", timeout=15000)
        assert page.locator("#map .leaflet-marker-icon").count() >= 1
        assert page.locator(f'details.coords a[href="{school}"]').count() == 1

        # an indicator's page charts the regions
        page.goto(f"{indicator}?lang=ru", wait_until="load")
        chart = page.locator("section#indicators table.indicator-chart").first
        rows = chart.locator("tbody tr").count()
        assert rows >= 1
        widths = [chart.locator("span.bar").nth(i).bounding_box()["width"] for i in range(rows)]
        assert widths[0] > 0 and widths == sorted(widths, reverse=True)
    finally:
        context.close()
    assert not foreign, f"the pages asked other hosts: {foreign}"
    assert not page_errors, f"JavaScript errors: {page_errors}"
