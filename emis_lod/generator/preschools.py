"""``preschools.csv``: preschool educational organisations (kindergartens), and the rows about
their buildings in ``buildings.csv`` and their inspections in ``safety_assessments.csv``.

The commitment's information system is "Safety of schools and preschool educational
organisations": kindergartens are registered beside the schools and their buildings are
inspected like school buildings. There is about one preschool organisation per two schools,
each in the settlement of a valid school (so in the same district and language area):

* **types**: town kindergartens and nursery-kindergartens (ясли-сад, from age 1) of the Soviet
  era, community kindergartens (общинный детский сад: short-stay groups readying children of
  5-6 for school, mostly in villages and since 2006), school-kindergarten complexes and small
  family kindergartens; private ones in the cities;
* **places** (design capacity) by type and place, and **children** by age in full years (1-6):
  Bishkek's and Osh's kindergartens are overcrowded (up to 160% of their places), village ones
  often have free places;
* **buildings**: one, two for some large town kindergartens; low (1-2 storeys); community
  kindergartens often in an older adapted building; walls, services and inspections follow the
  same era and place as the school buildings (:mod:`buildings`).

Faults, like the other domain tables (about 0.5% extra rows, at least one of each kind, listed
in the manifest): ``preschools.csv`` duplicate_code, unknown_district, bad_latitude,
negative_children, unknown_type; ``buildings.csv`` unknown_preschool (a building of a *ghost*
kindergarten that the registry does not hold) and unknown_material; ``safety_assessments.csv``
the same kinds as for schools. The rows about preschools come after those about schools in
``buildings.csv`` and ``safety_assessments.csv``, with random streams of their own, so that the
rows about schools are the same with or without them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .buildings import (
    ADOBE,
    ERAS,
    FIRST_YEAR,
    HAZARD_LABELS,
    LAST_YEAR,
    MATERIAL_WEIGHTS,
    MATERIALS,
    UNKNOWN_MATERIALS,
    WOOD,
)
from .cells import capitalise, choose, choose_rows, number_texts, pad, texts
from .faults import PRESCHOOL_FAULT_KINDS, Extra, Rows, plan
from .geography import HAZARDS, District, Geography, random_point
from .model import (
    BUILDING_COLUMNS,
    BUILDINGS_FILE,
    PRESCHOOL_AGES,
    PRESCHOOL_COLUMNS,
    PRESCHOOLS_FILE,
    SCHOOL_YEAR,
)
from .names import address, place_name

PER_SCHOOL = 0.5                  # preschool organisations per valid school
GHOST_SHARE, MIN_GHOSTS = 0.01, 4
# Source values of preschool_type, as the registry writes them (Russian), and variants.
PRESCHOOL_TYPES = ("Детский сад", "Ясли-сад", "Общинный детский сад", "Школа-детский сад",
                   "Семейный детский сад")
KINDERGARTEN, NURSERY, COMMUNITY, SCHOOL_KINDERGARTEN, FAMILY = range(len(PRESCHOOL_TYPES))
TYPE_VARIANTS = {KINDERGARTEN: ("детский сад", "д/с", "Детсад"), NURSERY: ("ясли-сад", "Ясли - сад"),
                 COMMUNITY: ("ОДС", "общинный детский сад"), SCHOOL_KINDERGARTEN: ("УВК",)}
UNKNOWN_TYPES = ("Детский дом", "Школа-интернат", "Центр досуга")
TYPE_WEIGHTS = {"town": (45, 38, 4, 4, 9), "village": (32, 10, 42, 13, 3),
                "private": (70, 0, 0, 0, 30)}
PRIVATE_SHARE = {"KG-GB": 0.3, "KG-GO": 0.15, "town": 0.08, "village": 0.01}
STATE_SHARE = 0.04
# Places (low, high) by type, in towns and villages; private ones (not family) 20-120.
PLACES = {"town": ((140, 320), (120, 300), (25, 60), (30, 90), (10, 30)),
          "village": ((50, 160), (50, 140), (20, 50), (20, 60), (8, 25))}
PRIVATE_PLACES = (20, 120)
# Children by age 1..6, as weights per type.
AGE_WEIGHTS = ((0, 3, 22, 24, 25, 26), (4, 12, 20, 21, 21, 22), (0, 0, 8, 17, 30, 45),
               (0, 0, 5, 15, 30, 50), (0, 10, 25, 25, 20, 20))
BRANDS = ("Балапан", "Айгерим", "Чолпон", "Бөбөк", "Кулунчак", "Ак-Бата", "Алтын-Бешик",
          "Мөлтүр", "Нурай", "Бакыт", "Жылдыз", "Ромашка", "Солнышко", "Колокольчик",
          "Алёнушка", "Ласточка", "Светлячок", "Теремок", "Айданек", "Балдаркан")
# Storeys (values, weights) of a kindergarten building in a village and in a town.
STOREYS = (((1, 2), (75, 25)), ((1, 2, 3), (30, 60, 10)))


@dataclass(frozen=True)
class PreschoolSet:
    """The preschool organisations the building rows describe: the valid ones and ghosts."""

    code: np.ndarray          # object: clean preschool codes
    region: np.ndarray        # object: region codes
    district: np.ndarray      # int: index into Geography.districts
    town: np.ndarray          # bool
    kind: np.ndarray          # int: index into PRESCHOOL_TYPES
    places: np.ndarray        # int
    year_opened: np.ndarray   # int
    ghost: np.ndarray         # bool

    def __len__(self) -> int:
        return len(self.code)


@dataclass(frozen=True)
class Preschools:
    table: pd.DataFrame                 # preschools.csv, ready to write (text cells)
    extras: list[Extra]                 # its faulty rows, to insert
    valid: pd.DataFrame                 # its valid rows
    organisations: PreschoolSet         # valid and ghost organisations, for their buildings


# --------------------------------------------------------------------------- the registry

def _names(rnd: random.Random, kind: int, private: bool, settlement: str, number: int,
           town: bool) -> tuple[str, str]:
    brand = rnd.choice(BRANDS)
    place = place_name(settlement)
    village = "" if town else f" с. {place}"
    if kind == FAMILY:
        return f"«{brand}» үй-бүлөлүк бала бакчасы", f"Семейный детский сад «{brand}»{village}"
    if private:
        return f"«{brand}» жеке бала бакчасы", f"Частный детский сад «{brand}»"
    if kind == COMMUNITY:
        return f"«{brand}» коомдук бала бакчасы", f"Общинный детский сад «{brand}»{village}"
    if kind == SCHOOL_KINDERGARTEN:
        return f"«{brand}» мектеп-бала бакчасы", f"Школа-детский сад «{brand}»{village}"
    what_ky, what_ru = (("бөбөктөр бакчасы", "Ясли-сад") if kind == NURSERY
                        else ("бала бакчасы", "Детский сад"))
    if town:
        return f"№{number} «{brand}» {what_ky}", f"{what_ru} №{number} «{brand}»"
    return f"{place} айылындагы «{brand}» {what_ky}", f"{what_ru} «{brand}» с. {place}"


def _record(rnd: random.Random, geo: Geography, school: dict[str, str], district: District,
            code: str, numbers: dict[tuple[str, str], int]) -> dict[str, str]:
    """A clean preschool record in the settlement of a (clean, valid) school record."""
    settlement, town = school["settlement"], school["locality"] == "город"
    place = "town" if town else "village"
    private = rnd.random() < PRIVATE_SHARE.get(district.region_code, PRIVATE_SHARE[place])
    kind = rnd.choices(range(len(PRESCHOOL_TYPES)),
                       weights=TYPE_WEIGHTS["private" if private else place])[0]
    if private:
        ownership = "частная"
    else:
        ownership = "государственная" if rnd.random() < STATE_SHARE else "муниципальная"
    key = (district.code, settlement)
    numbers[key] += 1
    name_ky, name_ru = _names(rnd, kind, private, settlement, numbers[key], town)

    lo, hi = PRIVATE_PLACES if private and kind != FAMILY else PLACES[place][kind]
    places = int(round(rnd.triangular(lo, hi, lo + (hi - lo) * 0.4) / 5) * 5) or 5
    if district.region_code in ("KG-GB", "KG-GO") and not private:
        occupancy = rnd.uniform(1.05, 1.6)
    elif town:
        occupancy = rnd.uniform(0.85, 1.25)
    else:
        occupancy = rnd.uniform(0.6, 1.05)
    total = max(3, round(places * occupancy))
    weights = [w * rnd.uniform(0.8, 1.2) for w in AGE_WEIGHTS[kind]]
    shares = [w / sum(weights) for w in weights]
    ages = [round(total * s) for s in shares]
    girls = sum(1 for _ in range(sum(ages)) if rnd.random() < 0.48)

    if private:
        year = rnd.randint(2000, 2024)
    elif kind == COMMUNITY:
        year = rnd.randint(2006, 2024)
    elif kind == SCHOOL_KINDERGARTEN:
        year = rnd.randint(1995, 2022)
    elif kind == FAMILY:
        year = rnd.randint(2012, 2024)
    else:
        year = int(rnd.triangular(1950, 2024, 1975 if town else 1980))
    lat, lon = random_point(rnd, district)
    decimals = rnd.randint(4, 6)
    record = {
        "preschool_code": code, "name_ky": name_ky, "name_ru": name_ru,
        "preschool_type": PRESCHOOL_TYPES[kind], "ownership": ownership,
        "languages": school["languages"], "region_code": district.region_code,
        "district_code": district.code, "settlement": settlement, "locality": school["locality"],
        "address": address(rnd, settlement, town),
        "latitude": f"{lat:.{decimals}f}".replace(".", ","),
        "longitude": f"{lon:.{decimals}f}".replace(".", ","),
        "year_opened": str(year), "places": str(places), "school_year": SCHOOL_YEAR,
        **{f"age{a}": str(n) for a, n in zip(PRESCHOOL_AGES, ages, strict=True)},
        "girls": str(girls),
    }
    record["_kind"] = str(kind)
    return record


def _dirty(rnd: random.Random, record: dict[str, str]) -> dict[str, str]:
    """A messy copy of a clean record, valid once cleaned."""
    out = dict(record)
    if rnd.random() < 0.02:
        out["preschool_code"] = f" {out['preschool_code']}"
    if rnd.random() < 0.03:
        out["name_ru"] = out["name_ru"].replace(" ", "  ", 1)
    if rnd.random() < 0.02:
        out["name_ky"] = f"{out['name_ky']} "
    variants = TYPE_VARIANTS.get(int(record["_kind"]))
    if variants and rnd.random() < 0.08:
        out["preschool_type"] = rnd.choice(variants)
    if ", " in out["languages"] and rnd.random() < 0.1:
        out["languages"] = out["languages"].replace(", ", ",")
    if rnd.random() < 0.05:
        out["address"] = ""
    if rnd.random() < 0.04:
        out["year_opened"] = ""
    for age in PRESCHOOL_AGES[:2]:     # nobody that young: some operators leave the cell empty
        if out[f"age{age}"] == "0" and rnd.random() < 0.4:
            out[f"age{age}"] = ""
    return out


def _spoil(rnd: random.Random, record: dict[str, str], kind: str, earlier: str) -> str:
    """Put one fault of ``kind`` in a record (in place); the column spoilt."""
    if kind == "duplicate_code":
        record["preschool_code"] = earlier
        return "preschool_code"
    if kind == "unknown_district":
        record["district_code"] = f"{record['region_code']}-99"
        return "district_code"
    if kind == "bad_latitude":
        record["latitude"] = "н/д" if rnd.random() < 0.5 else "1" + record["latitude"]
        return "latitude"
    if kind == "negative_children":
        age = rnd.choice([a for a in PRESCHOOL_AGES if record[f"age{a}"] not in ("", "0")])
        record[f"age{age}"] = f"-{record[f'age{age}']}"
        return f"age{age}"
    if kind == "unknown_type":
        record["preschool_type"] = rnd.choice(UNKNOWN_TYPES)
        return "preschool_type"
    raise ValueError(f"unknown fault kind {kind!r}")


def make_preschools(rng: np.random.Generator, geo: Geography, schools: list[dict[str, str]],
                    valid: list[int], taken: set[str]) -> Preschools:
    """The registry of preschool organisations, about one per two valid schools.

    ``schools`` are the clean school records, ``valid`` the positions of the valid ones and
    ``taken`` every code already used (school codes: a building id is ``{code}-{n}`` for
    schools and preschools alike, so the codes of the two registries never meet).
    """
    rnd = random.Random(int(rng.integers(0, 1 << 62)))
    districts = {d.code: (i, d) for i, d in enumerate(geo.districts)}
    regions = {r.code: r for r in geo.regions}
    wanted = max(1, round(len(valid) * PER_SCHOOL))
    kinds = plan(rng, PRESCHOOLS_FILE, wanted, table_kinds=PRESCHOOL_FAULT_KINDS)
    ghosts = max(MIN_GHOSTS, int(np.ceil(wanted * GHOST_SHARE)))
    total = wanted + len(kinds) + ghosts
    anchors = sorted(rng.choice(np.asarray(valid), size=total, replace=total > len(valid)).tolist(),
                     key=lambda i: (districts[schools[i]["district_code"]][0], i))
    numbers: dict[tuple[str, str], int] = defaultdict(int)
    sequence: dict[str, int] = defaultdict(lambda: 60_000)
    records = []
    for i in anchors:
        school = schools[i]
        _, district = districts[school["district_code"]]
        prefix = f"{regions[district.region_code].index}{district.number:02d}"
        while True:
            sequence[district.code] += rnd.randint(1, 9)
            code = f"{prefix}{sequence[district.code]:05d}"
            if code not in taken:
                break
        taken.add(code)
        records.append(_record(rnd, geo, school, district, code, numbers))

    # which records are valid, which become faulty rows, which ghosts (never written)
    order = rng.permutation(total)
    faulty = sorted(order[:len(kinds)].tolist())
    ghost = sorted(order[len(kinds):len(kinds) + ghosts].tolist())
    good = sorted(order[len(kinds) + ghosts:].tolist())
    clean = pd.DataFrame([records[i] for i in good], dtype=object)
    table = pd.DataFrame([_dirty(rnd, records[i]) for i in good], dtype=object)
    extras = []
    for kind, i in zip(kinds, faulty, strict=True):
        after = int(rng.integers(0, len(good)))
        record = dict(records[i])
        column = _spoil(rnd, record, kind, str(clean.at[after, "preschool_code"]))
        extras.append(Extra(after, record, column, kind))

    described = [records[i] for i in good + ghost]
    district_index = {d.code: i for i, d in enumerate(geo.districts)}
    described_set = PreschoolSet(
        code=texts([r["preschool_code"] for r in described]),
        region=texts([r["region_code"] for r in described]),
        district=np.array([district_index[r["district_code"]] for r in described], dtype=np.int64),
        town=np.array([r["locality"] == "город" for r in described]),
        kind=np.array([int(r["_kind"]) for r in described], dtype=np.int64),
        places=np.array([int(r["places"]) for r in described], dtype=np.int64),
        year_opened=np.array([int(r["year_opened"]) for r in described], dtype=np.int64),
        ghost=np.arange(len(described)) >= len(good),
    )
    return Preschools(table.loc[:, list(PRESCHOOL_COLUMNS)], extras, clean, described_set)


# --------------------------------------------------------------------------- their buildings

def _yes_no(rng: np.random.Generator, has: np.ndarray, style: np.ndarray) -> np.ndarray:
    cells = (texts(("да", "нет")), texts(("Да", "Нет")))
    index = (~has).astype(np.int64)
    return np.where(style, cells[1][index], cells[0][index])


def make_preschool_buildings(rng: np.random.Generator, preschools: PreschoolSet, geo: Geography
                             ) -> pd.DataFrame:
    """The buildings of valid and ghost preschool organisations (columns of buildings.csv and
    hidden ``_school``, ``_number``, ``_year``, ``_material``, ``_zone``, ``_ghost``, as
    :func:`buildings.make_buildings` gives them, so that the inspections are made alike)."""
    n = len(preschools)
    town = preschools.town
    two = town & (preschools.places >= 200) & (rng.random(n) < 0.5)
    count = 1 + two.astype(np.int64)
    owner = np.repeat(np.arange(n), count)
    number = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count) + 1
    main = number == 1

    opened = preschools.year_opened
    adapted = np.isin(preschools.kind, [COMMUNITY, SCHOOL_KINDERGARTEN, FAMILY]) & (rng.random(n) < 0.7)
    older = np.round(rng.triangular(FIRST_YEAR, 1975, np.maximum(opened, 1976), n)).astype(np.int64)
    main_year = np.where(adapted, np.minimum(older, opened),
                         opened + np.floor(rng.exponential(2.0, n)).astype(np.int64))
    main_year = np.clip(main_year, FIRST_YEAR, LAST_YEAR)
    base = main_year[owner]
    later = base + np.floor(rng.random(len(owner)) * (LAST_YEAR - base + 1)).astype(np.int64)
    year = np.where(main, base, np.minimum(later, LAST_YEAR))
    era = np.digitize(year, ERAS)
    in_town = town[owner]
    material = choose_rows(rng, MATERIAL_WEIGHTS[in_town.astype(np.int64), era])
    storeys = np.ones(len(owner), dtype=np.int64)
    for place in (0, 1):
        rows = np.flatnonzero((in_town == bool(place)) & ~np.isin(material, [ADOBE, WOOD]))
        values, weights = STOREYS[place]
        storeys[rows] = np.array(values)[choose(rng, len(rows), weights)]
    share = np.where(main, 1.5, 1.0) * rng.uniform(0.8, 1.2, len(owner))
    share = share / np.bincount(owner, weights=share, minlength=n)[owner]
    capacity = np.maximum(10, np.round(preschools.places[owner] * share / 5) * 5).astype(np.int64)

    region = preschools.region
    bishkek, osh = region == "KG-GB", region == "KG-GO"
    south = np.isin(region, ["KG-B", "KG-J", "KG-O"])
    electricity = rng.random(n) < np.where(town, 0.998, 0.985)
    water = rng.random(n) < np.where(town, 0.97, np.where(south, 0.7, 0.82))
    toilets = rng.random(n) < np.where(bishkek, 0.97, np.where(town, 0.9, 0.35))
    heating = rng.random(n) < np.where(bishkek, 0.92, np.where(osh, 0.75,
                                                               np.where(town, 0.6, 0.08)))
    internet = electricity & (rng.random(n) < np.where(town, 0.75, 0.35))
    computers = np.where(internet, rng.integers(0, 4, n), 0)
    style = rng.random(n) < 0.05
    services = {"electricity": electricity, "drinking_water": water, "indoor_toilets": toilets,
                "central_heating": heating, "internet": internet}
    cells = {name: _yes_no(rng, has[owner], style[owner]) for name, has in services.items()}

    zone = np.array([d.seismic_zone for d in geo.districts])[preschools.district]
    probability = np.array([[p for _, p in d.hazards] for d in geo.districts])[preschools.district]
    exposed = rng.random(probability.shape) < probability * np.where(town, 0.5, 1.0)[:, None]
    labels = [HAZARD_LABELS[h] for h in HAZARDS]
    hazards = texts([", ".join(lab for lab, hit in zip(labels, row, strict=True) if hit)
                     for row in exposed.tolist()])
    codes = preschools.code[owner]
    return pd.DataFrame({
        "building_id": pad(rng, texts([f"{c}-{k}" for c, k in
                                       zip(codes, number.tolist(), strict=True)]), 0.005),
        "school_code": texts([""])[np.zeros(len(owner), dtype=np.int64)],
        "preschool_code": pad(rng, codes, 0.01),
        "year_built": number_texts(year),
        "material": capitalise(rng, texts(MATERIALS)[material], 0.04),
        "storeys": number_texts(storeys),
        "capacity": number_texts(capacity),
        "seismic_zone": number_texts(zone[owner]),
        "hazards": hazards[owner],
        **cells,
        "computers": number_texts(np.where(main, computers[owner], 0)),
        "_school": owner, "_number": number, "_year": year, "_material": material,
        "_zone": zone[owner], "_ghost": preschools.ghost[owner],
    })


def preschool_building_faults(rng: np.random.Generator, buildings: pd.DataFrame
                              ) -> tuple[pd.DataFrame, list[Extra], set[str]]:
    """The valid preschool buildings, their faulty extra rows, and the ids of the ghost
    buildings listed (as :func:`buildings.building_faults` for schools)."""
    valid = buildings[~buildings["_ghost"]].reset_index(drop=True)
    ghosts = np.flatnonzero(buildings["_ghost"].to_numpy())
    kinds = plan(rng, BUILDINGS_FILE, len(valid), {"unknown_preschool": max(1, len(ghosts) // 2)},
                 table_kinds=PRESCHOOL_FAULT_KINDS)
    unknown = iter(rng.choice(ghosts, size=kinds.count("unknown_preschool"), replace=False).tolist())
    owners = valid["_school"].to_numpy()
    last = np.flatnonzero(np.append(owners[1:] != owners[:-1], True))
    added: dict[int, int] = {}
    listed: set[str] = set()
    rows, ghost_rows = Rows(valid), Rows(buildings)
    extras = []
    for kind in kinds:
        if kind == "unknown_preschool":
            cells = ghost_rows.cells(next(unknown), BUILDING_COLUMNS)
            listed.add(cells["building_id"].strip())
            extras.append(Extra(int(rng.integers(0, len(valid))), cells, "preschool_code", kind))
            continue
        after = int(rng.choice(last))
        owner = int(rows.value(after, "_school"))
        added[owner] = added.get(owner, 0) + 1
        cells = rows.cells(after, BUILDING_COLUMNS)
        code = cells["preschool_code"].strip()
        cells["building_id"] = f"{code}-{int(rows.value(after, '_number')) + added[owner]}"
        cells["material"] = str(rng.choice(UNKNOWN_MATERIALS))
        extras.append(Extra(after, cells, "material", kind))
    return valid, extras, listed


__all__ = ["PRESCHOOL_TYPES", "PreschoolSet", "Preschools", "make_preschool_buildings",
           "make_preschools", "preschool_building_faults"]
