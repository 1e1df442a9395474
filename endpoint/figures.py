"""The school page's four sections (money, textbooks, staff, buildings and safety), built from the
triples of the school's document (``queries/school.rq``): pure functions, no store, no request.

The figures are formatted for reading in the page language: amounts with thousands separators,
two decimals and the currency (``1,234,567.50 KGS``; ``1 234 567,50 KGS`` in Kyrgyz and
Russian), shares as percentages, counts with thousands separators. Column headers are the
ontology's labels of the properties and the values the code lists' labels, in the page language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import pyoxigraph as ox

from .messages import message

NBSP = "\u00a0"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_NOTATION = "http://www.w3.org/2004/02/skos/core#notation"
ALERT_CLASSES = ("unsafe", "emergency")  # safety classes a page highlights as dangerous
WARN_CLASSES = ("needs-retrofit",)
SERVICES = ("electricity", "drinkingWater", "indoorToilets", "centralHeating", "internet")
STAFF_COUNTS = ("teachersQualified", "teachersHigherPedagogical", "teachersPartTimeDiploma",
                "teachersHighestCategory", "teachersTrainedRecently")
FINANCE_FIGURES = ("incomeBudget", "incomeExtraBudgetary", "expenditure", "plannedExpenditure")


# ------------------------------------------------------------------ number formatting

def _group(digits: str, sep: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def _separators(lang: str) -> tuple[str, str]:
    """(thousands, decimal) separators: ``1,234.5`` in English, ``1 234,5`` in ky and ru."""
    return (",", ".") if lang == "en" else (NBSP, ",")


def format_decimal(value: str | Decimal, lang: str, places: int | None = None) -> str:
    """A decimal for reading: grouped thousands; at least ``places`` decimals (never rounded
    away: a value with more decimals keeps them all)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    thousands, point = _separators(lang)
    exponent = number.as_tuple().exponent
    if places is not None and isinstance(exponent, int) and -exponent < places:
        number = number.quantize(Decimal(1).scaleb(-places))
    text = format(number, "f")
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    return sign + _group(whole, thousands) + (point + fraction if fraction else "")


def format_amount(value: str, currency: str | None, lang: str) -> str:
    """``1,234,567.50 KGS``: money with two decimals (or more when the data has more)."""
    text = format_decimal(value, lang, places=2)
    return f"{text}{NBSP}{currency}" if currency else text


def format_count(value: str, lang: str) -> str:
    return format_decimal(value, lang) if value.lstrip("-").isdigit() else value


def format_share(value: str | Decimal, lang: str) -> str:
    """A share (0 to 1) as a percentage with one decimal: ``87.3 %``."""
    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    return format_decimal(number.quantize(Decimal("0.1")), lang) + NBSP + "%"


# ------------------------------------------------------------------ view model

class PageLike(Protocol):
    """What the builders read from a :class:`page.Page`."""

    by_subject: dict[str, list[tuple[str, Any]]]
    lang: str

    def label(self, iri: str) -> str | None: ...

    def term_label(self, iri: str) -> str: ...


@dataclass
class Cell:
    text: str
    href: str | None = None
    css: str | None = None  # "num", "alert", "warn", ...
    title: str | None = None


@dataclass
class Link:
    text: str
    href: str
    note: str | None = None


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]


