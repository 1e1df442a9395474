"""Writing the tables the way the ministry's tools write them, and the manifest.

* ``regions.csv``   UTF-8 with BOM, ``,``-separated, LF (a web tool's export);
* ``districts.csv`` UTF-8, ``;``-separated, Russian headers, LF;
* ``schools.csv``   Windows-1251, ``;``-separated, decimal comma, CRLF (Excel on a
  Russian-locale Windows).

Windows-1251 has no letters for the Kyrgyz ң, ү and ө. Real exports lose them: Excel
replaces them, or the operators typed the look-alike Russian letters in the first place.
We write what such files contain, н, у and о, deliberately (and only in ``schools.csv``;
the UTF-8 tables keep the Kyrgyz letters).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .geography import Geography
from .model import (
    DISTRICT_COLUMNS,
    DISTRICTS_FILE,
    MANIFEST,
    REGION_COLUMNS,
    REGIONS_FILE,
    SCHOOL_COLUMNS,
    SCHOOLS_FILE,
    InvalidRow,
)

CP1251_LOSSY = str.maketrans({"ң": "н", "Ң": "Н", "ү": "у", "Ү": "У", "ө": "о", "Ө": "О"})

FORMATS = {
    REGIONS_FILE: {"encoding": "utf-8-sig", "separator": ",", "line_terminator": "\n"},
    DISTRICTS_FILE: {"encoding": "utf-8", "separator": ";", "line_terminator": "\n"},
    SCHOOLS_FILE: {"encoding": "cp1251", "separator": ";", "line_terminator": "\r\n",
                   "decimal": ","},
}


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]], fmt: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt["separator"], lineterminator=fmt["line_terminator"],
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(out: Path, name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    fmt = FORMATS[name]
    text = _csv_text(header, rows, fmt)
    if fmt["encoding"] == "cp1251":
        text = text.translate(CP1251_LOSSY)
    path = out / name
    path.write_bytes(text.encode(fmt["encoding"]))   # strict: a stray character fails loudly
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
                   invalid: Sequence[InvalidRow]) -> Path:
    """``generator-manifest.json``: the seed, the tables and every deliberately invalid row."""
    bad = Counter(r.file for r in invalid)
    manifest = {
        "generator": "emis_lod.generator",
        "seed": seed,
        "schools_requested": valid_schools,
        "row_numbering": "spreadsheet: header = row 1, first data row = row 2",
        "tables": {
            name: {**FORMATS[name], "rows": n, "valid_rows": n - bad[name],
                   "invalid_rows": bad[name]}
            for name, n in rows.items()
        },
        "invalid_kinds": dict(sorted(Counter(r.kind for r in invalid).items())),
        "invalid": [{"file": r.file, "row": r.row, "column": r.column, "kind": r.kind,
                     "value": r.value} for r in invalid],
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
