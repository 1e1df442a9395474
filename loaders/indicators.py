"""Monitoring indicators as RDF Data Cube observations, computed once per release.

The indicators themselves (labels, definition, formula, unit, period kind, decimals) are
concepts of ``ontology/concepts/indicators.ttl``; ``mappings/indicators/{notation}.rq`` gives
each school's numerator and denominator per reference period (see the README there). This
module sums them per school, district and region (a ratio of sums, so a large school weighs
by its pupils or teachers), divides, rounds and writes N-Triples for the bulk loader: one
observation per indicator, area, period (and subject and grade in the breakdown data set).
"""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyoxigraph as ox

from emis_lod.messages import message
from emis_lod.namespaces import prefixes
from emis_lod.profiles import Profile, default
from emis_lod.uris import Uris

from .errors import BuildError
from .memory import return_free_pages
from .ntriples import RDF_TYPE, XSD, iri, literal, path_segment

QB = "http://purl.org/linked-data/cube#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
LEVELS = ("school", "district", "region")
QUERY_THREADS = 2
BREAKDOWN = ".by-subject-grade"

# The two data sets: key of /id/cube/{key} -> (structure, the message of its label).
DATASETS = {
    "indicators": ("IndicatorStructure", "cube.indicators"),
    "textbooks-by-subject-grade": ("SubjectGradeStructure", "cube.textbooks_by_subject_grade"),
}


@dataclass(frozen=True)
class Indicator:
    iri: str
    notation: str
    decimals: int
    unit: str


def indicator_files(profile: Profile | None = None) -> dict[str, Path]:
    """File name -> path of the profile's indicator queries (``indicators:`` of profile.yaml)."""
    return {p.name: p for p in (profile or default()).files("indicators")}


def definitions(store: ox.Store, uris: Uris, profile: Profile | None = None) -> list[Indicator]:
    """The indicators the ontology defines, each with its query checked to exist."""
    found = [Indicator(r["i"].value, r["n"].value, int(r["d"].value), r["u"].value)
             for r in _select(store, uris, """
        SELECT ?i ?n ?d ?u WHERE {
          ?i a emis:Indicator ; skos:notation ?n ; emis:decimals ?d ; emis:unit ?u }
        ORDER BY ?n""")]
    known = {i.notation for i in found}
    files = indicator_files(profile)
    for path in files.values():
        if path.name.split(".")[0] not in known:
            raise BuildError(f"{path}: no indicator with skos:notation '{path.name.split('.')[0]}' in "
                             f"ontology/concepts/indicators.ttl; define it there or rename the query")
    for ind in found:
        if not any(f"{ind.notation}{s}.rq" in files for s in ("", BREAKDOWN)):
            raise BuildError(f"indicator '{ind.notation}' has no query {ind.notation}.rq in the "
                             f"profile's indicator directories; add one (see "
                             f"mappings/indicators/README.md)")
    return found


def _select(store: ox.Store, uris: Uris, query: str, source: str = "query") -> ox.QuerySolutions:
    try:
        result = store.query(query, base_iri=uris.base, prefixes=prefixes(uris),
                             use_default_graph_as_union=True)
    except SyntaxError as err:
        raise BuildError(f"{source}: not a valid SPARQL query: {err}") from None
    if not isinstance(result, ox.QuerySolutions):
        raise BuildError(f"{source}: an indicator query must be a SELECT query")
    return result


XSD_STRING, RDF_LANGSTRING = f"{XSD}string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_QUOTED = re.compile(r'"(.*)"(?:@[^@"]+|\^\^<([^>]*)>)?', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)")
_ESCAPED = {"t": "\t", "n": "\n", "r": "\r"}


