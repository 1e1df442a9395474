"""``buildings.csv`` and ``safety_assessments.csv``: school buildings, their basic
services, and seismic and safety inspections.

A school has 1-3 buildings (more for big schools). The main building dates from about
the school's opening (never before 1950), later ones from any year after it. Walls follow
era and place: adobe (*саман*) is common in old village buildings, reinforced concrete
in new ones. The seismic zone and the exposure to mudflows, floods, landslides and
avalanches come from the district (``geography.yaml``). Basic services are poorer in
villages (few indoor toilets, central heating rare, internet for about 60%).

Each building has one or two inspections of 2019-2025; the latest one counts. Its
assessment depends on material and age (old adobe fails far more often than new
reinforced concrete) and a little on the seismic zone.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .cells import (
    capitalise,
    choose,
    choose_rows,
    day_number,
    days_in_year,
    dmy,
    number_texts,
    pad,
    texts,
)
from .faults import Extra, Rows, plan
from .geography import HAZARDS, Geography
from .model import BUILDING_COLUMNS, BUILDINGS_FILE, SAFETY_COLUMNS, SAFETY_FILE
from .schoolset import SchoolSet

MATERIALS = ("кирпич", "железобетон", "панель", "саман", "дерево", "смешанный")
BRICK, CONCRETE, PANEL, ADOBE, WOOD, MIXED = range(len(MATERIALS))
UNKNOWN_MATERIALS = ("шлакоблок", "камень", "металлокаркас", "глиноблок")
HAZARD_LABELS = {"mudflow": "сель", "flood": "паводок", "landslide": "оползень",
                 "avalanche": "лавина"}
ASSESSMENTS = ("безопасное", "требует усиления", "небезопасное", "аварийное")
SAFE, RETROFIT, UNSAFE, EMERGENCY = range(len(ASSESSMENTS))
INSPECTORS = (("МЧС КР", 35), ("Госстрой", 30), ("ЦАИИЗ", 20), ("КГУСТА", 10),
              ("Управление образования", 5))
INSPECTOR_VARIANTS = {"МЧС КР": "МЧС Кыргызской Республики", "Госстрой": "Госстрой КР"}

FIRST_YEAR, LAST_YEAR = 1950, 2023
ERAS = (1980, 2000)                     # before 1980, 1980-1999, 2000 and later
# Wall material weights (MATERIALS order) per place (village, town) and era.
MATERIAL_WEIGHTS = np.array([
    [(35, 5, 5, 40, 5, 10), (45, 15, 10, 20, 0, 10), (45, 45, 0, 0, 0, 10)],
    [(50, 20, 20, 3, 0, 7), (35, 35, 25, 0, 0, 5), (30, 65, 0, 0, 0, 5)],
], dtype=float)
# Assessment weights (ASSESSMENTS order) per material and era.
ASSESSMENT_WEIGHTS = np.array([
    [(25, 45, 22, 8), (45, 40, 12, 3), (80, 17, 3, 0)],        # brick
    [(45, 40, 12, 3), (65, 28, 6, 1), (90, 9, 1, 0)],          # reinforced concrete
    [(30, 45, 20, 5), (55, 35, 8, 2), (80, 18, 2, 0)],         # panel
    [(3, 22, 45, 30), (8, 30, 42, 20), (15, 40, 35, 10)],      # adobe
    [(10, 35, 40, 15), (20, 40, 30, 10), (40, 40, 15, 5)],     # wood
    [(15, 40, 30, 15), (30, 40, 22, 8), (55, 35, 8, 2)],       # mixed
], dtype=float)
# Storeys (values, weights) per material; bricks differ between village and town.
STOREYS = {BRICK: (((1, 2), (60, 40)), ((2, 3, 4), (30, 50, 20))),
           CONCRETE: (((2, 3, 4), (35, 45, 20)),) * 2, PANEL: (((3, 4, 5), (40, 40, 20)),) * 2,
           ADOBE: (((1,), (1,)),) * 2, WOOD: (((1,), (1,)),) * 2,
           MIXED: (((1, 2), (60, 40)),) * 2}
INSPECTIONS = (date(2019, 1, 10), date(2025, 12, 20))
FUTURE_YEARS = (2030, 2034)


def _services(rng: np.random.Generator, schools: SchoolSet) -> dict[str, np.ndarray]:
    """Per school: yes/no for each basic service, and computers."""
    n = len(schools)
    town = schools.town
    bishkek = schools.region == "KG-GB"
    south = np.isin(schools.region, ["KG-B", "KG-J", "KG-O"])
    electricity = rng.random(n) < np.where(town, 0.995, 0.98)
    water = rng.random(n) < np.where(town, 0.97, np.where(south, 0.68, 0.8))
    toilets = rng.random(n) < np.where(bishkek, 0.95, np.where(town, 0.85, 0.2))
    heating = rng.random(n) < np.where(bishkek, 0.9, np.where(schools.region == "KG-GO", 0.7,
                                                             np.where(town, 0.55, 0.06)))
    internet = electricity & (rng.random(n) < np.where(town, 0.92, 0.62))
    computers = np.clip(np.round(schools.total_pupils / 35 * rng.uniform(0.3, 1.6, n)), 0, 40)
    computers = np.where(~electricity | (~town & (rng.random(n) < 0.08)), 0, computers)
    return {"electricity": electricity, "drinking_water": water, "indoor_toilets": toilets,
            "central_heating": heating, "internet": internet,
            "computers": computers.astype(np.int64)}


def _hazards(rng: np.random.Generator, schools: SchoolSet, geo: Geography) -> np.ndarray:
    """Per school: the hazards cell."""
    probability = np.array([[p for _, p in d.hazards] for d in geo.districts])[schools.district]
    probability = probability * np.where(schools.town, 0.5, 1.0)[:, None]
    exposed = rng.random(probability.shape) < probability
    comma = rng.random(len(schools)) < 0.15
    labels = [HAZARD_LABELS[h] for h in HAZARDS]
    cells = []
    for row, tight in zip(exposed.tolist(), comma.tolist(), strict=True):
        cells.append(("," if tight else ", ").join(lab for lab, hit in zip(labels, row, strict=True)
                                                   if hit))
    return texts(cells)


def make_buildings(rng: np.random.Generator, schools: SchoolSet, geo: Geography
                   ) -> pd.DataFrame:
    """Valid and ghost buildings, with hidden ``_school``, ``_year``, ``_material``,
    ``_zone`` and ``_ghost`` columns."""
    n = len(schools)
    pupils = schools.total_pupils
    size = np.digitize(pupils, [200, 800])
    weights = np.array([(85, 15, 0), (55, 35, 10), (30, 45, 25)], dtype=float)[size]
    count = 1 + choose_rows(rng, weights)
    school = np.repeat(np.arange(n), count)
    number = np.arange(len(school)) - np.repeat(np.cumsum(count) - count, count) + 1
    main = number == 1

    opened = schools.year_opened
    main_year = np.where(opened >= FIRST_YEAR,
                         opened + np.floor(rng.exponential(3.0, n)).astype(np.int64),
                         np.round(rng.triangular(FIRST_YEAR, 1965, 1990, n)).astype(np.int64))
    main_year = np.clip(main_year, FIRST_YEAR, LAST_YEAR)
    base = main_year[school]
    later = base + np.floor(rng.random(len(school)) * (LAST_YEAR - base + 1)).astype(np.int64)
    year = np.where(main, base, np.minimum(later, LAST_YEAR))
    era = np.digitize(year, ERAS)
    town = schools.town[school]
    material = choose_rows(rng, MATERIAL_WEIGHTS[town.astype(np.int64), era])

    storeys = np.ones(len(school), dtype=np.int64)
    for m, options in STOREYS.items():
        for place in (0, 1):
            rows = np.flatnonzero((material == m) & (town == bool(place)))
            values, w = options[min(place, len(options) - 1)]
            storeys[rows] = np.array(values)[choose(rng, len(rows), w)]

    factor = np.where(schools.region == "KG-GB", rng.uniform(0.55, 1.0, n),
                      np.where(schools.region == "KG-GO", rng.uniform(0.6, 1.05, n),
                               np.where(schools.town, rng.uniform(0.7, 1.3, n),
                                        rng.uniform(0.8, 1.6, n))))
    design = pupils / schools.shifts * factor
    share = storeys * rng.uniform(0.7, 1.3, len(school)) * np.where(main, 1.5, 1.0)
    share = share / np.bincount(school, weights=share, minlength=n)[school]
    capacity = np.maximum(10, np.round(design[school] * share / 10) * 10).astype(np.int64)

    services = _services(rng, schools)
    yes_no = (texts(("да", "нет")), texts(("Да", "Нет")))
    style = (rng.random(n) < 0.05).astype(np.int64)[school]
    cells: dict[str, np.ndarray] = {}
    for name in ("electricity", "drinking_water", "indoor_toilets", "central_heating", "internet"):
        has = services[name][school]
        if name == "internet":
            has = has & (main | (rng.random(len(school)) < 0.6))
        cells[name] = np.where(style == 1, yes_no[1][(~has).astype(np.int64)],
                               yes_no[0][(~has).astype(np.int64)])
    computers = np.where(main, services["computers"][school],
                         np.where(rng.random(len(school)) < 0.2,
                                  rng.integers(0, 13, len(school)), 0))
    computers = np.where(services["electricity"][school], computers, 0)
    zone = np.array([d.seismic_zone for d in geo.districts])[schools.district]

    codes = schools.code[school]
    return pd.DataFrame({
        "building_id": pad(rng, texts([f"{c}-{k}" for c, k in
                                       zip(codes, number.tolist(), strict=True)]), 0.005),
        "school_code": pad(rng, codes, 0.01),
        "preschool_code": texts([""])[np.zeros(len(school), dtype=np.int64)],
        "year_built": number_texts(year),
        "material": capitalise(rng, texts(MATERIALS)[material], 0.04),
        "storeys": number_texts(storeys),
        "capacity": number_texts(capacity),
        "seismic_zone": number_texts(zone[school]),
        "hazards": _hazards(rng, schools, geo)[school],
        **cells,
        "computers": number_texts(computers),
        "_school": school, "_number": number, "_year": year, "_material": material,
        "_zone": zone[school], "_ghost": schools.ghost[school],
        "_heating": services["central_heating"][school],
    })


def building_faults(rng: np.random.Generator, buildings: pd.DataFrame
                    ) -> tuple[pd.DataFrame, list[Extra], set[str]]:
    """The valid buildings, the faulty extra rows of ``buildings.csv``, and the ids of the
    ghost buildings listed (so that they are not "unknown" in the assessments)."""
    valid = buildings[~buildings["_ghost"]].reset_index(drop=True)
    ghosts = np.flatnonzero(buildings["_ghost"].to_numpy())
    kinds = plan(rng, BUILDINGS_FILE, len(valid), {"unknown_school": len(ghosts)})
    unknown = iter(rng.choice(ghosts, size=kinds.count("unknown_school"), replace=False).tolist())
    schools = valid["_school"].to_numpy()
    last = np.flatnonzero(np.append(schools[1:] != schools[:-1], True))   # last row per school
    added: dict[int, int] = {}
    listed: set[str] = set()
    rows, ghost_rows = Rows(valid), Rows(buildings)
    extras = []
    for kind in kinds:
        if kind == "unknown_school":
            cells = ghost_rows.cells(next(unknown), BUILDING_COLUMNS)
            listed.add(cells["building_id"].strip())
            extras.append(Extra(int(rng.integers(0, len(valid))), cells, "school_code", kind))
            continue
        # unknown_material: one more building of a school, of a material not in the list
        after = int(rng.choice(last))
        school = int(rows.value(after, "_school"))
        added[school] = added.get(school, 0) + 1
        cells = rows.cells(after, BUILDING_COLUMNS)
        code = cells["school_code"].strip()
        cells["building_id"] = f"{code}-{int(rows.value(after, '_number')) + added[school]}"
        cells["material"] = str(rng.choice(UNKNOWN_MATERIALS))
        extras.append(Extra(after, cells, "material", kind))
    return valid, extras, listed


def make_assessments(rng: np.random.Generator, buildings: pd.DataFrame) -> pd.DataFrame:
    """One or two inspections per building (valid and ghost), oldest first."""
    n = len(buildings)
    year = buildings["_year"].to_numpy()
    material = buildings["_material"].to_numpy()
    zone = buildings["_zone"].to_numpy()
    weights = ASSESSMENT_WEIGHTS[material, np.digitize(year, ERAS)].copy()
    shift = np.where(zone >= 10, 0.3 * weights[:, SAFE], 0.0)
    weights[:, SAFE] -= shift
    weights[:, RETROFIT] += shift
    back = np.where(zone <= 8, 0.3 * weights[:, RETROFIT], 0.0)
    weights[:, RETROFIT] -= back
    weights[:, SAFE] += back
    latest = choose_rows(rng, weights)

    first_day, last_day = (day_number(d) for d in INSPECTIONS)
    earliest = np.maximum(first_day, _year_start(year + 1))      # a year after it was built
    latest_day = earliest + np.floor(rng.random(n) * (last_day - earliest + 1)).astype(np.int64)
    room = latest_day - 365 - np.maximum(earliest, first_day)
    two = (rng.random(n) < 0.35) & (room > 0)
    earlier_day = earliest + np.floor(rng.random(n) * np.maximum(room, 1)).astype(np.int64)
    step = choose(rng, n, (60, 30, 10))          # same, was better then, was worse then
    earlier = np.clip(latest - np.where(step == 1, 1, np.where(step == 2, -1, 0)), SAFE, EMERGENCY)

    building = np.concatenate([np.arange(n), np.flatnonzero(two)])
    day = np.concatenate([latest_day, earlier_day[two]])
    assessment = np.concatenate([latest, earlier[two]])
    order = np.lexsort((day, building))
    building, day, assessment = building[order], day[order], assessment[order]

    inspector = choose(rng, len(building), [w for _, w in INSPECTORS])
    names = [name for name, _ in INSPECTORS]
    variants = texts([INSPECTOR_VARIANTS.get(name, name) for name in names])
    inspector_cells = np.where(rng.random(len(building)) < 0.1, variants[inspector],
                               texts(names)[inspector])
    ids = buildings["building_id"].to_numpy()
    return pd.DataFrame({
        "building_id": ids[building],
        "inspection_date": dmy(day),
        "assessment": capitalise(rng, texts(ASSESSMENTS)[assessment], 0.03),
        "inspector": inspector_cells,
        "_building": building, "_day": day, "_assessment": assessment,
        "_ghost": buildings["_ghost"].to_numpy()[building],
    })


def _year_start(years: np.ndarray) -> np.ndarray:
    """Day number of 1 January of each year."""
    return (np.asarray(years, dtype=np.int64) - 1970).astype("datetime64[Y]").astype(
        "datetime64[D]").astype(np.int64)


def assessment_faults(rng: np.random.Generator, assessments: pd.DataFrame,
                      listed_ghosts: set[str]) -> tuple[pd.DataFrame, list[Extra]]:
    """The valid inspections and the faulty extra rows of ``safety_assessments.csv``."""
    valid = assessments[~assessments["_ghost"]].reset_index(drop=True)
    ids = assessments["building_id"].str.strip()
    unlisted = np.flatnonzero(assessments["_ghost"].to_numpy()
                              & ~ids.isin(listed_ghosts).to_numpy())
    kinds = plan(rng, SAFETY_FILE, len(valid), {"unknown_building": len(unlisted)})
    unknown = iter(rng.choice(unlisted, size=kinds.count("unknown_building"),
                              replace=False).tolist())
    taken: set[tuple[str, str]] = set()
    rows, ghost_rows = Rows(valid), Rows(assessments)
    extras = []
    for kind in kinds:
        after = int(rng.integers(0, len(valid)))
        if kind == "unknown_building":
            extras.append(Extra(after, ghost_rows.cells(next(unknown), SAFETY_COLUMNS),
                                "building_id", kind))
            continue
        while True:     # an inspection (building, date) neither listed nor spoilt already
            cells = rows.cells(after, SAFETY_COLUMNS)
            if kind == "future_date":
                day = days_in_year(rng, rng.integers(FUTURE_YEARS[0], FUTURE_YEARS[1] + 1, 1))
                cells["inspection_date"] = str(dmy(day)[0])
            key = (cells["building_id"].strip(), cells["inspection_date"])
            if key not in taken:
                break
            after = int(rng.integers(0, len(valid)))
        taken.add(key)
        cells["assessment"] = ASSESSMENTS[int(rng.integers(0, len(ASSESSMENTS)))]
        cells["inspector"] = INSPECTORS[int(rng.integers(0, len(INSPECTORS)))][0]
        extras.append(Extra(after, cells, "inspection_date", kind))
    return valid, extras

