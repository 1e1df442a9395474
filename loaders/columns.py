"""Typing and checking whole columns at once (vectorised with pandas).

Each check yields rejections naming the row, the column, the value found and the
rule broken. A row-level rule is checked here, before any RDF exists, so that the
bulk path never carries a value that SHACL would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from .codelists import CodeLists
from .mapping_spec import ColumnSpec, Mapping
from .privacy import pseudonymise

XSD = "http://www.w3.org/2001/XMLSchema#"
EXCEL_EPOCH = datetime(1899, 12, 30)


@dataclass
class Problem:
    """Rows of one column that broke one rule."""

    column: str
    rule: str
    mask: pd.Series           # True where the row is at fault
    reason: str | pd.Series   # may contain {value}; a Series gives each row its own reason
    values: pd.Series | None = None   # what the report shows, when not the cell itself


def per_distinct(values: pd.Series, cell: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``cell`` (a function of each cell alone, NA to NA) computed once per distinct value:
    export columns repeat few values (codes, years, places, titles), and pandas' string
    functions loop in Python over every cell."""
    codes, distinct = pd.factorize(values)
    if not len(distinct) or len(distinct) * 2 > len(values):   # all NA, or mostly distinct
        return cell(values)
    done = cell(pd.Series(distinct, dtype=values.dtype))
    taken = done.to_numpy(dtype=object, na_value=pd.NA)[codes]
    taken[codes < 0] = pd.NA
    return pd.Series(taken, index=values.index, dtype=done.dtype)


def _clean(s: pd.Series) -> pd.Series:
    s = s.str.replace(r"[\s\u00a0]+", " ", regex=True).str.strip()
    return s.mask(s == "")


def clean_text(series: pd.Series) -> pd.Series:
    """Trim, collapse inner whitespace (incl. no-break spaces); empty -> NA."""
    return per_distinct(series.astype("string"), _clean)


def _bound(value: float | str | None, today: date) -> float | None:
    if value is None:
        return None
    if value == "current_year":
        return float(today.year)
    if value == "today":
        return float(today.toordinal())
    return float(value)


def parse_number(s: pd.Series) -> pd.Series:
    """Decimal comma or point; spaces (any kind) as thousands separators. Only finite
    numbers: "inf", "nan" or a 400-digit number are not numbers an export means."""
    text = s.str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text.where(text.str.fullmatch(_NUMBER, na=False)), errors="coerce")
    return numbers.where(np.isfinite(numbers.astype("float64")))


_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# Day first, as the region writes dates; ISO; ISO with a time of day (XLSX date cells).
DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_date(s: pd.Series) -> pd.Series:
    """dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd or an Excel serial day number -> datetime64 (NaT if
    none). A time of day is dropped: the columns hold days."""
    out = pd.to_datetime(s, format=DATE_FORMATS[0], errors="coerce")
    for fmt in DATE_FORMATS[1:]:
        out = out.fillna(pd.to_datetime(s, format=fmt, errors="coerce"))
    out = out.dt.normalize()
    serial = pd.to_numeric(s.where(s.str.fullmatch(r"\d{1,7}(?:\.0*)?", na=False)), errors="coerce")
    serial = serial.where((serial > 0) & (serial < 2958466) & (serial == np.floor(serial)))
    from_serial = pd.to_datetime(EXCEL_EPOCH) + pd.to_timedelta(serial, unit="D")
    return out.fillna(from_serial)


def _lexical_number(values: pd.Series, integral: bool) -> pd.Series:
    if integral:
        return values.astype("Int64").astype("string")
    # Canonical-ish decimal: no exponent, no trailing zeros; once per distinct value (amounts
    # and rates repeat), but zeros, which factorising takes for one value whatever their sign
    lexical = per_distinct(values, lambda distinct: distinct.map(
        lambda v: np.format_float_positional(v, trim="-") if pd.notna(v) else pd.NA).astype("string"))
    zero = (values == 0).fillna(False).to_numpy(dtype=bool)
    if zero.any():
        lexical = lexical.copy()
        lexical[zero] = np.where(np.signbit(values.to_numpy(dtype=float, na_value=np.nan)[zero]),
                                 "-0", "0")
    return lexical


