"""Monitoring indicators as RDF Data Cube observations, computed once per release.

The indicators themselves (labels, definition, formula, unit, period kind, decimals) are
concepts of ``ontology/concepts/indicators.ttl``; ``mappings/indicators/{notation}.rq`` gives
each school's numerator and denominator per reference period (see the README there). This
module sums them per school, district and region (a ratio of sums, so a large school weighs
by its pupils or teachers), divides, rounds and writes N-Triples for the bulk loader: one
observation per indicator, area, period (and subject and grade in the breakdown data set).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyoxigraph as ox

from emis_lod.namespaces import prefixes
from emis_lod.uris import Uris

from .errors import BuildError
from .mapping_spec import bundled_mapping_dir
from .ntriples import RDF_TYPE, XSD, iri, literal, path_segment

QB = "http://purl.org/linked-data/cube#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
LEVELS = ("school", "district", "region")
BREAKDOWN = ".by-subject-grade"

# The two data sets: (key of /id/cube/{key}, structure, labels ky/ru/en).
DATASETS = {
    "indicators": ("IndicatorStructure", {
        "ky": "Мектептер, райондор жана облустар боюнча көрсөткүчтөр",
        "ru": "Показатели по школам, районам и областям",
        "en": "Indicators by school, district and region"}),
    "textbooks-by-subject-grade": ("SubjectGradeStructure", {
        "ky": "Окуу китептер менен камсыздоо: предмет жана класс боюнча",
        "ru": "Обеспеченность учебниками по предметам и классам",
        "en": "Textbook provision by subject and grade"}),
}


@dataclass(frozen=True)
class Indicator:
    iri: str
    notation: str
    decimals: int
    unit: str


def indicator_dir() -> Path:
    return bundled_mapping_dir() / "indicators"


def definitions(store: ox.Store, uris: Uris) -> list[Indicator]:
    """The indicators the ontology defines, each with its query checked to exist."""
    found = [Indicator(r["i"].value, r["n"].value, int(r["d"].value), r["u"].value)
             for r in _select(store, uris, """
        SELECT ?i ?n ?d ?u WHERE {
          ?i a emis:Indicator ; skos:notation ?n ; emis:decimals ?d ; emis:unit ?u }
        ORDER BY ?n""")]
    known = {i.notation for i in found}
    for path in indicator_dir().glob("*.rq"):
        if path.name.split(".")[0] not in known:
            raise BuildError(f"{path}: no indicator with skos:notation '{path.name.split('.')[0]}' in "
                             f"ontology/concepts/indicators.ttl; define it there or rename the query")
    for ind in found:
        if not any((indicator_dir() / f"{ind.notation}{s}.rq").is_file() for s in ("", BREAKDOWN)):
            raise BuildError(f"indicator '{ind.notation}' has no query {indicator_dir()}/"
                             f"{ind.notation}.rq; add one (see the README there)")
    return found


def _select(store: ox.Store, uris: Uris, query: str, source: str = "query") -> list[ox.QuerySolution]:
    try:
        result = store.query(query, base_iri=uris.base, prefixes=prefixes(uris),
                             use_default_graph_as_union=True)
    except SyntaxError as err:
        raise BuildError(f"{source}: not a valid SPARQL query: {err}") from None
    if not isinstance(result, ox.QuerySolutions):
        raise BuildError(f"{source}: an indicator query must be a SELECT query")
    return list(result)


def _school_rows(store: ox.Store, uris: Uris, path: Path, breakdown: bool) -> pd.DataFrame:
    """One row per school (and period, subject, grade) with numerator and denominator."""
    names = ["school", "period", "period_type", "numerator", "denominator"] + \
        (["subject", "grade"] if breakdown else [])
    rows = []
    for r in _select(store, uris, path.read_text(encoding="utf-8"), str(path)):
        school, period, num = r["school"], r["period"], r["numerator"]
        if school is None or period is None or num is None:
            raise BuildError(f"{path}: every row needs ?school, ?period and ?numerator")
        den = r["denominator"]  # None when the query has no denominator (a count)
        row = [school.value, period.value, period.datatype.value, float(num.value),
               float(den.value) if den is not None else None]
        if breakdown:
            row += [r["subject"].value, int(r["grade"].value)]
        rows.append(row)
    return pd.DataFrame(rows, columns=names)


def _areas(store: ox.Store, uris: Uris) -> pd.DataFrame:
    return pd.DataFrame(
        [(r["s"].value, r["d"].value, r["r"].value) for r in _select(store, uris, """
            SELECT ?s ?d ?r WHERE { ?s a emis:School ; emis:district ?d ; emis:region ?r }""")],
        columns=["school", "district", "region"])


def observations(store: ox.Store, uris: Uris) -> pd.DataFrame:
    """Every observation: indicator, dataset, level, area, period, [subject, grade], numerator,
    denominator, schools, value (a Decimal string)."""
    areas = _areas(store, uris)
    frames = []
    for ind in definitions(store, uris):
        rows = {suffix: _school_rows(store, uris, indicator_dir() / f"{ind.notation}{suffix}.rq",
                                     breakdown=bool(suffix))
                for suffix in ("", BREAKDOWN)
                if (indicator_dir() / f"{ind.notation}{suffix}.rq").is_file()}
        if "" not in rows:
            # Without a query of its own, an indicator is the sum of its breakdown over subjects
            # and grades (exact for a ratio of sums whose parts do not overlap): one scan saved.
            rows[""] = rows[BREAKDOWN].groupby(["school", "period", "period_type"], as_index=False)[
                ["numerator", "denominator"]].sum(min_count=1)
        for dataset, suffix in (("indicators", ""), ("textbooks-by-subject-grade", BREAKDOWN)):
            per_school = rows.get(suffix)
            if per_school is None or per_school.empty:
                continue
            per_school = per_school.merge(areas, on="school", how="inner")
            keys = ["period", "period_type"] + (["subject", "grade"] if suffix else [])
            # A school's own provision records already give its detail per subject and grade;
            # the breakdown is published for districts and regions.
            for level in (LEVELS[1:] if suffix else LEVELS):
                grouped = per_school.groupby([level, *keys], sort=True).agg(
                    numerator=("numerator", "sum"), denominator=("denominator", "sum"),
                    denominators=("denominator", "count"),
                    schools=("school", "nunique")).reset_index().rename(columns={level: "area"})
                # a count (no denominator in its query) keeps no denominator, not a sum of 0
                grouped["denominator"] = grouped["denominator"].where(grouped.pop("denominators") > 0)
                grouped["level"] = level
                grouped["indicator"] = ind.iri
                grouped["notation"] = ind.notation
                grouped["unit"] = ind.unit
                grouped["dataset"] = dataset
                grouped["value"] = _values(grouped, ind.decimals)
                frames.append(grouped[grouped["value"].notna()])
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _values(frame: pd.DataFrame, decimals: int) -> pd.Series:
    """numerator / denominator (or the numerator of a count), rounded; None where the
    denominator is 0 (no pupils, no teachers: the value is undefined, not 0)."""
    num, den = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isnan(den), num, np.where(den == 0, np.nan, num / den))
    text = pd.Series(np.round(ratio, decimals), index=frame.index).map(
        lambda v: None if np.isnan(v) else f"{v:.{decimals}f}")
    return text.astype("object")


def _number(values: pd.Series) -> pd.Series:
    """Sums as exact decimal literals (integers stay integers, money keeps its cents)."""
    text = values.map(lambda v: f"{v:.2f}".rstrip("0").rstrip(".") if pd.notna(v) else None)
    return text.where(text.notna(), None)


def write_ntriples(frame: pd.DataFrame, uris: Uris, path: Path) -> int:
    """The observations and their data sets as N-Triples; how many observations."""
    vocab = uris.vocab
    with open(path, "w", encoding="utf-8") as out:
        for key, (structure, labels) in DATASETS.items():
            ds = f"<{uris.id('cube', key)}>"
            out.write(f"{ds} {RDF_TYPE} <{vocab}IndicatorDataSet> .\n"
                      f"{ds} {RDF_TYPE} <{QB}DataSet> .\n"
                      f"{ds} <{QB}structure> <{vocab}{structure}> .\n")
            for lang, text in labels.items():
                out.write(f'{ds} <{RDFS}label> "{text}"@{lang} .\n')
        if frame.empty:
            return 0
        area_key = frame["area"].str.rsplit("/", n=1).str[-1]
        key = frame["notation"] + "_" + frame["level"] + "-" + area_key + "_" + path_segment(frame["period"])
        subject = frame["subject"] if "subject" in frame else pd.Series(None, index=frame.index)
        breakdown = subject.notna()
        if breakdown.any():
            key[breakdown] = (key[breakdown] + "_" + subject[breakdown].str.rsplit("/", n=1).str[-1]
                              + "-g" + frame.loc[breakdown, "grade"].astype("Int64").astype(str))
        s = iri(uris.id_prefix("observation") + key)
        dataset = iri(frame["dataset"].map(lambda d: uris.id("cube", d)))
        period = pd.Series(index=frame.index, dtype="object")
        for datatype, rows in frame.groupby("period_type").groups.items():
            period[rows] = literal(frame.loc[rows, "period"].astype("string"), str(datatype))
        columns = [
            (RDF_TYPE[1:-1], pd.Series(f"<{vocab}IndicatorObservation>", index=frame.index)),
            (RDF_TYPE[1:-1], pd.Series(f"<{QB}Observation>", index=frame.index)),
            (f"{QB}dataSet", dataset),
            (f"{vocab}indicator", iri(frame["indicator"])),
            (f"{vocab}refArea", iri(frame["area"])),
            (f"{vocab}refPeriod", period),
            (f"{vocab}value", literal(frame["value"].astype("string"), f"{XSD}decimal")),
            (f"{vocab}numerator", literal(_number(frame["numerator"]).astype("string"), f"{XSD}decimal")),
            (f"{vocab}denominator", literal(_number(frame["denominator"]).astype("string"), f"{XSD}decimal")),
            (f"{vocab}schoolsCounted", literal(frame["schools"].astype(str), f"{XSD}integer")),
            (f"{vocab}unit", iri(frame["unit"])),
        ]
        if breakdown.any():
            columns += [(f"{vocab}subject", iri(subject.where(breakdown))),
                        (f"{vocab}grade", literal(frame["grade"].astype("Int64").astype("string"),
                                                  f"{XSD}integer").where(breakdown))]
        for predicate, objects in columns:
            ok = objects.notna()
            out.write("".join((s[ok] + f" <{predicate}> " + objects[ok] + " .\n").tolist()))
    return len(frame)


def classes(uris: Uris) -> set[str]:
    """The classes this module creates (their shapes run after the indicators are loaded)."""
    return {uris.vocab + "IndicatorObservation", uris.vocab + "IndicatorDataSet"}
