"""The mapping engine: golden cases (input + mapping -> expected N-Triples and rejections),
and the reading/typing rules it is built from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic

from emis_lod.loaders.codelists import CodeLists
from emis_lod.loaders.columns import parse_date, parse_number
from emis_lod.loaders.errors import BuildError
from emis_lod.loaders.mapper import map_table
from emis_lod.loaders.mapping_spec import load_mapping, load_mappings, parse_mapping
from emis_lod.loaders.readers import read_source
from emis_lod.namespaces import prefixes
from emis_lod.uris import Uris

CASES = Path(__file__).parent / "data" / "mapping"
URIS = Uris("http://example.org/")
TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def codes() -> CodeLists:
    return CodeLists(URIS)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_golden_case(case: str, codes: CodeLists, tmp_path: Path) -> None:
    folder = CASES / case
    mapping = load_mapping(folder / "mapping.yaml")
    source = read_source(folder / mapping.files[0], mapping)
    out = tmp_path / "out.nt"
    result = map_table(mapping, source, URIS, codes, prefixes(URIS), {}, out, TODAY)

    got = rdflib.Graph().parse(out, format="nt")
    want = rdflib.Graph().parse(folder / "expected.nt", format="nt")
    if not isomorphic(got, want):
        _, only_got, only_want = graph_diff(got, want)
        pytest.fail("output differs from expected.nt\nunexpected:\n"
                    + only_got.serialize(format="nt") + "\nmissing:\n" + only_want.serialize(format="nt"))
    assert result.triples == len(got)

    expected = pd.read_csv(folder / "expected-rejections.csv")
    got_rej = result.rejections[["row", "column", "rule"]].sort_values(["row", "column"])
    assert got_rej.to_records(index=False).tolist() == \
        expected.sort_values(["row", "column"]).to_records(index=False).tolist()
    # The accounting closes: every row is loaded or rejected, never both.
    assert result.rows_loaded + result.rejections["row"].nunique() == result.rows_read
    assert set(result.rejections["file"]) <= {source.file}
    assert all(result.rejections["reason"].str.len() > 10)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_rows_written_in_blocks_give_the_same_triples(case: str, codes: CodeLists, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A national table is written a block of rows at a time: blocks of two rows make the
    same lines (in another order) and the same subjects, row by row, as one block."""
    from emis_lod.loaders import mapper

    folder = CASES / case
    mapping = load_mapping(folder / "mapping.yaml")
    source = read_source(folder / mapping.files[0], mapping)
    whole = map_table(mapping, source, URIS, codes, prefixes(URIS), {}, tmp_path / "a.nt", TODAY)
    monkeypatch.setattr(mapper, "WRITE_BLOCK", 2)
    blocks = map_table(mapping, source, URIS, codes, prefixes(URIS), {}, tmp_path / "b.nt", TODAY)
    lines = [sorted((tmp_path / n).read_text(encoding="utf-8").splitlines()) for n in ("a.nt", "b.nt")]
    assert lines[0] == lines[1] and blocks.triples == whole.triples
    pd.testing.assert_frame_equal(blocks.subjects, whole.subjects)


def test_rejection_reasons_say_what_and_how(codes: CodeLists, tmp_path: Path) -> None:
    folder = CASES / "pupils"
    mapping = load_mapping(folder / "mapping.yaml")
    source = read_source(folder / "input.csv", mapping)
    rej = map_table(mapping, source, URIS, codes, prefixes(URIS), {}, tmp_path / "o.nt",
                    TODAY).rejections.set_index(["row", "column"])
    assert "repeats the key of row 3" in rej.loc[(4, "code"), "reason"]
    assert "'колледж' is not in the code list 'school-type'" in rej.loc[(6, "kind"), "reason"]
    assert "skos:altLabel" in rej.loc[(6, "kind"), "reason"]
    assert "'99,1' is above the maximum 43.5" == rej.loc[(7, "lat"), "reason"]
    assert "future" in rej.loc[(8, "opened"), "reason"] or "above" in rej.loc[(8, "opened"), "reason"]
    assert rej.loc[(9, "g1"), "value"] == "-1"


def test_source_encoding_and_separator_detected() -> None:
    mapping = load_mapping(CASES / "pupils" / "mapping.yaml")
    source = read_source(CASES / "pupils" / "input.csv", mapping)
    assert source.encoding == "cp1251"
    assert source.ignored_columns == ("extra",)
    assert list(source.frame.index[:2]) == [2, 3]      # spreadsheet row numbers


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    mapping = load_mapping(CASES / "pupils" / "mapping.yaml")
    bad = tmp_path / "input.csv"
    bad.write_text("Код;Тип\n101;СОШ\n", encoding="utf-8")
    with pytest.raises(BuildError) as err:
        read_source(bad, mapping)
    message = str(err.value)
    assert "input.csv" in message and "'name'" in message and "'Название'" in message
    assert "found: 'Код', 'Тип'" in message


