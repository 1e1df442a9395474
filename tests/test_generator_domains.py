"""The generator's tables of the four commitment domains: the contract of
``docs/source-tables.md``, reproducibility, referential consistency, the rows made invalid
on purpose, and the relationships the indicators are meant to show."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from emis_lod.generator import DOMAIN_FAULT_KINDS, GeneratedSet, InvalidRow, generate
from emis_lod.generator.faults import PRESCHOOL_FAULT_KINDS, SCHOOL_FAULT_KINDS
from emis_lod.generator.geography import load_geography
from emis_lod.generator.model import DOMAIN_COLUMNS, PERSONAL_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "source-tables.md").read_text(encoding="utf-8")
EXPORT_DATE = date(2026, 3, 31)
GRADES = range(1, 12)
EXCEL = {"encoding": "cp1251", "sep": ";", "newline": b"\r\n"}
WEB = {"encoding": "utf-8", "sep": ",", "newline": b"\n"}
FORMATS = {"finance.csv": EXCEL, "textbooks.csv": WEB, "textbook_provision.csv": EXCEL,
           "staff.csv": EXCEL, "training.csv": WEB, "preschools.csv": EXCEL, "buildings.csv": EXCEL,
           "safety_assessments.csv": WEB}
DOMAIN_FILES = tuple(FORMATS)

SUBJECT_CODES = ("math", "kyrgyz-language", "russian-language", "literature", "history",
                 "geography", "biology", "physics", "chemistry", "english", "informatics")
SUBJECT_NAMES = ("математика", "кыргызский язык", "русский язык", "литература", "история",
                 "география", "биология", "физика", "химия", "английский язык", "информатика")
SUBJECTS = dict(zip(SUBJECT_CODES, SUBJECT_CODES, strict=True)) \
    | dict(zip(SUBJECT_NAMES, SUBJECT_CODES, strict=True))
VALUES = {   # the value sets of the coded columns, as documented (compared case-folded)
    "period": {"год", "i полугодие"},
    "direction": {"доход", "расход"},
    "source_code": {"01", "02", "03", "04", "05", "06"},
    "category_code": {"2111", "2121", "2215", "2216", "2217", "2218", "3112", "2229"},
    "currency": {"kgs", "сом"},
    "language": {"кыргызский", "русский", "узбекский"},
    "half_year": {"1", "2", "i", "ii"},
    "condition": {"хорошее", "удовлетворительное", "плохое"},
    "position": {"учитель", "директор", "заместитель директора", "педагог-организатор",
                 "библиотекарь", "психолог"},
    "education_level": {"высшее педагогическое", "высшее непедагогическое",
                        "среднее специальное педагогическое", "среднее общее"},
    "qualification_category": {"высшая", "первая", "вторая", "без категории"},
    "diploma_type": {"бакалавр", "специалист", "магистр", "колледж", ""},
    "study_mode": {"очная", "заочная", "дистанционная", ""},
    "material": {"кирпич", "железобетон", "панель", "саман", "дерево", "смешанный"},
    "seismic_zone": {"7", "8", "9", "10"},
    "hazards": {"сель", "паводок", "оползень", "лавина"},
    "yes_no": {"да", "нет"},
    "assessment": {"безопасное", "требует усиления", "небезопасное", "аварийное"},
    "preschool_type": {"детский сад", "ясли-сад", "общинный детский сад", "школа-детский сад",
                       "семейный детский сад", "д/с", "детсад", "ясли - сад", "одс", "увк"},
}
SERVICES = ("electricity", "drinking_water", "indoor_toilets", "central_heating", "internet")
FAILED = {"небезопасное", "аварийное"}
AMOUNT = re.compile(r"^-?(\d{1,3}( \d{3})*|\d+),\d{2}$")


# --- reading ---------------------------------------------------------------------------------

def read(out: Path, name: str) -> pd.DataFrame:
    fmt = FORMATS.get(name, EXCEL)
    frame = pd.read_csv(out / name, sep=fmt["sep"], encoding=fmt["encoding"], dtype=str,
                        keep_default_na=False)
    frame.index = pd.RangeIndex(2, 2 + len(frame))    # spreadsheet rows: header = 1
    return frame


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda c: c.str.strip())


def folded(series: pd.Series) -> pd.Series:
    return series.str.strip().str.casefold()


def parse_date(text: str) -> date:
    """``dd.mm.yyyy`` or an Excel serial date."""
    text = text.strip()
    if text.isdigit():
        return date(1899, 12, 30) + timedelta(days=int(text))
    day, month, year = text.split(".")
    return date(int(year), int(month), int(day))


def amount(text: str) -> float:
    return float(text.replace(" ", "").replace(",", "."))


def isbn_ok(text: str) -> bool:
    digits = text.replace("-", "")
    if not re.fullmatch(r"97[89]\d{10}", digits):
        return False
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


class Demo:
    """A generated set, its tables, and the valid rows of each."""

    def __init__(self, result: GeneratedSet, out: Path) -> None:
        self.result, self.out = result, out
        self.schools = read(out, "schools.csv")
        self.tables = {name: read(out, name) for name in DOMAIN_FILES}
        bad: dict[str, set[int]] = {}
        for r in result.invalid:
            bad.setdefault(r.file, set()).add(r.row)
        self.bad = bad
        self.valid_schools = clean(self.schools.drop(index=sorted(bad["schools.csv"])))

    def valid(self, name: str) -> pd.DataFrame:
        return clean(self.tables[name].drop(index=sorted(self.bad.get(name, ()))))

    def school_buildings(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a buildings frame about schools (not preschool organisations)."""
        return frame[frame["preschool_code"].str.strip() == ""]

    @property
    def pupils(self) -> pd.DataFrame:
        """Pupils per grade (columns 1..11) of each valid school, indexed by code."""
        frame = self.valid_schools.set_index("school_code")
        return pd.DataFrame({g: frame[f"g{g}_m"].astype(int) + frame[f"g{g}_f"].astype(int)
                             for g in GRADES})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("domains")
    return Demo(generate(out, schools=300, seed=2026), out)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("domains-2000")
    return Demo(generate(out, schools=2000, seed=11), out)


