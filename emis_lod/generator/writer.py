"""Writing the tables the way the ministry's tools write them, and the manifest.

* ``regions.csv``   UTF-8 with BOM, ``,``-separated, LF (a web tool's export);
* ``districts.csv`` UTF-8, ``;``-separated, Russian headers, LF;
* ``schools.csv``   Windows-1251, ``;``-separated, decimal comma, CRLF (Excel on a
  Russian-locale Windows);
* ``finance.csv``, ``textbook_provision.csv``, ``staff.csv``, ``preschools.csv``,
  ``buildings.csv``: the same as ``schools.csv`` (the school's accountant and operator work in
  Excel);
* ``textbooks.csv``, ``training.csv``, ``safety_assessments.csv``: UTF-8 without BOM,
  ``,``-separated, LF (exports of the ministry's web systems).

Windows-1251 has no letters for the Kyrgyz ң, ү and ө. Real exports lose them: Excel
replaces them, or the operators typed the look-alike Russian letters in the first place.
We write what such files contain, н, у and о, deliberately (in every Windows-1251 table;
the UTF-8 tables keep the Kyrgyz letters).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from .geography import Geography
from .model import (
    BUILDINGS_FILE,
    DISTRICT_COLUMNS,
    DISTRICTS_FILE,
    FINANCE_FILE,
    MANIFEST,
    PRESCHOOLS_FILE,
    PROVISION_FILE,
    REGION_COLUMNS,
    REGIONS_FILE,
    SAFETY_FILE,
    SCHOOL_COLUMNS,
    SCHOOLS_FILE,
    STAFF_FILE,
    TEXTBOOKS_FILE,
    TRAINING_FILE,
    InvalidRow,
)

CP1251_LOSSY = (("ң", "н"), ("Ң", "Н"), ("ү", "у"), ("Ү", "У"), ("ө", "о"), ("Ө", "О"))

EXCEL = {"encoding": "cp1251", "separator": ";", "line_terminator": "\r\n", "decimal": ","}
WEB = {"encoding": "utf-8", "separator": ",", "line_terminator": "\n"}
FORMATS = {
    REGIONS_FILE: {"encoding": "utf-8-sig", "separator": ",", "line_terminator": "\n"},
    DISTRICTS_FILE: {"encoding": "utf-8", "separator": ";", "line_terminator": "\n"},
    SCHOOLS_FILE: dict(EXCEL),
    FINANCE_FILE: dict(EXCEL),
    TEXTBOOKS_FILE: dict(WEB),
    PROVISION_FILE: dict(EXCEL),
    STAFF_FILE: dict(EXCEL),
    TRAINING_FILE: dict(WEB),
    PRESCHOOLS_FILE: dict(EXCEL),
    BUILDINGS_FILE: dict(EXCEL),
    SAFETY_FILE: dict(WEB),
}
CHUNK_ROWS = 50_000


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]], fmt: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt["separator"], lineterminator=fmt["line_terminator"],
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _encode(text: str, fmt: dict[str, str]) -> bytes:
    if fmt["encoding"] == "cp1251":
        for kyrgyz, russian in CP1251_LOSSY:      # str.replace: far faster than translate
            text = text.replace(kyrgyz, russian)
    return text.encode(fmt["encoding"])     # strict: a stray character fails loudly


def _write(out: Path, name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    fmt = FORMATS[name]
    path = out / name
    path.write_bytes(_encode(_csv_text(header, rows, fmt), fmt))
    return path


def write_table(out: Path, name: str, table: pd.DataFrame) -> Path:
    """A domain table (all cells text), written in chunks so that a million rows never
    sit in memory twice as one string."""
    fmt = FORMATS[name]
    header = [str(c) for c in table.columns]
    columns = [table[c].to_numpy(dtype=object) for c in header]
    path = out / name
    with path.open("wb") as handle:
        handle.write(_encode(_csv_text(header, (), fmt), fmt))
        for start in range(0, len(table), CHUNK_ROWS):
            rows = zip(*(c[start:start + CHUNK_ROWS] for c in columns), strict=True)
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=fmt["separator"], lineterminator=fmt["line_terminator"],
                       quoting=csv.QUOTE_MINIMAL).writerows(rows)
            handle.write(_encode(buffer.getvalue(), fmt))
    return path


def write_regions(out: Path, geo: Geography) -> Path:
    rows = [(r.code, r.name_ky, r.name_ru, r.name_en) for r in geo.regions]
    return _write(out, REGIONS_FILE, REGION_COLUMNS, rows)


def write_districts(out: Path, geo: Geography) -> Path:
    rows = [(d.code, d.region_code, d.name_ky, d.name_ru, d.name_en) for d in geo.districts]
    return _write(out, DISTRICTS_FILE, DISTRICT_COLUMNS, rows)


def write_schools(out: Path, records: list[dict[str, str]]) -> Path:
    rows = ([record[c] for c in SCHOOL_COLUMNS] for record in records)
    return _write(out, SCHOOLS_FILE, SCHOOL_COLUMNS, rows)


def write_manifest(out: Path, seed: int, valid_schools: int, rows: dict[str, int],
                   invalid: Sequence[InvalidRow],
                   personal: dict[str, tuple[str, ...]] | None = None) -> Path:
    """``generator-manifest.json``: the seed, the tables, every deliberately invalid row,
    and the columns that hold personal data."""
    bad = Counter(r.file for r in invalid)
    kinds: dict[str, Counter[str]] = {name: Counter() for name in rows}
    for r in invalid:
        kinds[r.file][r.kind] += 1
    manifest = {
        "generator": "emis_lod.generator",
        "seed": seed,
        "schools_requested": valid_schools,
        "row_numbering": "spreadsheet: header = row 1, first data row = row 2",
        "tables": {
            name: {**FORMATS[name], "rows": n, "valid_rows": n - bad[name],
                   "invalid_rows": bad[name], "invalid_kinds": dict(sorted(kinds[name].items()))}
            for name, n in rows.items()
        },
        "invalid_kinds": dict(sorted(Counter(r.kind for r in invalid).items())),
        "invalid": [{"file": r.file, "row": r.row, "column": r.column, "kind": r.kind,
                     "value": r.value} for r in invalid],
        "personal": {name: list(columns) for name, columns in (personal or {}).items()},
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
