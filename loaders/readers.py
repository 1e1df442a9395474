"""Reading EMIS exports as they come: CSV in UTF-8, UTF-8 with BOM or Windows-1251,
``;`` or ``,`` separated, or XLSX; headers in English, Russian or Kyrgyz.

Everything is read as text; typing and checking is the job of :mod:`columns`.
A fault that spoils one row (a wrong number of cells, a quote never closed, a cell
too long, bytes that are not text) is kept as a :class:`RowFault`, so the row is
rejected with a reason and the others load. A fault that spoils the file (unreadable,
empty, cut short, required column missing) raises :class:`BuildError`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import overload

import pandas as pd
from pandas.api.extensions import ExtensionArray

from .columns import Problem
from .errors import BuildError
from .mapping_spec import Mapping

FIRST_DATA_ROW = 2   # spreadsheet numbering: the header is row 1
MAX_CELL = 10_000    # characters; a longer cell is a broken export (a lost quote), not data
READ_BLOCK = 100_000  # rows whose cells are turned into columns at a time
SHOWN = 200          # characters of a broken line or cell kept in the rejection report
ROW = "(row)"        # the column of faults that concern the whole row
# A file's own structure decides how long a cell may be, not the csv module's 128 KiB default;
# MAX_CELL then rejects the row with a reason instead of the whole file failing.
csv.field_size_limit(2**31 - 1)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")   # a line and its ending, if any
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class RowFault:
    """A row the reader could read only in part: it is rejected, with this reason."""

    row: int
    column: str       # a canonical column name, or "(row)"
    value: str        # what the report shows (shortened)
    rule: str
    reason: str


@dataclass(frozen=True)
class SourceTable:
    file: str                 # file name as the data team knows it
    path: Path
    sha256: str
    encoding: str             # what was detected or declared ("xlsx" for workbooks)
    frame: pd.DataFrame       # canonical column names, all values str or NA; index = source row
    ignored_columns: tuple[str, ...]
    faults: tuple[RowFault, ...] = ()


def normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\ufeff", "")).strip().casefold()


def find_source(directory: Path, mapping: Mapping) -> Path | None:
    for name in mapping.files:
        candidate = Path(directory) / name
        if candidate.is_file():
            return candidate
    return None


def _shorten(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + f"… ({len(text)} characters)"


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


# ---------------------------------------------------------------------------- encodings
def _decode(raw: bytes, declared: str, file: str, mapping: str) -> tuple[str, str]:
    if declared != "auto":
        return _decode_declared(raw, declared, file, mapping)
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[3:] if bom else raw
    name = "utf-8-sig" if bom else "utf-8"
    try:
        return body.decode("utf-8"), name
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data" and err.end == len(body) \
                and _valid_utf8(body[:err.start]):
            raise BuildError(
                f"{file}: the file ends in the middle of a character (byte {len(raw)}, line "
                f"{_line_of(raw, len(raw))}): it was cut short by an interrupted export, copy or "
                f"upload; export or copy it again") from None
    text = body.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd")
    readable = len(text) - len(text.encode("ascii", errors="ignore")) - damaged
    if bom or readable >= damaged:
        # Mostly UTF-8 with a few damaged bytes: the rows holding them are rejected
        # (the U+FFFD check below), rather than every Cyrillic letter read as cp1251.
        return text, name
    # Excel on a Russian-locale Windows saves "CSV" as Windows-1251. Its one undefined byte
    # (0x98) becomes U+FFFD, and that row is rejected.
    return raw.decode("cp1251", errors="replace"), "cp1251"


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_declared(raw: bytes, declared: str, file: str, mapping: str) -> tuple[str, str]:
    try:
        codec = codecs.lookup(declared)
    except LookupError:
        raise BuildError(f"{mapping}: source.encoding '{declared}' is not an encoding Python "
                         f"knows; use utf-8, cp1251 or auto") from None
    if codec.name.startswith("utf-8") and raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    try:
        text = raw.decode(codec.name)
    except UnicodeDecodeError as err:
        raise BuildError(
            f"{file}: cannot be read as {declared}, the encoding {mapping} declares: byte "
            f"0x{raw[err.start]:02x} on line {_line_of(raw, err.start)} is not {declared}. Save the "
            f"file as {declared}, or set source.encoding in {mapping} to the file's encoding "
            f"(or to auto)") from None
    if not codec.name.startswith("utf-8") and not raw.isascii() and _valid_utf8(raw):
        # cp1251 decodes any bytes, so UTF-8 read as cp1251 would load as mojibake ("РљРѕРґ").
        raise BuildError(
            f"{file}: {mapping} declares the encoding {declared}, but the file is UTF-8 (read as "
            f"{declared} its text would be garbled). Set source.encoding to utf-8 or auto, or "
            f"save the file as {declared}")
    return text, declared


# ---------------------------------------------------------------------------- CSV
def _separator(text: str, declared: str) -> str:
    if declared != "auto":
        return declared
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


@dataclass
class _Record:
    cells: list[str]
    first_line: int           # 1-based physical lines of the file
    last_line: int
    unclosed_quote: bool = False


def _ends_inside_quotes(lines: list[str], sep: str) -> bool:
    try:
        for _ in csv.reader(lines, delimiter=sep, strict=True):
            pass
    except csv.Error as err:
        return "unexpected end of data" in str(err)
    return False


class _LineRecords(Sequence[_Record]):
    """The records of CSV lines without quotes, each made from its line when asked for: the
    cells of a national export (a million rows) are then never all in memory at once."""

    def __init__(self, lines: list[str], sep: str, start: int = 0, stop: int | None = None) -> None:
        self.lines, self.sep, self.start = lines, sep, start
        self.stop = len(lines) if stop is None else stop

    def __len__(self) -> int:
        return self.stop - self.start

    @overload
    def __getitem__(self, i: int) -> _Record: ...
    @overload
    def __getitem__(self, i: slice) -> _LineRecords: ...

    def __getitem__(self, i: int | slice) -> _Record | _LineRecords:
        if isinstance(i, slice):
            first, last, step = i.indices(len(self))
            assert step == 1, "records are read in order"
            return _LineRecords(self.lines, self.sep, self.start + first, self.start + max(first, last))
        n = self.start + (i + len(self) if i < 0 else i)
        if not self.start <= n < self.stop:
            raise IndexError(i)
        return _Record(self.lines[n].rstrip("\r\n").split(self.sep), n + 1, n + 1)

    def __iter__(self) -> Iterator[_Record]:
        # Sequence's own __iter__ goes through __getitem__ and its checks, a million times
        lines, sep = self.lines, self.sep
        for n in range(self.start, self.stop):
            yield _Record(lines[n].rstrip("\r\n").split(sep), n + 1, n + 1)

    def pop(self) -> _Record:
        last = self[-1]
        self.stop -= 1
        return last


def _records(lines: list[str], sep: str) -> list[_Record] | _LineRecords:
    """The file's records, with the physical lines each came from.

    A quote never closed swallows the rest of the file into one cell; that record is cut
    back to its first line (and rejected), and reading goes on with the next line.
    """
    if not any('"' in line for line in lines):
        # No quotes: a record is a line split at the separator (what csv.reader would give,
        # several times faster), made when asked for.
        return _LineRecords(lines, sep)
    out: list[_Record] = []
    start = 0
    while start < len(lines):
        reader = csv.reader(lines[start:], delimiter=sep, strict=False)
        seen = 0
        resume = None
        for cells in reader:
            first, last = start + seen, start + reader.line_num
            seen = reader.line_num
            if last == len(lines) and _ends_inside_quotes(lines[first:last], sep):
                out.append(_Record(next(csv.reader([lines[first]], delimiter=sep)),
                                   first + 1, first + 1, unclosed_quote=True))
                resume = first + 1
                break
            out.append(_Record(cells, first + 1, last))
        if resume is None:
            break
        start = resume
    return out


def _row_faults(records: Sequence[_Record], width: int, sep: str, file: str,
                lines: list[str]) -> dict[int, RowFault]:
    """Faults of the rows whose cells do not line up with the header (by record index)."""
    faults: dict[int, RowFault] = {}
    cut_short = not lines[-1].endswith(("\n", "\r"))
    for i, rec in enumerate(records):
        n = len(rec.cells)
        if n == width and rec.first_line == rec.last_line and not rec.unclosed_quote:
            continue               # the common case, checked first: nothing to say
        row = FIRST_DATA_ROW + i
        raw = _shorten("".join(lines[rec.first_line - 1:rec.last_line]).rstrip("\r\n"))
        where = f"line {rec.first_line}" if rec.first_line == rec.last_line \
            else f"lines {rec.first_line}-{rec.last_line}"
        if rec.unclosed_quote:
            faults[i] = RowFault(row, ROW, raw, "quote",
                                 f"a quote (\") opened on line {rec.first_line} is never closed, so "
                                 f"the rest of the file would be one cell; close the quote (a "
                                 f"quote inside a cell is written twice: \"\") or remove it")
        elif rec.first_line != rec.last_line and any(
                ("\n" in c or "\r" in c) and c.count(sep) >= max(width - 1, 2) for c in rec.cells):
            # A cell may hold a line break, but not whole rows: a quote closed lines too late.
            faults[i] = RowFault(row, ROW, raw, "quote",
                                 f"a quote (\") opened on line {rec.first_line} closes only on line "
                                 f"{rec.last_line}, so the lines between became one cell of this "
                                 f"row; close the quote where its cell ends (a quote inside a cell "
                                 f"is written twice: \"\")")
        elif n > width and any(c.strip() for c in rec.cells[width:]):
            faults[i] = RowFault(row, ROW, raw, "field-count",
                                 f"the row ({where}) has {n} cells where the header has {width}: "
                                 f"a '{sep}' inside a cell that is not quoted? Put the cell in "
                                 f"quotes or remove the extra '{sep}'")
        elif 1 < n < width or (n == 1 and width > 1 and rec.cells[0].strip()):
            if i == len(records) - 1 and cut_short:
                raise BuildError(
                    f"{file}: the last line ({rec.first_line}) has {n} of the header's {width} "
                    f"cells and no line break at its end: the file looks cut short by an "
                    f"interrupted export, copy or upload; export or copy it again (or, if the "
                    f"row is complete, add its missing cells)")
            hint = " (a quote opened in it closes on a later line?)" \
                if rec.first_line != rec.last_line else ""
            faults[i] = RowFault(row, ROW, raw, "field-count",
                                 f"the row ({where}) has {n} cells where the header has {width}: "
                                 f"cells are missing{hint}; give the row all {width} cells, "
                                 f"empty ones included")
    return faults


def _read_csv(path: Path, raw: bytes, mapping: Mapping
              ) -> tuple[list[str], Iterator[list[str]], list[int], dict[int, RowFault], str, bool]:
    name = Path(mapping.path).name
    if not raw.strip():
        raise BuildError(f"{path.name}: the file is empty ({len(raw)} bytes); export the "
                         f"table again")
    text, encoding = _decode(raw, mapping.encoding, path.name, name)
    sep = _separator(text, mapping.separator)
    lines = _LINE.findall(text)   # as io.StringIO(text, newline="") splits, without its copy
    plain = _plain(text, lines)
    del text                   # a national export is held once at a time, not three times
    records = _records(lines, sep)
    header, records = records[0].cells, records[1:]
    while records and not any(c.strip() for c in records[-1].cells):
        records.pop()          # blank lines at the end are no rows (a spreadsheet shows none)
    width = len(header)
    faults = _row_faults(records, width, sep, path.name, lines)
    cells = (r.cells if len(r.cells) == width else (r.cells + [""] * width)[:width]
             for r in records)
    rows = list(range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(records)))
    return header, cells, rows, faults, encoding, plain


# ---------------------------------------------------------------------------- XLSX
def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _sheet_rows(sheet) -> tuple[list[str], list[list[str]], list[int]]:
    """Header (first non-empty row) and data rows with their sheet row numbers.

    Cells right of the header that hold data get a column name of their own, so that
    they are reported as ignored columns rather than dropped unseen.
    """
    header: list[str] | None = None
    cells: list[list[str]] = []
    numbers: list[int] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        texts = [_cell_text(v) for v in values]
        if header is None:
            if any(t.strip() for t in texts):
                header = texts
            continue
        cells.append(texts)
        numbers.append(number)
    while cells and not any(t.strip() for t in cells[-1]):
        cells.pop()
        numbers.pop()
    header = header or []
    while header and not header[-1].strip():
        header.pop()
    used = max([len(header)] + [max((i + 1 for i, t in enumerate(r) if t.strip()), default=0)
                                for r in cells])
    header += [f"(unnamed column {i + 1})" if any(len(r) > i and r[i].strip() for r in cells)
               else "" for i in range(len(header), used)]
    return header, [(r + [""] * used)[:used] for r in cells], numbers


def _has_required(header: list[str], mapping: Mapping) -> bool:
    found = {normalise_header(h) for h in header}
    return all(any(normalise_header(s) in found for s in (c.name, *c.aliases))
               for c in mapping.columns if c.required)


def _read_xlsx(path: Path, mapping: Mapping) -> tuple[list[str], list[list[str]], list[int], str]:
    import openpyxl  # only workbooks need it

    name = Path(mapping.path).name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:    # openpyxl raises many types for broken workbooks
        raise BuildError(f"{path.name}: not a readable XLSX workbook ({type(err).__name__}: "
                         f"{err}); open it in a spreadsheet program and save it again as .xlsx"
                         ) from None
    try:
        names = book.sheetnames
        if mapping.sheet is not None:
            sheet = mapping.sheet
            if isinstance(sheet, int) and not 0 <= sheet < len(names) \
                    or isinstance(sheet, str) and sheet not in names:
                raise BuildError(
                    f"{path.name}: has no sheet {sheet!r}, which {name} names in source.sheet "
                    f"(its sheets: {', '.join(repr(n) for n in names)}); rename the sheet or fix "
                    f"source.sheet")
            chosen = names[sheet] if isinstance(sheet, int) else sheet
            return (*_sheet_rows(book[chosen]), chosen)
        # No sheet named: the first sheet with the required columns (a cover or notes sheet
        # often comes first), else the first sheet, whose headers the error then lists.
        first = None
        for sheet_name in names:
            header, cells, rows = _sheet_rows(book[sheet_name])
            if _has_required(header, mapping):
                return header, cells, rows, sheet_name
            first = first or (header, cells, rows, sheet_name)
        if first is None:
            raise BuildError(f"{path.name}: the workbook has no sheets; export the table again")
        return first
    finally:
        book.close()


# ---------------------------------------------------------------------------- columns
def _plain(text: str, lines: list[str]) -> bool:
    """No cell of this CSV text can be damaged, hold control characters or be too long
    (checked on the whole text at once, so that clean files skip the checks per cell)."""
    return '"' not in text and "\ufffd" not in text and not _CONTROL.search(text) \
        and max(map(len, lines)) <= MAX_CELL


def _cell_faults(frame: pd.DataFrame) -> list[RowFault]:
    """Cells no export holds on purpose: damaged bytes, control characters, huge cells."""
    faults: list[RowFault] = []
    for column in frame.columns:
        s = frame[column]
        long = s.str.len() > MAX_CELL
        damaged = s.str.contains("\ufffd", regex=False)
        control = s.str.contains(_CONTROL, regex=True)
        for row in s.index[long]:
            faults.append(RowFault(int(row), column, _shorten(s[row]), "cell-too-long",
                                   f"the cell holds {len(s[row])} characters (at most {MAX_CELL} "
                                   f"are read): a broken export or a quote closed far too late? "
                                   f"Shorten the cell or fix its quotes"))
        for row in s.index[damaged & ~long]:
            faults.append(RowFault(int(row), column, _shorten(s[row]), "encoding",
                                   "the cell holds bytes that are not text in the file's encoding "
                                   "(shown as \ufffd): the file was damaged here, or mixes "
                                   "encodings; retype the cell or export the file again"))
        for row in s.index[control & ~damaged & ~long]:
            faults.append(RowFault(int(row), column, _shorten(s[row]).encode(
                "unicode_escape").decode("ascii"), "encoding",
                "the cell holds control characters (shown escaped, e.g. \\x00): the file was "
                "damaged here; retype the cell or export the file again"))
    return faults


def _select_columns(header: list[str], mapping: Mapping, file: str, where: str
                    ) -> tuple[dict[str, int], list[str]]:
    """Canonical column -> position in the header, and the headers left unused."""
    wanted: dict[str, str] = {}
    for col in mapping.columns:
        for spelling in (col.name, *col.aliases):
            wanted.setdefault(normalise_header(spelling), col.name)
    chosen: dict[str, int] = {}
    ignored: list[str] = []
    for i, h in enumerate(header):
        canonical = wanted.get(normalise_header(h))
        if canonical and canonical not in chosen:
            chosen[canonical] = i
        elif h.strip():
            ignored.append(h)
    missing = [c for c in mapping.columns if c.required and c.name not in chosen]
    if missing:
        c = missing[0]
        spellings = ", ".join(repr(s) for s in (c.name, *c.aliases))
        found = ", ".join(repr(h) for h in header)
        raise BuildError(
            f"{file}: required column '{c.name}' is missing{where} (accepted headers: "
            f"{spellings}; found: {found}). Add the column to the export, or add its header as "
            f"an alias in {Path(mapping.path).name}")
    return chosen, ignored


def read_source(path: Path, mapping: Mapping) -> SourceTable:
    """Read one export and give its columns their canonical names.

    Raises BuildError when the file cannot be read, holds no data rows, or lacks a required
    column: the message names the file (and column: its accepted header spellings and the
    headers actually found) and says how to fix it.
    """
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    where = ""
    cells: Iterable[list[str]]
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        del raw
        header, cells, rows, sheet = _read_xlsx(path, mapping)
        faults: dict[int, RowFault] = {}
        encoding, where, plain = "xlsx", f" from sheet {sheet!r}", False
    else:
        header, cells, rows, faults, encoding, plain = _read_csv(path, raw, mapping)
        del raw
    header = [h.replace("\ufeff", "") for h in header]
    chosen, ignored = _select_columns(header, mapping, path.name, where)
    if not rows:
        optional = "" if mapping.source_required else \
            " (or leave the file out: the table is optional)"
        raise BuildError(f"{path.name}: has a header but no data rows{where}; export the table "
                         f"again{optional}")
    index = pd.Index(rows, name="row")
    frame = pd.DataFrame(_columns(iter(cells), chosen), index=index)
    del cells
    for col in mapping.columns:
        if col.name not in frame.columns:
            frame[col.name] = pd.Series("", index=index, dtype="string")
    found = list(faults.values()) + ([] if plain else _cell_faults(frame[list(chosen)]))
    return SourceTable(path.name, path, sha, encoding, frame, tuple(ignored), tuple(found))


def _columns(rows: Iterator[list[str]], chosen: dict[str, int]) -> dict[str, ExtensionArray]:
    """The chosen columns of the rows, made a block of rows at a time: the rows' cells (Python
    strings) are let go block by block once their text is in the columns."""
    parts: dict[str, list[pd.Series]] = {name: [] for name in chosen}
    while block := list(islice(rows, READ_BLOCK)):
        for name, j in chosen.items():
            parts[name].append(pd.Series([row[j] for row in block], dtype="string"))
    return {name: (pd.concat(series, ignore_index=True) if len(series) > 1 else series[0]).array
            for name, series in parts.items()}


def fault_problems(source: SourceTable) -> list[Problem]:
    """The reader's row faults as problems of the mapping engine, one per column and rule."""
    groups: dict[tuple[str, str], list[RowFault]] = {}
    for f in source.faults:
        groups.setdefault((f.column, f.rule), []).append(f)
    problems = []
    for (column, rule), faults in groups.items():
        index = source.frame.index
        rows = [f.row for f in faults]
        mask = pd.Series(index.isin(rows), index=index)
        reasons = pd.Series([f.reason for f in faults], index=rows, dtype="string")
        values = pd.Series([f.value for f in faults], index=rows, dtype="string")
        problems.append(Problem(column, rule, mask, reasons.reindex(index), values.reindex(index)))
    return problems
