"""The tables of the four commitment domains, made from the valid schools.

Every table has its own random stream (seeded by the generator's seed and the table's
name), so that the schools registry and each table stay the same when another table's
recipe changes. Tables are yielded one at a time, in the order of
``docs/source-tables.md``, ready to write (text cells, the faulty rows in place).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd

from .buildings import assessment_faults, building_faults, make_assessments, make_buildings
from .cells import stream
from .faults import insert
from .finance import finance_faults, make_finance
from .geography import Geography
from .model import (
    BUILDING_COLUMNS,
    BUILDINGS_FILE,
    FINANCE_COLUMNS,
    FINANCE_FILE,
    PRESCHOOL_COLUMNS,
    PRESCHOOLS_FILE,
    PROVISION_COLUMNS,
    PROVISION_FILE,
    SAFETY_COLUMNS,
    SAFETY_FILE,
    STAFF_COLUMNS,
    STAFF_FILE,
    TEXTBOOK_COLUMNS,
    TEXTBOOKS_FILE,
    TRAINING_COLUMNS,
    TRAINING_FILE,
    InvalidRow,
)
from .preschools import make_preschool_buildings, make_preschools, preschool_building_faults
from .schoolset import school_set
from .staff import course_catalogue, make_staff, make_training, staff_faults, training_faults
from .textbooks import catalogue_faults, make_catalogue, make_provision, provision_faults

Table = tuple[str, pd.DataFrame, tuple[InvalidRow, ...]]


def domain_tables(seed: int, geo: Geography, records: list[dict[str, str]], valid: list[int]
                  ) -> Iterator[Table]:
    """(file name, table, its invalid rows) for each domain table.

    ``records`` are the clean school records (before dirt and faults); ``valid`` the
    positions of the rows of ``schools.csv`` that are valid.
    """
    schools = school_set(stream(seed, "schools"), geo, records, valid)
    staff = make_staff(stream(seed, "staff"), schools)
    buildings = make_buildings(stream(seed, "buildings"), schools, geo)
    school_of_building = buildings["_school"].to_numpy()
    building_count = np.bincount(school_of_building, minlength=len(schools))
    heating = np.bincount(school_of_building, weights=buildings["_heating"].to_numpy(),
                          minlength=len(schools)) > 0

    finance = make_finance(stream(seed, "finance"), schools, staff.teachers, staff.others,
                           building_count, heating)
    valid_rows, extras = finance_faults(stream(seed, "finance-faults"), finance)
    yield (FINANCE_FILE, *insert(FINANCE_FILE, valid_rows, FINANCE_COLUMNS, extras))
    del finance, valid_rows

    catalogue = make_catalogue(stream(seed, "textbooks"))
    extras = catalogue_faults(stream(seed, "textbooks-faults"), catalogue)
    yield (TEXTBOOKS_FILE, *insert(TEXTBOOKS_FILE, catalogue, TEXTBOOK_COLUMNS, extras))

    provision = make_provision(stream(seed, "provision"), schools, catalogue)
    valid_rows, extras = provision_faults(stream(seed, "provision-faults"), provision, catalogue)
    yield (PROVISION_FILE, *insert(PROVISION_FILE, valid_rows, PROVISION_COLUMNS, extras))
    del provision, valid_rows

    valid_rows, extras = staff_faults(stream(seed, "staff-faults"), staff)
    listed = {e.row["personal_id"].strip() for e in extras if e.kind == "unknown_school"}
    yield (STAFF_FILE, *insert(STAFF_FILE, valid_rows, STAFF_COLUMNS, extras))
    del valid_rows

    courses = course_catalogue(stream(seed, "courses"))
    training = make_training(stream(seed, "training"), staff, courses)
    del staff
    valid_rows, extras = training_faults(stream(seed, "training-faults"), training, courses,
                                         listed)
    yield (TRAINING_FILE, *insert(TRAINING_FILE, valid_rows, TRAINING_COLUMNS, extras))
    del training, valid_rows

    # preschool organisations: their registry, then their rows after the schools' in the
    # building and safety tables (streams of their own: the schools' rows stay as they were)
    taken = {r["school_code"] for r in records} | set(schools.code.tolist())
    preschools = make_preschools(stream(seed, "preschools"), geo, records, valid, taken)
    yield (PRESCHOOLS_FILE, *insert(PRESCHOOLS_FILE, preschools.table, PRESCHOOL_COLUMNS,
                                    preschools.extras))

    valid_rows, extras, listed = building_faults(stream(seed, "buildings-faults"), buildings)
    school_part = insert(BUILDINGS_FILE, valid_rows, BUILDING_COLUMNS, extras)
    preschool_buildings = make_preschool_buildings(stream(seed, "preschool-buildings"),
                                                   preschools.organisations, geo)
    valid_rows, extras, preschool_listed = preschool_building_faults(
        stream(seed, "preschool-buildings-faults"), preschool_buildings)
    yield (BUILDINGS_FILE, *append(school_part,
                                   insert(BUILDINGS_FILE, valid_rows, BUILDING_COLUMNS, extras)))
    assessments = make_assessments(stream(seed, "safety"), buildings)
    del buildings, valid_rows
    valid_rows, extras = assessment_faults(stream(seed, "safety-faults"), assessments, listed)
    school_part = insert(SAFETY_FILE, valid_rows, SAFETY_COLUMNS, extras)
    assessments = make_assessments(stream(seed, "preschool-safety"), preschool_buildings)
    valid_rows, extras = assessment_faults(stream(seed, "preschool-safety-faults"), assessments,
                                           preschool_listed)
    yield (SAFETY_FILE, *append(school_part,
                                insert(SAFETY_FILE, valid_rows, SAFETY_COLUMNS, extras)))


def append(first: tuple[pd.DataFrame, tuple[InvalidRow, ...]],
           second: tuple[pd.DataFrame, tuple[InvalidRow, ...]]
           ) -> tuple[pd.DataFrame, tuple[InvalidRow, ...]]:
    """Two parts of one table, the second's rows after the first's (its faulty rows renumbered)."""
    (top, top_bad), (bottom, bottom_bad) = first, second
    moved = tuple(replace(r, row=r.row + len(top)) for r in bottom_bad)
    return pd.concat([top, bottom], ignore_index=True), top_bad + moved
