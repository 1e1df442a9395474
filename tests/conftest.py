"""Shared fixtures: a generated demo export and a built store, made once per test session;
a release of the small sample data with its Flask app and real server, made once per module
(a module may define its own ``site``/``server`` instead)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emis_lod.endpoint import create_app
from emis_lod.generator import generate
from emis_lod.loaders.build import BuildReport, build
from emis_lod.settings import load_settings

from serverutil import free_port, make_release, running_server, sample_data

SCHOOLS = 50
SEED = 7


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("source")
    generate(out, schools=SCHOOLS, seed=SEED)
    return out


@pytest.fixture(scope="session")
def generator_manifest(demo_source: Path) -> dict:
    return json.loads((demo_source / "generator-manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built(demo_source: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    store = tmp_path_factory.mktemp("store")
    return build(demo_source, store, load_settings(base_uri="http://data.test/"),
                 echo=lambda *_: None)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A published release of ``serverutil.sample_data`` whose base is a free loopback port."""
    base = f"http://127.0.0.1:{free_port()}/"
    store = tmp_path_factory.mktemp("sample-store")
    make_release(store, sample_data(base), base)
    return store, base


@pytest.fixture(scope="module")
def app(site):
    store, base = site
    return create_app(store, load_settings(base_uri=base))


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def server(site):
    """The real ``emis-lod serve`` on the release of ``site``; yields its base URL."""
    store, base = site
    with running_server(store, port=int(base.rsplit(":", 1)[1].strip("/"))) as url:
        assert url == base
        yield url
