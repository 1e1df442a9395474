"""The documented monitoring queries (docs/queries/*.rq) give the figures that pandas computes
straight from the export tables.

Each query runs on the read-only store of the session build; its answer is compared, row by
row, with an independent computation on the source CSV files: read them as the ministry wrote
them, clean them as the mappings say (trim, decimal commas, code lists by their labels, through
the small dictionaries below), and drop exactly the rows the build rejected. No code of the
mapping engine is used on the pandas side. One query also runs through the real server with
SPARQLWrapper.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from emis_lod.loaders import releases
from emis_lod.loaders.build import build
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

from serverutil import free_port, running_server

ROOT = Path(__file__).resolve().parent.parent
QUERY_DIR = ROOT / "docs" / "queries"
QUERY_FILES = sorted(QUERY_DIR.glob("*.rq"))
HEADER_KEYS = ("title", "ru", "ky", "why", "definition")

MONEY = 0.01      # KGS
SHARE = 1e-6      # shares and ratios

# ---------------------------------------------------------------------------------------------
# Code lists as the export spells them (normalised: lower case, single spaces) -> notation.

SCHOOL_TYPES = {"сош": "secondary", "средняя общеобразовательная школа": "secondary",
                "средняя школа": "secondary", "нош": "primary", "начальная школа": "primary",
                "начальная общеобразовательная школа": "primary", "оош": "basic",
                "основная школа": "basic", "основная общеобразовательная школа": "basic",
                "гимназия": "gymnasium", "лицей": "lyceum", "спецшкола": "special",
                "специальная (коррекционная) школа": "special"}
PERIODS = {"год": "FY", "за год": "FY", "i полугодие": "H1", "1 полугодие": "H1",
           "ii полугодие": "H2", "2 полугодие": "H2", "i кв.": "Q1", "ii кв.": "Q2",
           "iii кв.": "Q3", "iv кв.": "Q4", "fy": "FY", "h1": "H1", "h2": "H2"}
DIRECTIONS = {"доход": "income", "доходы": "income", "расход": "expenditure",
              "расходы": "expenditure"}
SOURCES = {"01": "01", "02": "02", "03": "03", "04": "04", "05": "05", "06": "06"}
EXTRA_BUDGETARY = {"03", "04", "05", "06"}       # parents, sponsors, paid services, donors
CURRENCIES = {"kgs": "KGS", "сом": "KGS", "usd": "USD", "eur": "EUR"}
POSITIONS = {"учитель": "teacher", "директор": "director",
             "заместитель директора": "deputy-director", "педагог-организатор": "organiser",
             "библиотекарь": "librarian", "психолог": "psychologist"}
EDUCATION = {"высшее педагогическое": "higher-pedagogical",
             "высшее непедагогическое": "higher-other",
             "среднее специальное педагогическое": "vocational-pedagogical",
             "среднее общее": "secondary", "": None}
# SDG 4.c.1 in this test: pedagogical higher or pedagogical secondary vocational education.
QUALIFIED = {"higher-pedagogical", "vocational-pedagogical"}
HALVES = {"1": "1", "i": "1", "2": "2", "ii": "2"}
SUBJECTS = {"math": "math", "математика": "math", "kyrgyz-language": "kyrgyz-language",
            "кыргызский язык": "kyrgyz-language", "russian-language": "russian-language",
            "русский язык": "russian-language", "literature": "literature",
            "литература": "literature", "history": "history", "история": "history",
            "geography": "geography", "география": "geography", "biology": "biology",
            "биология": "biology", "physics": "physics", "физика": "physics",
            "chemistry": "chemistry", "химия": "chemistry", "english": "english",
            "английский язык": "english", "informatics": "informatics",
            "информатика": "informatics"}
ZONES = {"7": 7, "8": 8, "9": 9, "10": 10}
ASSESSMENTS = {"безопасное": "safe", "требует усиления": "needs-retrofit",
               "небезопасное": "unsafe", "аварийное": "emergency"}
YES_NO = {"да": True, "нет": False, "": False}
# districts.csv comes with Russian headers
HEADERS = {"Код района": "district_code", "Код области": "region_code",
           "Наименование (кырг.)": "name_ky", "Наименование (рус.)": "name_ru",
           "Наименование (англ.)": "name_en"}


def norm(value: str) -> str:
    return " ".join(value.lower().split())


def coded(column: pd.Series, codes: dict, what: str) -> pd.Series:
    keys = column.map(norm)
    unknown = set(keys) - set(codes)
    assert not unknown, f"{what}: no code in the test's dictionary for {sorted(unknown)}"
    return keys.map(codes)


def number(column: pd.Series) -> pd.Series:
    """'7 852 568,00' -> 7852568.0; empty -> NaN."""
    text = column.str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".")
    return pd.to_numeric(text.mask(text == ""), errors="raise")


def day(column: pd.Series) -> pd.Series:
    """dd.mm.yyyy, yyyy-mm-dd or an Excel serial day number."""
    dotted = pd.to_datetime(column, format="%d.%m.%Y", errors="coerce")
    iso = pd.to_datetime(column, format="%Y-%m-%d", errors="coerce")
    serial = pd.to_numeric(column.where(column.str.fullmatch(r"\d{4,6}")), errors="coerce")
    excel = pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D")
    out = dotted.fillna(iso).fillna(excel)
    assert out.notna().all(), f"unreadable dates: {column[out.isna()].tolist()[:5]}"
    return out


@dataclass
class Source:
    """The export's tables, cleaned, without the rows the build rejected."""

    directory: Path
    rejections: pd.DataFrame
    release: str = ""                 # the id of the release built from it

    def table(self, table: str, file: str) -> pd.DataFrame:
        raw = (self.directory / file).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1251")
        sep = ";" if ";" in text.split("\n", 1)[0] else ","
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        frame = frame.rename(columns=lambda c: HEADERS.get(c.strip(), c.strip()))
        frame.index = frame.index + 2                       # spreadsheet rows: header = 1
        rejected = set(self.rejections.loc[self.rejections["table"] == table, "row"].astype(int))
        assert rejected <= set(frame.index), f"{table}: rejected rows not in {file}"
        frame = frame.drop(index=sorted(rejected))
        return frame.apply(lambda col: col.str.split().str.join(" "))   # trimmed, single spaces

    @cached_property
    def regions(self) -> pd.DataFrame:
        return self.table("regions", "regions.csv")

    @cached_property
    def districts(self) -> pd.DataFrame:
        return self.table("districts", "districts.csv")

    @cached_property
    def schools(self) -> pd.DataFrame:
        f = self.table("schools", "schools.csv")
        grades = [c for c in f.columns if re.fullmatch(r"g\d+_[mf]", c)]
        f["pupils"] = sum(number(f[c]).fillna(0) for c in grades).astype(int)
        f["type"] = coded(f["school_type"], SCHOOL_TYPES, "school type")
        f["shifts"] = number(f["shifts"])
        return f

    @cached_property
    def finance(self) -> pd.DataFrame:
        f = self.table("finance", "finance.csv")
        f["period"] = coded(f["period"], PERIODS, "period")
        f["direction"] = coded(f["direction"], DIRECTIONS, "direction")
        f["source"] = coded(f["source_code"], SOURCES, "source of funds")
        f["extra"] = f["source"].isin(EXTRA_BUDGETARY)
        f["currency"] = coded(f["currency"], CURRENCIES, "currency")
        f["planned"] = number(f["planned"])
        f["actual"] = number(f["actual"])
        return f

    @cached_property
    def staff(self) -> pd.DataFrame:
        f = self.table("staff", "staff.csv")
        f["position"] = coded(f["position"], POSITIONS, "position")
        f["level"] = coded(f["education_level"], EDUCATION, "education level")
        return f

    @cached_property
    def teachers(self) -> pd.DataFrame:
        t = self.staff[self.staff["position"] == "teacher"]
        return t.merge(self.schools[["school_code", "region_code", "district_code"]],
                       on="school_code", validate="many_to_one")

    @cached_property
    def training(self) -> pd.DataFrame:
        f = self.table("training", "training.csv")
        f["completed"] = day(f["completed"])
        return f

    @cached_property
    def textbooks(self) -> pd.DataFrame:
        f = self.table("textbooks", "textbooks.csv")
        f["subject"] = coded(f["subject"], SUBJECTS, "subject")
        return f

    @cached_property
    def provision(self) -> pd.DataFrame:
        f = self.table("textbook_provision", "textbook_provision.csv")
        f["half"] = coded(f["half_year"], HALVES, "half-year")
        f["grade"] = number(f["grade"]).astype(int)
        f["available"] = number(f["copies_available"]).astype(int)
        f["needed"] = number(f["copies_needed"]).astype(int)
        f = f.merge(self.textbooks[["textbook_id", "subject"]], on="textbook_id",
                    validate="many_to_one")
        latest = max(zip(f["school_year"], f["half"], strict=True))
        return f[(f["school_year"] == latest[0]) & (f["half"] == latest[1])]

    @cached_property
    def buildings(self) -> pd.DataFrame:
        """The buildings of schools (those of preschool organisations: ``preschool_buildings``)."""
        return self._buildings[self._buildings["school_code"] != ""]

    @cached_property
    def preschool_buildings(self) -> pd.DataFrame:
        return self._buildings[self._buildings["preschool_code"] != ""]

    @cached_property
    def _buildings(self) -> pd.DataFrame:
        f = self.table("buildings", "buildings.csv")
        for owner in ("school_code", "preschool_code"):     # one of the two in each row
            if owner not in f:
                f[owner] = ""
        f["zone"] = coded(f["seismic_zone"], ZONES, "seismic zone")
        f["capacity"] = number(f["capacity"])
        for service in ("electricity", "drinking_water", "indoor_toilets", "internet"):
            f[service] = coded(f[service], YES_NO, service)
        return f

    @cached_property
    def assessments(self) -> pd.DataFrame:
        f = self.table("safety_assessments", "safety_assessments.csv")
        f["date"] = day(f["inspection_date"])
        f["class"] = coded(f["assessment"], ASSESSMENTS, "assessment")
        return f


