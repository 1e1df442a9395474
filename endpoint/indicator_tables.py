"""The indicators on the HTML pages: a table on a school's, district's or region's page that
sets each value beside its district's and region's, and on an indicator's own page a bar chart
of the regions and a table of the districts.

The values are the build's RDF Data Cube observations (``loaders/indicators.py``); this module
only reads and formats them. Bars are plain HTML widths, so the chart needs no script and reads
the same in a text browser or a screen reader (the number is always printed beside its bar).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from .document_cache import Memo
from .figures import format_decimal, format_share
from .messages import message
from .query import load_query, solutions, with_constants

AREA_TYPES = ("school", "district", "region")
# the rows of the areas a process saw last (~30 rows each): every district and region stays
_ROWS: Memo[list[dict[str, Any]]] = Memo(1024)
SHARE = "share"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
SCHEMA_NAME = "https://schema.org/name"


@dataclass
class Value:
    text: str
    bar: float | None = None          # 0-100: the bar's width in per cent of the row's scale
    href: str | None = None           # the observation
    title: str | None = None          # numerator / denominator, on hover


@dataclass
class IndicatorRow:
    label: str
    href: str
    unit: str
    period: str
    values: list[Value | None] = field(default_factory=list)


@dataclass
class IndicatorTable:
    title: str
    caption: str
    headers: list[str]
    rows: list[IndicatorRow]
    chart: list[dict[str, Any]] = field(default_factory=list)   # an indicator page's regions
    districts: list[dict[str, Any]] = field(default_factory=list)
    districts_title: str = ""


def _text(value: str, unit: str, lang: str, places: int = 0) -> str:
    """A share as a percentage, else the number with the indicator's decimals (the store
    keeps decimals canonical: 32256.80 comes back as 32256.8)."""
    return format_share(value, lang) if unit == SHARE else format_decimal(value, lang, places)


def _fraction(numerator: str, denominator: str | None, lang: str) -> str:
    top = format_decimal(Decimal(numerator).normalize(), lang)
    return top if denominator is None else f"{top} / {format_decimal(Decimal(denominator).normalize(), lang)}"


def _bar(value: str, unit: str, scale: float) -> float | None:
    number = float(value)
    if unit == SHARE:
        return round(min(number, 1.0) * 100, 1)
    return round(number / scale * 100, 1) if scale > 0 else None


def for_page(rel: Any, iri: str, lang: str, parents: dict[str, str] | None = None
             ) -> IndicatorTable | None:
    """The indicator table of a page about ``iri``, or None when the page has none.
    ``parents``: the district and region the area lies in (from the page's own triples)."""
    if iri.startswith(rel.uris.concept("indicator", "")):
        return _indicator_page(rel, iri, lang)
    split = rel.uris.split_id(iri)
    if split and split[0] in AREA_TYPES:
        return _area_page(rel, iri, split[0], lang, parents or {})
    return None


def _select(rel: Any, query: str, iri: str, **bound: str) -> list[dict[str, Any]]:
    """Rows of one of the app's queries with ``$this`` (and ``bound``) written into the text as
    IRIs (``with_constants``: substituted, they would read every observation). Kept per release and
    process (``_ROWS``): every school page of a district shows the district's and the region's
    rows, and each page is rendered in three languages."""
    text = with_constants(load_query(query),
                          {name: ox.NamedNode(value) for name, value in {"this": iri, **bound}.items()})
    return _ROWS.get_or_render((rel.id, text), lambda: _rows(rel, text))


def forget_rows() -> None:
    """Drop the rows kept (to time the queries themselves)."""
    _ROWS.clear()


def _rows(rel: Any, text: str) -> list[dict[str, Any]]:
    answer = solutions(rel.store, text, rel.prefixes)
    names = [v.value for v in answer.variables]
    # breakdown rows (by subject and grade) are not shown on these pages
    return [{n: r[n] for n in names} for r in answer if r["subject"] is None]


def _labels(rel: Any, iri: str, predicate: str) -> dict[str, str]:
    """An IRI's labels by language, read straight from the store's index."""
    return {q.object.language or "": q.object.value for q in rel.store.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode(predicate), None)}


