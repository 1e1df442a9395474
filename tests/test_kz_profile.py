"""The Kazakh profile: its generator writes the national educational database's export (files,
headers in Kazakh and Russian, encodings, deliberately invalid rows) the same for the same seed,
a build of it loads every table and rejects exactly those rows, and the per-capita financing
indicators equal a computation from the CSV files at school, district and region level."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from emis_lod.generator.kz import generate
from emis_lod.generator.kz.export import FORMATS, HEADERS
from emis_lod.generator.kz.geography import load_kz_geography
from emis_lod.loaders.build import BuildReport, build
from emis_lod.loaders.mapping_spec import load_mappings
from emis_lod.loaders.readers import read_source
from emis_lod.profiles import load_profile
from emis_lod.settings import load_settings

SCHOOLS = 60
SEED = 11
BASE = "http://data.test/"
# ISO 3166-2:KZ as of 2024-2025: 17 regions and the 3 cities of republican significance.
ISO_CODES = {"KZ-10", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31", "KZ-33", "KZ-35",
             "KZ-39", "KZ-43", "KZ-47", "KZ-55", "KZ-59", "KZ-61", "KZ-62", "KZ-63", "KZ-71",
             "KZ-75", "KZ-79"}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kz-source")
    generate(out, schools=SCHOOLS, seed=SEED)
    return out


@pytest.fixture(scope="module")
def manifest(source: Path) -> dict:
    return json.loads((source / "generator-manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(source: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    store = tmp_path_factory.mktemp("kz-store")
    return build(source, store, load_settings(base_uri=BASE), echo=lambda *_: None,
                 profile=load_profile("kz"))


# ---------------------------------------------------------------- the generator
def test_same_seed_same_bytes_another_seed_other_bytes(source: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", schools=SCHOOLS, seed=SEED)
    names = sorted(p.name for p in source.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "again").iterdir())
    for name in names:
        assert (source / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    assert again.valid_schools == SCHOOLS
    other = tmp_path / "other"
    generate(other, schools=SCHOOLS, seed=SEED + 1)
    assert (other / "organizations.csv").read_bytes() != (source / "organizations.csv").read_bytes()


def test_geography_is_kazakhstan_2024() -> None:
    kz = load_kz_geography()
    assert {r.code for r in kz.regions} == ISO_CODES
    names = {r.code: (r.name_ky, r.name_ru, r.name_en) for r in kz.regions}
    assert names["KZ-10"] == ("Абай облысы", "Абайская область", "Abai Region")
    assert names["KZ-62"][2] == "Ulytau Region" and names["KZ-33"][2] == "Zhetisu Region"
    assert names["KZ-71"][2] == "Astana" and names["KZ-79"][2] == "Shymkent"
    for region in kz.regions:
        assert region.districts, region.code
        assert all(re.fullmatch(rf"{region.code}-\d\d", d.code) for d in region.districts)


def test_files_headers_and_encodings(source: Path, manifest: dict) -> None:
    assert set(manifest["tables"]) == set(HEADERS)
    for name, table in manifest["tables"].items():
        fmt = FORMATS[name]
        raw = (source / name).read_bytes()
        if fmt["encoding"] == "xlsx":
            sheet = openpyxl.load_workbook(source / name, read_only=True)[fmt["sheet"]]
            header = [c.value for c in next(sheet.iter_rows(max_row=1))]
            assert header == list(HEADERS[name].values())
            continue
        assert raw.startswith(codecs.BOM_UTF8) == (fmt["encoding"] == "utf-8-sig"), name
        text = raw.decode(fmt["encoding"])
        lines = text.splitlines(keepends=True)
        assert all(line.endswith(fmt["line_terminator"]) for line in lines), name
        header = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=fmt["separator"]))
        assert header == list(HEADERS[name].values()), name
        assert table["headers"] == HEADERS[name]
        assert len(lines) - 1 == table["rows"], name
    # Kazakh headers where the form is Kazakh, Russian where it is Russian
    assert HEADERS["organizations.csv"]["school_code"] == "Ұйым коды"
    assert HEADERS["finance.csv"]["school_code"] == "Код организации"
    # KZ-1048 holds the Kazakh letters Windows-1251 lacks: read as Windows-1251 they are lost
    raw = (source / "organizations.csv").read_bytes()
    assert "Ұйым коды" in raw.decode("kz1048") and "Ұйым коды" not in raw.decode("cp1251")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_the_kz1048_export_is_read_as_declared(source: Path) -> None:
    mappings = {m.table: m for m in load_mappings(files=load_profile("kz").files("mappings"))}
    schools = read_source(source / "organizations.csv", mappings["schools"])
    assert schools.encoding == "kz1048"
    assert schools.frame["name_kk"].str.contains("мектеп").any()
    assert not schools.ignored_columns


def test_invalid_rows_are_listed(manifest: dict) -> None:
    kinds = manifest["invalid_kinds"]
    for kind in ("unknown_school", "unknown_norm", "bad_pupils", "negative_received",
                 "due_mismatch", "duplicate_norm", "missing_code", "unknown_district"):
        assert kinds.get(kind, 0) >= 1, kind
    assert manifest["generator"] == "emis_lod.generator.kz"


# ---------------------------------------------------------------- the build
def test_build_loads_every_table_and_rejects_only_the_invalid_rows(built: BuildReport,
                                                                  manifest: dict) -> None:
    loaded = {t.table: t for t in built.tables}
    assert {"regions", "districts", "schools", "finance", "textbooks", "textbook_provision",
            "staff", "training", "buildings", "safety_assessments", "per_capita_norms",
            "per_capita_funding"} <= set(loaded)
    for t in loaded.values():
        assert t.rows_loaded > 0, t.table
    expected = {(r["file"], r["row"], r["column"]) for r in manifest["invalid"]}
    rejected = {(r.file, int(r.row), r.column) for r in built.rejections.itertuples(index=False)}
    assert rejected == expected
    assert built.shacl_violations == 0
    assert loaded["schools"].encoding == "kz1048" and loaded["per_capita_norms"].encoding == "xlsx"
    release = json.loads((built.release_dir / "manifest.json").read_text(encoding="utf-8"))
    assert release["profile"] == "kz"


# ---------------------------------------------------------------- the per-capita indicators
def _amount(cell: str) -> float:
    return float(cell.strip().replace(" ", "").replace(",", "."))


def _valid(source: Path, manifest: dict, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    bad = {r["row"] for r in manifest["invalid"] if r["file"] == name}
    rows = pd.Series(range(2, len(frame) + 2), index=frame.index)
    return frame[~rows.isin(bad)]


def expected_per_capita(source: Path, manifest: dict) -> pd.DataFrame:
    """(indicator, area, period) -> numerator, denominator, value, computed from the CSVs."""
    funding = pd.read_csv(source / "per_capita_funding.csv", sep=";", dtype=str, encoding="utf-8-sig",
                          keep_default_na=False)
    funding.columns = list(HEADERS["per_capita_funding.csv"])
    funding = _valid(source, manifest, "per_capita_funding.csv", funding)
    schools = pd.read_csv(source / "organizations.csv", sep=";", dtype=str, encoding="kz1048",
                          keep_default_na=False)
    schools.columns = list(HEADERS["organizations.csv"])
    schools = _valid(source, manifest, "organizations.csv", schools)
    areas = schools.assign(school_code=schools["school_code"].str.strip(),
                           district=schools["district_code"].str.strip(),
                           region=schools["region_code"].str.strip())
    f = pd.DataFrame({"school": funding["school_code"].str.strip(), "period": funding["year"],
                      "due": funding["due"].map(_amount), "received": funding["received"].map(_amount)})
    per_school = f.groupby(["school", "period"], as_index=False)[["due", "received"]].sum()
    per_school["gap"] = (per_school["due"] - per_school["received"]).clip(lower=0)
    per_school = per_school.merge(areas[["school_code", "district", "region"]],
                                  left_on="school", right_on="school_code")
    rows = []
    for level in ("school", "district", "region"):
        sums = per_school.groupby([level, "period"])[["gap", "due", "received"]].sum()
        for (area, period), s in sums.iterrows():
            uri = f"{BASE}id/{level}/{area}"
            rows.append(("per-capita-gap", uri, period, s["gap"], None, round(s["gap"], 2)))
            rows.append(("per-capita-received-ratio", uri, period, s["received"], s["due"],
                         round(s["received"] / s["due"], 4)))
    return pd.DataFrame(rows, columns=["notation", "area", "period", "numerator", "denominator",
                                       "value"])


def test_per_capita_gap_and_ratio_per_school_district_and_region(built: BuildReport, source: Path,
                                                                 manifest: dict) -> None:
    published = pd.read_csv(built.release_dir / "dumps" / "indicators.csv", dtype=str,
                            keep_default_na=False)
    published = published[published["indicator"].str.contains("/indicator/per-capita-")]
    published = published.assign(notation=published["indicator"].str.rsplit("/", n=1).str[-1])
    expected = expected_per_capita(source, manifest)
    assert len(published) == len(expected) > 0
    got = published.set_index(["notation", "area", "period"])
    assert {"school", "district", "region"} == {a.split("/")[-2] for a in published["area"]}
    for row in expected.itertuples(index=False):
        observed = got.loc[(row.notation, row.area, row.period)]
        assert float(observed["numerator"]) == pytest.approx(row.numerator, abs=0.01), row
        assert float(observed["value"]) == pytest.approx(row.value, abs=1e-9 + 10 ** -4), row
        if pd.notna(row.denominator):
            assert float(observed["denominator"]) == pytest.approx(row.denominator, abs=0.01), row
    # some schools are underfunded, so there is a gap to show
    assert (expected[expected["notation"] == "per-capita-gap"]["numerator"] > 0).any()
