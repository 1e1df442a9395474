"""Every setting of the platform in one table: the fields of :class:`Settings`, each with its
type, default, allowed values or bounds, and help.

Each setting can be overridden by an environment variable ``EMIS_LOD_<NAME>`` (upper case); the
command-line options of ``emis-lod`` override both. Values from either are checked against the
table the same way, and a wrong one stops with what is allowed (:class:`SettingsError`). The
options' help, the README's table (a test compares them) and ``SETTINGS`` are derived from it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any


class SettingsError(ValueError):
    """A setting with a wrong value, or settings that cannot work together; the message says
    which, where it came from and how to fix it."""


def _setting(default: Any, help: str, *, choices: tuple[str, ...] = (),  # noqa: A002
             minimum: float | None = None, maximum: float | None = None,
             pattern: str | None = None, shape: str = "", flag: str = "") -> Any:
    """A field of :class:`Settings` and its row of the table (``flag``: its command-line option
    where that is not ``--name-with-dashes``)."""
    return field(default=default, metadata={"help": help, "choices": choices, "minimum": minimum,
                                            "maximum": maximum, "pattern": pattern, "shape": shape,
                                            "flag": flag})


@dataclass(frozen=True)
class Settings:
    base_uri: str = _setting(
        "http://127.0.0.1:8000/",
        "Base of every minted URI (/id/, /doc/, /def/). Set it to the public address of the "
        "deployment, e.g. https://data.edu.example.kg/; a build bakes it into the release.",
        pattern=r"https?://[^\s/]+(/\S*)?", shape="an http(s) URL")
    profile: str = _setting(
        "kg", "Country profile of generate, build and demo: a bundled profile's name (kg, kz) or "
        "a profile directory (profiles/README.md); a release records its profile, so serve "
        "needs none.", pattern=r"[^\s:]+", shape="a bundled profile (kg, kz) or a profile directory")
    host: str = _setting("127.0.0.1", "Interface the server listens on.")
    port: int = _setting(8000, "TCP port the server listens on.", minimum=1, maximum=65535)
    workers: int = _setting(2, "Number of WSGI worker processes.", minimum=1)
    timeout: int = _setting(
        30, "Seconds after which the WSGI server restarts a stuck worker; at least query_timeout "
        "plus a margin (TIMEOUT_MARGIN), so that a query at its limit gets its 503. When only "
        "query_timeout is raised, serve raises timeout to fit.", minimum=1)
    query_timeout: float = _setting(
        10.0, "Seconds a SPARQL query may run before it is stopped.", minimum=0.1)
    query_workers: int = _setting(
        2, "SPARQL query processes per WSGI worker; a query past query_timeout is killed with "
        "its process. 0 runs queries inside the WSGI worker (no hard timeout).", minimum=0)
    max_query_length: int = _setting(
        100_000, "Longest SPARQL query text accepted, in characters.", minimum=1)
    max_result_rows: int = _setting(
        100_000, "Most rows a SELECT answer carries; the cut is stated.", minimum=1)
    validator: str = _setting(
        "sparql", "SHACL engine of the build: 'sparql' (shapes compiled to SPARQL on Oxigraph, "
        "fast) or 'pyshacl' (the reference engine, slow on large data).",
        choices=("sparql", "pyshacl"))
    staff_secret: str = _setting(
        "", "Ministry secret key for the keyed pseudonyms of staff (HMAC-SHA256). Keep it the "
        "same across releases so pseudonyms stay stable; empty uses a public demo key.")
    staff_publication: str = _setting(
        "records", "'records': staff posts and training records under pseudonyms plus per-school "
        "aggregates; 'aggregates': only the per-school aggregates.",
        choices=("records", "aggregates"), flag="--staff")
    map_tiles: str = _setting(
        "", "URL template of a map tile server for the maps of the HTML pages, e.g. "
        "https://tile.example.kg/{z}/{x}/{y}.png; empty (the default) draws the points on a "
        "plain map with no tiles, so that a page asks no other host.",
        pattern=r"(https?://\S+)?", shape="empty or an http(s) URL template")
    map_attribution: str = _setting(
        "", "Attribution shown under the map when map_tiles is set (the tile server's terms).")
    prerender: str = _setting(
        "background", "'background': serve renders the heaviest documents of the served release "
        "(schools, districts, regions, cubes; every format and language) once, into the release, "
        "at a low priority, and answers them from there; 'off': documents are rendered on request "
        "only (a release rendered by `emis-lod render` is still answered from its file).",
        choices=("background", "off"))
    front: str = _setting(
        "nginx", "'nginx': serve and cluster put Debian's nginx in front of the WSGI workers (it "
        "reads whole requests and buffers whole answers, so slow clients cannot hold a worker, "
        "and caches documents per release); 'none': gunicorn answers clients itself, only for "
        "a server behind a buffering proxy of your own.", choices=("nginx", "none"))
    client_timeout: int = _setting(
        10, "Seconds nginx waits for the next part of a request's header or body, or for a "
        "client to read the next part of an answer, before it closes the connection.", minimum=1)
    cache_size: str = _setting(
        "1g", "Most disk the nginx cache of documents, lists and dumps may take (nginx size: "
        "500m, 4g).", pattern=r"[0-9]+[kKmMgG]?", shape="an nginx size such as 500m or 4g")
    capacity_check: str = _setting(
        "stop", "Before writing anything a build estimates the memory and disk it needs from the "
        "rows it read (loaders/capacity.py): 'stop' ends a build that cannot fit with what it "
        "needs and what is available; 'warn' says so and builds anyway.", choices=("stop", "warn"))

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given values; ``None`` means "keep the current one"."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


TYPES: Mapping[str, type] = {"str": str, "int": int, "float": float}


@dataclass(frozen=True)
class Setting:
    """One row of the table, read from its field of :class:`Settings`."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    shape: str = ""
    flag: str = ""

    @classmethod
    def of(cls, f: Field[Any]) -> Setting:
        m = f.metadata
        return cls(f.name, TYPES[str(f.type)], f.default, m["help"], m["choices"], m["minimum"],
                   m["maximum"], m["pattern"], m["shape"], m["flag"])

    @property
    def env(self) -> str:
        return f"EMIS_LOD_{self.name.upper()}"

    @property
    def option(self) -> str:
        return self.flag or f"--{self.name.replace('_', '-')}"

    def allowed(self) -> str:
        """What values this setting takes, in words."""
        if self.choices:
            return "one of: " + ", ".join(self.choices)
        if self.shape:
            return self.shape
        noun = {int: "a whole number", float: "a number", str: "text"}[self.type]
        if self.minimum is not None and self.maximum is not None:
            return f"{noun} from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{noun} of at least {self.minimum:g}"
        return noun

    def parse(self, raw: str, source: str) -> Any:
        """``raw`` (the text of an environment variable) as this setting's value, checked."""
        try:
            value = self.type(raw.strip()) if self.type is not str else raw
        except ValueError:
            raise self.error(raw, source) from None
        return self.check(value, source)

    def check(self, value: Any, source: str) -> Any:
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or isinstance(value, bool):
            raise self.error(value, source)
        if self.choices and value not in self.choices:
            raise self.error(value, source)
        if self.type is not str:
            number = float(str(value))
            if (self.minimum is not None and number < self.minimum) or \
                    (self.maximum is not None and number > self.maximum):
                raise self.error(value, source)
        if self.pattern is not None and not re.fullmatch(self.pattern, str(value)):
            raise self.error(value, source)
        return value

    def error(self, value: Any, source: str) -> SettingsError:
        return SettingsError(f"{self.name} = {value!r} (from {source}) is not {self.allowed()}; "
                             f"set it with {self.option} or {self.env}")


SETTINGS: tuple[Setting, ...] = tuple(Setting.of(f) for f in fields(Settings))
BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}
TIMEOUT_MARGIN = 10  # seconds past query_timeout: a free query process awaited, an answer written


def check_choices(settings: Settings) -> Settings:
    """The settings, when every value is one the table allows (a SettingsError otherwise)."""
    for s in SETTINGS:
        s.check(getattr(settings, s.name), "the settings")
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


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``EMIS_LOD_*`` environment variables, then explicit overrides (the
    command line), each checked against the table: a wrong value raises SettingsError."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(s.env)
        if raw is not None:
            values[s.name] = s.parse(raw, s.env)
        given = overrides.get(s.name)
        if given is not None:
            values[s.name] = s.check(given, s.option)
    unknown = set(overrides) - set(BY_NAME)
    if unknown:
        raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
    settings = Settings().with_overrides(**values)
    if not settings.base_uri.endswith("/"):
        settings = replace(settings, base_uri=settings.base_uri + "/")
    return settings
