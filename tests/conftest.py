"""Shared fixtures, made once per test session unless said otherwise.

Builds of generated data (the real pipeline, ``emis_lod.loaders.build.build``, from the seeded
generator's output: 50 schools, seed 7):

- ``demo_export`` / ``demo_source``: the default profile's (kg) demo export; ``generator_manifest``
  its manifest. ``demo_built`` / ``built``: its build with the base ``http://data.test/``.
- ``profile`` (each bundled profile in turn), ``profile_source``, ``profile_manifest``,
  ``profile_built``: the same for every bundled profile, for behaviour that must hold in every
  country (a module may rebind ``demo_source``/``built`` to them).

The release the endpoint tests serve:

- ``site_built``: a build of ``demo_export`` whose base is ``http://127.0.0.1:{port}/`` with one
  free loopback port per session, so that a real server on that port dereferences its own IRIs.
- ``site``: ``(store directory, base URI)`` of ``site_built`` (a module may define its own
  ``site`` returning the same pair, and ``app``/``client``/``server`` then serve that one).
- ``app`` (per module): the Flask app on ``site``; ``client`` (per test): its test client.
- ``server`` (per module; one at a time, on the site's port): the real ``emis-lod serve`` on
  ``site``; yields its base URL, which is the base URI. Its background pre-rendering is off, so
  that no module's server writes documents into the release the next modules serve.
- ``sample``: a :class:`Sample` of ``site_built``: ``school``, the code of a school that has
  enrolment, coordinates, names in two languages, finance, textbook provision, staff (with
  training) and buildings with safety assessments; ``schools``, every school code; ``staff_posts``,
  that school's post ids; ``district`` and ``region``, its unit codes; ``select(query)``, rows of a
  SPARQL SELECT over the built store (the endpoint's prefixes predeclared, the default graph the
  union) as dicts of plain strings, for reading any other value a test needs from the build;
  ``store``, that store itself (read-only, for a CONSTRUCT).

The session's build read directly (per module; a module may define its own):

- ``store``: the read-only Oxigraph store of ``built``.
- ``src``: the export's tables as ``test_example_queries.Source`` cleans them with pandas,
  independently of the build, without the rows ``built`` rejected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
import pytest

from emis_lod.endpoint import create_app
from emis_lod.endpoint.query import solutions
from emis_lod.generator import generate
from emis_lod.loaders import releases
from emis_lod.loaders.build import BuildReport, build
from emis_lod.namespaces import prefixes
from emis_lod.profiles import Profile, load_profile
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

from serverutil import free_port, running_server

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


@pytest.fixture(scope="session")
def site_built(demo_export: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """A build of ``demo_export`` whose base is a loopback port free when the session began."""
    store = tmp_path_factory.mktemp("site-store")
    return build(demo_export, store, load_settings(base_uri=f"http://127.0.0.1:{free_port()}/"),
                 echo=lambda *_: None)


@pytest.fixture(scope="session")
def site(site_built: BuildReport) -> tuple[Path, str]:
    """``(store directory, base URI)`` of the release the endpoint tests serve."""
    return site_built.store, site_built.base_uri


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
    with running_server(store, port=int(base.rsplit(":", 1)[1].strip("/")),
                        env={"EMIS_LOD_PRERENDER": "off"}) as url:
        assert url == base
        yield url


@dataclass
class Sample:
    """Rows of ``site_built`` the endpoint tests name, read from the built store."""

    release_dir: Path
    base: str
    school: str = field(init=False)
    schools: tuple[str, ...] = field(init=False)
    staff_posts: tuple[str, ...] = field(init=False)
    district: str = field(init=False)
    region: str = field(init=False)

    def __post_init__(self) -> None:
        [row] = self.select("""
            SELECT ?code ?district ?region WHERE {
              ?school a emis:School ; emis:schoolCode ?code ;
                      emis:district/emis:unitCode ?district ; emis:region/emis:unitCode ?region .
              FILTER EXISTS { ?school emis:enrolment [] }
              FILTER EXISTS { ?school geo:lat [] ; geo:long [] }
              FILTER EXISTS { ?school schema:name ?ky FILTER (lang(?ky) = "ky") }
              FILTER EXISTS { ?school schema:name ?ru FILTER (lang(?ru) = "ru") }
              FILTER EXISTS { ?school emis:financeSummary [] }
              FILTER EXISTS { ?school emis:provisionSummary [] }
              FILTER EXISTS { ?school emis:staffSummary [] }
              FILTER EXISTS { ?school emis:building/emis:latestAssessment [] }
              FILTER EXISTS { ?post emis:school ?school ; a emis:StaffPost .
                              [] emis:staff ?post }
            } ORDER BY ?code LIMIT 1""")
        self.school, self.district, self.region = row["code"], row["district"], row["region"]
        self.schools = tuple(r["code"] for r in self.select(
            "SELECT ?code WHERE { ?s a emis:School ; emis:schoolCode ?code } ORDER BY ?code"))
        posts = self.select(f"""
            SELECT ?post WHERE {{ ?post a emis:StaffPost ;
                                       emis:school/emis:schoolCode "{self.school}" }}""")
        self.staff_posts = tuple(sorted(r["post"].rsplit("/", 1)[1] for r in posts))

    @cached_property
    def store(self) -> ox.Store:
        return ox.Store.read_only(str(self.release_dir / releases.OXIGRAPH))

    def select(self, query: str) -> list[dict[str, str]]:
        """The rows of a SPARQL SELECT, each a dict of variable -> value (an IRI's or a
        literal's plain string); unbound variables are left out."""
        results = solutions(self.store, query, prefixes(Uris(self.base)))
        names = [v.value for v in results.variables]
        return [{n: row[n].value for n in names if row[n] is not None} for row in results]


@pytest.fixture(scope="session")
def sample(site_built: BuildReport) -> Sample:
    """The rows of ``site_built`` the endpoint tests name (see :class:`Sample`)."""
    return Sample(site_built.release_dir, site_built.base_uri)


@pytest.fixture(scope="module")
def store(built: BuildReport) -> Iterator[ox.Store]:
    """The read-only Oxigraph store of ``built``."""
    db = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    yield db
    del db


@pytest.fixture(scope="module")
def src(demo_source: Path, built: BuildReport):
    """The export's tables, cleaned independently of the build, without the rows it rejected."""
    import pandas as pd

    from test_example_queries import Source  # a test module: imported only where it is used

    return Source(demo_source, pd.read_csv(built.release_dir / releases.REJECTIONS),
                  releases.read_manifest(built.release_dir)["release"])
