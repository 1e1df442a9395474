"""The reference geography of ``geography.yaml``: regions, districts, their circles."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180.0
SEISMIC_ZONES = (7, 8, 9, 10)                              # MSK-64 intensity
HAZARDS = ("mudflow", "flood", "landslide", "avalanche")   # keys of a district's hazards


@dataclass(frozen=True)
class District:
    code: str                  # synthetic "{region_code}-{nn}"
    region_code: str
    number: int                # nn, the 2 digits in school codes
    name_ky: str
    name_ru: str
    name_en: str
    lat: float
    lon: float
    radius_km: float
    weight: float
    seismic_zone: int          # MSK-64 intensity zone written for its school buildings
    hazards: tuple[tuple[str, float], ...]   # (hazard, probability a village school is exposed)
    urban: bool
    languages: str             # name of a language profile
    settlements: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    code: str                  # ISO 3166-2:KG
    index: int                 # first digit of school codes
    name_ky: str
    name_ru: str
    name_en: str
    districts: tuple[District, ...]


@dataclass(frozen=True)
class Geography:
    regions: tuple[Region, ...]
    # profile -> "village"/"town" -> ((cell value, weight), ...)
    language_profiles: dict[str, dict[str, tuple[tuple[str, float], ...]]]
    lat_range: tuple[float, float]
    lon_range: tuple[float, float]

    @property
    def districts(self) -> tuple[District, ...]:
        return tuple(d for r in self.regions for d in r.districts)

    def region(self, code: str) -> Region:
        return next(r for r in self.regions if r.code == code)

    def district(self, code: str) -> District:
        return next(d for d in self.districts if d.code == code)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def random_point(rnd: random.Random, district: District, margin: float = 0.95
                 ) -> tuple[float, float]:
    """A point uniformly distributed in the district's circle (shrunk by ``margin``, so
    that rounding the coordinates never pushes it outside)."""
    r = district.radius_km * margin * math.sqrt(rnd.random())
    theta = 2 * math.pi * rnd.random()
    dlat = r * math.cos(theta) / KM_PER_DEGREE
    dlon = r * math.sin(theta) / (KM_PER_DEGREE * math.cos(math.radians(district.lat)))
    return district.lat + dlat, district.lon + dlon


def _check(geo: Geography) -> None:
    (lat0, lat1), (lon0, lon1) = geo.lat_range, geo.lon_range
    for i, region in enumerate(geo.regions, start=1):
        if region.index != i or not re.fullmatch(r"KG-[A-Z]{1,2}", region.code):
            raise ValueError(f"geography.yaml: region {region.code}: bad code or index")
        for n, d in enumerate(region.districts, start=1):
            if d.code != f"{region.code}-{n:02d}":
                raise ValueError(f"geography.yaml: district {d.code}: expected "
                                 f"{region.code}-{n:02d} (codes follow the listed order)")
            if d.languages not in geo.language_profiles:
                raise ValueError(f"geography.yaml: district {d.code}: unknown language "
                                 f"profile {d.languages!r}")
            dlat = d.radius_km / KM_PER_DEGREE
            dlon = dlat / math.cos(math.radians(d.lat))
            if not (lat0 < d.lat - dlat and d.lat + dlat < lat1
                    and lon0 < d.lon - dlon and d.lon + dlon < lon1):
                raise ValueError(f"geography.yaml: district {d.code}: circle leaves the "
                                 f"bounding box")
            if d.seismic_zone not in SEISMIC_ZONES:
                raise ValueError(f"geography.yaml: district {d.code}: seismic_zone "
                                 f"{d.seismic_zone} not in {SEISMIC_ZONES}")
            if {h for h, _ in d.hazards} != set(HAZARDS) or not all(
                    0 <= p <= 1 for _, p in d.hazards):
                raise ValueError(f"geography.yaml: district {d.code}: hazards need a "
                                 f"probability for each of {HAZARDS}")
            if not d.settlements or d.weight <= 0:
                raise ValueError(f"geography.yaml: district {d.code}: needs settlements "
                                 f"and a positive weight")


@lru_cache(maxsize=4)
def load_geography(path: Path | None = None) -> Geography:
    """The geography of a profile (``geography:`` of its profile.yaml; the default profile's
    when none is given)."""
    if path is None:
        from emis_lod.profiles import default

        path = default().geography
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    regions = []
    for r in data["regions"]:
        districts = tuple(
            District(code=d["code"], region_code=r["code"], number=int(d["code"][-2:]),
                     name_ky=d["names"]["ky"], name_ru=d["names"]["ru"],
                     name_en=d["names"]["en"], lat=float(d["centre"][0]),
                     lon=float(d["centre"][1]), radius_km=float(d["radius_km"]),
                     weight=float(d["weight"]), seismic_zone=int(d["seismic_zone"]),
                     hazards=tuple((str(k), float(v)) for k, v in d["hazards"].items()),
                     urban=bool(d["urban"]),
                     languages=d["languages"], settlements=tuple(d["settlements"]))
            for d in r["districts"])
        regions.append(Region(code=r["code"], index=int(r["index"]), name_ky=r["names"]["ky"],
                              name_ru=r["names"]["ru"], name_en=r["names"]["en"],
                              districts=districts))
    geo = assemble(data, regions)
    _check(geo)
    return geo


def assemble(data: dict, regions: list[Region]) -> Geography:
    """The geography of a geography file's ``data`` and its parsed ``regions``: their
    language profiles and bounding box as the file gives them."""
    box = data["bounding_box"]
    profiles = {name: {where: tuple((str(k), float(w)) for k, w in weights.items())
                       for where, weights in places.items()}
                for name, places in data["language_profiles"].items()}
    return Geography(regions=tuple(regions), language_profiles=profiles,
                     lat_range=(float(box["lat"][0]), float(box["lat"][1])),
                     lon_range=(float(box["lon"][0]), float(box["lon"][1])))
