"""The queries rewritten for scale answer exactly as the texts they replaced.

``tests/data/queries-before/{derived,indicators,dumps}/`` keeps the earlier text of every query
that was rewritten so that Oxigraph evaluates it with fewer index lookups (see "Queries at
scale" in mappings/indicators/README.md). On the demo release each old text and its current
version give the same solutions or triples as multisets, and a dump query the same CSV bytes
(ORDER BY included).
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from emis_lod.loaders import releases
from emis_lod.loaders.mapping_spec import bundled_mapping_dir
from emis_lod.namespaces import prefixes
from emis_lod.uris import Uris

BEFORE = Path(__file__).parent / "data" / "queries-before"
BASE = "http://data.test/"
URIS = Uris(BASE)
REWRITTEN = sorted(str(p.relative_to(BEFORE)) for p in BEFORE.glob("*/*.rq"))


@pytest.fixture(scope="module")
def store(built):
    db = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    yield db
    del db


def answer(store: ox.Store, query: str):
    return store.query(query, base_iri=BASE, prefixes=prefixes(URIS), use_default_graph_as_union=True)


def multiset(result) -> Counter:
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return Counter(tuple(str(s[n]) if s[n] is not None else "" for n in names) for s in result)
    return Counter(str(t) for t in result)


def csv_bytes(result) -> bytes:
    out = io.BytesIO()
    result.serialize(out, ox.QueryResultsFormat.CSV)
    return out.getvalue()


def test_every_kept_text_has_a_current_query() -> None:
    assert len(REWRITTEN) >= 20
    for name in REWRITTEN:
        assert (bundled_mapping_dir() / name).is_file(), name


@pytest.mark.parametrize("name", REWRITTEN)
def test_rewritten_query_answers_as_before(store, name: str) -> None:
    old = answer(store, (BEFORE / name).read_text(encoding="utf-8"))
    new = answer(store, (bundled_mapping_dir() / name).read_text(encoding="utf-8"))
    assert type(old) is type(new)
    if name.startswith("dumps/"):
        # the same CSV bytes: the same rows in the same order
        before, after = csv_bytes(old), csv_bytes(new)
        assert before.count(b"\n") > 2, "the demo release should fill this table"
        assert after == before
    else:
        before, after = multiset(old), multiset(new)
        assert before, "the demo release should give this query an answer"
        assert after == before
