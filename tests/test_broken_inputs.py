"""A corpus of broken exports, checked row by row against the accounting.

The corpus is made here, deterministically, from the generator's valid rows: each case
writes the tables in some encoding and separator and breaks them in one way. Row-level
faults: the exact rows loaded and the exact rows rejected (file, row, column, reason),
with rows read = loaded + rejected. File-level faults: a BuildError naming the file, and
the release served before stays the one served.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pyoxigraph as ox
import pytest
import yaml

from emis_lod.generator import generate
from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.loaders.codelists import CodeLists
from emis_lod.loaders.errors import BuildError, Rejection
from emis_lod.loaders.mapper import MappedTable, map_table
from emis_lod.loaders.mapping_spec import bundled_mapping_dir, load_mapping, load_mappings
from emis_lod.loaders.readers import MAX_CELL, SHOWN, SourceTable, read_source
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

URIS = Uris("http://data.test/")
SETTINGS = load_settings(base_uri="http://data.test/")
TODAY = date(2026, 11, 24)
TABLES = ("regions", "districts", "schools", "preschools", "buildings")  # schools, what they need/feed
DATED = (*TABLES, "safety_assessments")                     # a bundled table with a date column
PUPILS = Path(__file__).parent / "data" / "mapping" / "pupils"


# ------------------------------------------------------------------ the corpus
@dataclass
class Table:
    """A table as cells: the header and the data rows (row i is spreadsheet row i + 2)."""

    file: str
    header: list[str]
    rows: list[list[str]]
    encoding: str = "cp1251"
    sep: str = ";"

    def copy(self, **changes) -> Table:
        t = Table(self.file, list(self.header), [list(r) for r in self.rows], self.encoding,
                  self.sep)
        for k, v in changes.items():
            setattr(t, k, v)
        return t

    def col(self, name: str) -> int:
        return self.header.index(name)

    def text(self) -> str:
        out = io.StringIO()
        csv.writer(out, delimiter=self.sep, lineterminator="\r\n").writerows([self.header, *self.rows])
        return out.getvalue()

    def data(self) -> bytes:
        return self.text().encode(self.encoding)


@dataclass
class Corpus:
    """The valid tables one case starts from; ``write`` puts a case in a folder."""

    tables: dict[str, Table]
    root: Path
    cases: int = field(default=0)

    def write(self, name: str, broken: dict[str, bytes | Table] | None = None) -> Path:
        folder = self.root / name
        folder.mkdir()
        for file, table in {**{t.file: t for t in self.tables.values()}, **(broken or {})}.items():
            (folder / file).write_bytes(table if isinstance(table, bytes) else table.data())
        return folder


def generated_tables(out: Path) -> dict[str, Table]:
    """The generator's tables without its deliberately invalid rows, as cells."""
    generate(out, schools=20, seed=11)
    manifest = json.loads((out / "generator-manifest.json").read_text(encoding="utf-8"))
    tables = {}
    for table in DATED:
        file = f"{table}.csv"
        meta = manifest["tables"][file]
        invalid = {i["row"] for i in manifest["invalid"] if i["file"] == file}
        text = (out / file).read_bytes().decode(meta["encoding"])
        header, *rows = csv.reader(io.StringIO(text, newline=""), delimiter=meta["separator"])
        rows = [r for n, r in enumerate(rows, start=2) if n not in invalid]
        # the corpus encodes every table as cp1251 by default, so it must fit
        encoding = meta["encoding"] if meta["encoding"] != "utf-8-sig" else "utf-8"
        tables[table] = Table(file, header, rows, encoding, meta["separator"])
    return tables


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(generated_tables(tmp_path_factory.mktemp("generated")),
                  tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def codes() -> CodeLists:
    return CodeLists(URIS)


def load(folder: Path, codes: CodeLists, mappings_dir: Path | None = None,
         tables: tuple[str, ...] = TABLES, done: dict[str, MappedTable] | None = None
         ) -> tuple[dict[str, MappedTable], dict[str, SourceTable]]:
    """Read and map the tables as the build does, in dependency order, without a store
    (``done``: tables mapped before, whose files did not change)."""
    accepted: dict[str, pd.DataFrame] = {t: m.accepted for t, m in (done or {}).items()}
    mapped: dict[str, MappedTable] = dict(done or {})
    sources: dict[str, SourceTable] = {}
    for m in load_mappings(mappings_dir):
        if m.table not in tables or m.table in mapped:
            continue
        path = next(folder / f for f in m.files if (folder / f).is_file())
        sources[m.table] = read_source(path, m)
        mapped[m.table] = map_table(m, sources[m.table], URIS, codes, prefixes(URIS), accepted,
                                    folder / f"{m.table}.nt", TODAY)
        accepted[m.table] = mapped[m.table].accepted
    return mapped, sources


def codes_of(rows: list[list[str]], table: Table, key: str = "school_code") -> set[str]:
    i = table.col(key)
    return {r[i].strip() for r in rows}


def check(result: MappedTable, loaded: set[str], rejected: dict[int, tuple[str, str]],
          key: str = "school_code") -> None:
    """The loaded keys are exactly ``loaded``; the rejected rows exactly ``rejected``
    (row -> (column, a substring of its reason)); the accounting closes."""
    rej = result.rejections
    assert set(result.accepted[key].astype(str)) == loaded
    assert dict(zip(rej["row"], rej["column"], strict=True)) == {r: c for r, (c, _) in rejected.items()}, \
        rej[["row", "column", "reason"]].to_string()
    for row, (column, text) in rejected.items():
        reason = rej.loc[(rej["row"] == row) & (rej["column"] == column), "reason"].iloc[0]
        assert text in reason, reason
        assert len(reason) > 20 and set(rej["file"]) == {result.file}
    assert result.rows_read == result.rows_loaded + rej["row"].nunique()
    assert result.rows_loaded == len(loaded)


# ------------------------------------------------------------------ encodings and separators
@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("cp1251", "cp1251")])
@pytest.mark.parametrize("sep", [";", ","])
def test_every_encoding_and_separator_loads_every_row(corpus, codes, encoding, detected, sep) -> None:
    schools = corpus.tables["schools"].copy(encoding=encoding, sep=sep)
    folder = corpus.write(f"enc-{encoding}-{sep == ';'}", {schools.file: schools})
    mapped, sources = load(folder, codes)
    assert sources["schools"].encoding == detected
    for table in TABLES:
        assert mapped[table].rejections.empty
        assert mapped[table].rows_read == mapped[table].rows_loaded == len(corpus.tables[table].rows)
    check(mapped["schools"], codes_of(schools.rows, schools), {})
    # decimal commas, quoted when the separator is a comma, read as numbers
    lat = corpus.tables["schools"].col("latitude")
    first = corpus.tables["schools"].rows[0][lat]
    assert "," in first
    assert mapped["schools"].accepted["latitude"].iloc[0] == first.replace(",", ".").rstrip("0")


