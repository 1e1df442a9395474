"""The Kazakh reference geography (``profiles/kz/geography.yaml``), read into the Kyrgyz
generator's :class:`~emis_lod.generator.geography.Geography` so that its domain tables
(staff, buildings, textbooks, finance) can be reused as they are.

The Kyrgyz classes name the first language's field ``name_ky``: here it holds the Kazakh
name. What the Kyrgyz classes have no room for (the Kazakh names of settlements, seismic
zones below the shared code list's 7) is kept beside them in :class:`KzGeography`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..geography import HAZARDS, KM_PER_DEGREE, District, Geography, Region, assemble

ASEISMIC = 6             # written as an empty cell: the shared seismic-zone list starts at 7
LOWEST_LISTED_ZONE = 7


@dataclass(frozen=True)
class KzGeography:
    geo: Geography                                   # name_ky fields hold the Kazakh names
    settlements: dict[str, tuple[tuple[str, str], ...]]   # district code -> ((kk, ru), ...)
    seismic_zone: dict[str, int]                     # district code -> zone (6: aseismic)

    @property
    def regions(self) -> tuple[Region, ...]:
        return self.geo.regions

    @property
    def districts(self) -> tuple[District, ...]:
        return self.geo.districts


def default_path() -> Path:
    """``profiles/kz/geography.yaml``: from the installed profiles package, else from the
    source tree."""
    try:
        from importlib import resources

        return Path(str(resources.files("emis_lod.profiles"))) / "kz" / "geography.yaml"
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[3] / "profiles" / "kz" / "geography.yaml"


def _check(kz: KzGeography, path: Path) -> None:
    geo = kz.geo
    (lat0, lat1), (lon0, lon1) = geo.lat_range, geo.lon_range
    for region in geo.regions:
        if not re.fullmatch(r"KZ-[0-9]{2}", region.code) or region.index != int(region.code[3:]):
            raise ValueError(f"{path}: region {region.code}: the code is KZ-nn and index its nn")
        for n, d in enumerate(region.districts, start=1):
            where = f"{path}: district {d.code}"
            if d.code != f"{region.code}-{n:02d}":
                raise ValueError(f"{where}: expected {region.code}-{n:02d} (codes follow the "
                                 f"listed order)")
            if d.languages not in geo.language_profiles:
                raise ValueError(f"{where}: unknown language profile {d.languages!r}")
            dlat = d.radius_km / KM_PER_DEGREE
            dlon = dlat / math.cos(math.radians(d.lat))
            if not (lat0 < d.lat - dlat and d.lat + dlat < lat1
                    and lon0 < d.lon - dlon and d.lon + dlon < lon1):
                raise ValueError(f"{where}: circle leaves the bounding box")
            if kz.seismic_zone[d.code] not in (ASEISMIC, 7, 8, 9, 10):
                raise ValueError(f"{where}: seismic_zone {kz.seismic_zone[d.code]} not 6-10")
            if {h for h, _ in d.hazards} != set(HAZARDS):
                raise ValueError(f"{where}: hazards need a probability for each of {HAZARDS}")
            if not kz.settlements[d.code] or d.weight <= 0:
                raise ValueError(f"{where}: needs settlements and a positive weight")


@lru_cache(maxsize=4)
def load_kz_geography(path: Path | None = None) -> KzGeography:
    path = Path(path) if path is not None else default_path()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    regions = []
    settlements: dict[str, tuple[tuple[str, str], ...]] = {}
    zones: dict[str, int] = {}
    for r in data["regions"]:
        districts = []
        for d in r["districts"]:
            zone = int(d.get("seismic_zone", r["seismic_zone"]))
            hazards = d.get("hazards", r["hazards"])
            places = tuple((str(kk), str(ru)) for kk, ru in d["settlements"])
            settlements[d["code"]] = places
            zones[d["code"]] = zone
            districts.append(District(
                code=d["code"], region_code=r["code"], number=int(d["code"][-2:]),
                name_ky=d["names"]["kk"], name_ru=d["names"]["ru"], name_en=d["names"]["en"],
                lat=float(d["centre"][0]), lon=float(d["centre"][1]),
                radius_km=float(d["radius_km"]), weight=float(d["weight"]),
                seismic_zone=max(zone, LOWEST_LISTED_ZONE),
                hazards=tuple((str(k), float(v)) for k, v in hazards.items()),
                urban=bool(d["urban"]), languages=d.get("languages", r["languages"]),
                settlements=tuple(ru for _, ru in places)))
        regions.append(Region(code=r["code"], index=int(r["index"]), name_ky=r["names"]["kk"],
                              name_ru=r["names"]["ru"], name_en=r["names"]["en"],
                              districts=tuple(districts)))
    kz = KzGeography(assemble(data, regions), settlements, zones)
    _check(kz, path)
    return kz