def with_region(frame: pd.DataFrame, src: Source) -> pd.DataFrame:
    names = src.regions[["region_code", "name_en"]]
    return frame.merge(names, on="region_code", how="left").rename(
        columns={"region_code": "region", "name_en": "regionName"})


def with_district(frame: pd.DataFrame, src: Source) -> pd.DataFrame:
    names = src.districts[["district_code", "name_en"]]
    return frame.merge(names, on="district_code", how="left").rename(
        columns={"district_code": "district", "name_en": "districtName"})


def school_names(frame: pd.DataFrame, src: Source) -> pd.DataFrame:
    names = src.schools[["school_code", "name_ru"]]
    return frame.merge(names, on="school_code").rename(
        columns={"school_code": "school", "name_ru": "name"})


# ---------------------------------------------------------------------------------------------
# The same figures, computed with pandas. Each returns the expected answer and how to compare
# it: key columns, exact counts, money, shares/ratios and text labels.

@dataclass
class Expected:
    frame: pd.DataFrame
    key: list[str]
    counts: list[str] = field(default_factory=list)
    money: list[str] = field(default_factory=list)
    shares: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def extra_budgetary_by_district(src: Source) -> Expected:
    f = src.finance
    f = f[(f["direction"] == "income") & f["extra"] & (f["currency"] == "KGS") & f["actual"].notna()]
    f = f.merge(src.schools[["school_code", "district_code"]], on="school_code")
    out = f.groupby(["district_code", "fiscal_year", "period"], as_index=False).agg(
        schools=("school_code", "nunique"), extraBudgetaryIncome=("actual", "sum"))
    out = with_district(out, src).rename(columns={"fiscal_year": "year"})
    return Expected(out, ["district", "year", "period"], ["schools"], ["extraBudgetaryIncome"],
                    labels=["districtName"])


