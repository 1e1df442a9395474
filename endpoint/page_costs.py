"""What one document costs in queries, per resource type: the lookup (ASK), the describe
(CONSTRUCT) and the HTML page's own queries (inbound links, map places, indicator table), each
timed on a sample of the release's resources. ``bench/bench_serve.py`` prints them at two sizes:
a query whose time grows with the store scans a class or a graph instead of starting from the
resource.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from emis_lod.loaders import releases
from emis_lod.settings import Settings

from . import indicator_tables
from .describe import describe, exists, select, thing_resource
from .indicator_tables import for_page
from .prerender import things
from .release import ReleaseHolder

TYPES = ("school", "district", "region", "observation", "building")
SAMPLE_SEED = 12


def _sample(rel: Any, type_: str, size: int) -> list[str]:
    """Up to ``size`` resources of a type, at random."""
    rng = random.Random(SAMPLE_SEED)
    keys = things(rel, type_)
    return [rel.uris.id(type_, key) for key in rng.sample(keys, min(size, len(keys)))]


def _median_ms(run: Callable[[str], Any], iris: list[str]) -> float:
    """The median over the sample, each resource asked a second time: the first pass reads
    the store's pages from disk into memory, which measures the disk, not the query."""
    for iri in iris:
        run(iri)
    times = []
    for iri in iris:
        started = time.perf_counter()
        run(iri)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 3) if times else 0.0


def page_query_times(store_dir: str | Path, samples: int = 30) -> dict[str, dict[str, float]]:
    """Median milliseconds per resource of each query a document of each type runs."""
    rel = ReleaseHolder(Path(store_dir), Settings())._open(releases.current_release(Path(store_dir)))
    out: dict[str, dict[str, float]] = {}
    for type_ in TYPES:
        iris = _sample(rel, type_, samples)
        if iris:
            out[type_] = _times(rel, type_, iris)
    return out


def _times(rel: Any, type_: str, iris: list[str]) -> dict[str, float]:
    resources = {}
    for iri in iris:
        split = rel.uris.split_id(iri)
        if split:
            resources[iri] = thing_resource(rel.uris, *split)
    this = ox.Variable("this")
    times = {
        "ask": _median_ms(lambda iri: exists(rel.store, rel.prefixes, iri), iris),
        "describe": _median_ms(lambda iri: describe(rel.store, rel.prefixes, resources[iri]), iris),
        "inbound": _median_ms(lambda iri: select(rel.store, "inbound", rel.prefixes,
                                                 {this: ox.NamedNode(iri)}), iris),
    }
    if type_ in ("district", "region"):
        times["places"] = _median_ms(lambda iri: select(rel.store, "places", rel.prefixes,
                                                        {this: ox.NamedNode(iri)}), iris)
    if type_ in ("school", "district", "region"):
        times["indicators"] = _median_ms(lambda iri: _indicators(rel, iri), iris)
    return times


def _indicators(rel: Any, iri: str) -> Any:
    indicator_tables.forget_rows()
    return for_page(rel, iri, "en", {})
