"""Seeded generator of a demo export of Kazakhstan's National Educational Database (НОБД),
deliberately messy, for the ``kz`` profile.

>>> from emis_lod.generator.kz import generate
>>> result = generate(Path("var/demo-kz/source"), schools=300, seed=2026)   # doctest: +SKIP

The same seed gives byte-identical files. The schools are the Kazakh regions' and districts'
(``profiles/kz/geography.yaml``) with Kazakh and Russian names; the domain tables (finance,
textbooks, staff, buildings and safety) are made by the Kyrgyz generator's recipes for these
schools and put into the Kazakh export's words, headers and encodings (:mod:`.export`); the
per-capita normative financing tables are this package's own (:mod:`.per_capita`). As in the
Kyrgyz generator, ``schools`` is the number of valid schools, and the rows made invalid on
purpose are listed in ``generator-manifest.json``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..cells import stream
from ..domains import domain_tables
from ..messiness import fault_count, mess_up
from ..model import FIRST_DATA_ROW, PERSONAL_COLUMNS, SCHOOLS_FILE, GeneratedSet, InvalidRow
from . import export
from .export import DISTRICTS, FUNDING, NORMS, REGIONS, SCHOOLS
from .geography import KzGeography, load_kz_geography
from .per_capita import funding_table, norm_table, norms

__all__ = ["FUNDING", "NORMS", "SCHOOLS", "KzGeneratedSet", "generate"]


@dataclass(frozen=True)
class KzGeneratedSet(GeneratedSet):
    @property
    def valid_schools(self) -> int:
        return self.schools - sum(1 for r in self.invalid if r.file == SCHOOLS)


def _regions(kz: KzGeography) -> list[list[str]]:
    return [[r.code, r.name_ky, r.name_ru, r.name_en] for r in kz.regions]


def _districts(kz: KzGeography) -> list[list[str]]:
    return [[d.code, d.region_code, d.name_ky, d.name_ru, d.name_en] for d in kz.districts]


def generate(out: Path, schools: int = 300, seed: int = 2026,
             geography: Path | None = None) -> KzGeneratedSet:
    """Write the Kazakh export (see :mod:`.export` for its files) and
    ``generator-manifest.json`` into ``out`` (created if needed; files overwritten).
    ``geography``: a geography file in the layout of ``profiles/kz/geography.yaml``."""
    if schools < 1:
        raise ValueError(f"schools must be at least 1, not {schools}")
    rnd = random.Random(seed)
    kz = load_kz_geography(geography)
    faults = fault_count(schools)
    records = export_records = build(rnd, kz, schools + faults)
    clean = [dict(r) for r in records]
    invalid: list[InvalidRow] = [replace(r, file=SCHOOLS) if r.file == SCHOOLS_FILE else r
                                 for r in mess_up(rnd, export_records, faults)]
    faulty = {r.row - FIRST_DATA_ROW for r in invalid}
    valid = [i for i in range(len(records)) if i not in faulty]

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [export.write_csv(out, REGIONS, _regions(kz)),
             export.write_csv(out, DISTRICTS, _districts(kz)),
             export.write_csv(out, SCHOOLS, export.school_rows(records))]
    rows = {REGIONS: len(kz.regions), DISTRICTS: len(kz.districts), SCHOOLS: len(records)}
    school_district = {r["school_code"]: r["district_code"] for r in clean}
    iin: dict[str, str] = {}
    preschool_buildings: set[str] = set()
    for name, table, bad in domain_tables(seed, kz.geo, clean, valid):
        if name not in export.HEADERS:
            continue           # preschool organisations: not (yet) in the Kazakh export
        table, bad = _schools_only(name, table, bad, preschool_buildings)
        if "personal_id" in table.columns:
            iin = export.personal_numbers(table["personal_id"].tolist(), iin)
        table = export.nationalise(name, table, kz, school_district, iin)
        files.append(export.write_frame(out, name, table))
        rows[name] = len(table)
        invalid += [replace(r, value=_value(table, r)) for r in bad]

    rng = stream(seed, "per-capita")
    norm_list = norms()
    table, bad_norms = norm_table(rng, norm_list, export.TYPE_NOTATION_CELLS, export.CATEGORY_CELLS)
    files.append(export.write_xlsx(out, NORMS, table))
    rows[NORMS] = len(table)
    funding, bad_funding, _ = funding_table(rng, clean, valid, norm_list)
    files.append(export.write_frame(out, FUNDING, funding))
    rows[FUNDING] = len(funding)
    invalid += list(bad_norms) + list(bad_funding)
    export.write_manifest(out, seed, schools, rows, invalid, PERSONAL_COLUMNS)
    return KzGeneratedSet(files=tuple(files), schools=len(records), invalid=tuple(invalid), rows=rows)


def build(rnd: random.Random, kz: KzGeography, count: int) -> list[dict[str, str]]:
    from .schools import build_schools

    return build_schools(rnd, kz, count)


def _schools_only(name: str, table: pd.DataFrame, bad: tuple[InvalidRow, ...],
                  preschool_buildings: set[str]) -> tuple[pd.DataFrame, tuple[InvalidRow, ...]]:
    """The rows of the buildings and safety tables about schools. The Kyrgyz recipes write the
    rows about preschool organisations after them: the table is cut where they begin."""
    if name == "buildings.csv" and "preschool_code" in table.columns:
        preschool = table["preschool_code"].fillna("").astype(str).str.strip() != ""
        preschool_buildings |= set(table.loc[preschool, "building_id"].astype(str).str.strip())
        cut = int(np.argmax(preschool.to_numpy())) if preschool.any() else len(table)
    elif name == "safety_assessments.csv" and preschool_buildings:
        about = table["building_id"].astype(str).str.strip().isin(preschool_buildings).to_numpy()
        cut = int(np.argmax(about)) if about.any() else len(table)
    else:
        return table, bad
    kept = tuple(r for r in bad if r.row - FIRST_DATA_ROW < cut)
    return table.iloc[:cut].reset_index(drop=True), kept


def _value(table: pd.DataFrame, row: InvalidRow) -> str:
    """The faulty cell as written (the Kyrgyz recipe's value, put into Kazakh words)."""
    cell = table.at[row.row - FIRST_DATA_ROW, row.column]
    return "" if cell is None else str(cell)