def grade5_math_under_60(src: Source) -> Expected:
    p = src.provision
    p = p[(p["grade"] == 5) & (p["subject"] == "math")]
    out = p.groupby(["school_code", "school_year", "half"], as_index=False).agg(
        copiesAvailable=("available", "sum"), copiesNeeded=("needed", "sum"))
    out = out[(out["copiesNeeded"] > 0) & (out["copiesAvailable"] < 0.6 * out["copiesNeeded"])]
    out["coverage"] = out["copiesAvailable"] / out["copiesNeeded"]
    out = school_names(out, src).rename(columns={"school_year": "schoolYear", "half": "halfYear"})
    return Expected(out, ["school"], ["copiesAvailable", "copiesNeeded"], shares=["coverage"],
                    labels=["name", "schoolYear", "halfYear"])


def teacher_share_by_region(src: Source, column: str, flag: pd.Series) -> Expected:
    t = src.teachers.assign(flag=flag.astype(int))
    out = t.groupby("region_code", as_index=False).agg(teachers=("flag", "size"),
                                                       **{column: ("flag", "sum")})
    out["share"] = out[column] / out["teachers"]
    return Expected(with_region(out, src), ["region"], ["teachers", column], shares=["share"],
                    labels=["regionName"])


def higher_pedagogical_by_region(src: Source) -> Expected:
    return teacher_share_by_region(src, "higherPedagogical",
                                   src.teachers["level"] == "higher-pedagogical")


