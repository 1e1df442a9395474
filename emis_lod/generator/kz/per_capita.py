"""Per-capita normative financing (жан басына шаққандағы нормативтік қаржыландыру /
подушевое нормативное финансирование): the norms and what each school was due and got.

* ``per_capita_norms.xlsx``: the norm per pupil in KZT for each fiscal year, school type
  and locality category (city, rural, small ungraded school), as an annex to a local
  executive body's order would list it;
* ``per_capita_funding.csv``: per school and fiscal year the pupils counted, the norm
  applied (by its code), the money due (norm x pupils) and the money received.

The norms are ILLUSTRATIVE (of the order of the published per-pupil costs: some 420,000 KZT
in a city school in 2024, more in villages, three times as much in a small ungraded school),
indexed by 8.5% for 2025. Private schools take part when they hold a state educational order
(about half of them here). Most schools receive 93-100% of what is due, some much less, a
few a little more (a correction paid late).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cells import amount_texts, number_texts, pad, texts
from ..faults import Extra, insert
from ..model import InvalidRow

NORMS_FILE = "per_capita_norms.xlsx"
FUNDING_FILE = "per_capita_funding.csv"
YEARS = (2024, 2025)
INDEXATION = 1.085
# Internal school type -> notation of the school-type code list.
TYPES = {"НОШ": "primary", "ООШ": "basic", "СОШ": "secondary", "Гимназия": "gymnasium",
         "Лицей": "lyceum", "Спец. школа": "special"}
TYPE_FACTOR = {"primary": 0.92, "basic": 0.97, "secondary": 1.0, "gymnasium": 1.12,
               "lyceum": 1.15, "special": 2.3}
CATEGORIES = ("city", "rural", "ungraded")
BASE_2024 = {"city": 420_000, "rural": 505_000, "ungraded": 1_180_000}
NORM_COLUMNS = ("year", "norm_code", "school_type", "category", "norm", "currency")
FUNDING_COLUMNS = ("school_code", "year", "norm_code", "pupils", "due", "received", "currency")
FUNDING_FAULT_KINDS = ("unknown_school", "unknown_norm", "bad_pupils", "negative_received",
                       "due_mismatch")
NORM_FAULT_KINDS = ("duplicate_norm",)
FAULT_SHARE = 0.005
STATE_ORDER_SHARE = 0.5       # of private schools


@dataclass(frozen=True)
class Norm:
    year: int
    school_type: str      # notation
    category: str         # notation
    amount: int           # KZT per pupil and year

    @property
    def code(self) -> str:
        return f"{self.year}-{self.school_type}-{self.category}"


def norms() -> list[Norm]:
    out = []
    for year in YEARS:
        factor = INDEXATION ** (year - YEARS[0])
        for school_type, type_factor in TYPE_FACTOR.items():
            for category in CATEGORIES:
                amount = int(round(BASE_2024[category] * type_factor * factor / 100) * 100)
                out.append(Norm(year, school_type, category, amount))
    return out


def norm_table(rng: np.random.Generator, table: list[Norm], type_cell: dict[str, str],
               category_cell: dict[str, str]) -> tuple[pd.DataFrame, tuple[InvalidRow, ...]]:
    """The norms, and one row typed twice (a corrected amount below the first)."""
    frame = pd.DataFrame({
        "year": [str(n.year) for n in table], "norm_code": [n.code for n in table],
        "school_type": [type_cell[n.school_type] for n in table],
        "category": [category_cell[n.category] for n in table],
        "norm": [f"{n.amount:,}".replace(",", " ") for n in table],
        "currency": ["KZT"] * len(table)}, dtype=object)
    i = int(rng.integers(0, len(table)))
    twice = {c: str(frame.at[i, c]) for c in NORM_COLUMNS}
    twice["norm"] = f"{table[i].amount + 5_000:,}".replace(",", " ")
    return insert(NORMS_FILE, frame, NORM_COLUMNS, [Extra(i, twice, "norm_code", "duplicate_norm")])


def _category(record: dict[str, str]) -> str:
    if record["ungraded"] == "1":
        return "ungraded"
    return "city" if record["locality"] == "город" else "rural"


def funding_table(rng: np.random.Generator, records: list[dict[str, str]], valid: list[int],
                  table: list[Norm]) -> tuple[pd.DataFrame, tuple[InvalidRow, ...], pd.DataFrame]:
    """``per_capita_funding.csv`` (text cells, faulty rows in place), its invalid rows, and the
    valid rows as numbers (school, year, pupils, due, received) for checks."""
    by_code = {n.code: n for n in table}
    schools = [records[i] for i in valid]
    taking = [r for r in schools
              if r["ownership"] != "частная" or rng.random() < STATE_ORDER_SHARE]
    rows: list[dict[str, object]] = []
    for r in taking:
        pupils_now = sum(int(r[f"g{g}_{s}"]) for g in range(1, 12) for s in "mf")
        for year in YEARS:
            pupils = pupils_now if year == YEARS[-1] \
                else max(1, int(round(pupils_now * rng.uniform(0.94, 1.03))))
            norm = by_code[f"{year}-{TYPES[r['school_type']]}-{_category(r)}"]
            due = norm.amount * pupils
            draw = rng.random()
            share = rng.uniform(0.75, 0.9) if draw < 0.15 else rng.uniform(1.0, 1.04) \
                if draw < 0.2 else rng.uniform(0.93, 1.0)
            received = int(round(due * share * 100))          # tiyn
            rows.append({"school": r["school_code"], "year": year, "norm_code": norm.code,
                         "pupils": pupils, "due": due * 100, "received": received})
    numbers = pd.DataFrame(rows)
    grouped = rng.random(len(numbers)) < 0.8
    frame = pd.DataFrame({
        "school_code": pad(rng, texts(numbers["school"].tolist()), 0.01),
        "year": texts([str(y) for y in numbers["year"]]),
        "norm_code": texts(numbers["norm_code"].tolist()),
        "pupils": number_texts(numbers["pupils"].to_numpy()),
        "due": amount_texts(numbers["due"].to_numpy(), grouped),
        "received": amount_texts(numbers["received"].to_numpy(), grouped),
        "currency": np.where(rng.random(len(numbers)) < 0.9, "KZT", "теңге").astype(object),
    })
    extras = _faults(rng, frame, numbers, {r["school_code"] for r in records}, by_code)
    written, invalid = insert(FUNDING_FILE, frame, FUNDING_COLUMNS, extras)
    numbers = numbers.assign(due=numbers["due"] / 100, received=numbers["received"] / 100)
    return written, invalid, numbers


def _faults(rng: np.random.Generator, frame: pd.DataFrame, numbers: pd.DataFrame,
            taken: set[str], by_code: dict[str, Norm]) -> list[Extra]:
    """Extra rows, each a copy of a valid row under a key of its own (another school, or the
    same school and year under another category's norm) with one cell wrong."""
    n = max(len(FUNDING_FAULT_KINDS), round(len(frame) * FAULT_SHARE))
    kinds = list(FUNDING_FAULT_KINDS) + [
        FUNDING_FAULT_KINDS[i] for i in rng.integers(0, len(FUNDING_FAULT_KINDS),
                                                     n - len(FUNDING_FAULT_KINDS))]
    keys = set(zip(numbers["school"], numbers["norm_code"], strict=True))
    extras = []
    for kind in kinds:
        after = int(rng.integers(0, len(frame)))
        cells = {c: str(frame.at[after, c]) for c in FUNDING_COLUMNS}
        school = str(numbers.at[after, "school"])
        norm = by_code[str(numbers.at[after, "norm_code"])]
        pupils = int(numbers.at[after, "pupils"])
        others = [by_code[f"{norm.year}-{norm.school_type}-{c}"] for c in CATEGORIES
                  if c != norm.category and (school, f"{norm.year}-{norm.school_type}-{c}") not in keys]
        if kind != "unknown_school" and not others:
            kind = "unknown_school"
        if kind == "unknown_school":
            # a mistyped code: the first four digits of a real one, a sequence no school has
            while True:
                code = f"{school[:4]}{int(rng.integers(9_000, 10_000)):04d}"
                if code not in taken:
                    break
            taken.add(code)
            cells["school_code"], column = code, "school_code"
            extras.append(Extra(after, cells, column, kind))
            continue
        other = others[int(rng.integers(0, len(others)))]
        keys.add((school, other.code))
        cells["norm_code"] = other.code
        cells["due"] = str(amount_texts(np.array([other.amount * pupils * 100]), np.array([True]))[0])
        if kind == "unknown_norm":
            cells["norm_code"], column = other.code.replace(str(norm.year), "2019", 1), "norm_code"
        elif kind == "bad_pupils":
            cells["pupils"], column = ("н/д" if rng.random() < 0.5 else f"{pupils}.5"), "pupils"
        elif kind == "negative_received":
            cells["received"], column = "-" + cells["received"].strip(), "received"
        else:            # due_mismatch: the sum due is not the norm times the pupils
            due = other.amount * pupils * 100 + int(rng.integers(1, 500)) * 100_000
            cells["due"], column = str(amount_texts(np.array([due]), np.array([True]))[0]), "due"
        extras.append(Extra(after, cells, column, kind))
    return extras