def _with_declared(tmp_path: Path, table: str, **source) -> Path:
    mappings = tmp_path / "mappings"
    shutil.copytree(bundled_mapping_dir(), mappings, ignore=shutil.ignore_patterns("*.py", "__*"))
    spec = yaml.safe_load((mappings / f"{table}.yaml").read_text(encoding="utf-8"))
    spec["source"].update(source)
    (mappings / f"{table}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return mappings


@pytest.mark.parametrize("actual, declared", [("cp1251", "cp1251"), ("utf-8-sig", "utf-8"),
                                              ("utf-8", "utf-8-sig")])
def test_declared_encoding_is_used(corpus, codes, tmp_path, actual, declared) -> None:
    schools = corpus.tables["schools"].copy(encoding=actual)
    folder = corpus.write(f"declared-right-{actual}-{declared}", {schools.file: schools})
    mapped, sources = load(folder, codes, _with_declared(tmp_path, "schools", encoding=declared))
    assert sources["schools"].encoding == declared
    assert list(sources["schools"].frame.columns[:2]) == schools.header[:2]   # no BOM left
    check(mapped["schools"], codes_of(schools.rows, schools), {})


@pytest.mark.parametrize("actual, declared, says", [
    ("cp1251", "utf-8", "byte 0x"),              # Cyrillic cp1251 bytes are not UTF-8
    ("utf-8", "cp1251", "but the file is UTF-8"),  # would decode, as mojibake
])
def test_wrongly_declared_encoding_stops_with_the_fix(corpus, codes, tmp_path, actual, declared,
                                                      says) -> None:
    schools = corpus.tables["schools"].copy(encoding=actual)
    folder = corpus.write(f"declared-{declared}", {schools.file: schools})
    with pytest.raises(BuildError) as err:
        load(folder, codes, _with_declared(tmp_path, "schools", encoding=declared))
    message = str(err.value)
    assert message.startswith("schools.csv:") and says in message
    assert "source.encoding" in message and "schools.yaml" in message


# ------------------------------------------------------------------ headers and cells
ALIASES = {  # header spellings of the mapping files, per language
    "ru": {"school_code": "Код школы", "name_ru": "Наименование (рус.)", "school_type": "Тип школы",
           "region_code": "Код области", "district_code": "Код района",
           "school_year": "Учебный год", "latitude": "Широта"},
    "ky": {"school_code": "Мектептин коду", "name_ky": "Мектептин аталышы",
           "school_type": "Мектептин түрү", "region_code": "Облустун коду",
           "district_code": "Райондун коду", "school_year": "Окуу жылы"},
}


@pytest.mark.parametrize("language", ["ru", "ky", "en"])
def test_header_aliases_in_each_language(corpus, codes, language) -> None:
    schools = corpus.tables["schools"].copy(encoding="utf-8")
    aliases = ALIASES.get(language, {})
    # stray whitespace and case in headers are no matter either
    schools.header = [f"  {aliases.get(h, h).upper()} " for h in schools.header]
    folder = corpus.write(f"aliases-{language}", {schools.file: schools})
    mapped, sources = load(folder, codes)
    assert set(aliases) <= set(sources["schools"].frame.columns)
    assert sources["schools"].ignored_columns == ()
    check(mapped["schools"], codes_of(corpus.tables["schools"].rows, corpus.tables["schools"]), {})


def test_stray_whitespace_in_cells_is_trimmed(corpus, codes) -> None:
    schools = corpus.tables["schools"].copy()
    code, name = schools.col("school_code"), schools.col("name_ru")
    schools.rows[0][code] = f"  {schools.rows[0][code]}\t"
    schools.rows[1][name] = " Школа \u00a0 №1  "
    folder = corpus.write("whitespace", {schools.file: schools})
    mapped, _ = load(folder, codes)
    check(mapped["schools"], codes_of(corpus.tables["schools"].rows, schools), {})
    assert mapped["schools"].accepted.loc[3, "name_ru"] == "Школа №1"


def test_duplicate_keys_unknown_references_and_codes(corpus, codes) -> None:
    schools, buildings = corpus.tables["schools"].copy(), corpus.tables["buildings"].copy()
    rows = schools.rows
    rows.insert(5, list(rows[1]))                          # row 7 repeats row 3's key
    rows[5][schools.col("name_ru")] = "Дубль"
    rows[8][schools.col("district_code")] = "KG-B-99"       # row 10: unknown district
    rows[10][schools.col("school_type")] = "детский сад"    # row 12: unknown code
    buildings.rows[2][buildings.col("school_code")] = "99999999"   # row 4: unknown school
    folder = corpus.write("keys-references", {schools.file: schools, buildings.file: buildings})
    mapped, _ = load(folder, codes)
    loaded = codes_of(corpus.tables["schools"].rows, schools) - {
        rows[8][schools.col("school_code")], rows[10][schools.col("school_code")]}
    check(mapped["schools"], loaded, {
        7: ("school_code", "repeats the key of row 3"),
        10: ("district_code", "'KG-B-99' is not a known district_code of table 'districts'"),
        12: ("school_type", "'детский сад' is not in the code list 'school-type'")})
    # buildings of the two rejected schools are rejected in turn: the reference names them
    b_code = buildings.col("school_code")
    gone = {rows[8][schools.col("school_code")], rows[10][schools.col("school_code")], "99999999"}
    expected = {n: ("school_code", "is not a known school_code of table 'schools'")
                for n, r in enumerate(buildings.rows, start=2) if r[b_code].strip() in gone}
    assert 4 in expected
    kept = [r for r in buildings.rows if r[b_code].strip() not in gone]
    check(mapped["buildings"], codes_of(kept, buildings, "building_id"), expected, "building_id")


# ------------------------------------------------------------------ dates and numbers
DATES = ["01.09.1965", "1.9.1965", "01/09/1965", "1965-09-01", "23986"]   # 23986: Excel serial


def _pupils_input(opened: list[str]) -> str:
    lines = ["Код;Название;Тип;opened"]
    lines += [f"{100 + i};Школа {i};СОШ;{d}" for i, d in enumerate(opened)]
    return "\r\n".join(lines) + "\r\n"


def test_dates_in_every_accepted_form(codes, tmp_path) -> None:
    mapping = load_mapping(PUPILS / "mapping.yaml")
    path = tmp_path / "input.csv"
    path.write_text(_pupils_input([*DATES, "31.02.1965", "09/31/1965"]), encoding="cp1251")
    result = map_table(mapping, read_source(path, mapping), URIS, codes, prefixes(URIS), {},
                       tmp_path / "out.nt", TODAY)
    assert result.accepted["opened"].tolist() == ["1965-09-01"] * len(DATES)
    rej = result.rejections
    assert rej["row"].tolist() == [7, 8] and set(rej["column"]) == {"opened"}
    assert all("is not a date (use dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd or an Excel date)" in r
               for r in rej["reason"])


def test_dates_of_a_bundled_table_in_every_form(corpus, codes) -> None:
    safety = corpus.tables["safety_assessments"].copy()
    col = safety.col("inspection_date")
    want = [pd.Timestamp(pd.to_datetime(r[col], format="%d.%m.%Y")).date() for r in safety.rows]
    serial = (want[0] - date(1899, 12, 30)).days
    forms = [str(serial), want[1].isoformat(), want[2].strftime("%d/%m/%Y"),
             f"{want[3].day}.{want[3].month}.{want[3].year}"]
    for i, text in enumerate(forms):
        safety.rows[i][col] = text
    folder = corpus.write("bundled-dates", {safety.file: safety})
    mapped, _ = load(folder, codes, tables=DATED)
    result = mapped["safety_assessments"]
    assert result.rejections.empty and result.rows_loaded == len(safety.rows)
    assert result.accepted["inspection_date"].tolist() == [d.isoformat() for d in want]


def test_xlsx_cells_as_typed_by_excel(codes, tmp_path) -> None:
    """Numbers, decimals and real date cells of a workbook read like their CSV text."""
    mapping = load_mapping(PUPILS / "mapping.yaml")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Код", "Название", "Тип", "Широта", "opened", "g1"])
    sheet.append([101, "Школа", "СОШ", 42.5, date(1965, 9, 1), 12])
    sheet.append([102, "Лицей", "Лицей", "42,25", "01.09.1965", 3.0])
    book.save(tmp_path / "input.xlsx")
    result = map_table(mapping, read_source(tmp_path / "input.xlsx", mapping), URIS, codes,
                       prefixes(URIS), {}, tmp_path / "out.nt", TODAY)
    assert result.rejections.empty
    got = result.accepted[["code", "lat", "opened", "g1"]].to_numpy().tolist()
    assert got == [["101", "42.5", "1965-09-01", "12"], ["102", "42.25", "1965-09-01", "3"]]


# ------------------------------------------------------------------ rows that do not fit
def _lines(table: Table) -> list[str]:
    return table.text().split("\r\n")


def _encode(lines: list[str], table: Table) -> bytes:
    return "\r\n".join(lines).encode(table.encoding)


def test_rows_with_too_many_or_too_few_cells(corpus, codes) -> None:
    schools = corpus.tables["schools"]
    lines = _lines(schools)
    lines[3] += ";extra"                 # row 4: one cell more, with data
    lines[5] += ";;"                     # row 6: trailing empty cells, as spreadsheets write
    lines[7] = ";".join(lines[7].split(";")[:10])   # row 8: cells missing
    folder = corpus.write("field-count", {schools.file: _encode(lines, schools)})
    mapped, _ = load(folder, codes)
    rows = schools.rows
    check(mapped["schools"], codes_of(rows, schools) - codes_of([rows[2], rows[6]], schools), {
        4: ("(row)", f"has {len(schools.header) + 1} cells where the header has "
                     f"{len(schools.header)}: a ';' inside a cell that is not quoted?"),
        8: ("(row)", "has 10 cells where the header has")})
    rej = mapped["schools"].rejections.set_index("row")
    assert rej.loc[4, "value"] == lines[3][:SHOWN] + f"… ({len(lines[3])} characters)"
    assert rej.loc[4, "rule"] == "field-count"


def test_quote_never_closed_rejects_its_row_only(corpus, codes) -> None:
    schools = corpus.tables["schools"]
    lines = _lines(schools)
    name = schools.col("name_ru")
    cells = lines[4].split(";")
    cells[name] = '"' + cells[name]      # row 5: a quote opened and never closed
    lines[4] = ";".join(cells)
    folder = corpus.write("unclosed-quote", {schools.file: _encode(lines, schools)})
    mapped, _ = load(folder, codes)
    check(mapped["schools"], codes_of(schools.rows, schools) - codes_of([schools.rows[3]], schools),
          {5: ("(row)", "a quote (\") opened on line 5 is never closed")})


def test_quote_closed_lines_later_merges_and_rejects_those_lines(corpus, codes) -> None:
    schools = corpus.tables["schools"]
    lines = _lines(schools)
    name = schools.col("name_ru")
    for i, mark in ((4, '"'), (6, '"')):     # a quote opens on line 5 and closes on line 7
        cells = lines[i].split(";")
        cells[name] = mark + cells[name] + ("" if i == 4 else mark)
        lines[i] = ";".join(cells)
    folder = corpus.write("late-quote", {schools.file: _encode(lines, schools)})
    mapped, _ = load(folder, codes)
    result = mapped["schools"]
    # lines 5-7 are one record: row 5; the rows after it are numbered as a spreadsheet shows them
    lost = codes_of(schools.rows[3:6], schools)
    check(result, codes_of(schools.rows, schools) - lost,
          {5: ("(row)", "a quote (\") opened on line 5 closes only on line 7")})
    assert result.rows_read == len(schools.rows) - 2


def test_quote_closed_on_a_later_line_with_cells_missing(corpus, codes) -> None:
    schools = corpus.tables["schools"]
    lines = _lines(schools)
    name = schools.col("name_ru")
    cells = lines[4].split(";")
    cells[name] = '"' + cells[name]
    lines[4] = ";".join(cells)
    cells = lines[5].split(";")
    cells[2] = cells[2] + '"'          # closes two cells before its column: too few cells
    lines[5] = ";".join(cells)
    folder = corpus.write("late-quote-short", {schools.file: _encode(lines, schools)})
    mapped, _ = load(folder, codes)
    check(mapped["schools"], codes_of(schools.rows, schools) - codes_of(schools.rows[3:5], schools),
          {5: ("(row)", "a quote (\") opened on line 5 closes only on line 6")})


def test_huge_cell_rejects_its_row(corpus, codes) -> None:
    schools = corpus.tables["schools"].copy(encoding="utf-8")
    schools.rows[2][schools.col("name_ru")] = "Ш" * 1_000_000      # a 1 MB cell at row 4
    folder = corpus.write("huge-cell", {schools.file: schools})
    mapped, _ = load(folder, codes)
    check(mapped["schools"], codes_of(schools.rows, schools) - codes_of([schools.rows[2]], schools),
          {4: ("name_ru", f"holds 1000000 characters (at most {MAX_CELL} are read)")})
    value = mapped["schools"].rejections["value"].iloc[0]
    assert len(value) < 300 and value.endswith("(1000000 characters)")


def test_damaged_bytes_and_control_characters_reject_their_rows(corpus, codes) -> None:
    schools = corpus.tables["schools"].copy(encoding="utf-8")
    name = schools.col("name_ru")
    schools.rows[4][name] = schools.rows[4][name] + "\x00"            # row 6
    data = schools.data()
    marker = schools.rows[1][name].encode("utf-8")                    # row 3: one byte broken
    data = data.replace(marker, marker[:5] + b"\xff" + marker[5:], 1)
    folder = corpus.write("damaged", {schools.file: data})
    mapped, sources = load(folder, codes)
    assert sources["schools"].encoding == "utf-8"      # not taken for cp1251 for one bad byte
    check(mapped["schools"], codes_of(schools.rows, schools)
          - codes_of([schools.rows[1], schools.rows[4]], schools),
          {3: ("name_ru", "bytes that are not text in the file's encoding"),
           6: ("name_ru", "control characters")})


def test_blank_line_inside_is_an_empty_row_and_at_the_end_no_row(corpus, codes) -> None:
    schools = corpus.tables["schools"]
    lines = _lines(schools)
    lines.insert(3, "")                      # row 4 is empty
    lines += ["", "", ""]                    # blank lines after the last row
    folder = corpus.write("blank-lines", {schools.file: _encode(lines, schools)})
    mapped, _ = load(folder, codes)
    check(mapped["schools"], codes_of(schools.rows, schools),
          {4: ("(row)", "the row is empty (every cell blank); delete the row")})


def test_cut_at_a_line_end_loads_the_lines_before(corpus, codes) -> None:
    """A file cut exactly between two rows cannot be told from a shorter export."""
    schools = corpus.tables["schools"]
    lines = _lines(schools)[:8] + [""]
    folder = corpus.write("cut-at-line", {schools.file: _encode(lines, schools)})
    mapped, _ = load(folder, codes)
    check(mapped["schools"], codes_of(schools.rows[:7], schools), {})


# ------------------------------------------------------------------ XLSX sheets
def _workbook(sheets: dict[str, Table | list[list[str]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, content in sheets.items():
        sheet = book.create_sheet(title)
        for row in ([content.header, *content.rows] if isinstance(content, Table) else content):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_data_on_a_later_sheet_is_found(corpus, codes) -> None:
    schools = corpus.tables["schools"]
    folder = corpus.write("xlsx-second-sheet")
    (folder / "schools.csv").unlink()
    (folder / "schools.xlsx").write_bytes(_workbook({
        "Инструкция": [["Заполните лист «Школы»"], ["Коды: см. справочник"]], "Школы": schools}))
    mapped, sources = load(folder, codes)
    assert sources["schools"].encoding == "xlsx"
    check(mapped["schools"], codes_of(schools.rows, schools), {})


# ------------------------------------------------------------------ file-level faults
def _cut(table: Table, at: str) -> bytes:
    data = table.data()
    third = data.index(b"\n", len(data) // 2)       # a line end in the middle of the file
    if at == "mid-row":
        return data[:third + 40]
    assert at == "mid-character"
    cyrillic = data.index("Ш".encode(), third) if "Ш".encode() in data[third:] \
        else next(i for i in range(third, len(data)) if data[i] >= 0xD0)
    return data[:cyrillic + 1]                       # the first byte of a two-byte letter


def _broken_files(corpus: Corpus) -> dict[str, tuple[dict[str, bytes], str, str]]:
    """case -> (files replaced, the file the error names, what it says)."""
    schools = corpus.tables["schools"]
    utf8 = schools.copy(encoding="utf-8")
    header_only = Table(schools.file, schools.header, [], schools.encoding)
    no_sheet = _workbook({"Лист1": [["Отчёт"], ["нет данных"]]})
    return {
        "zero-bytes": ({"schools.csv": b""}, "schools.csv", "the file is empty"),
        "whitespace-only": ({"schools.csv": b"\r\n \r\n"}, "schools.csv", "the file is empty"),
        "header-only": ({"schools.csv": header_only.data()}, "schools.csv", "no data rows"),
        "header-and-blank-lines": ({"schools.csv": header_only.data() + b";;\r\n\r\n"},
                                   "schools.csv", "no data rows"),
        "cut-mid-row": ({"schools.csv": _cut(schools, "mid-row")}, "schools.csv",
                        "looks cut short"),
        "cut-mid-character": ({"schools.csv": _cut(utf8, "mid-character")}, "schools.csv",
                              "ends in the middle of a character"),
        "required-column-missing": (
            {"districts.csv": corpus.tables["districts"].copy(
                header=["Код района", "Код", *corpus.tables["districts"].header[2:]]).data()},
            "districts.csv", "required column 'region_code' is missing"),
        "not-a-workbook": ({"schools.xlsx": b"PK\x03\x04 not really a zip"}, "schools.xlsx",
                           "not a readable XLSX workbook"),
        "no-sheet-with-the-table": ({"schools.xlsx": no_sheet}, "schools.xlsx",
                                    "from sheet 'Лист1'"),
    }


@pytest.fixture(scope="module")
def served(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store whose current release was built from the valid corpus."""
    store = tmp_path_factory.mktemp("served")
    report = build(corpus.write("valid"), store, SETTINGS, echo=lambda *_: None)
    assert report.rejected == 0
    return store, report.release


CASES = ["zero-bytes", "whitespace-only", "header-only", "header-and-blank-lines", "cut-mid-row",
         "cut-mid-character", "required-column-missing", "not-a-workbook",
         "no-sheet-with-the-table"]


@pytest.mark.parametrize("case", CASES)
def test_bad_file_stops_the_build_and_the_served_release_stays(corpus, served, case) -> None:
    store, release = served
    files, named, says = _broken_files(corpus)[case]
    folder = corpus.write(f"file-{case}")
    for name, data in files.items():
        if name.endswith(".xlsx"):
            (folder / name.replace(".xlsx", ".csv")).unlink()
        (folder / name).write_bytes(data)
    with pytest.raises(BuildError) as err:
        build(folder, store, SETTINGS, echo=lambda *_: None)
    message = str(err.value)
    assert message.startswith(f"{named}:") and says in message, message
    assert releases.current_release(store).name == release
    assert releases.list_releases(store) == [release]


def test_declared_sheet_missing_lists_the_sheets(corpus, codes, tmp_path) -> None:
    folder = corpus.write("xlsx-declared-sheet")
    (folder / "schools.csv").unlink()
    (folder / "schools.xlsx").write_bytes(_workbook({"Sheet1": corpus.tables["schools"]}))
    with pytest.raises(BuildError) as err:
        load(folder, codes, _with_declared(tmp_path, "schools", sheet="Школы"))
    assert str(err.value).startswith("schools.xlsx: has no sheet 'Школы'")
    assert "its sheets: 'Sheet1'" in str(err.value) and "source.sheet" in str(err.value)


# ------------------------------------------------------------------ through the whole build
def test_row_faults_through_the_build_reach_rejections_csv_and_the_store(corpus, tmp_path) -> None:
    schools = corpus.tables["schools"]
    lines = _lines(schools)
    lines[2] += ";extra"                                         # row 3
    cells = lines[6].split(";")
    cells[schools.col("latitude")] = "сорок два"                  # row 7
    lines[6] = ";".join(cells)
    folder = corpus.write("through-build", {schools.file: _encode(lines, schools)})
    report = build(folder, tmp_path / "store", SETTINGS, echo=lambda *_: None)
    saved = pd.read_csv(report.release_dir / releases.REJECTIONS, dtype=str, keep_default_na=False)
    assert list(saved.columns) == list(Rejection.FIELDS)
    mine = saved[saved["table"] == "schools"]
    assert mine[["file", "row", "column", "rule"]].to_numpy().tolist() == [
        ["schools.csv", "3", "(row)", "field-count"], ["schools.csv", "7", "latitude", "datatype"]]
    table = next(t for t in report.tables if t.table == "schools")
    assert (table.rows_read, table.rows_loaded, table.rows_rejected) == \
        (len(schools.rows), len(schools.rows) - 2, 2)
    store = ox.Store.read_only(str(report.release_dir / releases.OXIGRAPH))
    kept = {r["c"].value for r in store.query(
        "SELECT ?c WHERE { GRAPH ?g { ?s <http://data.test/def/emis#schoolCode> ?c } }")}
    del store
    assert kept == codes_of(schools.rows, schools) - codes_of([schools.rows[1], schools.rows[5]],
                                                              schools)
