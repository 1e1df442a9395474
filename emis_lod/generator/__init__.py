"""Seeded generator of a realistic, deliberately messy demo EMIS export.

>>> from emis_lod.generator import generate
>>> result = generate(Path("var/demo/source"), schools=300, seed=2026)   # doctest: +SKIP
>>> result.schools - len(result.invalid)                                 # doctest: +SKIP
300

The same seed gives byte-identical files. ``schools`` is the number of *valid* schools;
about 2% extra rows (at least one of each fault kind) are made invalid on purpose and
listed in ``generator-manifest.json``.
"""

from __future__ import annotations

import random
from pathlib import Path

from .geography import load_geography
from .messiness import FAULT_KINDS, fault_count, mess_up
from .model import DISTRICTS_FILE, MANIFEST, REGIONS_FILE, SCHOOLS_FILE, GeneratedSet, InvalidRow
from .schools import SCHOOL_TYPES, build_schools
from .writer import write_districts, write_manifest, write_regions, write_schools

__all__ = ["FAULT_KINDS", "MANIFEST", "SCHOOL_TYPES", "GeneratedSet", "InvalidRow", "generate"]


def generate(out: Path, schools: int = 300, seed: int = 2026) -> GeneratedSet:
    """Write regions.csv, districts.csv, schools.csv and generator-manifest.json into ``out``
    (created if needed; existing files are overwritten)."""
    if schools < 1:
        raise ValueError(f"schools must be at least 1, not {schools}")
    rnd = random.Random(seed)
    geo = load_geography()
    faults = fault_count(schools)
    records = build_schools(rnd, geo, schools + faults)
    invalid = mess_up(rnd, records, faults)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = (write_regions(out, geo), write_districts(out, geo), write_schools(out, records))
    rows = {REGIONS_FILE: len(geo.regions), DISTRICTS_FILE: len(geo.districts),
            SCHOOLS_FILE: len(records)}
    write_manifest(out, seed, schools, rows, invalid)
    return GeneratedSet(files=files, schools=len(records), invalid=invalid)