# --- an independent check of the rules the build enforces -----------------------------------

def _duplicates(keys: pd.Series) -> pd.Series:
    return keys.duplicated(keep="first")


def faults(demo: Demo) -> dict[str, dict[int, set[str]]]:
    """The faulty cells per table and row, found from the files alone."""
    found: dict[str, dict[int, set[str]]] = {}

    def flag(name: str, mask: pd.Series, column: str) -> None:
        for row in mask[mask].index:
            found.setdefault(name, {}).setdefault(int(row), set()).add(column)

    schools = set(demo.valid_schools["school_code"])
    t = {name: clean(frame) for name, frame in demo.tables.items()}

    f = t["finance.csv"]
    flag("finance.csv", ~f["school_code"].isin(schools), "school_code")
    for column in ("planned", "actual"):
        text = f[column]
        bad_format = (text != "") & ~text.str.match(AMOUNT)
        negative = text.str.startswith("-")
        flag("finance.csv", bad_format | negative, column)
    closed = (f["fiscal_year"] == "2024") & f["source_code"].isin(["01", "02"])
    flag("finance.csv", closed & (f["actual"] == ""), "actual")
    flag("finance.csv", _duplicates(f["school_code"] + f["fiscal_year"] + folded(f["period"])
                                    + f["line"]), "line")

    tb = t["textbooks.csv"]
    flag("textbooks.csv", ~tb["grade"].astype(int).between(1, 11), "grade")
    flag("textbooks.csv", (tb["isbn"] != "") & ~tb["isbn"].map(isbn_ok), "isbn")
    flag("textbooks.csv", _duplicates(tb["textbook_id"]), "textbook_id")
    textbooks = set(tb.loc[~tb.index.isin(found.get("textbooks.csv", {})), "textbook_id"])

    p = t["textbook_provision.csv"]
    flag("textbook_provision.csv", ~p["school_code"].isin(schools), "school_code")
    flag("textbook_provision.csv", ~p["textbook_id"].isin(textbooks), "textbook_id")
    for column in ("copies_available", "copies_needed"):
        flag("textbook_provision.csv", ~p[column].str.fullmatch(r"\d+"), column)
    flag("textbook_provision.csv", _duplicates(p["school_code"] + p["school_year"]
                                               + folded(p["half_year"]).replace({"i": "1", "ii": "2"})
                                               + "|" + p["grade"] + p["textbook_id"]), "textbook_id")

    s = t["staff.csv"]
    flag("staff.csv", ~s["school_code"].isin(schools), "school_code")
    flag("staff.csv", ~s["personal_id"].str.fullmatch(r"[12]\d{13}")
         | _duplicates(s["personal_id"]), "personal_id")
    born = s["birth_date"].str.slice(0, 2) + s["birth_date"].str.slice(3, 5) \
        + s["birth_date"].str.slice(6, 10)
    flag("staff.csv", born != s["personal_id"].str.slice(1, 9), "birth_date")
    people = set(s.loc[~s.index.isin(found.get("staff.csv", {})), "personal_id"])

    tr = t["training.csv"]
    flag("training.csv", ~tr["personal_id"].isin(people), "personal_id")
    flag("training.csv", tr["completed"].map(parse_date) > EXPORT_DATE, "completed")
    flag("training.csv", _duplicates(tr["personal_id"] + tr["course_code"]), "course_code")

    geo = {(d.region_code, d.code) for d in load_geography().districts}
    ps = t["preschools.csv"]
    flag("preschools.csv", _duplicates(ps["preschool_code"]), "preschool_code")
    flag("preschools.csv", ~pd.Series(list(zip(ps["region_code"], ps["district_code"], strict=True)),
                                      index=ps.index).isin(geo), "district_code")
    latitude = pd.to_numeric(ps["latitude"].str.replace(",", "."), errors="coerce")
    flag("preschools.csv", ~latitude.between(39.0, 43.5), "latitude")
    for age in range(1, 7):
        flag("preschools.csv", ps[f"age{age}"].str.startswith("-"), f"age{age}")
    flag("preschools.csv", ~folded(ps["preschool_type"]).isin(VALUES["preschool_type"]),
         "preschool_type")
    preschools = set(ps.loc[~ps.index.isin(found.get("preschools.csv", {})), "preschool_code"])

    b = t["buildings.csv"]
    of_school = b["preschool_code"] == ""
    flag("buildings.csv", of_school & ~b["school_code"].isin(schools), "school_code")
    flag("buildings.csv", ~of_school & ~b["preschool_code"].isin(preschools), "preschool_code")
    flag("buildings.csv", ~folded(b["material"]).isin(VALUES["material"]), "material")
    flag("buildings.csv", _duplicates(b["building_id"]), "building_id")
    buildings = set(b.loc[~b.index.isin(found.get("buildings.csv", {})), "building_id"])

    a = t["safety_assessments.csv"]
    flag("safety_assessments.csv", ~a["building_id"].isin(buildings), "building_id")
    flag("safety_assessments.csv", a["inspection_date"].map(parse_date) > EXPORT_DATE,
         "inspection_date")
    flag("safety_assessments.csv", _duplicates(a["building_id"] + a["inspection_date"]),
         "inspection_date")
    return found


