"""Seeded generator of a realistic, deliberately messy demo EMIS export.

>>> from emis_lod.generator import generate
>>> result = generate(Path("var/demo/source"), schools=300, seed=2026)   # doctest: +SKIP
>>> result.valid_schools                                                 # doctest: +SKIP
300

The same seed gives byte-identical files. ``schools`` is the number of *valid* schools;
about 2% extra rows (at least one of each fault kind) are made invalid on purpose and
listed in ``generator-manifest.json``. The tables of the four commitment domains
(finance, textbooks, staff, buildings and safety) describe the valid schools only; about
0.5% extra rows of each of them are invalid on purpose, listed in the manifest too.
``preschools.csv`` registers about one preschool organisation per two valid schools, whose
buildings and inspections follow the schools' in the building and safety tables
(:mod:`.preschools`).
"""

from __future__ import annotations

import random
from pathlib import Path

from .crosswalks import write_crosswalks
from .domains import domain_tables
from .faults import DOMAIN_FAULT_KINDS
from .geography import load_geography
from .messiness import FAULT_KINDS, fault_count, mess_up
from .model import (
    DISTRICTS_FILE,
    FIRST_DATA_ROW,
    MANIFEST,
    PERSONAL_COLUMNS,
    REGIONS_FILE,
    SCHOOLS_FILE,
    GeneratedSet,
    InvalidRow,
)
from .schools import SCHOOL_TYPES, build_schools
from .writer import write_districts, write_manifest, write_regions, write_schools, write_table

__all__ = ["DOMAIN_FAULT_KINDS", "FAULT_KINDS", "MANIFEST", "SCHOOL_TYPES", "GeneratedSet",
           "InvalidRow", "generate", "write_crosswalks"]


def generate(out: Path, schools: int = 300, seed: int = 2026) -> GeneratedSet:
    """Write regions.csv, districts.csv, schools.csv, the domain tables (finance.csv,
    textbooks.csv, textbook_provision.csv, staff.csv, training.csv, preschools.csv,
    buildings.csv, safety_assessments.csv) and generator-manifest.json into ``out`` (created
    if needed; existing files are overwritten)."""
    if schools < 1:
        raise ValueError(f"schools must be at least 1, not {schools}")
    rnd = random.Random(seed)
    geo = load_geography()
    faults = fault_count(schools)
    records = build_schools(rnd, geo, schools + faults)
    clean = [dict(r) for r in records]
    invalid = mess_up(rnd, records, faults)
    faulty = {r.row - FIRST_DATA_ROW for r in invalid}
    valid = [i for i in range(len(records)) if i not in faulty]

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_regions(out, geo), write_districts(out, geo), write_schools(out, records)]
    rows = {REGIONS_FILE: len(geo.regions), DISTRICTS_FILE: len(geo.districts),
            SCHOOLS_FILE: len(records)}
    for name, table, bad in domain_tables(seed, geo, clean, valid):
        files.append(write_table(out, name, table))
        rows[name] = len(table)
        invalid += bad
    write_manifest(out, seed, schools, rows, invalid, PERSONAL_COLUMNS)
    return GeneratedSet(files=tuple(files), schools=len(records), invalid=invalid, rows=rows)