def _term(cell: str) -> tuple[str | None, str | None]:
    """(value, datatype) of one cell of SPARQL TSV results: an IRI or blank node has no datatype,
    an empty cell is unbound; bare numbers and booleans are Turtle's short forms."""
    if not cell:
        return None, None
    if cell[0] == "<":
        return cell[1:-1], None
    if cell.startswith("_:"):
        return cell[2:], None
    quoted = _QUOTED.fullmatch(cell)
    if quoted:
        value = _ESCAPE.sub(lambda m: _ESCAPED.get(m[1], m[1]), quoted[1]) if "\\" in cell else quoted[1]
        lang = cell[len(quoted[1]) + 2:].startswith("@")
        return value, quoted[2] or (RDF_LANGSTRING if lang else XSD_STRING)
    if cell in ("true", "false"):
        return cell, f"{XSD}boolean"
    return cell, XSD + ("double" if "e" in cell or "E" in cell else "decimal" if "." in cell else "integer")


def _answer(store: ox.Store, uris: Uris, query: str, source: str) -> pd.DataFrame:
    """A SELECT's answer, one column per variable, each cell as written in SPARQL TSV results.

    The solutions are serialised by Oxigraph and read by pandas's C parser, so no Python object
    is made per solution; the columns are categorical, each distinct cell parsed once (_decoded)."""
    result = _select(store, uris, query, source)
    names = [v.value for v in result.variables]
    text = io.BytesIO()
    result.serialize(text, ox.QueryResultsFormat.TSV)
    text.seek(0)
    frame = pd.read_csv(text, sep="\t", quoting=csv.QUOTE_NONE, header=0, names=names,
                        dtype="category", na_filter=False, encoding="utf-8")
    return frame


def _decoded(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The values and datatypes of a column of _answer."""
    terms = [_term(str(cell)) for cell in column.cat.categories]
    codes = column.cat.codes.to_numpy()
    values = np.array([t[0] for t in terms] + [None], dtype=object)[codes]
    datatypes = np.array([t[1] for t in terms] + [None], dtype=object)[codes]
    return pd.Series(values, index=column.index), pd.Series(datatypes, index=column.index)


def _school_rows(store: ox.Store, uris: Uris, path: Path, breakdown: bool,
                 profile: Profile | None = None) -> pd.DataFrame:
    """One row per school (and period, subject, grade) with numerator and denominator."""
    names = ["school", "period", "period_type", "numerator", "denominator"] + \
        (["subject", "grade"] if breakdown else [])
    text = (profile or default()).query_text(path.read_text(encoding="utf-8"), uris)
    answer = _answer(store, uris, text, str(path))
    unbound = pd.Series(pd.Categorical([""] * len(answer)), index=answer.index)
    school, _ = _decoded(answer.get("school", unbound))
    period, period_type = _decoded(answer.get("period", unbound))
    numerator, _ = _decoded(answer.get("numerator", unbound))
    if school.isna().any() or period.isna().any() or numerator.isna().any():
        raise BuildError(f"{path}: every row needs ?school, ?period and ?numerator")
    # None when the query has no denominator (a count)
    denominator, _ = _decoded(answer.get("denominator", unbound))
    rows = pd.DataFrame({"school": school, "period": period, "period_type": period_type,
                         "numerator": numerator.map(float),
                         "denominator": denominator.map(lambda v: None if v is None else float(v))})
    if breakdown:
        rows["subject"] = _decoded(answer["subject"])[0]
        rows["grade"] = _decoded(answer["grade"])[0].map(int)
    return_free_pages()    # the query's hash tables (a textbook query's: 0.7 GB at 20,000 schools)
    return rows[names]


def _areas(store: ox.Store, uris: Uris) -> pd.DataFrame:
    """The district and region of every organisation a query may count: whatever lies in a
    district and a region (schools, preschool organisations)."""
    answer = _answer(store, uris, """
        SELECT ?school ?district ?region WHERE {
          ?school emis:district ?district ; emis:region ?region }""", "areas")
    return pd.DataFrame({name: _decoded(answer[name])[0] for name in answer.columns})


def observations(store: ox.Store, uris: Uris, profile: Profile | None = None) -> pd.DataFrame:
    """Every observation: indicator, dataset, level, area, period, [subject, grade], numerator,
    denominator, schools, value (a Decimal string)."""
    areas = _areas(store, uris)
    found = definitions(store, uris, profile)
    files = indicator_files(profile)
    queries = [(ind, suffix) for ind in found for suffix in ("", BREAKDOWN)
               if f"{ind.notation}{suffix}.rq" in files]
    last = {ind.iri: i for i, (ind, _) in enumerate(queries)}
    frames: list[pd.DataFrame] = []
    rows: dict[str, pd.DataFrame] = {}
    # Oxigraph answers a query without holding the GIL: two queries at a time; each indicator
    # is summed as soon as its answers are in (its school rows are then let go)
    with ThreadPoolExecutor(QUERY_THREADS) as pool:
        answers = pool.map(lambda q: _school_rows(
            store, uris, files[f"{q[0].notation}{q[1]}.rq"], bool(q[1]), profile), queries)
        for i, ((ind, suffix), answer) in enumerate(zip(queries, answers, strict=True)):
            rows[suffix] = answer
            if last[ind.iri] == i:
                frames += _observe(ind, rows, areas)
                rows = {}
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _observe(ind: Indicator, rows: dict[str, pd.DataFrame], areas: pd.DataFrame) -> list[pd.DataFrame]:
    """One indicator's observations from its school rows (by suffix of its queries)."""
    frames = []
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
            # an organisation's own observation is named by its type (school, preschool)
            grouped["level"] = level if level != LEVELS[0] else \
                grouped["area"].str.rsplit("/", n=2).str[-2]
            grouped["indicator"] = ind.iri
            grouped["notation"] = ind.notation
            grouped["unit"] = ind.unit
            grouped["dataset"] = dataset
            grouped["value"] = _values(grouped, ind.decimals)
            frames.append(grouped[grouped["value"].notna()])
    return frames


def _values(frame: pd.DataFrame, decimals: int) -> pd.Series:
    """numerator / denominator (or the numerator of a count), rounded; None where the
    denominator is 0 (no pupils, no teachers: the value is undefined, not 0)."""
    num, den = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isnan(den), num, np.where(den == 0, np.nan, num / den))
    text = pd.Series(np.round(ratio, decimals), index=frame.index).map(
        lambda v: None if np.isnan(v) else f"{v:.{decimals}f}")
    return text.astype("object")


