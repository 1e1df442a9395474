"""What the generator returns, and the headers of the tables it writes.

The file names and headers are the contract with the mapping files in ``mappings/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIRST_DATA_ROW = 2          # spreadsheet numbering: the header is row 1
MANIFEST = "generator-manifest.json"
SCHOOL_YEAR = "2025-2026"
GRADES = tuple(range(1, 12))

REGIONS_FILE = "regions.csv"
REGION_COLUMNS = ("region_code", "name_ky", "name_ru", "name_en")

DISTRICTS_FILE = "districts.csv"
# Russian headers, as the ministry's own export writes them; canonical meaning:
# district_code, region_code, name_ky, name_ru, name_en.
DISTRICT_COLUMNS = ("Код района", "Код области", "Наименование (кырг.)",
                    "Наименование (рус.)", "Наименование (англ.)")

SCHOOLS_FILE = "schools.csv"
PUPIL_COLUMNS = tuple(f"g{g}_{sex}" for g in GRADES for sex in ("m", "f"))
SCHOOL_COLUMNS = ("school_code", "name_ky", "name_ru", "school_type", "ownership", "languages",
                  "region_code", "district_code", "settlement", "locality", "address",
                  "latitude", "longitude", "year_opened", "shifts", "school_year",
                  *PUPIL_COLUMNS)


@dataclass(frozen=True)
class InvalidRow:
    """A row made invalid on purpose: the build must reject exactly this row."""

    file: str       # table file name, e.g. "schools.csv"
    row: int        # spreadsheet row number (header = 1, first data row = 2)
    column: str     # the one column at fault
    kind: str       # missing_code, duplicate_code, unknown_district, bad_latitude, ...
    value: str      # the cell's text as written ("" for an empty cell)


@dataclass(frozen=True)
class GeneratedSet:
    files: tuple[Path, ...]          # tables written, in writing order
    schools: int                     # rows in schools.csv (incl. the invalid ones)
    invalid: tuple[InvalidRow, ...]  # the rows deliberately made invalid

    @property
    def valid_schools(self) -> int:
        return self.schools - sum(1 for r in self.invalid if r.file == SCHOOLS_FILE)

    @property
    def manifest(self) -> Path:
        """``generator-manifest.json``, beside the tables."""
        return self.files[0].parent / MANIFEST