def test_manifest_lists_exactly_the_faulty_rows_of_each_domain_table(demo: Demo) -> None:
    listed: dict[str, dict[int, set[str]]] = {}
    for r in demo.result.invalid:
        if r.file in DOMAIN_FILES:
            listed.setdefault(r.file, {})[r.row] = {r.column}
    assert faults(demo) == listed


def test_manifest_values_are_the_cells_and_every_kind_occurs(demo: Demo) -> None:
    manifest = json.loads(demo.result.manifest.read_text("utf-8"))
    assert [InvalidRow(**r) for r in manifest["invalid"]] == list(demo.result.invalid)
    for r in demo.result.invalid:
        if r.file in DOMAIN_FILES:
            assert demo.tables[r.file].at[r.row, r.column] == r.value, r
    for name, kinds in DOMAIN_FAULT_KINDS.items():
        table = manifest["tables"][name]
        assert table["rows"] == len(demo.tables[name]) == demo.result.rows[name]
        assert table["invalid_rows"] == len(demo.bad[name]) == sum(table["invalid_kinds"].values())
        assert set(table["invalid_kinds"]) == set(kinds)
        assert table["valid_rows"] == demo.result.valid_rows(name)
        # a handful: about 0.5% of the valid rows, at least one of each kind (of the rows about
        # schools and, apart, of those about preschool organisations)
        least = len(SCHOOL_FAULT_KINDS.get(name, ())) + len(PRESCHOOL_FAULT_KINDS.get(name, ()))
        assert table["invalid_rows"] <= least + round(0.006 * table["valid_rows"])
    assert manifest["personal"] == {"staff.csv": ["personal_id", "full_name", "birth_date",
                                                  "diploma_number"],
                                    "training.csv": ["personal_id"]}
    assert {k: tuple(v) for k, v in manifest["personal"].items()} == PERSONAL_COLUMNS