def _pick(labels: dict[str, str], lang: str, default: str) -> str:
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), default)


def _decimals(rel: Any, indicator: str) -> int:
    found = [q.object.value for q in rel.store.quads_for_pattern(
        ox.NamedNode(indicator), ox.NamedNode(rel.uris.vocab + "decimals"), None)]
    return int(found[0]) if found else 0


def _value(r: dict[str, Any], unit: str, scale: float, lang: str, places: int) -> Value:
    return Value(_text(r["value"].value, unit, lang, places), _bar(r["value"].value, unit, scale),
                 r["observation"].value,
                 _fraction(r["numerator"].value, r["denominator"].value if r["denominator"] else None,
                           lang))


def _area_page(rel: Any, iri: str, type_: str, lang: str, parents: dict[str, str]
               ) -> IndicatorTable | None:
    own = _select(rel, "area_indicators", iri)
    if not own:
        return None
    columns = [type_] + [level for level in AREA_TYPES[AREA_TYPES.index(type_) + 1:] if level in parents]
    by_level = {type_: own} | {level: _select(rel, "area_indicators", parents[level])
                               for level in columns[1:]}
    found: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for level, rows in by_level.items():
        for r in rows:
            found.setdefault((r["indicator"].value, r["period"].value), {})[level] = r
    table_rows = []
    for (indicator, period), levels in found.items():
        if type_ not in levels:
            continue    # only the parents have a value: the area itself has no data for it
        unit_iri = levels[type_]["unit"].value
        unit = unit_iri.rsplit("/", 1)[-1]
        scale = max(float(r["value"].value) for r in levels.values())
        places = _decimals(rel, indicator)
        table_rows.append(IndicatorRow(
            _pick(_labels(rel, indicator, SKOS_PREF_LABEL), lang, indicator), indicator,
            _pick(_labels(rel, unit_iri, SKOS_PREF_LABEL), lang, unit), period,
            [_value(levels[c], unit, scale, lang, places) if c in levels else None for c in columns]))
    table_rows.sort(key=lambda row: (row.label, row.period))
    return IndicatorTable(message("indicators", lang), message("indicators_caption", lang),
                          [message("indicator", lang), message("period", lang),
                           *(message(f"this_{type_}" if c == type_ else c, lang) for c in columns)],
                          table_rows)


def _indicator_page(rel: Any, iri: str, lang: str) -> IndicatorTable | None:
    vocab = rel.uris.vocab
    regions = _select(rel, "indicator_areas", iri, **{"class": vocab + "Region"})
    if not regions:
        return None
    districts = _select(rel, "indicator_areas", iri, **{"class": vocab + "District"})
    units = [q.object.value for q in rel.store.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode(vocab + "unit"), None)]
    unit = units[0].rsplit("/", 1)[-1] if units else ""
    latest = max(r["period"].value for r in regions)
    regions = sorted((r for r in regions if r["period"].value == latest),
                     key=lambda r: -float(r["value"].value))
    scale = max((float(r["value"].value) for r in regions), default=0.0)
    places = _decimals(rel, iri)

    def entry(r: dict[str, Any]) -> dict[str, Any]:
        area = r["area"].value
        return {"name": _pick(_labels(rel, area, SCHEMA_NAME), lang, area), "href": area,
                "value": _value(r, unit, scale, lang, places), "schools": r["schools"].value}

    chart = [entry(r) for r in regions]
    rows = [entry(r) for r in districts if r["period"].value == latest]
    return IndicatorTable(f"{message('indicator_by_region', lang)} ({latest})",
                          message("indicator_chart_caption", lang),
                          [message(k, lang) for k in ("area", "indicator_value", "schools_counted")],
                          [], chart, sorted(rows, key=lambda e: e["name"]), message("districts", lang))
