"""The queries rewritten for scale answer exactly as the texts they replaced.

``tests/data/queries-before/{derived,indicators,dumps}/`` keeps the earlier text of every query
that was rewritten so that Oxigraph evaluates it with fewer index lookups (see "Queries at
scale" in mappings/indicators/README.md). On the demo release each old text and its current
version give the same solutions or triples as multisets, and a dump query the same CSV bytes
as the dump writer publishes them (order included). The indicator engine reads answers through
SPARQL TSV results; it gives the same per-school rows as reading the solutions one by one.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

from emis_lod.loaders import dumps, indicators
from emis_lod.loaders.errors import BuildError
from emis_lod.loaders.mapping_spec import bundled_mapping_dir
from emis_lod.namespaces import prefixes
from emis_lod.profiles import default
from emis_lod.uris import Uris

BEFORE = Path(__file__).parent / "data" / "queries-before"
BASE = "http://data.test/"
URIS = Uris(BASE)
XSD = "http://www.w3.org/2001/XMLSchema#"
REWRITTEN = sorted(str(p.relative_to(BEFORE)) for p in BEFORE.glob("*/*.rq"))


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
def test_rewritten_query_answers_as_before(store, name: str, tmp_path: Path) -> None:
    old = answer(store, (BEFORE / name).read_text(encoding="utf-8"))
    new = answer(store, default().query_text((bundled_mapping_dir() / name).read_text(encoding="utf-8"),
                                             URIS))
    assert type(old) is type(new)
    if name.startswith("dumps/"):
        # the same CSV bytes as the dump writer publishes them: the same rows in the same
        # order (a table without an ORDER BY of its own is sorted by the writer)
        dumps.csv_table(store, bundled_mapping_dir() / name, tmp_path, URIS, prefixes(URIS))
        before, after = csv_bytes(old), (tmp_path / f"{Path(name).stem}.csv").read_bytes()
        assert before.count(b"\n") > 2, "the demo release should fill this table"
        assert after == before
    else:
        before, after = multiset(old), multiset(new)
        assert before, "the demo release should give this query an answer"
        assert after == before


def read_solutions(store: ox.Store, path: Path, breakdown: bool) -> pd.DataFrame:
    """The per-school rows as the engine read them before: one solution at a time."""
    rows = []
    for r in answer(store, path.read_text(encoding="utf-8")):
        den = r["denominator"]
        row = [r["school"].value, r["period"].value, r["period"].datatype.value,
               float(r["numerator"].value), float(den.value) if den is not None else None]
        if breakdown:
            row += [r["subject"].value, int(r["grade"].value)]
        rows.append(row)
    return pd.DataFrame(rows, columns=["school", "period", "period_type", "numerator", "denominator"]
                        + (["subject", "grade"] if breakdown else []))


@pytest.mark.parametrize("path", sorted(indicators.indicator_files().values()), ids=lambda p: p.stem)
def test_engine_reads_the_same_rows_as_solution_by_solution(store, path: Path) -> None:
    breakdown = path.name.endswith(indicators.BREAKDOWN + ".rq")
    read = indicators._school_rows(store, URIS, path, breakdown)
    expected = read_solutions(store, path, breakdown)
    assert len(read) == len(expected) > 0
    key = list(expected.columns)
    pd.testing.assert_frame_equal(read.sort_values(key[:3] + key[5:]).reset_index(drop=True),
                                  expected.sort_values(key[:3] + key[5:]).reset_index(drop=True),
                                  check_dtype=False)


@pytest.mark.parametrize(("cell", "term"), [
    ("", (None, None)),
    ("<http://data.test/id/school/1>", ("http://data.test/id/school/1", None)),
    ("_:b0", ("b0", None)),
    ('"2025-2026"', ("2025-2026", XSD + "string")),
    ('"2025"^^<http://www.w3.org/2001/XMLSchema#gYear>', ("2025", XSD + "gYear")),
    ('"Ош"@ky', ("Ош", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")),
    ('"a\\tb\\"c\\\\d\\ne"', ('a\tb"c\\d\ne', XSD + "string")),
    ('"say \\"hi\\""@en', ('say "hi"', "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")),
    ("12", ("12", XSD + "integer")),
    ("-3.50", ("-3.50", XSD + "decimal")),
    ("1.5E3", ("1.5E3", XSD + "double")),
    ("true", ("true", XSD + "boolean")),
])
def test_tsv_cells_decode_to_value_and_datatype(cell: str, term: tuple) -> None:
    assert indicators._term(cell) == term


def test_a_row_without_numerator_stops_the_build(store, tmp_path) -> None:
    query = tmp_path / "broken.rq"
    query.write_text("SELECT ?school ?period ?numerator WHERE { ?school a emis:School . "
                     "BIND(\"2025-2026\" AS ?period) }", encoding="utf-8")
    with pytest.raises(BuildError, match="every row needs"):
        indicators._school_rows(store, URIS, query, breakdown=False)
