"""Reading EMIS exports as they come: CSV in UTF-8, UTF-8 with BOM or Windows-1251,
``;`` or ``,`` separated, or XLSX; headers in English, Russian or Kyrgyz.

Everything is read as text; typing and checking is the job of :mod:`columns`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import BuildError
from .mapping_spec import Mapping

FIRST_DATA_ROW = 2   # spreadsheet numbering: the header is row 1


@dataclass(frozen=True)
class SourceTable:
    file: str                 # file name as the data team knows it
    path: Path
    sha256: str
    encoding: str             # what was detected or declared ("xlsx" for workbooks)
    frame: pd.DataFrame       # canonical column names, all values str or NA; index = source row
    ignored_columns: tuple[str, ...]


def normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\ufeff", "")).strip().casefold()


def find_source(directory: Path, mapping: Mapping) -> Path | None:
    for name in mapping.files:
        candidate = Path(directory) / name
        if candidate.is_file():
            return candidate
    return None


def _decode(raw: bytes, declared: str, file: str) -> tuple[str, str]:
    if declared != "auto":
        try:
            return raw.decode(declared), declared
        except (UnicodeDecodeError, LookupError) as err:
            raise BuildError(f"{file}: cannot be read as {declared} ({err}); fix the file or the "
                             f"mapping's source.encoding") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Excel on a Russian-locale Windows saves "CSV" as Windows-1251.
        return raw.decode("cp1251", errors="replace"), "cp1251"


def _separator(text: str, declared: str) -> str:
    if declared != "auto":
        return declared
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


def _read_csv(path: Path, raw: bytes, mapping: Mapping) -> tuple[pd.DataFrame, str]:
    text, encoding = _decode(raw, mapping.encoding, path.name)
    if not text.strip():
        raise BuildError(f"{path.name}: the file is empty; export the table again")
    sep = _separator(text, mapping.separator)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            na_filter=False, quoting=csv.QUOTE_MINIMAL, skip_blank_lines=False,
                            engine="c")
    except (pd.errors.ParserError, csv.Error) as err:
        raise BuildError(f"{path.name}: not a readable CSV table ({err})") from None
    return frame, encoding


def _read_xlsx(path: Path, mapping: Mapping) -> pd.DataFrame:
    try:
        return pd.read_excel(path, sheet_name=mapping.sheet if mapping.sheet is not None else 0,
                             dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl")
    except ValueError as err:   # e.g. the sheet does not exist
        raise BuildError(f"{path.name}: {err}; check the mapping's source.sheet") from None
    except Exception as err:    # openpyxl raises many types for broken workbooks
        raise BuildError(f"{path.name}: not a readable XLSX workbook ({err})") from None


def read_source(path: Path, mapping: Mapping) -> SourceTable:
    """Read one export and give its columns their canonical names.

    Raises BuildError when a required column is missing: the message names the file,
    the column, its accepted header spellings and the headers actually found.
    """
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, encoding = _read_xlsx(path, mapping), "xlsx"
    else:
        frame, encoding = _read_csv(path, raw, mapping)

    wanted: dict[str, str] = {}
    for col in mapping.columns:
        for spelling in (col.name, *col.aliases):
            wanted.setdefault(normalise_header(spelling), col.name)
    rename: dict[str, str] = {}
    ignored: list[str] = []
    for header in frame.columns:
        canonical = wanted.get(normalise_header(header))
        if canonical and canonical not in rename.values():
            rename[header] = canonical
        else:
            ignored.append(str(header))
    missing = [c for c in mapping.columns if c.required and c.name not in rename.values()]
    if missing:
        c = missing[0]
        spellings = ", ".join(repr(s) for s in (c.name, *c.aliases))
        found = ", ".join(repr(str(h)) for h in frame.columns)
        raise BuildError(
            f"{path.name}: required column '{c.name}' is missing (accepted headers: {spellings}; "
            f"found: {found}). Add the column to the export, or add its header as an alias in "
            f"{Path(mapping.path).name}")
    frame = frame[list(rename)].rename(columns=rename)
    for col in mapping.columns:
        if col.name not in frame.columns:
            frame[col.name] = ""
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    return SourceTable(path.name, path, sha, encoding, frame, tuple(ignored))