def qualified_by_region(src: Source) -> Expected:
    return teacher_share_by_region(src, "qualified", src.teachers["level"].isin(QUALIFIED))


def unsafe_buildings_top_zone(src: Source) -> Expected:
    b, a = src.buildings, src.assessments
    top = b["zone"].max()
    latest = a.sort_values("date").groupby("building_id").tail(1)
    bad = latest.loc[latest["class"].isin(["unsafe", "emergency"]), "building_id"]
    hit = b[(b["zone"] == top) & b["building_id"].isin(bad)]
    per_school = hit.groupby("school_code", as_index=False).agg(unsafeBuildings=("building_id", "size"))
    per_school = per_school.merge(src.schools[["school_code", "pupils", "region_code"]], on="school_code")
    out = per_school.groupby("region_code", as_index=False).agg(
        schools=("school_code", "size"), unsafeBuildings=("unsafeBuildings", "sum"),
        pupils=("pupils", "sum"))
    out["zone"] = str(top)
    return Expected(with_region(out, src), ["region"], ["schools", "unsafeBuildings", "pupils"],
                    labels=["zone", "regionName"])


def spending_2024(src: Source) -> pd.DataFrame:
    f = src.finance
    return f[(f["fiscal_year"] == "2024") & (f["period"] == "FY") & (f["currency"] == "KGS")]


def spending_per_pupil_by_region(src: Source) -> Expected:
    f = spending_2024(src)
    f = f[(f["direction"] == "expenditure") & f["actual"].notna()]
    spent = f.groupby("school_code", as_index=False).agg(expenditure=("actual", "sum"))
    spent = spent.merge(src.schools[["school_code", "pupils", "region_code"]], on="school_code")
    out = spent.groupby("region_code", as_index=False).agg(
        schools=("school_code", "size"), expenditure=("expenditure", "sum"), pupils=("pupils", "sum"))
    out["perPupil"] = out["expenditure"] / out["pupils"]
    return Expected(with_region(out, src), ["region"], ["schools", "pupils"],
                    ["expenditure", "perPupil"], labels=["regionName"])


def extra_budgetary_share_by_region(src: Source) -> Expected:
    f = spending_2024(src)
    f = f[(f["direction"] == "income") & f["actual"].notna()]
    f = f.merge(src.schools[["school_code", "region_code"]], on="school_code")
    f = f.assign(extra_amount=f["actual"].where(f["extra"], 0.0))
    out = f.groupby("region_code", as_index=False).agg(
        extraBudgetary=("extra_amount", "sum"), income=("actual", "sum"))
    out["share"] = out["extraBudgetary"] / out["income"]
    return Expected(with_region(out, src), ["region"], money=["extraBudgetary", "income"],
                    shares=["share"], labels=["regionName"])


def spending_over_plan(src: Source) -> Expected:
    f = spending_2024(src)
    f = f[f["direction"] == "expenditure"]
    totals = f.groupby("school_code", as_index=False).agg(
        schoolPlanned=("planned", lambda s: s.fillna(0.0).sum()),
        schoolActual=("actual", lambda s: s.fillna(0.0).sum()))
    over = f[f["planned"].notna() & f["actual"].notna() & (f["actual"] > f["planned"])]
    out = over.groupby("school_code", as_index=False).agg(
        linesOverPlan=("line", "size"), planned=("planned", "sum"), actual=("actual", "sum"))
    out["overrun"] = out["actual"] - out["planned"]
    out = school_names(out.merge(totals, on="school_code"), src)
    return Expected(out, ["school"], ["linesOverPlan"],
                    ["planned", "actual", "overrun", "schoolPlanned", "schoolActual"], labels=["name"])


