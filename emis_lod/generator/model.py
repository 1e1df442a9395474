"""What the generator returns, and the headers of the tables it writes.

The file names and headers are the contract with the mapping files in ``mappings/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

FIRST_DATA_ROW = 2          # spreadsheet numbering: the header is row 1
MANIFEST = "generator-manifest.json"
SCHOOL_YEAR = "2025-2026"
GRADES = tuple(range(1, 12))
# The demo export is dated as if made at the end of March 2026: every valid date in it
# (reports, courses, inspections) is on or before this day; the "future" faults lie in
# 2030 and later, so they stay in the future whenever the build runs.
EXPORT_DATE = date(2026, 3, 31)

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

FINANCE_FILE = "finance.csv"
FINANCE_COLUMNS = ("school_code", "fiscal_year", "line", "period", "direction", "source_code",
                   "category_code", "planned", "actual", "currency")

TEXTBOOKS_FILE = "textbooks.csv"
TEXTBOOK_COLUMNS = ("textbook_id", "isbn", "title", "subject", "grade", "language", "authors",
                    "publisher", "year_published")

PROVISION_FILE = "textbook_provision.csv"
PROVISION_COLUMNS = ("school_code", "school_year", "half_year", "grade", "textbook_id",
                     "copies_available", "copies_needed", "condition", "report_date")

STAFF_FILE = "staff.csv"
STAFF_COLUMNS = ("personal_id", "full_name", "birth_date", "school_code", "position", "subjects",
                 "education_level", "qualification_category", "diploma_type", "study_mode",
                 "diploma_number", "experience_years", "workload")

TRAINING_FILE = "training.csv"
TRAINING_COLUMNS = ("personal_id", "course_code", "course", "provider", "hours", "completed")

PRESCHOOLS_FILE = "preschools.csv"
PRESCHOOL_AGES = tuple(range(1, 7))        # children by age in full years (age 7 goes to school)
PRESCHOOL_COLUMNS = ("preschool_code", "name_ky", "name_ru", "preschool_type", "ownership",
                     "languages", "region_code", "district_code", "settlement", "locality",
                     "address", "latitude", "longitude", "year_opened", "places", "school_year",
                     *(f"age{a}" for a in PRESCHOOL_AGES), "girls")

BUILDINGS_FILE = "buildings.csv"
# A building belongs to a school (school_code) or to a preschool organisation (preschool_code).
BUILDING_COLUMNS = ("building_id", "school_code", "preschool_code", "year_built", "material",
                    "storeys", "capacity", "seismic_zone", "hazards", "electricity", "drinking_water",
                    "indoor_toilets", "central_heating", "internet", "computers")

SAFETY_FILE = "safety_assessments.csv"
SAFETY_COLUMNS = ("building_id", "inspection_date", "assessment", "inspector")

DOMAIN_COLUMNS = {
    FINANCE_FILE: FINANCE_COLUMNS, TEXTBOOKS_FILE: TEXTBOOK_COLUMNS,
    PROVISION_FILE: PROVISION_COLUMNS, STAFF_FILE: STAFF_COLUMNS,
    TRAINING_FILE: TRAINING_COLUMNS, PRESCHOOLS_FILE: PRESCHOOL_COLUMNS,
    BUILDINGS_FILE: BUILDING_COLUMNS, SAFETY_FILE: SAFETY_COLUMNS,
}
# Columns holding personal data: never published (the privacy tests read this list from
# the manifest).
PERSONAL_COLUMNS = {
    STAFF_FILE: ("personal_id", "full_name", "birth_date", "diploma_number"),
    TRAINING_FILE: ("personal_id",),
}


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
    rows: dict[str, int] = field(default_factory=dict)   # file name -> rows (incl. invalid)

    def valid_rows(self, file: str) -> int:
        return self.rows[file] - sum(1 for r in self.invalid if r.file == file)

    @property
    def valid_schools(self) -> int:
        return self.schools - sum(1 for r in self.invalid if r.file == SCHOOLS_FILE)

    @property
    def manifest(self) -> Path:
        """``generator-manifest.json``, beside the tables."""
        return self.files[0].parent / MANIFEST
