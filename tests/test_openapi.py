"""The OpenAPI 3.1 description covers every route of the application, and only those."""

from __future__ import annotations

import re

import pytest


def _openapi_path(rule: str) -> str:
    # /doc/<type_>/<path:key> -> /doc/{type}/{key} (the spec names the parameters plainly)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+?)_?>", r"{\1}", rule)


@pytest.fixture(scope="module")
def document(app):
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_every_route_is_described(app, document) -> None:
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(_openapi_path(rule.rule), set()).update(
            m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    assert set(routes) == set(paths), (set(routes) ^ set(paths))
    for path, methods in routes.items():
        assert methods <= set(paths[path]), f"{path}: {methods - set(paths[path])} undescribed"


def test_sparql_is_described_with_its_parameters_and_media_types(document, site) -> None:
    _, base = site
    assert document["servers"] == [{"url": base.rstrip("/")}]
    sparql = document["paths"]["/sparql"]
    names = {p["name"] for p in sparql["get"]["parameters"]}
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= names
    body = sparql["post"]["requestBody"]["content"]
    assert {"application/x-www-form-urlencoded", "application/sparql-query"} <= set(body)
    answers = sparql["get"]["responses"]["200"]["content"]
    assert {"application/sparql-results+json", "text/csv", "text/turtle"} <= set(answers)
    for path, item in document["paths"].items():
        for template in re.findall(r"{(\w+)}", path):
            for op in item.values():
                assert template in {p["name"] for p in op.get("parameters", [])
                                    if p["in"] == "path"}, (path, template)
