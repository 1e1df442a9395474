"""Property: random corruption of a valid export never crashes the build and never loses a row.

A small valid table set (20 schools, from the generator) is broken at random: characters
replaced, deleted or inserted in cells, cells dropped, rows duplicated, two cells swapped,
garbage lines inserted, random bytes written into the file. Whatever comes out, reading
and mapping either stop with a BuildError that names the file (a file-level fault), or
account for every row: read = loaded + rejected for every table, every rejected row in
the rejection report with a reason, and, when no quote or line break was added, one row
read per line of the file. Examples are derived from a fixed seed (``derandomize``), so a
failure reproduces in CI.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_broken_inputs import SETTINGS, URIS, Corpus, Table, generated_tables, load

from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.loaders.codelists import CodeLists
from emis_lod.loaders.errors import BuildError

PROFILE = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Characters a damaged export holds: text of the region, and the ones that break CSV.
NASTY = st.sampled_from(list(';,"\'\r\n\t \u00a0\ufeff\x00\\') + ["Ё", "ң", "ү", "ө", "€", "🙂"])
CHARS = st.one_of(NASTY, st.characters(codec="utf-8", exclude_categories=("Cs",)))
TEXT = st.text(CHARS, min_size=1, max_size=6)
SEED = st.integers(min_value=0, max_value=10**6)   # a position, taken modulo the table's size

OPERATIONS = st.one_of(
    st.tuples(st.just("replace"), SEED, SEED, SEED, TEXT),
    st.tuples(st.just("delete"), SEED, SEED, SEED),
    st.tuples(st.just("insert"), SEED, SEED, SEED, TEXT),
    st.tuples(st.just("drop-cell"), SEED, SEED),
    st.tuples(st.just("duplicate-row"), SEED, SEED),
    st.tuples(st.just("swap-cells"), SEED, SEED, SEED),
    st.tuples(st.just("garbage-line"), SEED, TEXT),
    st.tuples(st.just("bytes"), SEED, st.binary(min_size=1, max_size=6)),
)
TARGETS = st.sampled_from(["schools", "schools", "buildings", "districts"])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Table]:
    return generated_tables(tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="module")
def codes() -> CodeLists:
    return CodeLists(URIS)


@pytest.fixture(scope="module")
def upstream(base, codes, tmp_path_factory) -> dict[str, dict]:
    """Per target table, the tables mapped before it (their files stay valid)."""
    mapped, _ = load(Corpus(base, tmp_path_factory.mktemp("valid")).write("valid"), codes)
    order = list(mapped)
    return {t: {u: mapped[u] for u in order[:order.index(t)]} for t in order}


def corrupt(table: Table, operations: list[tuple]) -> tuple[bytes, bool]:
    """The table's file after the operations, and whether its lines still are its rows
    (no quote, line break or byte that may join or split lines was added)."""
    rows = [list(r) for r in table.rows]
    garbage: list[tuple[int, str]] = []
    raw_bytes: list[tuple[int, bytes]] = []
    lines_kept = True
    for op, *args in operations:
        if op in ("replace", "delete", "insert", "drop-cell", "swap-cells"):
            r = rows[args[0] % len(rows)]
            c = args[1] % len(r)
        if op == "replace" or op == "insert":
            at = args[2] % (len(r[c]) + 1)
            r[c] = r[c][:at] + args[3] + r[c][at + (op == "replace"):]
            lines_kept &= not any(ch in args[3] for ch in '"\r\n')
        elif op == "delete":
            at = args[2] % (len(r[c]) + 1)
            r[c] = r[c][:at] + r[c][at + 1:]
        elif op == "drop-cell":
            del r[c]
        elif op == "swap-cells":
            d = args[2] % len(r)
            r[c], r[d] = r[d], r[c]
        elif op == "duplicate-row":
            i = args[0] % len(rows)
            rows.insert(args[1] % (len(rows) + 1), list(rows[i]))
        elif op == "garbage-line":
            garbage.append((args[0], args[1]))
            lines_kept &= not any(ch in args[1] for ch in '"\r\n')
        elif op == "bytes":
            raw_bytes.append((args[0], args[1]))
            lines_kept &= not any(b in args[1] for b in b'"\r\n')
    # Cells are written as they are, unquoted, as a careless export would.
    lines = [table.sep.join(table.header) + "\r\n"]
    lines += [table.sep.join(r) + "\r\n" for r in rows]
    for at, text in garbage:
        lines.insert(1 + at % len(lines), text + "\r\n")
    data = "".join(lines).encode(table.encoding, errors="replace")
    for at, chunk in raw_bytes:
        at = at % (len(data) + 1)
        data = data[:at] + chunk + data[at:]
    return data, lines_kept and not raw_bytes


def data_lines(data: bytes) -> int:
    """Lines after the header, less the blank ones at the end (no rows)."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")[1:]
    while lines and not lines[-1].strip():
        lines.pop()
    return len(lines)


def assert_accounted(mapped: dict, file_of: dict[str, str]) -> None:
    for table, result in mapped.items():
        rej = result.rejections
        assert result.rows_read == result.rows_loaded + rej["row"].nunique(), table
        assert rej["reason"].str.len().min() > 15 if len(rej) else True
        assert set(rej["file"]) <= {file_of[table]}
        assert rej["row"].between(2, result.rows_read + 1).all()


@settings(max_examples=30, **PROFILE)
@given(target=TARGETS, operations=st.lists(OPERATIONS, min_size=1, max_size=4))
def test_corruption_is_rejected_row_by_row_or_stops_the_file(base, codes, upstream, target,
                                                             operations) -> None:
    table = base[target]
    data, lines_kept = corrupt(table, operations)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Corpus(base, Path(tmp)).write("case", {table.file: data})
        try:
            mapped, _ = load(folder, codes, done=upstream[target])
        except BuildError as err:
            assert str(err).startswith(f"{table.file}:"), str(err)
            event(f"file-level: {str(err).split(':')[1].strip()[:40]}")
            return
    assert_accounted(mapped, {t: base[t].file for t in mapped})
    event(f"rows rejected: {min(mapped[target].rejections['row'].nunique(), 3)}")
    if lines_kept:
        assert mapped[target].rows_read == data_lines(data)


@settings(max_examples=3, **PROFILE)
@given(target=TARGETS, operations=st.lists(OPERATIONS, min_size=1, max_size=3))
def test_corrupted_export_through_the_whole_build(base, target, operations) -> None:
    table = base[target]
    data, _ = corrupt(table, operations)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Corpus(base, Path(tmp)).write("case", {table.file: data})
        store = Path(tmp) / "store"
        try:
            report = build(folder, store, SETTINGS, echo=lambda *_: None)
        except BuildError as err:
            assert str(err).startswith(f"{table.file}:"), str(err)
            event("file-level")
            assert releases.list_releases(store) == []
            return
        saved = pd.read_csv(report.release_dir / releases.REJECTIONS, dtype=str,
                            keep_default_na=False)
        for t in report.tables:
            assert t.rows_read == t.rows_loaded + t.rows_rejected
            rows = saved.loc[saved["table"] == t.table, "row"]
            assert rows.nunique() == t.rows_rejected
        assert (saved["reason"].str.len() > 15).all()
