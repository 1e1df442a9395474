"""Shared fixtures: a generated demo export and a built store, made once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emis_lod.loaders.build import BuildReport, build

from emis_lod.generator import generate
from emis_lod.settings import load_settings

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