def test_xlsx_source_reads_like_csv(codes: CodeLists, tmp_path: Path) -> None:
    mapping = load_mapping(CASES / "pupils" / "mapping.yaml")
    csv_source = read_source(CASES / "pupils" / "input.csv", mapping)
    xlsx = tmp_path / "input.xlsx"
    pd.read_csv(CASES / "pupils" / "input.csv", sep=";", dtype=str, encoding="cp1251",
                keep_default_na=False).to_excel(xlsx, index=False)
    xlsx_source = read_source(xlsx, mapping)
    assert xlsx_source.encoding == "xlsx"
    a = map_table(mapping, csv_source, URIS, codes, prefixes(URIS), {}, tmp_path / "a.nt", TODAY)
    b = map_table(mapping, xlsx_source, URIS, codes, prefixes(URIS), {}, tmp_path / "b.nt", TODAY)
    assert isomorphic(rdflib.Graph().parse(tmp_path / "a.nt"), rdflib.Graph().parse(tmp_path / "b.nt"))
    assert a.rows_loaded == b.rows_loaded


def test_numbers_and_dates_as_exported() -> None:
    numbers = parse_number(pd.Series(["42,87", "1 234,5", "7", "abc", pd.NA], dtype="string"))
    assert numbers.tolist()[:3] == [42.87, 1234.5, 7.0] and numbers.isna().tolist()[3:] == [True, True]
    dates = parse_date(pd.Series(["01.09.2025", "2025-09-01", "45901", "31.02.2025"], dtype="string"))
    assert [d.date() if pd.notna(d) else None for d in dates] == [
        date(2025, 9, 1), date(2025, 9, 1), date(2025, 9, 1), None]


def test_mapping_errors_are_caught_before_use() -> None:
    with pytest.raises(BuildError, match="invalid mapping at columns/x"):
        parse_mapping({"table": "t", "source": {"files": ["t.csv"]}, "graph": "t", "key": ["x"],
                       "columns": {"x": {"datatype": "float"}},
                       "resources": [{"id": "school/{x}", "class": "emis:School", "properties": {}}]})
    with pytest.raises(BuildError, match="uses column 'nme'"):
        parse_mapping({"table": "t", "source": {"files": ["t.csv"]}, "graph": "t", "key": ["x"],
                       "columns": {"x": {}},
                       "resources": [{"id": "school/{x}", "class": "emis:School",
                                      "properties": {"schema:name": "nme"}}]})
    with pytest.raises(BuildError, match="schema:name lang uses column 'lng'"):
        parse_mapping({"table": "t", "source": {"files": ["t.csv"]}, "graph": "t", "key": ["x"],
                       "columns": {"x": {}},
                       "resources": [{"id": "school/{x}", "class": "emis:School", "properties": {
                           "schema:name": {"column": "x", "lang": {"column": "lng"}}}}]})
    with pytest.raises(BuildError, match="invalid mapping at resources/0/properties/schema:name"):
        parse_mapping({"table": "t", "source": {"files": ["t.csv"]}, "graph": "t", "key": ["x"],
                       "columns": {"x": {}},
                       "resources": [{"id": "school/{x}", "class": "emis:School", "properties": {
                           "schema:name": {"column": "x", "lang": {"column": "x",
                                                                   "default": "not a tag"}}}}]})


def test_bundled_mappings_load_in_dependency_order() -> None:
    order = [m.table for m in load_mappings()]
    assert order.index("regions") < order.index("districts") < order.index("schools")


def test_code_lists_match_labels_in_any_language(codes: CodeLists) -> None:
    iris, bad = codes.lookup("school-type", pd.Series(["СОШ", "general secondary school",
                                                       " гимназия ", "?"], dtype="string"), None)
    assert iris.tolist()[:3] == [URIS.concept("school-type", "secondary")] * 2 + [
        URIS.concept("school-type", "gymnasium")]
    assert bad.tolist() == [False, False, False, True]


def test_decimal_lexical_forms_are_made_once_per_distinct_value_as_per_row() -> None:
    """Decimal columns are written once per distinct value (loaders/columns.py): the same
    lexical form as formatting every row, -0 included (which factorising takes for 0)."""
    import numpy as np

    from emis_lod.loaders.columns import _lexical_number

    rng = np.random.default_rng(7)
    values = np.concatenate([rng.choice([0.0, -0.0, 1.5, 2.25, 1e20, 1e-7, np.nan, 1234567.89], 400),
                             rng.normal(0, 1e4, 100).round(2)])
    for column in (pd.Series(values, dtype="Float64"), pd.Series(values[:5], dtype="Float64")):
        per_row = column.map(lambda v: np.format_float_positional(v, trim="-") if pd.notna(v)
                             else pd.NA).astype("string")
        pd.testing.assert_series_equal(_lexical_number(column, integral=False), per_row)