def basic_services_by_region(src: Source) -> Expected:
    services = {"electricity": "withElectricity", "drinking_water": "withDrinkingWater",
                "indoor_toilets": "withIndoorToilets", "internet": "withInternet"}
    per_school = src.buildings.groupby("school_code")[list(services)].any().astype(int)
    per_school["withAllFour"] = per_school.all(axis=1).astype(int)
    per_school = per_school.rename(columns=services).reset_index()
    per_school = per_school.merge(src.schools[["school_code", "region_code"]], on="school_code")
    counts = [*services.values(), "withAllFour"]
    out = per_school.groupby("region_code", as_index=False).agg(
        schools=("school_code", "size"), **{c: (c, "sum") for c in counts})
    out["share"] = out["withAllFour"] / out["schools"]
    return Expected(with_region(out, src), ["region"], ["schools", *counts], shares=["share"],
                    labels=["regionName"])


def textbook_need_by_subject(src: Source) -> Expected:
    p = src.provision
    p = p.assign(usable=p[["available", "needed"]].min(axis=1))
    out = p.groupby(["subject", "school_year", "half"], as_index=False).agg(
        copiesAvailable=("available", "sum"), copiesNeeded=("needed", "sum"),
        copiesUsable=("usable", "sum"))
    out = out[out["copiesNeeded"] > 0]
    out["covered"] = out["copiesUsable"] / out["copiesNeeded"]
    out = out.rename(columns={"school_year": "schoolYear", "half": "halfYear"})
    return Expected(out, ["subject"], ["copiesAvailable", "copiesNeeded", "copiesUsable"],
                    shares=["covered"], labels=["schoolYear", "halfYear"])


def pupils_per_teacher_by_type(src: Source) -> Expected:
    per_school = src.teachers.groupby("school_code", as_index=False).agg(teachers=("school_code", "size"))
    per_school = per_school.merge(src.schools[["school_code", "pupils", "type"]], on="school_code")
    out = per_school.groupby("type", as_index=False).agg(
        schools=("school_code", "size"), pupils=("pupils", "sum"), teachers=("teachers", "sum"))
    out["ratio"] = out["pupils"] / out["teachers"]
    return Expected(out, ["type"], ["schools", "pupils", "teachers"], shares=["ratio"])


def overcrowded_schools(src: Source) -> Expected:
    b = src.buildings[src.buildings["capacity"].notna()]
    out = b.groupby("school_code", as_index=False).agg(capacity=("capacity", "sum"))
    out = out.merge(src.schools[["school_code", "pupils", "shifts"]], on="school_code")
    out = out[out["pupils"] > out["capacity"]]
    out["excess"] = out["pupils"] - out["capacity"]
    out["pupilsPerPlace"] = out["pupils"] / out["capacity"]
    return Expected(school_names(out, src), ["school"], ["pupils", "capacity", "excess", "shifts"],
                    shares=["pupilsPerPlace"], labels=["name"])


def recent_training_by_district(src: Source) -> Expected:
    since = date.today().year - 2                    # the query uses YEAR(NOW()) - 2
    recent = src.training.loc[src.training["completed"].dt.year >= since, "personal_id"]
    t = src.teachers.assign(flag=src.teachers["personal_id"].isin(set(recent)).astype(int))
    out = t.groupby("district_code", as_index=False).agg(teachers=("flag", "size"),
                                                         trained=("flag", "sum"))
    out["share"] = out["trained"] / out["teachers"]
    return Expected(with_district(out, src), ["district"], ["teachers", "trained"],
                    shares=["share"], labels=["districtName"])


# The files whose rows state something about a school (its record, its buildings, its codes in
# other registries), by table.
SCHOOL_FILES = {"schools": "schools.csv", "buildings": "buildings.csv",
                "crosswalks": "crosswalks.csv"}


