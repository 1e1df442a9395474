"""Dirt and faults, as real exports have them.

Two different things happen to the clean records of :mod:`schools`:

* **messiness** — valid but dirty cells that the loader must clean: stray spaces around
  codes and names, double spaces, variant spellings of the school type, a missing space
  in the language list, empty optional cells (address, settlement, year_opened);
* **faults** — a few extra rows made invalid on purpose, exactly one fault each, recorded
  as :class:`InvalidRow` so that tests can check the build rejects exactly those rows.
"""

from __future__ import annotations

import random

from .model import FIRST_DATA_ROW, SCHOOLS_FILE, InvalidRow
from .schools import top_grade

FAULT_KINDS = ("missing_code", "duplicate_code", "unknown_district", "bad_latitude",
               "negative_pupils", "future_year", "unknown_type")
FAULT_SHARE = 0.02                     # of the valid rows; at least one fault of each kind
SOSH_VARIANTS = ("сош", " СОШ ", "СОШ ", "средняя общеобразовательная школа")
UNKNOWN_TYPES = ("колледж", "ПТУ", "детский сад")


def fault_count(valid: int) -> int:
    return max(len(FAULT_KINDS), round(valid * FAULT_SHARE))


def _pad(rnd: random.Random, text: str) -> str:
    where = rnd.random()
    return f" {text}" if where < 0.4 else f"{text} " if where < 0.8 else f"  {text} "


def _double_space(text: str) -> str:
    return text.replace(" ", "  ", 1)


def dirty(rnd: random.Random, record: dict[str, str]) -> None:
    """Make a valid record messy, in place; it stays valid once cleaned."""
    if rnd.random() < 0.02:
        record["school_code"] = _pad(rnd, record["school_code"])
    if rnd.random() < 0.01:
        record["region_code"] = _pad(rnd, record["region_code"])
    if rnd.random() < 0.01:
        record["district_code"] = _pad(rnd, record["district_code"])
    if rnd.random() < 0.03:
        record["name_ru"] = _double_space(record["name_ru"])
    if rnd.random() < 0.02:
        record["name_ru"] = _pad(rnd, record["name_ru"])
    if rnd.random() < 0.02:
        record["name_ky"] = _double_space(record["name_ky"])
    if rnd.random() < 0.01:
        record["name_ky"] = _pad(rnd, record["name_ky"])
    if record["school_type"] == "СОШ" and rnd.random() < 0.06:
        record["school_type"] = rnd.choice(SOSH_VARIANTS)
    if ", " in record["languages"] and rnd.random() < 0.1:
        record["languages"] = record["languages"].replace(", ", ",")
    if rnd.random() < 0.04:
        record["address"] = ""
    if rnd.random() < 0.02:
        record["settlement"] = ""
    if rnd.random() < 0.03:
        record["year_opened"] = ""


def _fault(rnd: random.Random, record: dict[str, str], kind: str, earlier_codes: list[str]
           ) -> tuple[str, str]:
    """Put one fault of ``kind`` into a clean record; returns (column, bad value)."""
    if kind == "missing_code":
        column, value = "school_code", ""
    elif kind == "duplicate_code":
        column, value = "school_code", rnd.choice(earlier_codes)
    elif kind == "unknown_district":
        column, value = "district_code", f"{record['region_code']}-99"
    elif kind == "bad_latitude":
        column = "latitude"
        value = "н/д" if rnd.random() < 0.5 else "1" + record["latitude"]   # a stray digit: 142,87
    elif kind == "negative_pupils":
        grade = rnd.randint(1, top_grade(record["school_type"]))
        column, value = f"g{grade}_{rnd.choice('mf')}", f"-{rnd.randint(1, 9)}"
    elif kind == "future_year":
        column, value = "year_opened", str(rnd.randint(2030, 2035))
    elif kind == "unknown_type":
        column, value = "school_type", rnd.choice(UNKNOWN_TYPES)
    else:
        raise ValueError(f"unknown fault kind {kind!r}")
    record[column] = value
    return column, value


def mess_up(rnd: random.Random, records: list[dict[str, str]], faults: int
            ) -> tuple[InvalidRow, ...]:
    """Dirty the records in place and make ``faults`` of them invalid.

    The first row is always valid, so that a duplicated code always has an earlier,
    valid original; the faulty rows themselves are otherwise clean.
    """
    if faults < len(FAULT_KINDS) or faults >= len(records):
        raise ValueError(f"cannot place {faults} faulty rows among {len(records)}")
    positions = sorted(rnd.sample(range(1, len(records)), faults))
    kinds = list(FAULT_KINDS) + [rnd.choice(FAULT_KINDS) for _ in range(faults - len(FAULT_KINDS))]
    rnd.shuffle(kinds)
    fault_at = dict(zip(positions, kinds, strict=True))

    invalid: list[InvalidRow] = []
    valid_codes: list[str] = []
    for i, record in enumerate(records):
        kind = fault_at.get(i)
        if kind is None:
            valid_codes.append(record["school_code"])
            dirty(rnd, record)
            continue
        column, value = _fault(rnd, record, kind, valid_codes)
        invalid.append(InvalidRow(SCHOOLS_FILE, i + FIRST_DATA_ROW, column, kind, value))
    return tuple(invalid)