def _canonical(decimals: pd.Series) -> pd.Series:
    """Decimal literals as the store keeps them ("1.5000" -> "1.5", "2.0" -> "2", "-0" -> "0"),
    so that the file the build loads is also the graph's dump (whole_dumps.Pending.finish)."""
    text = decimals.astype("string")
    fraction = text.str.contains(".", regex=False).fillna(False)
    text = text.where(~fraction, text.str.rstrip("0").str.rstrip("."))
    return text.where((text != "-0").fillna(True), "0")


def _number(values: pd.Series) -> pd.Series:
    """Sums as exact decimal literals (integers stay integers, money keeps its cents)."""
    text = values.map(lambda v: f"{v:.2f}".rstrip("0").rstrip(".") if pd.notna(v) else None)
    return text.where(text.notna(), None)


def write_ntriples(frame: pd.DataFrame, uris: Uris, path: Path,
                   languages: tuple[str, ...] | None = None) -> int:
    """The observations and their data sets (labelled in ``languages``, the profile's) as
    N-Triples; how many observations."""
    vocab = uris.vocab
    with open(path, "w", encoding="utf-8") as out:
        for key, (structure, label) in DATASETS.items():
            ds = f"<{uris.id('cube', key)}>"
            out.write(f"{ds} {RDF_TYPE} <{vocab}IndicatorDataSet> .\n"
                      f"{ds} {RDF_TYPE} <{QB}DataSet> .\n"
                      f"{ds} <{QB}structure> <{vocab}{structure}> .\n")
            for lang in languages or default().languages:
                out.write(f'{ds} <{RDFS}label> {ox.Literal(message(label, lang), language=lang)} .\n')
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
            (f"{vocab}value", literal(_canonical(frame["value"]), f"{XSD}decimal")),
            (f"{vocab}numerator", literal(_canonical(_number(frame["numerator"])), f"{XSD}decimal")),
            (f"{vocab}denominator", literal(_canonical(_number(frame["denominator"])), f"{XSD}decimal")),
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