def encoding_of(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def school_statement_sources(src: Source) -> Expected:
    loaded = set(src.schools["school_code"])
    frames = []
    for table, file in SCHOOL_FILES.items():
        path = src.directory / file
        if not path.is_file():
            continue
        raw = path.read_bytes()
        codes = sorted(set(src.table(table, file)["school_code"]) & loaded)
        frames.append(pd.DataFrame({"school": codes, "file": file,
                                    "sha256": hashlib.sha256(raw).hexdigest(),
                                    "encoding": encoding_of(raw), "release": src.release}))
    return Expected(pd.concat(frames, ignore_index=True), ["school", "file"],
                    labels=["sha256", "encoding", "release"])


PANDAS: dict[str, Callable[[Source], Expected]] = {
    "01-extra-budgetary-income-by-district.rq": extra_budgetary_by_district,
    "02-grade5-math-textbooks-under-60.rq": grade5_math_under_60,
    "03-higher-pedagogical-teachers-by-region.rq": higher_pedagogical_by_region,
    "04-pupils-in-unsafe-buildings-top-seismic-zone.rq": unsafe_buildings_top_zone,
    "05-qualified-teachers-by-region.rq": qualified_by_region,
    "06-spending-per-pupil-by-region.rq": spending_per_pupil_by_region,
    "07-extra-budgetary-share-by-region.rq": extra_budgetary_share_by_region,
    "08-spending-over-plan.rq": spending_over_plan,
    "09-basic-services-by-region.rq": basic_services_by_region,
    "10-textbook-need-covered-by-subject.rq": textbook_need_by_subject,
    "11-pupils-per-teacher-by-school-type.rq": pupils_per_teacher_by_type,
    "12-overcrowded-schools.rq": overcrowded_schools,
    "13-recent-training-by-district.rq": recent_training_by_district,
    "14-where-school-statements-come-from.rq": school_statement_sources,
}
HTTP_QUERY = "07-extra-budgetary-share-by-region.rq"
HTTP_TABLES = ("regions.csv", "districts.csv", "schools.csv", "finance.csv")


def compare(got: pd.DataFrame, want: Expected, what: str) -> None:
    """Same rows (by key), and every figure of every row equal (money and shares within tolerance)."""
    assert len(got) > 0, f"{what}: the query answers nothing on the demo build"
    w = want.frame.copy()
    for c in want.key:
        w[c] = w[c].astype(str)
    g = got.set_index(want.key).sort_index()
    w = w.set_index(want.key).sort_index()
    assert not g.index.duplicated().any(), f"{what}: a key appears twice in the answer"
    assert list(g.index) == list(w.index), f"{what}: rows differ\n got {list(g.index)}\nwant {list(w.index)}"
    for c in want.counts:
        assert [int(v) for v in g[c]] == [int(v) for v in w[c]], f"{what}: column {c}"
    for cols, tol in ((want.money, MONEY), (want.shares, SHARE)):
        for c in cols:
            diff = (g[c].astype(float) - w[c].astype(float)).abs()
            assert (diff <= tol).all(), f"{what}: column {c}\n{pd.concat([g[c], w[c]], axis=1)[diff > tol]}"
    for c in want.labels:
        assert [str(v) for v in g[c]] == [str(v) for v in w[c]], f"{what}: column {c}"


def header(path: Path) -> dict[str, str]:
    """The `# key: value` comment block at the top of a query (indented lines continue a value)."""
    out: dict[str, str] = {}
    last = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        m = re.match(r"#\s?(\w+):\s*(.*)$", line)
        if m and not line.startswith("#  "):
            last = m.group(1)
            out[last] = m.group(2).strip()
        elif last:
            out[last] += " " + line.lstrip("#").strip()
    return out


def run(store: ox.Store, path: Path, base: str) -> pd.DataFrame:
    """The answer as the endpoint gives it: its prefixes, and relative IRIs (``GRAPH <graph/...>``)
    resolved against the endpoint's address."""
    uris = Uris(base)
    result = store.query(path.read_text(encoding="utf-8"), prefixes=prefixes(uris),
                         base_iri=uris.sparql, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    rows = [{n: (s[n].value if s[n] is not None else None) for n in names} for s in result]
    return pd.DataFrame(rows, columns=names)


# ---------------------------------------------------------------------------------------------

def test_every_query_is_documented_and_indexed() -> None:
    assert len(QUERY_FILES) >= 12
    assert {p.name for p in QUERY_FILES} == set(PANDAS), "every query has its pandas check"
    index = (QUERY_DIR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\[([\w.-]+\.rq)\]\(", index))
    assert listed == {p.name for p in QUERY_FILES}, "docs/queries/README.md lists every query once"
    for path in QUERY_FILES:
        h = header(path)
        for key in HEADER_KEYS:
            assert h.get(key), f"{path.name}: no `# {key}:` line in the header"
        assert re.search("[а-яё]", h["ru"], re.IGNORECASE), f"{path.name}: ru is not Russian"
        assert re.search("[а-яөүң]", h["ky"], re.IGNORECASE), f"{path.name}: ky is not Kyrgyz"
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*PREFIX", text, re.MULTILINE | re.IGNORECASE), path.name
        assert "http://" not in text and "https://" not in text, f"{path.name}: hard-coded IRI"


@pytest.mark.parametrize("name", sorted(PANDAS))
def test_query_matches_pandas(store, src, built, name: str) -> None:
    got = run(store, QUERY_DIR / name, built.base_uri)
    compare(got, PANDAS[name](src), name)


def test_derived_summaries_give_the_same_figures(store, src, built) -> None:
    """The build-time summaries agree with the record-level queries (SDG 4.c.1, extra-budgetary share)."""
    by_summary = """
      SELECT ?region (SUM(?t) AS ?teachers) (SUM(?q) AS ?qualified) (SUM(?q) / SUM(?t) AS ?share) WHERE {
        ?s emis:staffSummary [ emis:teachers ?t ; emis:teachersQualified ?q ] ;
           emis:region/emis:unitCode ?region .
      } GROUP BY ?region"""
    rows = store.query(by_summary, prefixes=prefixes(Uris(built.base_uri)),
                       use_default_graph_as_union=True)
    got = pd.DataFrame([{k: r[k].value for k in ("region", "teachers", "qualified", "share")}
                        for r in rows])
    want = qualified_by_region(src)
    want.labels = []
    compare(got, want, "staff summaries")
    finance = """
      SELECT ?region (SUM(?e) AS ?extraBudgetary) (SUM(?b) + SUM(?e) AS ?income) WHERE {
        ?s emis:financeSummary [ emis:fiscalYear "2024"^^xsd:gYear ; emis:period/skos:notation "FY" ;
                                 emis:incomeBudget ?b ; emis:incomeExtraBudgetary ?e ] ;
           emis:region/emis:unitCode ?region .
      } GROUP BY ?region"""
    rows = store.query(finance, prefixes=prefixes(Uris(built.base_uri)),
                       use_default_graph_as_union=True)
    got = pd.DataFrame([{k: r[k].value for k in ("region", "extraBudgetary", "income")} for r in rows])
    want = extra_budgetary_share_by_region(src)
    want.shares, want.labels = [], []
    compare(got, want, "finance summaries")


# ---------------------------------------------------------------------------------------------
# One query through the real server, as a researcher sends it.

@pytest.fixture(scope="module")
def http_site(demo_source: Path, tmp_path_factory: pytest.TempPathFactory):
    """`emis-lod serve` on a release of the demo export's registry and finance tables, built with
    the base URI of the port it listens on (the query needs no other table, and the build is
    three times faster without them)."""
    port = free_port()
    source = tmp_path_factory.mktemp("queries-source")
    for name in HTTP_TABLES:
        shutil.copy(demo_source / name, source / name)
    store = tmp_path_factory.mktemp("queries-store")
    report = build(source, store, load_settings(base_uri=f"http://127.0.0.1:{port}/"),
                   echo=lambda *_: None)
    with running_server(store, port=port, workers=1) as base:
        yield base, report, source


@pytest.mark.e2e
def test_query_through_the_endpoint(http_site) -> None:
    base, report, source = http_site
    client = SPARQLWrapper(base + "sparql")
    client.setMethod(POST)
    client.setQuery((QUERY_DIR / HTTP_QUERY).read_text(encoding="utf-8"))
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    names = answer["head"]["vars"]
    got = pd.DataFrame([{n: b[n]["value"] if n in b else None for n in names}
                        for b in answer["results"]["bindings"]], columns=names)
    src = Source(source, pd.read_csv(report.release_dir / releases.REJECTIONS))
    compare(got, PANDAS[HTTP_QUERY](src), f"{HTTP_QUERY} over HTTP")
