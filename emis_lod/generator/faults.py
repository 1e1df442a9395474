"""Faults of the domain tables: extra rows, each wrong in exactly one cell.

A domain table is first made of valid rows only. Its faulty rows are *extra* rows, each
placed right after an *anchor* (a valid row it was derived from, or a random one), so
the counts of valid rows never change and a duplicate always follows its original.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .model import FIRST_DATA_ROW, InvalidRow

FAULT_SHARE = 0.005          # of a table's valid rows; at least one fault of each kind

# Fault kinds of the rows about schools, per table (the column each kind spoils is in the
# manifest).
SCHOOL_FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "finance.csv": ("unknown_school", "negative_amount", "missing_actual"),
    "textbooks.csv": ("bad_grade",),
    "textbook_provision.csv": ("unknown_school", "negative_copies", "unknown_textbook"),
    "staff.csv": ("unknown_school", "duplicate_personal_id"),
    "training.csv": ("unknown_personal_id", "future_date"),
    "buildings.csv": ("unknown_school", "unknown_material"),
    "safety_assessments.csv": ("unknown_building", "future_date", "duplicate_inspection"),
}
# Fault kinds of the rows about preschool organisations: their registry, and their rows in
# the building and safety tables (generator/preschools.py).
PRESCHOOL_FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "preschools.csv": ("duplicate_code", "unknown_district", "bad_latitude", "negative_children",
                       "unknown_type"),
    "buildings.csv": ("unknown_preschool", "unknown_material"),
    "safety_assessments.csv": ("unknown_building", "future_date", "duplicate_inspection"),
}
# Every fault kind of each domain table.
DOMAIN_FAULT_KINDS: dict[str, tuple[str, ...]] = {
    file: tuple(dict.fromkeys(SCHOOL_FAULT_KINDS.get(file, ()) + PRESCHOOL_FAULT_KINDS.get(file, ())))
    for file in (*SCHOOL_FAULT_KINDS, *(f for f in PRESCHOOL_FAULT_KINDS if f not in SCHOOL_FAULT_KINDS))
}


@dataclass(frozen=True)
class Extra:
    """A faulty row to insert after valid row ``after`` (0-based, in the valid frame)."""

    after: int
    row: dict[str, str]
    column: str          # the one column at fault
    kind: str


class Rows:
    """Cells of single rows of a frame (``DataFrame.iloc`` is slow row by row)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._columns = {str(c): frame[c].to_numpy() for c in frame.columns}

    def __len__(self) -> int:
        return len(next(iter(self._columns.values())))

    def cells(self, i: int, columns: Sequence[str]) -> dict[str, str]:
        return {c: str(self._columns[c][i]) for c in columns}

    def value(self, i: int, column: str) -> Any:
        return self._columns[column][i]


def plan(rng: np.random.Generator, file: str, valid_rows: int,
         limits: dict[str, int] | None = None,
         table_kinds: dict[str, tuple[str, ...]] = SCHOOL_FAULT_KINDS) -> list[str]:
    """The fault kinds to place in ``file``: each kind once, then random ones up to
    about ``FAULT_SHARE`` of the valid rows.

    ``limits`` caps kinds that need material (ghost rows to copy); the surplus goes to
    the table's other kinds. ``table_kinds``: the kinds per table of the rows planned (the
    rows about schools, or those about preschool organisations).
    """
    kinds = table_kinds[file]
    limits = limits or {}
    if any(limits.get(k, 1) < 1 for k in kinds):
        raise ValueError(f"{file}: no material for a fault of each kind ({limits})")
    n = max(len(kinds), round(valid_rows * FAULT_SHARE))
    chosen = list(kinds) + [kinds[i] for i in rng.integers(0, len(kinds), n - len(kinds))]
    free = [k for k in kinds if k not in limits]
    for kind, limit in limits.items():
        surplus = [i for i, k in enumerate(chosen) if k == kind][limit:]
        for i in surplus:
            chosen[i] = free[int(rng.integers(0, len(free)))]
    return chosen


def insert(file: str, frame: pd.DataFrame, columns: Sequence[str], extras: Sequence[Extra]
           ) -> tuple[pd.DataFrame, tuple[InvalidRow, ...]]:
    """The table to write (``columns`` only) with ``extras`` in place, and their records."""
    valid = frame.loc[:, list(columns)].reset_index(drop=True)
    if not extras:
        return valid, ()
    added = pd.DataFrame([[e.row[c] for c in columns] for e in extras], columns=list(columns),
                         dtype=object)
    n = len(valid)
    primary = np.concatenate([np.arange(n), [e.after for e in extras]])
    secondary = np.concatenate([np.zeros(n, dtype=np.int64), np.arange(1, len(extras) + 1)])
    order = np.lexsort((secondary, primary))
    table = pd.concat([valid, added], ignore_index=True).iloc[order].reset_index(drop=True)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    invalid = tuple(
        InvalidRow(file, int(position[n + j]) + FIRST_DATA_ROW, e.column, e.kind, e.row[e.column])
        for j, e in enumerate(extras))
    return table, tuple(sorted(invalid, key=lambda r: r.row))
