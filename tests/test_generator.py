"""The seeded demo-data generator: determinism, file formats, geography, and the rows
made invalid on purpose (which the build's tests rely on)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from emis_lod.generator import FAULT_KINDS, GeneratedSet, InvalidRow, generate
from emis_lod.generator.geography import HAZARDS, SEISMIC_ZONES, distance_km, load_geography
from emis_lod.generator.model import DISTRICT_COLUMNS, REGION_COLUMNS, SCHOOL_COLUMNS

BBOX_LAT, BBOX_LON = (39.1, 43.3), (69.2, 80.3)
GRADES = range(1, 12)
TYPES = {"сош", "оош", "нош", "гимназия", "лицей", "спец. школа",
         "средняя общеобразовательная школа"}
OWNERSHIP = {"государственная", "муниципальная", "частная"}
LANGUAGES = {"кыргызский", "русский", "узбекский", "таджикский"}
DOMAIN_FILES = ("finance.csv", "textbooks.csv", "textbook_provision.csv", "staff.csv",
                "training.csv", "preschools.csv", "buildings.csv", "safety_assessments.csv")


def school_faults(result: GeneratedSet) -> tuple[InvalidRow, ...]:
    """The invalid rows of schools.csv (the domain tables have theirs too)."""
    return tuple(r for r in result.invalid if r.file == "schools.csv")


def sha256s(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.iterdir())}


def read_schools(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=";", encoding="cp1251", dtype=str, keep_default_na=False)
    frame.index = pd.RangeIndex(2, 2 + len(frame))    # spreadsheet rows: header = 1
    return frame


def number(text: str) -> float:
    return float(text.strip().replace(",", "."))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedSet, Path]:
    out = tmp_path_factory.mktemp("demo") / "nested" / "source"
    return generate(out, schools=300, seed=2026), out


@pytest.fixture(scope="module")
def schools(demo: tuple[GeneratedSet, Path]) -> pd.DataFrame:
    return read_schools(demo[1] / "schools.csv")


@pytest.fixture(scope="module")
def valid(demo: tuple[GeneratedSet, Path], schools: pd.DataFrame) -> pd.DataFrame:
    bad_rows = {r.row for r in school_faults(demo[0])}
    return schools.drop(index=sorted(bad_rows)).apply(lambda c: c.str.strip())


# --- determinism -----------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    generate(tmp_path / "a", schools=120, seed=7)
    generate(tmp_path / "b", schools=120, seed=7)
    generate(tmp_path / "c", schools=120, seed=8)
    a, b, c = (sha256s(tmp_path / d) for d in "abc")
    assert set(a) == {"regions.csv", "districts.csv", "schools.csv", "generator-manifest.json",
                      *DOMAIN_FILES}
    assert a == b
    assert a["schools.csv"] != c["schools.csv"]
    assert a["regions.csv"] == c["regions.csv"]          # reference tables do not depend on it


def test_rerun_overwrites_existing_files(tmp_path: Path) -> None:
    generate(tmp_path, schools=200, seed=1)
    result = generate(tmp_path, schools=20, seed=1)
    assert len(read_schools(tmp_path / "schools.csv")) == result.schools
    manifest = json.loads((tmp_path / "generator-manifest.json").read_text("utf-8"))
    assert manifest["schools_requested"] == 20


# --- formats ---------------------------------------------------------------------------------

def test_files_written_in_order(demo: tuple[GeneratedSet, Path]) -> None:
    result, out = demo
    assert [p.name for p in result.files] == ["regions.csv", "districts.csv", "schools.csv",
                                              *DOMAIN_FILES]
    assert all(p.parent == out and p.is_file() for p in result.files)
    assert result.manifest == out / "generator-manifest.json"


def test_regions_are_utf8_with_bom_and_comma_separated(demo: tuple[GeneratedSet, Path]) -> None:
    raw = (demo[1] / "regions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(REGION_COLUMNS)
    assert "KG-C,Чүй облусу,Чуйская область,Chüy Region" in text
    assert "KG-GB,Бишкек шаары,город Бишкек,Bishkek City" in text


def test_districts_are_utf8_semicolon_with_russian_headers(
        demo: tuple[GeneratedSet, Path]) -> None:
    raw = (demo[1] / "districts.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8").splitlines()
    assert lines[0] == "Код района;Код области;Наименование (кырг.);Наименование (рус.);" \
                       "Наименование (англ.)"
    assert tuple(lines[0].split(";")) == DISTRICT_COLUMNS
    assert "KG-C-01;KG-C;Аламүдүн району;Аламудунский район;Alamüdün District" in lines


def test_schools_are_cp1251_semicolon_crlf(demo: tuple[GeneratedSet, Path]) -> None:
    raw = (demo[1] / "schools.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    assert "Средняя общеобразовательная школа".encode("cp1251") in raw
    assert raw.count(b"\r\n") == demo[0].schools + 1 and raw.count(b"\n") == raw.count(b"\r\n")
    assert text.split("\r\n", 1)[0] == ";".join(SCHOOL_COLUMNS)
    assert SCHOOL_COLUMNS[-2:] == ("g11_m", "g11_f") and len(SCHOOL_COLUMNS) == 16 + 22


def test_schools_use_decimal_commas(valid: pd.DataFrame) -> None:
    pattern = re.compile(r"^-?\d{2},\d{4,6}$")
    assert valid["latitude"].str.match(pattern).all()
    assert valid["longitude"].str.match(pattern).all()


# --- geography -------------------------------------------------------------------------------

def test_reference_geography() -> None:
    geo = load_geography()
    assert [r.code for r in geo.regions] == ["KG-B", "KG-C", "KG-Y", "KG-J", "KG-N", "KG-O",
                                             "KG-T", "KG-GB", "KG-GO"]
    assert [len(r.districts) for r in geo.regions] == [3, 8, 5, 8, 5, 7, 4, 4, 1]
    for d in geo.districts:
        assert d.code.startswith(d.region_code + "-")
        km_lat = d.radius_km / 111.2
        assert BBOX_LAT[0] < d.lat - km_lat and d.lat + km_lat < BBOX_LAT[1]
        assert BBOX_LON[0] < d.lon - 2 * km_lat and d.lon + 2 * km_lat < BBOX_LON[1]
    assert all(d.urban for d in geo.region("KG-GB").districts)
    assert geo.district("KG-C-03").settlements[0] == "г. Кара-Балта"
    for d in geo.districts:      # documented per district, for the buildings table
        assert d.seismic_zone in SEISMIC_ZONES
        assert [h for h, _ in d.hazards] == list(HAZARDS)
        assert all(0 <= p <= 1 for _, p in d.hazards)
    assert {d.seismic_zone for d in geo.region("KG-GB").districts} == {9}
    assert geo.district("KG-GO-01").seismic_zone == 10
    assert dict(geo.district("KG-J-04").hazards)["avalanche"] > 0.2     # Chatkal


def test_every_district_belongs_to_a_listed_region(demo: tuple[GeneratedSet, Path]) -> None:
    regions = pd.read_csv(demo[1] / "regions.csv", dtype=str, encoding="utf-8-sig")
    districts = pd.read_csv(demo[1] / "districts.csv", sep=";", dtype=str)
    assert len(regions) == 9 and len(districts) == 45
    assert set(districts["Код области"]) == set(regions["region_code"])
    assert (districts.apply(lambda r: r["Код района"].startswith(r["Код области"] + "-"),
                            axis=1)).all()
    assert districts["Код района"].is_unique


def test_school_locations_fall_in_their_district_circle(valid: pd.DataFrame) -> None:
    geo = load_geography()
    for _, row in valid.iterrows():
        lat, lon = number(row["latitude"]), number(row["longitude"])
        assert BBOX_LAT[0] <= lat <= BBOX_LAT[1] and BBOX_LON[0] <= lon <= BBOX_LON[1]
        d = geo.district(row["district_code"])
        assert distance_km(lat, lon, d.lat, d.lon) <= d.radius_km, row["school_code"]


def test_school_region_district_and_code_agree(valid: pd.DataFrame) -> None:
    geo = load_geography()
    for _, row in valid.iterrows():
        d = geo.district(row["district_code"])
        assert d.region_code == row["region_code"]
        assert row["school_code"][:3] == f"{geo.region(d.region_code).index}{d.number:02d}"
        if d.urban:
            assert row["locality"] == "город"
            assert row["settlement"] in ("", "г. Бишкек", "г. Ош")
        elif row["settlement"]:
            assert row["settlement"] in d.settlements
            assert row["locality"] == ("город" if row["settlement"].startswith("г.") else "село")


# --- values ----------------------------------------------------------------------------------

def test_valid_rows_use_the_documented_value_sets(valid: pd.DataFrame) -> None:
    assert valid["school_code"].str.fullmatch(r"\d{8}").all()
    assert valid["school_code"].is_unique
    assert set(valid["school_type"].str.casefold()) <= TYPES
    assert set(valid["ownership"]) <= OWNERSHIP and "муниципальная" in set(valid["ownership"])
    items = {i.strip() for cell in valid["languages"] for i in cell.split(",")}
    assert items <= LANGUAGES and "кыргызский" in items
    assert set(valid["locality"]) == {"город", "село"}
    assert set(valid["school_year"]) == {"2025-2026"}
    assert set(valid["shifts"]) <= {"1", "2", "3"}
    years = valid["year_opened"][valid["year_opened"] != ""].astype(int)
    assert years.between(1900, 2024).all()


def test_kyrgyz_letters_are_replaced_in_the_cp1251_file(schools: pd.DataFrame) -> None:
    text = " ".join(schools["name_ky"])
    assert "атындагы" in text and "мектеби" in text
    assert not set("ңүөҢҮӨ") & set(text)


def test_the_valid_rows_are_messy(valid: pd.DataFrame, schools: pd.DataFrame) -> None:
    ok = schools.loc[valid.index]
    assert (ok["school_code"] != ok["school_code"].str.strip()).any()
    assert ok["name_ru"].str.contains("  ").any() or ok["name_ky"].str.contains("  ").any()
    assert (ok["school_type"] != "СОШ").any() and ok["school_type"].isin(["сош", " СОШ ", "СОШ ",
                                                   "средняя общеобразовательная школа"]).any()
    assert (ok["address"] == "").any() and (ok["year_opened"] == "").any()


def test_pupils_follow_school_type_and_size(valid: pd.DataFrame) -> None:
    pupils = valid[[f"g{g}_{s}" for g in GRADES for s in "mf"]].astype(int)
    assert (pupils >= 0).all().all()
    kind = valid["school_type"].str.casefold()

    def above(top: int) -> list[str]:
        return [f"g{g}_{s}" for g in GRADES if g > top for s in "mf"]

    primary, basic = kind == "нош", kind == "оош"
    assert primary.any() and basic.any()
    assert (pupils.loc[primary, above(4)] == 0).all().all()
    assert (pupils.loc[basic, above(9)] == 0).all().all()
    assert (pupils.loc[primary, ["g1_m", "g1_f", "g4_m", "g4_f"]].sum(axis=1) > 0).all()
    total = pupils.sum(axis=1)
    public = valid["ownership"] != "частная"
    secondary = kind.isin(["сош", "средняя общеобразовательная школа"])
    city_secondary = public & (valid["locality"] == "город") & secondary
    village_basic = public & (valid["locality"] == "село") & basic
    assert total[city_secondary].between(780, 2520).all()
    assert total[village_basic].between(35, 210).all()
    boys = pupils[[f"g{g}_m" for g in GRADES]].sum().sum()
    girls = pupils[[f"g{g}_f" for g in GRADES]].sum().sum()
    assert 0.9 < boys / girls < 1.25


# --- the rows made invalid on purpose --------------------------------------------------------

def faults(frame: pd.DataFrame) -> dict[int, set[str]]:
    """An independent check of the rules the build enforces: the faulty columns per row."""
    geo = load_geography()
    districts = {d.code: d.region_code for d in geo.districts}
    types = TYPES
    seen: set[str] = set()
    found: dict[int, set[str]] = {}
    for row, rec in zip(frame.index, frame.to_dict("records"), strict=True):
        cols: set[str] = set()
        code = rec["school_code"].strip()
        if not re.fullmatch(r"\d{8}", code) or code in seen:
            cols.add("school_code")
        else:
            seen.add(code)
        if districts.get(rec["district_code"].strip()) != rec["region_code"].strip():
            cols.add("district_code")
        if rec["school_type"].strip().casefold() not in types:
            cols.add("school_type")
        for column, (lo, hi) in (("latitude", BBOX_LAT), ("longitude", BBOX_LON)):
            try:
                if not lo <= number(rec[column]) <= hi:
                    cols.add(column)
            except ValueError:
                cols.add(column)
        year = rec["year_opened"].strip()
        if year and not 1900 <= int(year) <= 2026:
            cols.add("year_opened")
        for g in GRADES:
            for s in "mf":
                if int(rec[f"g{g}_{s}"]) < 0:
                    cols.add(f"g{g}_{s}")
        if cols:
            found[int(row)] = cols
    return found


def test_manifest_lists_exactly_the_faulty_rows(demo: tuple[GeneratedSet, Path],
                                                schools: pd.DataFrame) -> None:
    result, out = demo
    manifest = json.loads((out / "generator-manifest.json").read_text("utf-8"))
    assert manifest["seed"] == 2026
    assert [InvalidRow(**r) for r in manifest["invalid"]] == list(result.invalid)
    assert manifest["tables"]["schools.csv"]["rows"] == result.schools == len(schools)
    assert manifest["tables"]["schools.csv"]["invalid_rows"] == len(school_faults(result))
    assert manifest["tables"]["regions.csv"]["rows"] == 9
    assert manifest["tables"]["districts.csv"]["rows"] == 45
    assert manifest["tables"]["regions.csv"]["invalid_rows"] == 0
    for bad in school_faults(result):
        assert schools.at[bad.row, bad.column] == bad.value
    assert faults(schools) == {bad.row: {bad.column} for bad in school_faults(result)}


def test_each_fault_kind_looks_as_documented(demo: tuple[GeneratedSet, Path],
                                             schools: pd.DataFrame) -> None:
    by_kind = {bad.kind: bad for bad in school_faults(demo[0])}
    assert set(by_kind) == set(FAULT_KINDS)
    assert by_kind["missing_code"].value == "" and by_kind["missing_code"].column == "school_code"
    dup = by_kind["duplicate_code"]
    earlier = schools.loc[: dup.row - 1, "school_code"].str.strip()
    assert dup.value in set(earlier)
    assert re.fullmatch(r"KG-[A-Z]{1,2}-99", by_kind["unknown_district"].value)
    assert by_kind["negative_pupils"].value.startswith("-")
    assert int(by_kind["future_year"].value) > 2026
    assert by_kind["unknown_type"].value.casefold() not in TYPES


@pytest.mark.parametrize("n", [1, 10, 50, 300])
def test_n_valid_schools_plus_faulty_ones(tmp_path: Path, n: int) -> None:
    result = generate(tmp_path, schools=n, seed=99)
    frame = read_schools(tmp_path / "schools.csv")
    assert result.schools == len(frame)
    bad_schools = school_faults(result)
    assert result.valid_schools == n == result.schools - len(bad_schools)
    assert {bad.kind for bad in bad_schools} == set(FAULT_KINDS)
    assert len({bad.row for bad in bad_schools}) == len(bad_schools)
    assert faults(frame) == {bad.row: {bad.column} for bad in bad_schools}


def test_about_two_percent_of_rows_are_faulty(tmp_path: Path) -> None:
    result = generate(tmp_path, schools=2000, seed=3)
    assert len(school_faults(result)) == 40
    assert result.schools == 2040


def test_rejects_an_empty_request(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, schools=0)
