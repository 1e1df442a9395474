"""Shared fixtures: a generated demo export and a built store, made once per test session (of
the default profile, kg: ``demo_source``, ``built``; of every bundled profile: ``profile_source``,
``profile_built``, for the tests of behaviour that must hold in every country); a release of the
small sample data with its Flask app and real server, made once per module (a module may define
its own ``site``/``server`` instead)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emis_lod.endpoint import create_app
from emis_lod.generator import generate
from emis_lod.loaders.build import BuildReport, build
from emis_lod.profiles import Profile, load_profile
from emis_lod.settings import load_settings

from serverutil import free_port, make_release, running_server, sample_data

SCHOOLS = 50
SEED = 7
PROFILES = ("kg", "kz")   # the bundled profiles: behaviour tests run on each


@pytest.fixture(scope="session")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("source")
    generate(out, schools=SCHOOLS, seed=SEED)
    return out


@pytest.fixture(scope="session")
def demo_source(demo_export: Path) -> Path:
    """The default profile's demo export (a module may rebind ``demo_source`` to
    ``profile_source``, with ``built``)."""
    return demo_export


@pytest.fixture(scope="session")
def generator_manifest(demo_export: Path) -> dict:
    return json.loads((demo_export / "generator-manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_built(demo_export: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    store = tmp_path_factory.mktemp("store")
    return build(demo_export, store, load_settings(base_uri="http://data.test/"),
                 echo=lambda *_: None)


@pytest.fixture(scope="session")
def built(demo_built: BuildReport) -> BuildReport:
    """The build of the default profile's demo export (a module may rebind ``built`` to
    ``profile_built`` to run its tests on every profile)."""
    return demo_built


@pytest.fixture(scope="session", params=PROFILES)
def profile(request: pytest.FixtureRequest) -> Profile:
    """Each bundled profile in turn (a test that uses it runs once per profile)."""
    return load_profile(request.param)


@pytest.fixture(scope="session")
def profile_source(profile: Profile, tmp_path_factory: pytest.TempPathFactory,
                   request: pytest.FixtureRequest) -> Path:
    """The demo export of the profile's own generator (the kg one is ``demo_source``)."""
    if profile.name == "kg":
        return request.getfixturevalue("demo_export")
    out = tmp_path_factory.mktemp(f"source-{profile.name}")
    profile.generate(out, SCHOOLS, SEED)
    return out


@pytest.fixture(scope="session")
def profile_manifest(profile_source: Path) -> dict:
    """The generator's manifest of ``profile_source``: its files, rows and invalid rows."""
    return json.loads((profile_source / "generator-manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def profile_built(profile: Profile, tmp_path_factory: pytest.TempPathFactory,
                  request: pytest.FixtureRequest) -> BuildReport:
    """A built store of the profile's demo export (the kg one is ``built`` itself)."""
    if profile.name == "kg":
        return request.getfixturevalue("demo_built")
    store = tmp_path_factory.mktemp(f"store-{profile.name}")
    return build(request.getfixturevalue("profile_source"), store,
                 load_settings(base_uri="http://data.test/"), echo=lambda *_: None, profile=profile)


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