def type_column(spec: ColumnSpec, raw: pd.Series, codes: CodeLists, today: date,
                secret: bytes = b"") -> tuple[pd.Series, pd.Series | None, list[Problem]]:
    """Returns (lexical form or concept IRI per row, numeric values or None, problems).

    A list column (``separator``) yields lexical forms joined by a tab, split later.
    """
    s = clean_text(raw)
    problems: list[Problem] = []
    present = s.notna()
    if spec.default is not None:
        s = s.fillna(str(spec.default))
    if spec.required:
        problems.append(Problem(spec.name, "required", s.isna(),
                                "a value is required here and the cell is empty"))
    if spec.pattern:
        bad = present & ~s.fillna("").str.fullmatch(spec.pattern)
        problems.append(Problem(spec.name, "pattern", bad,
                                f"'{{value}}' does not match the expected form {spec.pattern}"))
    numbers: pd.Series | None = None
    lexical = s
    if spec.concept:
        lexical, bad = codes.lookup(spec.concept, s, spec.separator)
        problems.append(Problem(spec.name, "code-list", bad,
                                f"'{{value}}' is not in the code list '{spec.concept}' "
                                f"(known: {codes.describe(spec.concept)}); add a skos:altLabel "
                                f"to the code list if it is a new spelling"))
    elif spec.datatype in ("decimal", "integer", "nonNegativeInteger", "gYear"):
        numbers = parse_number(s)
        integral = spec.datatype != "decimal"
        bad = s.notna() & numbers.isna()
        kind = "a whole number" if integral else "a number"
        problems.append(Problem(spec.name, "datatype", bad, f"'{{value}}' is not {kind}"))
        if integral:
            frac = numbers.notna() & (numbers != np.floor(numbers))
            problems.append(Problem(spec.name, "datatype", frac, f"'{{value}}' is not {kind}"))
            # beyond 2^53 a float no longer holds every whole number (and Int64 may overflow)
            huge = numbers.abs() > 2.0 ** 53
            problems.append(Problem(spec.name, "datatype", huge,
                                    "'{value}' is too large for a count or a year"))
            numbers = numbers.where(~frac & ~huge)
        lo = 0.0 if spec.datatype == "nonNegativeInteger" and spec.min is None else _bound(spec.min, today)
        hi = _bound(spec.max, today)
        if lo is not None:
            problems.append(Problem(spec.name, "min", numbers < lo,
                                    f"'{{value}}' is below the minimum {lo:g}"))
        if hi is not None:
            what = "this year" if spec.max == "current_year" else f"the maximum {hi:g}"
            problems.append(Problem(spec.name, "max", numbers > hi,
                                    f"'{{value}}' is above {what}"))
        lexical = _lexical_number(numbers, integral)
    elif spec.datatype == "date":
        dates = parse_date(s)
        bad = s.notna() & dates.isna()
        problems.append(Problem(spec.name, "datatype", bad,
                                "'{value}' is not a date (use dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd or an Excel "
                                "date)"))
        if spec.max == "today":
            problems.append(Problem(spec.name, "max", dates > pd.Timestamp(today),
                                    "'{value}' is in the future"))
        lexical = dates.dt.strftime("%Y-%m-%d").astype("string")
    elif spec.datatype == "boolean":
        truth = s.str.casefold().map({"1": "true", "0": "false", "true": "true", "false": "false",
                                      "да": "true", "нет": "false", "ооба": "true", "жок": "false",
                                      "иә": "true", "жоқ": "false", "yes": "true", "no": "false"})
        problems.append(Problem(spec.name, "datatype", s.notna() & truth.isna(),
                                "'{value}' is not yes/no (да/нет, иә/жоқ, 1/0, true/false)"))
        lexical = truth.astype("string")
    if spec.separator and not spec.concept:     # a list of texts: items tab-joined, split later
        lexical = lexical.str.replace(rf"\s*{re.escape(spec.separator)}\s*", "\t", regex=True) \
            .str.strip("\t")
    if spec.pseudonymise:
        lexical = pseudonymise(lexical, secret)
    return lexical, numbers, problems


def duplicate_keys(frame: pd.DataFrame, mapping: Mapping, alive: pd.Series) -> list[Problem]:
    """Later rows repeating the key of an earlier accepted row are rejected."""
    cols = list(mapping.key)
    key = frame.loc[alive & frame[cols].notna().all(axis=1), cols]
    dup = key.duplicated(keep="first")          # vectorised hashing, no per-row Python
    if not dup.any():
        return []
    group = key.groupby(cols, sort=False).ngroup()
    first_row = pd.Series(key.index, index=key.index).groupby(group.to_numpy()).transform("first")
    repeated = key[dup].astype("string")
    shown = repeated[cols[0]] if len(cols) == 1 else repeated.agg(" / ".join, axis=1)
    reasons = ("'" + shown + "' repeats the key of row " + first_row[dup].astype(str)
               + "; each key may appear only once")
    mask = pd.Series(False, index=frame.index)
    mask[repeated.index] = True
    return [Problem(mapping.key[-1], "duplicate-key", mask, reasons.reindex(frame.index))]


def template_keys(pattern: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", pattern)