def test_each_domain_fault_kind_looks_as_documented(demo: Demo) -> None:
    by_kind: dict[tuple[str, str], list[InvalidRow]] = {}
    for r in demo.result.invalid:
        by_kind.setdefault((r.file, r.kind), []).append(r)
    for r in by_kind[("finance.csv", "negative_amount")]:
        assert r.column == "planned" and r.value.startswith("-")
    for r in by_kind[("finance.csv", "missing_actual")]:
        row = demo.tables["finance.csv"].loc[r.row]
        assert (r.column, r.value, row["fiscal_year"]) == ("actual", "", "2024")
        assert row["source_code"] in ("01", "02") and row["period"].strip().casefold() == "год"
    for r in by_kind[("textbook_provision.csv", "negative_copies")]:
        assert r.column == "copies_available" and int(r.value) < 0
    for r in by_kind[("staff.csv", "duplicate_personal_id")]:
        earlier = demo.tables["staff.csv"].loc[: r.row - 1, "personal_id"].str.strip()
        assert r.value.strip() in set(earlier)
    for r in by_kind[("safety_assessments.csv", "duplicate_inspection")]:
        frame = demo.tables["safety_assessments.csv"]
        earlier = frame.loc[: r.row - 1]
        row = frame.loc[r.row]
        assert ((earlier["building_id"].str.strip() == row["building_id"].strip())
                & (earlier["inspection_date"] == r.value)).any()
    for name, column in (("training.csv", "completed"),
                         ("safety_assessments.csv", "inspection_date")):
        for r in by_kind[(name, "future_date")]:
            assert r.column == column and parse_date(r.value).year >= 2030
    assert all(int(r.value) not in range(1, 12) for r in by_kind[("textbooks.csv", "bad_grade")])
    material = by_kind[("buildings.csv", "unknown_material")][0]
    assert material.value.casefold() not in VALUES["material"]


# --- files and reproducibility ---------------------------------------------------------------

def documented_columns() -> dict[str, list[str]]:
    """Column names per table, from the tables of docs/source-tables.md."""
    out: dict[str, list[str]] = {}
    for section in re.split(r"^## ", DOC, flags=re.MULTILINE)[1:]:
        name = section.split(":", 1)[0].strip()
        if name not in FORMATS:
            continue
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        out[name] = [c for line in rows
                     for c in re.findall(r"`([a-z][a-z0-9_]*)`", line.split("|")[1])]
    return out


def test_headers_are_the_documented_columns(demo: Demo) -> None:
    documented = documented_columns()
    assert set(documented) == set(DOMAIN_FILES)
    for name in DOMAIN_FILES:
        assert list(demo.tables[name].columns) == documented[name] == list(DOMAIN_COLUMNS[name])


