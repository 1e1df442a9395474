"""The schools the domain tables describe, as columns: the valid schools of ``schools.csv``
and a few *ghost* schools.

Only valid schools get domain rows. Ghosts are copies of random valid schools under school
codes that ``schools.csv`` does not hold; their rows are generated like any other school's
and are the raw material of the ``unknown_school`` faults (and, one step further, of
``unknown_personal_id`` and ``unknown_building``): an operator typed a wrong code, the
rest of the row is plausible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import texts
from .geography import Geography
from .model import GRADES
from .schools import top_grade

TEXTBOOK_LANGUAGES = ("кыргызский", "русский", "узбекский")
GHOST_SHARE = 0.01
MIN_GHOSTS = 10


@dataclass(frozen=True)
class SchoolSet:
    code: np.ndarray          # object: clean 8-digit school codes
    region: np.ndarray        # object: region codes
    district: np.ndarray      # int: index into Geography.districts
    town: np.ndarray          # bool: locality "город"
    private: np.ndarray       # bool
    state: np.ndarray         # bool: ownership "государственная"
    lyceum: np.ndarray        # bool: gymnasium or lyceum
    top_grade: np.ndarray     # int: 4, 9 or 11
    language: np.ndarray      # int: index into TEXTBOOK_LANGUAGES (its textbooks' language)
    languages: np.ndarray     # object: the clean languages cell
    pupils: np.ndarray        # int (n, 11): pupils per grade, boys + girls
    shifts: np.ndarray        # int
    year_opened: np.ndarray   # int
    ghost: np.ndarray         # bool

    def __len__(self) -> int:
        return len(self.code)

    @property
    def total_pupils(self) -> np.ndarray:
        return self.pupils.sum(axis=1)


def _textbook_language(languages: str) -> int:
    """The first language of instruction the catalogue prints in (Tajik-language schools
    report Kyrgyz-language editions: the catalogue has no Tajik ones)."""
    for item in languages.split(","):
        if item.strip() in TEXTBOOK_LANGUAGES:
            return TEXTBOOK_LANGUAGES.index(item.strip())
    return 0


def school_set(rng: np.random.Generator, geo: Geography, records: list[dict[str, str]],
               valid: list[int]) -> SchoolSet:
    """Columns of the (clean) ``records`` at positions ``valid``, plus ghosts.

    ``records`` must be the clean records, before any dirt or fault was put in.
    """
    districts = {d.code: i for i, d in enumerate(geo.districts)}
    picked = [records[i] for i in valid]
    ghosts = max(MIN_GHOSTS, int(np.ceil(len(picked) * GHOST_SHARE)))
    originals = rng.integers(0, len(picked), size=ghosts)
    taken = {r["school_code"] for r in records}
    ghost_codes = []
    for i in originals.tolist():
        prefix = picked[i]["school_code"][:3]
        while True:
            code = f"{prefix}{int(rng.integers(90_000, 100_000)):05d}"
            if code not in taken:
                break
        taken.add(code)
        ghost_codes.append(code)
    rows = picked + [picked[i] for i in originals.tolist()]
    codes = [r["school_code"] for r in picked] + ghost_codes

    def column(key: str) -> list[str]:
        return [r[key] for r in rows]

    pupils = np.array([[int(r[f"g{g}_m"]) + int(r[f"g{g}_f"]) for g in GRADES] for r in rows],
                      dtype=np.int64).reshape(len(rows), len(GRADES))
    kinds = column("school_type")
    return SchoolSet(
        code=texts(codes),
        region=texts(column("region_code")),
        district=np.array([districts[c] for c in column("district_code")], dtype=np.int64),
        town=np.array([v == "город" for v in column("locality")]),
        private=np.array([v == "частная" for v in column("ownership")]),
        state=np.array([v == "государственная" for v in column("ownership")]),
        lyceum=np.array([k in ("Гимназия", "Лицей") for k in kinds]),
        top_grade=np.array([top_grade(k) for k in kinds], dtype=np.int64),
        language=np.array([_textbook_language(v) for v in column("languages")], dtype=np.int64),
        languages=texts(column("languages")),
        pupils=pupils,
        shifts=np.array([int(v) for v in column("shifts")], dtype=np.int64),
        year_opened=np.array([int(v) for v in column("year_opened")], dtype=np.int64),
        ghost=np.arange(len(rows)) >= len(picked),
    )