@dataclass
class Domain:
    """One section of the school page."""

    key: str  # money | textbooks | staff | buildings
    title: str
    caption: str | None = None
    tables: list[Table] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)  # the finance lines, say
    links_title: str | None = None
    earlier: list[Link] = field(default_factory=list)
    earlier_title: str | None = None
    note: str | None = None
    no_data: str | None = None

    @property
    def empty(self) -> bool:
        return not self.tables and not self.links and not self.earlier


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class SchoolFigures:
    """The four sections of a school page, from the triples of the school's document."""

    def __init__(self, page: PageLike, root: str, vocab: str) -> None:
        self.page, self.root, self.vocab = page, root, vocab
        self.lang = page.lang

    # -- reading the document
    def objects(self, node: str, prop: str) -> list[Any]:
        iri = self.vocab + prop if "://" not in prop else prop
        return [o for p, o in self.page.by_subject.get(node, ()) if p == iri]

    def first(self, node: str, prop: str) -> Any | None:
        found = self.objects(node, prop)
        return sorted(found, key=str)[0] if found else None

    def text(self, node: str, prop: str) -> str | None:
        term = self.first(node, prop)
        return term.value if term is not None else None

    def links(self, prop: str) -> list[str]:
        return sorted({o.value for o in self.objects(self.root, prop)
                       if isinstance(o, ox.NamedNode)})

    def described(self, node: str) -> bool:
        return node in self.page.by_subject

    def has_type(self, node: str, cls: str) -> bool:
        return any(p == RDF_TYPE and getattr(o, "value", None) == self.vocab + cls
                   for p, o in self.page.by_subject.get(node, ()))

    def header(self, prop: str) -> str:
        return upper_first(self.page.term_label(self.vocab + prop))

    def name(self, term: Any) -> str:
        """A concept or resource in the page language (its notation or IRI at worst)."""
        if term is None:
            return ""
        iri = term.value
        return self.page.label(iri) or self.notation(iri) or iri.rsplit("/", 1)[-1]

    def notation(self, iri: str) -> str | None:
        found = [o.value for p, o in self.page.by_subject.get(iri, ()) if p == SKOS_NOTATION]
        return sorted(found)[0] if found else None

    def concept_cell(self, node: str, prop: str) -> Cell:
        terms = sorted(self.objects(node, prop), key=lambda t: self.name(t))
        return Cell(", ".join(self.name(t) for t in terms),
                    href=terms[0].value if len(terms) == 1 else None)

    def count_cell(self, node: str, prop: str) -> Cell:
        value = self.text(node, prop)
        return Cell(format_count(value, self.lang) if value is not None else "", css="num")

    def yes_no(self, node: str, prop: str) -> Cell:
        value = self.text(node, prop)
        if value is None:
            return Cell("")
        yes = value in ("true", "1")
        return Cell(message("yes" if yes else "no", self.lang), css="yes" if yes else "no")

    # -- the sections
    def domain(self, key: str, note: str | None = None) -> Domain:
        return Domain(key, message(key, self.lang), earlier_title=message("earlier", self.lang),
                      no_data=message("no_data", self.lang), note=note)

    def domains(self) -> list[Domain]:
        return [self.money(), self.textbooks(), self.staff(), self.buildings()]

    def money(self) -> Domain:
        domain = self.domain("money")
        summaries = self.links("financeSummary")
        full = [s for s in summaries if self.first(s, "incomeBudget") is not None
                or self.first(s, "expenditure") is not None]
        years = sorted({self.text(s, "fiscalYear") or "" for s in full})
        latest = years[-1] if years else None
        current = sorted((s for s in full if self.text(s, "fiscalYear") == latest),
                         key=lambda s: period_order(self.notation_of(s, "period")))
        if current:
            domain.caption = f"{message('latest_year', self.lang)}: {latest}"
            headers = [self.header("period")] + [self.header(f) for f in FINANCE_FIGURES]
            rows = []
            for s in current:
                currency = self.notation_of(s, "currency")
                row = [Cell(self.name(self.first(s, "period")), href=s)]
                for prop in FINANCE_FIGURES:
                    value = self.text(s, prop)
                    row.append(Cell(format_amount(value, currency, self.lang)
                                    if value is not None else "", css="num"))
                rows.append(row)
            domain.tables.append(Table(headers, rows))
        domain.earlier = [Link(f"{self.text(s, 'fiscalYear') or ''} · "
                               f"{self.name(self.first(s, 'period'))}", s)
                          for s in sorted(summaries, key=lambda s: (
                              self.text(s, "fiscalYear") or "",
                              period_order(self.notation_of(s, "period"))), reverse=True)
                          if s not in current]
        lines = [node for node in self.page.by_subject
                 if self.has_type(node, "FinanceLine") and node != self.root]
        domain.links = sorted((Link(self.text(line, "lineCode") or line.rsplit("/", 1)[-1], line,
                                    note=self.name(self.first(line, "period")))
                               for line in lines),
                              key=lambda link: (period_order(
                                  self.notation_of(link.href, "period")), link.text))
        domain.links_title = message("finance_lines", self.lang)
        return domain

    def textbooks(self) -> Domain:
        domain = self.domain("textbooks")
        summaries = self.links("provisionSummary")

        def when(s: str) -> tuple[str, str]:
            return (self.text(s, "schoolYear") or "", self.notation_of(s, "halfYear") or "")

        full = [s for s in summaries if self.first(s, "copiesNeeded") is not None]
        if full:
            latest = max(full, key=when)
            domain.caption = f"{message('latest_half', self.lang)}: " \
                f"{self.text(latest, 'schoolYear')}, {self.name(self.first(latest, 'halfYear'))}"
            headers = [self.header(p) for p in ("schoolYear", "halfYear", "copiesAvailable",
                                                "copiesNeeded", "needCovered")]
            covered = self.text(latest, "needCovered")
            row = [Cell(self.text(latest, "schoolYear") or "", href=latest),
                   Cell(self.name(self.first(latest, "halfYear"))),
                   self.count_cell(latest, "copiesAvailable"),
                   self.count_cell(latest, "copiesNeeded"),
                   Cell(format_share(covered, self.lang) if covered else "", css="num")]
            domain.tables.append(Table(headers, [row]))
        else:
            latest = None
        domain.earlier = [Link(f"{self.text(s, 'schoolYear') or ''} · "
                               f"{self.name(self.first(s, 'halfYear'))}", s)
                          for s in sorted(summaries, key=when, reverse=True) if s != latest]
        return domain

    def staff(self) -> Domain:
        domain = self.domain("staff", note=message("staff_note", self.lang))
        for summary in self.links("staffSummary"):
            teachers = self.text(summary, "teachers")
            if teachers is None:
                continue
            rows = [[Cell(self.header("teachers"), href=summary),
                     self.count_cell(summary, "teachers"), Cell("")]]
            for prop in STAFF_COUNTS:
                value = self.text(summary, prop)
                if value is None:
                    continue
                share = ""
                if teachers.isdigit() and value.isdigit() and int(teachers) > 0:
                    share = format_share(Decimal(value) / Decimal(teachers), self.lang)
                rows.append([Cell(self.header(prop)), self.count_cell(summary, prop),
                             Cell(share, css="num")])
            domain.tables.append(Table(["", "", upper_first(
                message("share_of_teachers", self.lang))], rows))
        return domain

    def buildings(self) -> Domain:
        domain = self.domain("buildings")
        buildings = [b for b in self.links("building") if self.described(b)]
        if not buildings:
            return domain
        structure = Table(
            [upper_first(self.page.term_label(self.vocab + "building"))]
            + [self.header(p) for p in ("yearBuilt", "material", "storeys", "capacity",
                                        "seismicZone", "hazard", "latestAssessment",
                                        "inspectionDate")], [])
        services = Table([upper_first(self.page.term_label(self.vocab + "building"))]
                         + [self.header(p) for p in (*SERVICES, "computers")], [])
        for b in buildings:
            key = b.rsplit("/", 1)[-1]
            assessment = self.first(b, "latestAssessment")
            if assessment is not None and self.described(assessment.value):
                a = assessment.value
                cls = self.first(a, "seismicAssessment")
                code = self.notation(cls.value) if cls is not None else None
                css = "alert" if code in ALERT_CLASSES else "warn" if code in WARN_CLASSES \
                    else "ok" if code else None
                safety = Cell(self.name(cls), href=a, css=css)
                date = Cell(self.text(a, "inspectionDate") or "")
            else:
                safety, date = Cell(""), Cell("")
            hazards = self.concept_cell(b, "hazard")
            if not hazards.text:
                hazards = Cell(message("none", self.lang))
            structure.rows.append([
                Cell(key, href=b), Cell(self.text(b, "yearBuilt") or ""),
                self.concept_cell(b, "material"), self.count_cell(b, "storeys"),
                self.count_cell(b, "capacity"), self.concept_cell(b, "seismicZone"),
                hazards, safety, date])
            services.rows.append([Cell(key, href=b)]
                                 + [self.yes_no(b, s) for s in SERVICES]
                                 + [self.count_cell(b, "computers")])
        domain.tables = [structure, services]
        return domain

    def notation_of(self, node: str, prop: str) -> str | None:
        term = self.first(node, prop)
        return self.notation(term.value) if isinstance(term, ox.NamedNode) else None

    def shown(self) -> set[str]:
        """The resources the sections show (the generic listing leaves them out)."""
        out: set[str] = set()
        for prop in ("financeSummary", "provisionSummary", "staffSummary", "building"):
            out.update(self.links(prop))
        for b in self.links("building"):
            out.update(o.value for o in self.objects(b, "latestAssessment"))
        out.update(n for n in self.page.by_subject if self.has_type(n, "FinanceLine"))
        # indicator observations have a section of their own (endpoint/indicator_tables.py)
        out.update(n for n in self.page.by_subject if self.has_type(n, "IndicatorObservation"))
        return out

    def tabled_properties(self) -> set[str]:
        """The school's own properties the sections show (left out of its property table)."""
        return {self.vocab + p for p in ("financeSummary", "provisionSummary", "staffSummary",
                                         "building")}


def period_order(notation: str | None) -> tuple[int, str]:
    """Whole year first, then halves, then quarters, then anything else."""
    code = notation or ""
    rank = 0 if code == "FY" else 1 if code.startswith("H") else 2 if code.startswith("Q") else 3
    return rank, code


def school_figures(page: PageLike, root: str, vocab: str) -> SchoolFigures | None:
    """The sections of a school page, or None when the document is not about a school."""
    figures = SchoolFigures(page, root, vocab)
    return figures if figures.has_type(root, "School") else None