@pytest.mark.parametrize("name", DOMAIN_FILES)
def test_encodings_separators_and_line_ends(demo: Demo, name: str) -> None:
    fmt = FORMATS[name]
    raw = (demo.out / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    if fmt is EXCEL:
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.count(b"\r\n") == raw.count(b"\n") == len(demo.tables[name]) + 1
        assert not set("ңүөҢҮӨ") & set(raw.decode("cp1251"))
    else:
        assert b"\r" not in raw and raw.count(b"\n") == len(demo.tables[name]) + 1
    header = raw.decode(fmt["encoding"]).split(fmt["newline"].decode(), 1)[0]
    assert header.split(fmt["sep"]) == list(DOMAIN_COLUMNS[name])


def sha256s(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def test_same_seed_gives_identical_domain_tables(tmp_path: Path) -> None:
    generate(tmp_path / "a", schools=80, seed=5)
    generate(tmp_path / "b", schools=80, seed=5)
    generate(tmp_path / "c", schools=80, seed=6)
    generate(tmp_path / "d", schools=30, seed=5)
    a, b, c, d = (sha256s(tmp_path / x) for x in "abcd")
    assert set(DOMAIN_FILES) <= set(a) and a == b
    assert all(a[name] != c[name] for name in DOMAIN_FILES)
    assert a["textbooks.csv"] == d["textbooks.csv"]          # the catalogue ignores the size
    assert a["textbook_provision.csv"] != d["textbook_provision.csv"]


@pytest.mark.parametrize("seed", [1, 2026, 31337])
def test_catalogue_size_depends_on_the_seed_only(tmp_path: Path, seed: int) -> None:
    generate(tmp_path, schools=3, seed=seed)
    catalogue = read(tmp_path, "textbooks.csv")
    assert 150 <= len(catalogue) <= 251       # ~150-250 editions, plus the bad_grade row


# --- referential consistency -----------------------------------------------------------------

def test_valid_rows_reference_valid_rows_only(demo: Demo) -> None:
    schools = set(demo.valid_schools["school_code"])
    of_schools = {name: demo.valid(name) for name in ("finance.csv", "textbook_provision.csv",
                                                      "staff.csv")}
    of_schools["buildings.csv"] = demo.school_buildings(demo.valid("buildings.csv"))
    for name, frame in of_schools.items():
        assert set(frame["school_code"]) <= schools, name
    assert set(demo.valid("textbook_provision.csv")["textbook_id"]) \
        <= set(demo.valid("textbooks.csv")["textbook_id"])
    assert set(demo.valid("training.csv")["personal_id"]) <= set(demo.valid("staff.csv")["personal_id"])
    assert set(demo.valid("safety_assessments.csv")["building_id"]) \
        == set(demo.valid("buildings.csv")["building_id"])      # every building inspected
    for name, frame in of_schools.items():
        assert set(frame["school_code"]) == schools, f"a school without {name}"


def test_invalid_schools_and_their_rows_are_nowhere(demo: Demo) -> None:
    faulty = clean(demo.schools.loc[sorted(demo.bad["schools.csv"])])
    codes = set(faulty["school_code"]) - set(demo.valid_schools["school_code"])
    for name in ("finance.csv", "textbook_provision.csv", "staff.csv", "buildings.csv"):
        frame = clean(demo.tables[name])
        if name == "buildings.csv":
            frame = demo.school_buildings(frame)
        assert not codes & set(frame["school_code"]), name


# --- value sets and formats ------------------------------------------------------------------

def test_valid_rows_use_the_documented_value_sets(demo: Demo) -> None:
    f = demo.valid("finance.csv")
    for column in ("period", "direction", "source_code", "currency"):
        assert set(folded(f[column])) == VALUES[column], column
    assert set(f["category_code"]) == VALUES["category_code"] | {""}
    assert set(f["fiscal_year"]) == {"2024", "2025"}
    assert f["planned"].str.match(AMOUNT).all() and f["actual"].str.match(AMOUNT).all()
    tb = demo.valid("textbooks.csv")
    assert set(tb["subject"].str.casefold()) <= set(SUBJECTS)
    assert set(folded(tb["language"])) == VALUES["language"]
    p = demo.valid("textbook_provision.csv")
    assert set(folded(p["half_year"])) <= VALUES["half_year"]
    assert set(folded(p["condition"])) == VALUES["condition"]
    assert set(p["school_year"]) == {"2025-2026"}
    s = demo.valid("staff.csv")
    for column in ("position", "education_level", "qualification_category", "diploma_type",
                   "study_mode"):
        assert set(folded(s[column])) == VALUES[column], column
    items = {i.strip().casefold() for cell in s["subjects"] if cell for i in cell.split(",")}
    assert items == set(SUBJECTS)
    b = demo.valid("buildings.csv")
    assert set(folded(b["material"])) == VALUES["material"]
    assert set(b["seismic_zone"]) <= VALUES["seismic_zone"]
    hazards = {h.strip() for cell in b["hazards"] if cell for h in cell.split(",")}
    assert hazards == VALUES["hazards"]
    for column in SERVICES:
        assert set(folded(b[column])) <= VALUES["yes_no"]
    a = demo.valid("safety_assessments.csv")
    assert set(folded(a["assessment"])) == VALUES["assessment"]


def test_messy_like_the_schools_table(demo: Demo) -> None:
    raw = {name: demo.tables[name].drop(index=sorted(demo.bad.get(name, ())))
           for name in DOMAIN_FILES}
    for name in ("finance.csv", "staff.csv", "textbook_provision.csv"):
        assert (raw[name]["school_code"] != raw[name]["school_code"].str.strip()).any(), name
    assert raw["staff.csv"]["full_name"].str.contains("  ").any()
    assert (raw["staff.csv"]["position"] == "Учитель").any()
    assert (raw["staff.csv"]["subjects"].str.contains(r",\S")).any()
    assert raw["textbooks.csv"]["subject"].isin(SUBJECT_CODES).any()
    assert raw["textbooks.csv"]["subject"].isin(["Математика", "Русский язык"]).any()
    assert (raw["finance.csv"]["currency"] == "сом").any()
    completed = raw["training.csv"]["completed"]
    assert 0.05 < completed.str.fullmatch(r"\d{5}").mean() < 0.15     # Excel serial dates


# --- domain relationships --------------------------------------------------------------------

def test_staff_scale_with_pupils(demo: Demo) -> None:
    s = demo.valid("staff.csv")
    position = folded(s["position"])
    pupils = demo.pupils.sum(axis=1)
    teachers = s[position == "учитель"].groupby("school_code").size().reindex(pupils.index)
    private = demo.valid_schools.set_index("school_code")["ownership"] == "частная"
    expected = (pupils / 16 + 3).where(~private, pupils / 12 + 3)
    assert (teachers >= 4).all()
    assert ((teachers / expected.clip(lower=4)).between(0.7, 1.35)).all()
    assert teachers.corr(pupils) > 0.95
    per_school = position.groupby(s["school_code"]).value_counts().unstack(fill_value=0)
    assert (per_school["директор"] == 1).all()
    assert per_school["заместитель директора"].between(1, 3).all()
    assert 0.7 < (folded(s["education_level"]) == "высшее педагогическое").mean() < 0.8
    assert 0.2 < (folded(s["study_mode"]) == "заочная").mean() < 0.3


def test_personal_numbers_carry_sex_and_birth_date(demo: Demo) -> None:
    s = demo.valid("staff.csv")
    assert s["personal_id"].str.fullmatch(r"[12]\d{13}").all() and s["personal_id"].is_unique
    born = s["birth_date"].map(parse_date)
    assert (s["personal_id"].str.slice(1, 9) == born.map(lambda d: d.strftime("%d%m%Y"))).all()
    age = born.map(lambda d: (date(2025, 9, 1) - d).days / 365.25)
    assert age.between(20, 70).all()
    assert (s["experience_years"].astype(int) <= age - 17).all()
    women = (s["personal_id"].str[0] == "1").mean()
    assert 0.7 < women < 0.9
    diploma = s["diploma_number"] != ""
    assert (s.loc[s["diploma_type"] == "", "diploma_number"] == "").all()
    assert s.loc[diploma, "diploma_number"].str.match(r"^[А-Я]{2,3} ?(№ )?\d{7}$").all()


def test_training_courses(demo: Demo) -> None:
    tr = demo.valid("training.csv")
    assert tr["course_code"].str.fullmatch(r"[A-Z]{3}-202[2-5]-\d{3}").all()
    assert set(tr["hours"]) == {"18", "36", "72"}
    completed = tr["completed"].map(parse_date)
    assert completed.map(lambda d: d.year).between(2022, 2025).all()
    assert (completed.map(lambda d: d.year) == tr["course_code"].str.slice(4, 8).astype(int)).all()
    assert tr.groupby("course_code")[["course", "provider", "hours"]].nunique().max().max() == 1
    assert 35 <= tr["course_code"].nunique() <= 40
    per_person = tr.groupby("personal_id").size()
    assert per_person.max() <= 3
    staff = demo.valid("staff.csv")
    assert not set(tr["personal_id"]) & set(staff.loc[folded(staff["position"]) == "библиотекарь",
                                                      "personal_id"])


def test_finance_scales_with_the_school(demo: Demo) -> None:
    f = demo.valid("finance.csv")
    assert set(zip(f["fiscal_year"], folded(f["period"]), strict=True)) \
        == {("2024", "год"), ("2025", "i полугодие")}
    rows = f.groupby(["school_code", "fiscal_year"]).size()
    assert 8 <= rows.mean() <= 12 and rows.max() <= 18
    income = f["line"].str.startswith("I")
    assert (f.loc[income, "line"] == "I" + f.loc[income, "source_code"]).all()
    assert (f.loc[income, "category_code"] == "").all() and (folded(f.loc[income, "direction"])
                                                              == "доход").all()
    spend = f[~income]
    assert (spend["line"] == "E" + spend["category_code"] + "-" + spend["source_code"]).all()
    planned = f["planned"].map(amount)
    assert (planned > 0).all() and (f["actual"].map(amount) > 0).all()
    # Income from the budget equals the spending planned from it.
    year = f["fiscal_year"] == "2024"
    for source in ("01", "02"):
        spent = planned[year & ~income & (f["source_code"] == source)].groupby(
            f["school_code"]).sum()
        got = planned[year & income & (f["source_code"] == source)].groupby(f["school_code"]).sum()
        assert (spent.reindex(got.index) - got).abs().max() < 1.0
    # Salaries: staff x 18-30 thousand a month x 12.
    staff = demo.valid("staff.csv").groupby("school_code").size()
    salaries = planned[year & (f["line"] == "E2111-01")].groupby(f["school_code"]).sum()
    monthly = salaries / staff.reindex(salaries.index) / 12
    assert monthly.between(15_000, 35_000).all()
    # Extra-budgetary income: a subset of the schools, more often in Bishkek and towns.
    region = demo.valid_schools.set_index("school_code")["region_code"]
    locality = demo.valid_schools.set_index("school_code")["locality"]
    extra = f.loc[year & income & f["source_code"].isin(["03", "04", "05", "06"]), "school_code"]
    has_extra = region.index.isin(set(extra))
    assert 0.2 < has_extra.mean() < 0.9
    assert has_extra[(locality == "город").to_numpy()].mean() \
        > has_extra[(locality == "село").to_numpy()].mean()


def test_provision_follows_enrolment(demo: Demo) -> None:
    p = demo.valid("textbook_provision.csv")
    p = p.assign(half=folded(p["half_year"]).replace({"i": "1", "ii": "2"}),
                 grade_n=p["grade"].astype(int), have=p["copies_available"].astype(int),
                 need=p["copies_needed"].astype(int))
    pupils = demo.pupils
    want = [pupils.at[c, g] for c, g in zip(p["school_code"], p["grade_n"], strict=True)]
    assert (p["need"] == want).all()
    taught = {(c, g) for c in pupils.index for g in GRADES if pupils.at[c, g] > 0}
    assert set(zip(p["school_code"], p["grade_n"], strict=True)) == taught
    per_grade = p.groupby(["school_code", "half", "grade_n"]).size()
    assert per_grade.between(2, 3).all()
    first = p[p["half"] == "1"].set_index(["school_code", "grade_n", "textbook_id"])
    second = p[p["half"] == "2"].set_index(["school_code", "grade_n", "textbook_id"])
    assert set(first.index) == set(second.index)
    change = second["have"].reindex(first.index) - first["have"]
    assert (change.abs() <= first["have"] * 0.1 + 1).all()
    assert set(parse_date(d).strftime("%Y-%m") for d in p["report_date"]) \
        == {"2025-10", "2026-03"}
    # Each edition is for the row's grade, in the school's language where one exists.
    catalogue = demo.valid("textbooks.csv").set_index("textbook_id")
    assert (catalogue.loc[p["textbook_id"], "grade"].to_numpy() == p["grade"].to_numpy()).all()
    subject = catalogue.loc[p["textbook_id"], "subject"].str.casefold().map(SUBJECTS)
    math = p[(subject == "math").to_numpy()]
    cover = math["have"] / math["need"]
    assert (cover[math["grade_n"] == 5] < 0.6).any()
    assert 0.7 < cover.mean() < 1.0


def test_catalogue_is_realistic(demo: Demo) -> None:
    tb = demo.valid("textbooks.csv")
    assert tb["textbook_id"].str.fullmatch(r"TB-\d{4}").all() and tb["textbook_id"].is_unique
    has_isbn = tb["isbn"] != ""
    assert 0.6 < has_isbn.mean() < 0.8 and tb.loc[has_isbn, "isbn"].map(isbn_ok).all()
    assert tb.loc[has_isbn, "isbn"].str.replace("-", "").is_unique
    assert tb["year_published"].astype(int).between(2008, 2024).all()
    assert "Кыргыз тили 3-класс" in set(tb["title"]) or "Кыргыз тили. 3-класс" in set(tb["title"])
    assert {"Математика. 5 класс", "Алиппе", "Букварь"} <= set(tb["title"])
    assert tb["authors"].str.contains(";").any()
    spans = {"literature": 2, "history": 5, "geography": 6, "biology": 6, "physics": 7,
             "chemistry": 8, "english": 2, "informatics": 5}
    code = tb["subject"].str.casefold().map(SUBJECTS)
    for subject, first in spans.items():
        assert tb.loc[code == subject, "grade"].astype(int).min() == first, subject


def test_buildings_follow_geography_and_enrolment(demo: Demo) -> None:
    b = demo.school_buildings(demo.valid("buildings.csv"))
    number = b["building_id"].str.rsplit("-", n=1).str[1].astype(int)
    assert (b["building_id"] == b["school_code"] + "-" + number.astype(str)).all()
    assert number.between(1, 3).all() and b["building_id"].is_unique
    assert b["year_built"].astype(int).between(1950, 2023).all()
    zones = {d.code: str(d.seismic_zone) for d in load_geography().districts}
    district = demo.valid_schools.set_index("school_code")["district_code"]
    assert (b["seismic_zone"] == b["school_code"].map(district).map(zones)).all()
    assert b["computers"].astype(int).between(0, 40).all()
    schools = demo.valid_schools.set_index("school_code")
    capacity = b.assign(c=b["capacity"].astype(int)).groupby("school_code")["c"].sum()
    per_shift = demo.pupils.sum(axis=1) / schools["shifts"].astype(int)
    assert (capacity < per_shift.reindex(capacity.index)).any()           # overcrowded
    main = b[number == 1].set_index("school_code")
    village = (schools["locality"] == "село").reindex(main.index)
    toilets = folded(main["indoor_toilets"]) == "да"
    assert toilets[village].mean() < 0.4 < toilets[~village].mean()
    assert 0.55 < (folded(main["internet"]) == "да").mean() < 0.85


def test_latest_inspection_counts_and_old_adobe_fails(large: Demo) -> None:
    b = large.valid("buildings.csv").set_index("building_id")
    a = large.valid("safety_assessments.csv")
    day = a["inspection_date"].map(parse_date)
    assert day.map(lambda d: d.year).between(2019, 2025).all()
    assert (day.map(lambda d: d.year) > b.loc[a["building_id"], "year_built"].astype(int).to_numpy()
            ).all()
    assert a.groupby("building_id").size().between(1, 2).all()
    latest = a.assign(day=day).sort_values("day").groupby("building_id").last()
    failed = folded(latest["assessment"]).isin(FAILED)
    material = folded(b.loc[latest.index, "material"])
    year = b.loc[latest.index, "year_built"].astype(int)
    old_adobe = failed[(material == "саман") & (year < 1980)]
    new_concrete = failed[(material == "железобетон") & (year >= 2000)]
    assert len(old_adobe) >= 30 and len(new_concrete) >= 30
    assert old_adobe.mean() > 0.5 > 0.1 > new_concrete.mean()
    village = large.valid_schools.set_index("school_code")["locality"] == "село"
    b = large.school_buildings(b)
    school = b["school_code"]
    adobe = folded(b["material"]) == "саман"
    assert adobe[school.map(village).to_numpy()].mean() > 3 * adobe[~school.map(village).to_numpy()].mean()


def test_domain_rows_scale_with_schools(large: Demo, demo: Demo) -> None:
    small, big = demo.result, large.result
    for name in ("finance.csv", "textbook_provision.csv", "staff.csv", "training.csv",
                 "buildings.csv", "safety_assessments.csv"):
        assert 4 < big.valid_rows(name) / small.valid_rows(name) < 10, name
    assert big.valid_rows("textbooks.csv") != 0
