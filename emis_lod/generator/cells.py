"""Vectorised helpers for the large domain tables: random streams, choices, and cell text.

The domain tables (staff, provision, training, ...) run to a million rows at 20,000
schools, so their cells are made column by column with numpy. Repeated cell values are
taken from small lookup arrays (``np.ndarray`` of ``object``), so that a million cells
that say ``учитель`` share one string.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

import numpy as np

EPOCH = date(1970, 1, 1)
FIRST_DAY = date(1930, 1, 1)          # range of the date lookup tables
LAST_DAY = date(2040, 12, 31)
EXCEL_EPOCH_OFFSET = 25569            # Excel's serial number of 1970-01-01 (1900 system)


def stream(seed: int, domain: str) -> np.random.Generator:
    """An independent random stream per seed and domain: changing how one table is made
    does not change the others."""
    return np.random.default_rng([seed % (1 << 64), zlib.crc32(domain.encode("utf-8"))])


def texts(values: Sequence[str]) -> np.ndarray:
    """A lookup array of cell texts (index it with an integer array)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def choose(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """``n`` indices into ``weights``, drawn in proportion to them."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def choose_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One index per row of ``probabilities`` (rows need not sum to one)."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities)) * cumulative[:, -1]
    return (u[:, None] >= cumulative).sum(axis=1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


@lru_cache(maxsize=1)
def _date_tables() -> tuple[np.ndarray, np.ndarray]:
    days = np.arange(np.datetime64(FIRST_DAY, "D"), np.datetime64(LAST_DAY, "D") + 1)
    iso = days.astype(str)                       # yyyy-mm-dd
    dmy = [f"{s[8:10]}.{s[5:7]}.{s[0:4]}" for s in iso]
    compact = [f"{s[8:10]}{s[5:7]}{s[0:4]}" for s in iso]
    return texts(dmy), texts(compact)


def _offsets(days: np.ndarray) -> np.ndarray:
    offsets = np.asarray(days, dtype=np.int64) - day_number(FIRST_DAY)
    if len(offsets) and (offsets.min() < 0 or offsets.max() > day_number(LAST_DAY)
                         - day_number(FIRST_DAY)):
        raise ValueError("date outside the generator's range")
    return offsets


def dmy(days: np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) as ``dd.mm.yyyy``."""
    return _date_tables()[0][_offsets(days)]


def ddmmyyyy(days: np.ndarray) -> np.ndarray:
    """Day numbers as ``ddmmyyyy`` (the birth date inside a personal number)."""
    return _date_tables()[1][_offsets(days)]


def excel_serial(days: np.ndarray) -> np.ndarray:
    """Day numbers as Excel serial dates (``45234`` is 04.11.2023)."""
    return number_texts(np.asarray(days, dtype=np.int64) + EXCEL_EPOCH_OFFSET)


def year_of(days: np.ndarray) -> np.ndarray:
    return (np.asarray(days, dtype="datetime64[D]").astype("datetime64[Y]").astype(int)
            + 1970)


def days_in_year(rng: np.random.Generator, years: np.ndarray, first: tuple[int, int] = (1, 1),
                 last: tuple[int, int] = (12, 31)) -> np.ndarray:
    """A uniformly random day of each year, between (month, day) ``first`` and ``last``."""
    years = np.asarray(years, dtype=np.int64)
    start = _month_day(years, first)
    end = _month_day(years, last)
    return start + (rng.random(len(years)) * (end - start + 1)).astype(np.int64)


def _month_day(years: np.ndarray, month_day: tuple[int, int]) -> np.ndarray:
    month, day = month_day
    y = (years - 1970).astype("datetime64[Y]")
    return (y.astype("datetime64[M]") + (month - 1)).astype("datetime64[D]").astype(np.int64) \
        + (day - 1)


@lru_cache(maxsize=1)
def _small_numbers() -> np.ndarray:
    return texts([str(i) for i in range(100_000)])


def number_texts(values: np.ndarray) -> np.ndarray:
    """Non-negative integers as text, shared strings below 100,000."""
    values = np.asarray(values, dtype=np.int64)
    small = _small_numbers()
    if len(values) and 0 <= values.min() and values.max() < len(small):
        return small[values]
    return texts([str(v) for v in values.tolist()])


def amount_texts(tyiyn: np.ndarray, grouped: np.ndarray) -> np.ndarray:
    """Money (in tyiyn, 1/100 som) as ``1 234 567,89``; ``grouped`` False drops the
    thousands separators (``1234567,89``), as some exports do."""
    out = []
    for value, group in zip(np.asarray(tyiyn, dtype=np.int64).tolist(),
                            np.asarray(grouped, dtype=bool).tolist(), strict=True):
        whole, cents = divmod(abs(value), 100)
        text = f"{whole:,}".replace(",", " ") if group else str(whole)
        out.append(f"{'-' if value < 0 else ''}{text},{cents:02d}")
    return texts(out)


def pad(rng: np.random.Generator, column: np.ndarray, share: float) -> np.ndarray:
    """Stray spaces around a share of the cells (a copy)."""
    column = column.copy()
    hit = np.flatnonzero(rng.random(len(column)) < share)
    where = rng.random(len(hit))
    for i, w in zip(hit.tolist(), where.tolist(), strict=True):
        text = column[i]
        column[i] = f" {text}" if w < 0.4 else f"{text} " if w < 0.8 else f"  {text} "
    return column


def capitalise(rng: np.random.Generator, column: np.ndarray, share: float) -> np.ndarray:
    """A share of the cells with a capital first letter (``Учитель``), a copy."""
    column = column.copy()
    for i in np.flatnonzero(rng.random(len(column)) < share).tolist():
        text = column[i]
        column[i] = text[:1].upper() + text[1:]
    return column
