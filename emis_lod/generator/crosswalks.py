"""A small demo ``crosswalks.csv``: a few schools' codes in other registries.

Kept apart from :func:`emis_lod.generator.generate` so that the files it writes stay the same
bytes; ``emis-lod generate --crosswalks`` and ``emis-lod demo`` call it after the export is
written. The codes are synthetic and deliberately outside the registries' current ranges
(Wikidata items above Q9,000,000,000; OpenStreetMap elements above 90,000,000,000), so that a
demo link never points at a real, unrelated item. The statistics code is the school code with
its first digit replaced by 9 (real statistics codes are not derivable: they come from the
statistics office's own table).
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

from .model import FIRST_DATA_ROW, MANIFEST, SCHOOLS_FILE

CROSSWALKS_FILE = "crosswalks.csv"
COLUMNS = ("school_code", "registry", "code")


def _school_codes(source: Path) -> list[str]:
    raw = (source / SCHOOLS_FILE).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=sep))
    manifest = source / MANIFEST
    invalid = {r["row"] for r in json.loads(manifest.read_text(encoding="utf-8"))["invalid"]
               if r["file"] == SCHOOLS_FILE} if manifest.is_file() else set()
    codes = [row["school_code"].strip() for i, row in enumerate(rows, start=FIRST_DATA_ROW)
             if i not in invalid]
    # only schools that load: the generator's deliberately invalid rows (and their keys) left out
    bad = {rows[i - FIRST_DATA_ROW]["school_code"].strip() for i in invalid
           if 0 <= i - FIRST_DATA_ROW < len(rows)}
    return sorted({c for c in codes if len(c) == 8 and c.isdigit() and c not in bad})


def write_crosswalks(source: Path, schools: int = 5, seed: int = 2026) -> Path:
    """Write ``crosswalks.csv`` (UTF-8) for ``schools`` schools of ``source/schools.csv``."""
    rnd = random.Random(seed)
    codes = _school_codes(Path(source))
    chosen = sorted(rnd.sample(codes, min(schools, len(codes))))
    rows = []
    for i, code in enumerate(chosen):
        rows.append((code, "stat", "9" + code[1:]))
        if i % 2 == 0:
            rows.append((code, "wikidata", f"Q{9_000_000_000 + int(code)}"))
        rows.append((code, "osm" if i % 3 else "osm-way", str(90_000_000_000 + int(code))))
    path = Path(source) / CROSSWALKS_FILE
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path
