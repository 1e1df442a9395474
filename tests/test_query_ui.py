"""The query UI's parts, without a browser: YASGUI is served by the app itself, the example menu
is the documented queries of ``docs/queries``, and the plain form stays for pages without script."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "endpoint" / "static" / "vendor" / "yasgui"


def test_yasgui_is_vendored_with_its_licences() -> None:
    for name in ("yasgui.min.js", "yasgui.min.css", "LICENSES.txt", "VERSION"):
        assert (VENDOR / name).is_file(), f"run `make vendor`: {name} is missing"
    assert "@zazuko/yasgui@" in (VENDOR / "VERSION").read_text()
    assert "sourceMappingURL" not in (VENDOR / "yasgui.min.js").read_text(encoding="utf-8")[-300:]


def test_page_loads_everything_from_this_site(client) -> None:
    page = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/yasgui/yasgui.min.js" in sources
    assert "/static/vendor/yasgui/yasgui.min.css" in sources
    assert "/static/query-ui.js" in sources
    assert all(s.startswith("/") or s.startswith("http://127.0.0.1") for s in sources), sources
    for path in ("/static/vendor/yasgui/yasgui.min.js", "/static/query-ui.js",
                 "/static/query-ui.css"):
        assert client.get(path).status_code == 200, path


def test_examples_are_the_documented_queries(client) -> None:
    response = client.get("/sparql/examples.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    examples = response.get_json()
    files = sorted((ROOT / "docs" / "queries").glob("*.rq"))
    assert [e["id"] for e in examples] == [f.stem for f in files]
    for e, f in zip(examples, files, strict=True):
        assert e["query"] == f.read_text(encoding="utf-8")
        assert e["title"] and not e["title"].startswith("#")


def test_vendored_version_is_the_locked_one() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    locked = lock["packages"]["node_modules/@zazuko/yasgui"]["version"]
    assert (VENDOR / "VERSION").read_text().strip() == f"@zazuko/yasgui@{locked}", \
        "package-lock.json and endpoint/static/vendor differ: run `make vendor`"
