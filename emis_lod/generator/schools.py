"""Valid school records: where each school is, what it is, and how many pupils it has.

A record is a dict from the ``schools.csv`` column names to cell text, clean; the dirt
comes later, from :mod:`messiness`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping

from .geography import District, Geography, random_point
from .model import GRADES, SCHOOL_YEAR
from .names import address, school_names

# Source values of school_type (Russian abbreviations, as the EMIS export writes them).
SCHOOL_TYPES = ("СОШ", "ООШ", "НОШ", "Гимназия", "Лицей", "Спец. школа")
TOP_GRADE = {"НОШ": 4, "ООШ": 9}          # every other type teaches grades 1-11

TYPE_WEIGHTS = {
    "town":    {"СОШ": 62, "Гимназия": 13, "Лицей": 8, "ООШ": 5, "НОШ": 8, "Спец. школа": 4},
    "village": {"СОШ": 64, "ООШ": 20, "НОШ": 11, "Гимназия": 3, "Лицей": 1, "Спец. школа": 1},
    "private": {"СОШ": 50, "Гимназия": 20, "Лицей": 25, "НОШ": 5},
}
# Total pupils (low, high) by type and place.
PUPILS = {
    "town":    {"СОШ": (800, 2500), "Гимназия": (600, 1800), "Лицей": (400, 1500),
                "ООШ": (200, 600), "НОШ": (80, 300), "Спец. школа": (60, 250)},
    "village": {"СОШ": (150, 900), "Гимназия": (300, 900), "Лицей": (200, 700),
                "ООШ": (40, 200), "НОШ": (15, 80), "Спец. школа": (40, 150)},
}
PRIVATE_PUPILS = (80, 600)
# Share of private schools: by region for the cities, else by place.
PRIVATE_SHARE = {"KG-GB": 0.12, "KG-GO": 0.06, "town": 0.025, "village": 0.004}
# Share of state (republican) schools among the public ones; the rest are municipal.
STATE_SHARE = {"Спец. школа": 0.8, "Лицей": 0.2, "Гимназия": 0.2}
STATE_SHARE_DEFAULT = 0.06
TOWN_WEIGHT = 3            # a town is this many times likelier than a village to hold a school


def top_grade(school_type: str) -> int:
    return TOP_GRADE.get(school_type, 11)


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; deterministic)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _choose(rnd: random.Random, weights: Mapping[str, float] | tuple[tuple[str, float], ...]
            ) -> str:
    items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    return rnd.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _pupils(rnd: random.Random, school_type: str, place: str, private: bool) -> list[int]:
    """Pupils per grade and sex, in PUPIL_COLUMNS order (g1_m, g1_f, g2_m, ...)."""
    lo, hi = PRIVATE_PUPILS if private else PUPILS[place][school_type]
    total = rnd.triangular(lo, hi, lo + (hi - lo) * 0.35)
    top = top_grade(school_type)
    weights = [rnd.uniform(0.9, 1.1) if g <= 9 else rnd.uniform(0.55, 0.8) for g in GRADES[:top]]
    scale = total / sum(weights)
    cells: list[int] = []
    for w in weights:
        n = round(w * scale)
        boys = round(n * rnd.uniform(0.47, 0.55))
        cells += [boys, n - boys]
    return cells + [0] * (2 * (len(GRADES) - top))


def _coordinate(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _school(rnd: random.Random, geo: Geography, district: District, code: str,
            numbers: dict[tuple[str, str], int]) -> dict[str, str]:
    if district.urban:
        settlement = district.settlements[0]
    else:
        settlement = rnd.choices(
            district.settlements,
            weights=[TOWN_WEIGHT if s.startswith("г.") else 1 for s in district.settlements])[0]
    town = district.urban or settlement.startswith("г.")
    place = "town" if town else "village"

    private_share = PRIVATE_SHARE.get(district.region_code, PRIVATE_SHARE[place])
    private = rnd.random() < private_share
    school_type = _choose(rnd, TYPE_WEIGHTS["private" if private else place])
    if private:
        ownership = "частная"
    elif rnd.random() < STATE_SHARE.get(school_type, STATE_SHARE_DEFAULT):
        ownership = "государственная"
    else:
        ownership = "муниципальная"

    languages = _choose(rnd, geo.language_profiles[district.languages][place])
    key = (district.region_code if district.urban else district.code, settlement)
    numbers[key] += 1
    name_ky, name_ru = school_names(rnd, school_type, settlement, numbers[key], town,
                                    languages, private)

    lat, lon = random_point(rnd, district)
    decimals = rnd.randint(4, 6)
    if private:
        year = rnd.randint(1993, 2024)
    elif town:
        year = int(rnd.triangular(1900, 2024, 1965))
    else:
        year = int(rnd.triangular(1925, 2024, 1972))

    pupils = _pupils(rnd, school_type, place, private)
    total = sum(pupils)
    if private or total < 300:
        shifts = 1
    elif total < 900:
        shifts = rnd.choice((1, 2))
    else:
        shifts = rnd.choices((1, 2, 3), weights=(15, 60, 25))[0]

    record = {
        "school_code": code, "name_ky": name_ky, "name_ru": name_ru,
        "school_type": school_type, "ownership": ownership, "languages": languages,
        "region_code": district.region_code, "district_code": district.code,
        "settlement": settlement, "locality": "город" if town else "село",
        "address": address(rnd, settlement, town),
        "latitude": _coordinate(lat, decimals), "longitude": _coordinate(lon, decimals),
        "year_opened": str(year), "shifts": str(shifts), "school_year": SCHOOL_YEAR,
    }
    for grade in GRADES:
        record[f"g{grade}_m"] = str(pupils[2 * grade - 2])
        record[f"g{grade}_f"] = str(pupils[2 * grade - 1])
    return record


def build_schools(rnd: random.Random, geo: Geography, count: int) -> list[dict[str, str]]:
    """``count`` valid schools spread over the districts by weight, in school-code order.

    School codes (synthetic, 8 digits): region index (1 digit) + district number (2 digits)
    + a sequence within the district (5 digits, with gaps, as codes of closed schools leave).
    """
    districts = geo.districts
    regions = {r.code: r for r in geo.regions}
    counts = apportion(count, [d.weight for d in districts])
    numbers: dict[tuple[str, str], int] = defaultdict(int)
    records: list[dict[str, str]] = []
    for district, n in zip(districts, counts, strict=True):
        prefix = f"{regions[district.region_code].index}{district.number:02d}"
        max_gap = max(1, min(7, 99_998 // (n + 1)))
        seq = 0
        for _ in range(n):
            seq += rnd.randint(1, max_gap)
            records.append(_school(rnd, geo, district, f"{prefix}{seq:05d}", numbers))
    return records
