"""Every setting of the platform in one table: name, default, help.

Each setting can be overridden by an environment variable ``EMIS_LOD_<NAME>``
(upper case); the command-line options of ``emis-lod`` override both.
A test checks that every setting is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("base_uri", "http://127.0.0.1:8000/",
            "Base of every minted URI (/id/, /doc/, /def/). Set it to the public address of the "
            "deployment, e.g. https://data.edu.example.kg/; a build bakes it into the release."),
    Setting("host", "127.0.0.1", "Interface the server listens on."),
    Setting("port", 8000, "TCP port the server listens on."),
    Setting("workers", 2, "Number of WSGI worker processes."),
    Setting("timeout", 30,
            "Seconds after which the WSGI server restarts a stuck worker; at least query_timeout "
            "plus a margin (TIMEOUT_MARGIN), so that a query at its limit gets its 503. When only "
            "query_timeout is raised, serve raises timeout to fit."),
    Setting("query_timeout", 10.0, "Seconds a SPARQL query may run before it is stopped."),
    Setting("query_workers", 2,
            "SPARQL query processes per WSGI worker; a query past query_timeout is killed with "
            "its process. 0 runs queries inside the WSGI worker (no hard timeout)."),
    Setting("max_query_length", 100_000, "Longest SPARQL query text accepted, in characters."),
    Setting("max_result_rows", 100_000, "Most rows a SELECT answer carries; the cut is stated."),
    Setting("validator", "sparql",
            "SHACL engine of the build: 'sparql' (shapes compiled to SPARQL on Oxigraph, fast) "
            "or 'pyshacl' (the reference engine, slow on large data)."),
    Setting("staff_secret", "",
            "Ministry secret key for the keyed pseudonyms of staff (HMAC-SHA256). Keep it the "
            "same across releases so pseudonyms stay stable; empty uses a public demo key."),
    Setting("staff_publication", "records",
            "'records': staff posts and training records under pseudonyms plus per-school "
            "aggregates; 'aggregates': only the per-school aggregates."),
    Setting("map_tiles", "",
            "URL template of a map tile server for the maps of the HTML pages, e.g. "
            "https://tile.example.kg/{z}/{x}/{y}.png; empty (the default) draws the points on a "
            "plain map with no tiles, so that a page asks no other host."),
    Setting("map_attribution", "",
            "Attribution shown under the map when map_tiles is set (the tile server's terms)."),
    Setting("prerender", "background",
            "'background': serve renders the heaviest documents of the served release (schools, "
            "districts, regions, cubes; every format and language) once, into the release, at a "
            "low priority, and answers them from there; 'off': documents are rendered on request "
            "only (a release rendered by `emis-lod render` is still answered from its file)."),
    Setting("front", "nginx",
            "'nginx': serve and cluster put Debian's nginx in front of the WSGI workers (it reads "
            "whole requests and buffers whole answers, so slow clients cannot hold a worker, and "
            "caches documents per release); 'none': gunicorn answers clients itself, only for "
            "a server behind a buffering proxy of your own."),
    Setting("client_timeout", 10,
            "Seconds nginx waits for the next part of a request's header or body, or for a "
            "client to read the next part of an answer, before it closes the connection."),
    Setting("cache_size", "1g",
            "Most disk the nginx cache of documents, lists and dumps may take (nginx size: "
            "500m, 4g)."),
    Setting("capacity_check", "stop",
            "Before writing anything a build estimates the memory and disk it needs from the rows "
            "it read (loaders/capacity.py): 'stop' ends a build that cannot fit with what it "
            "needs and what is available; 'warn' says so and builds anyway."),
)


@dataclass(frozen=True)
class Settings:
    base_uri: str = "http://127.0.0.1:8000/"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    timeout: int = 30
    query_timeout: float = 10.0
    query_workers: int = 2
    max_query_length: int = 100_000
    max_result_rows: int = 100_000
    validator: str = "sparql"
    staff_secret: str = ""
    staff_publication: str = "records"
    map_tiles: str = ""
    map_attribution: str = ""
    prerender: str = "background"
    front: str = "nginx"
    client_timeout: int = 10
    cache_size: str = "1g"
    capacity_check: str = "stop"

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given values; ``None`` means "keep the current one"."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


CHOICES = {"validator": ("sparql", "pyshacl"), "staff_publication": ("records", "aggregates"),
           "prerender": ("background", "off"), "front": ("nginx", "none"),
           "capacity_check": ("stop", "warn")}
TIMEOUT_MARGIN = 10  # seconds past query_timeout: a free query process awaited, an answer written


class SettingsError(ValueError):
    """Settings that cannot work together; the message says which and how to fix them."""


def check_choices(settings: Settings) -> Settings:
    """The settings, when each setting with a fixed set of values has one of them."""
    for name, allowed in CHOICES.items():
        value = getattr(settings, name)
        if value not in allowed:
            raise SettingsError(f"{name} = {value!r} is not one of: {', '.join(allowed)} "
                                f"(set by --{name.replace('_', '-')} or EMIS_LOD_{name.upper()})")
    return settings


def fit_worker_timeout(settings: Settings, timeout_given: bool) -> Settings:
    """Settings whose worker ``timeout`` lies above ``query_timeout`` plus TIMEOUT_MARGIN.

    A worker past ``timeout`` is killed by the WSGI server and its client gets a 500, while a
    query past ``query_timeout`` gets the documented 503: the worker must outlive its query.
    A ``timeout`` the operator did not give is raised to fit; one given too low is refused.
    """
    needed = int(-(-(settings.query_timeout + TIMEOUT_MARGIN) // 1))  # rounded up
    if settings.timeout >= needed:
        return settings
    if timeout_given:
        raise SettingsError(
            f"timeout = {settings.timeout} s is not above query_timeout = "
            f"{settings.query_timeout:g} s plus {TIMEOUT_MARGIN} s: a query at its limit would "
            f"have its worker killed (HTTP 500) instead of its 503. Give --timeout {needed} or "
            f"more, or a lower --query-timeout.")
    return replace(settings, timeout=needed)


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``EMIS_LOD_*`` environment variables, then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    defaults = Settings()
    for f in fields(Settings):
        raw = env.get(f"EMIS_LOD_{f.name.upper()}")
        if raw is not None:
            values[f.name] = type(getattr(defaults, f.name))(raw)
    settings = Settings().with_overrides(**values).with_overrides(**overrides)
    if not settings.base_uri.endswith("/"):
        settings = replace(settings, base_uri=settings.base_uri + "/")
    return settings


assert [s.name for s in SETTINGS] == [f.name for f in fields(Settings)], "SETTINGS and Settings differ"
assert all(s.default == getattr(Settings(), s.name) for s in SETTINGS), "defaults differ"
