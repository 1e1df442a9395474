"""The HTML page of a document, as a model the template ``document.html`` shows: the
document's triples grouped by subject into sections of labelled rows, a school's enrolment table
and figures (``figures.py``), and the labels of terms (the ontology's, read once per release).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from . import jsonld
from .describe import RDF_TYPE, select
from .figures import SchoolFigures, school_figures
from .messages import message
from .release import Release

LABELS = ("https://schema.org/name", "http://www.w3.org/2004/02/skos/core#prefLabel",
          "http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/dc/terms/title")
XSD = "http://www.w3.org/2001/XMLSchema#"
# datatypes a reader does not need to be told about
PLAIN_DATATYPES = {XSD + t for t in ("string", "integer", "decimal", "nonNegativeInteger",
                                     "double", "int", "long")}


def pick_label(labels: Mapping[str, list[str]] | None, lang: str) -> str | None:
    """The label in ``lang``, else English, Russian, Kyrgyz, else any."""
    if not labels:
        return None
    for candidate in (lang, "en", "ru", "ky", ""):
        if labels.get(candidate):
            return sorted(labels[candidate])[0]
    return sorted(v for vs in labels.values() for v in vs)[0]


def web_href(iri: str) -> str | None:
    """An IRI a page may link to: http(s) only, never ``javascript:`` and the like."""
    return iri if iri.startswith(("http://", "https://")) else None


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``), a fallback label."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


@dataclass
class Value:
    text: str
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None


@dataclass
class Row:
    predicate: str
    label: str
    compact: str
    values: list[Value]


@dataclass
class Section:
    iri: str
    title: str
    anchor: str | None
    types: list[Value]
    rows: list[Row]


class Page:
    """Everything the document template shows, built from the document's triples."""

    def __init__(self, triples: Iterable[ox.Triple], root: str, rel: Release, lang: str,
                 term_labels: Mapping[str, Mapping[str, list[str]]]) -> None:
        self.root, self.lang, self.rel = root, lang, rel
        self.term_labels = term_labels
        self.by_subject: dict[str, list[tuple[str, Any]]] = {}
        self.labels: dict[str, dict[str, list[str]]] = {}
        for t in triples:
            key = self._key(t.subject)
            self.by_subject.setdefault(key, []).append((t.predicate.value, t.object))
            if t.predicate.value in LABELS and isinstance(t.object, ox.Literal):
                self.labels.setdefault(key, {}).setdefault(t.object.language or "", []).append(
                    t.object.value)
        self.compactor = jsonld.JsonLdCompactor({k: v for k, v in rel.prefixes.items()})
        vocab = rel.uris.vocab
        self.enrolment_props = {name: vocab + name
                                for name in ("grade", "schoolYear", "boys", "girls")}
        self.enrolment_nodes = [o.value for p, o in self.by_subject.get(root, ())
                                if p == vocab + "enrolment" and isinstance(o, ox.NamedNode)
                                and o.value in self.by_subject]
        # a school's money, textbooks, staff and buildings, shown as sections of their own
        self.figures: SchoolFigures | None = school_figures(self, root, vocab)
        self.tabled: set[str] = self.figures.tabled_properties() if self.figures else set()
        self.shown: set[str] = self.figures.shown() if self.figures else set()

    @staticmethod
    def _key(term: Any) -> str:
        return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value

    def label(self, iri: str) -> str | None:
        return pick_label(self.labels.get(iri) or self.term_labels.get(iri), self.lang)

    def title(self, iri: str) -> str:
        return self.label(iri) or self.compactor.compact_iri(iri)

    def term_label(self, iri: str) -> str:
        """An ontology term's label in the page language (its local name at worst)."""
        return pick_label(self.term_labels.get(iri), self.lang) or local_name(iri)

    def value(self, term: Any) -> Value:
        if isinstance(term, ox.Literal):
            dt = term.datatype.value
            if dt == XSD + "boolean" and term.value in ("true", "false", "1", "0"):
                return Value(message("true" if term.value in ("true", "1") else "false", self.lang))
            shown = None if term.language or dt in PLAIN_DATATYPES else \
                pick_label(self.term_labels.get(dt), self.lang) or self.compactor.compact_iri(dt)
            return Value(term.value, lang=term.language or None, datatype=shown)
        if isinstance(term, ox.NamedNode):
            return Value(self.title(term.value), href=web_href(term.value))
        if isinstance(term, ox.BlankNode):
            return Value("_:" + term.value, href="#" + "_" + term.value)
        return Value(str(term))

    def section(self, iri: str) -> Section:
        grouped: dict[str, list[Value]] = {}
        types: list[Value] = []
        tabled = self.rel.uris.vocab + "enrolment" if iri == self.root and self.enrolment_nodes \
            else None  # shown as the enrolment table instead
        for predicate, obj in self.by_subject.get(iri, ()):
            if predicate == tabled or (iri == self.root and predicate in self.tabled):
                continue
            if predicate == RDF_TYPE:
                types.append(self.value(obj))
            else:
                grouped.setdefault(predicate, []).append(self.value(obj))
        rows = [Row(p, pick_label(self.term_labels.get(p), self.lang) or local_name(p),
                    self.compactor.compact_iri(p), values)
                for p, values in grouped.items()]
        rows.sort(key=lambda r: (r.predicate not in LABELS, r.label.lower()))
        anchor = iri.rpartition("#")[2] if "#" in iri else (
            "_" + iri[2:] if iri.startswith("_:") else None)
        return Section(iri, self.title(iri), anchor, types, rows)

    def parents(self) -> dict[str, str]:
        """The district and region the page's resource lies in (for comparisons)."""
        vocab = self.rel.uris.vocab
        return {local: o.value for p, o in self.by_subject.get(self.root, ())
                for local in ("district", "region") if p == vocab + local}

    def main(self) -> Section:
        return self.section(self.root)

    def others(self) -> list[Section]:
        """Sections for the other resources the document describes beyond their names."""
        out = []
        skip = set(self.enrolment_nodes) | self.shown | {self.root}
        for iri, pairs in self.by_subject.items():
            if iri in skip or all(p in LABELS or p.endswith("#notation") for p, _ in pairs):
                continue
            out.append(self.section(iri))
        return sorted(out, key=lambda s: s.iri)

    def enrolment(self) -> list[dict[str, Any]]:
        """The school's enrolment by grade: grade, school year, boys, girls, total."""
        rows = []
        for node in self.enrolment_nodes:
            values = {name: next((o.value for p, o in self.by_subject[node]
                                  if p == iri and isinstance(o, ox.Literal)), None)
                      for name, iri in self.enrolment_props.items()}
            boys, girls = values["boys"], values["girls"]
            total = int(boys) + int(girls) if boys and girls and boys.isdigit() \
                and girls.isdigit() else None
            rows.append({**values, "total": total, "iri": node})
        return sorted(rows, key=lambda r: (r["schoolYear"] or "",
                                           int(r["grade"]) if (r["grade"] or "").isdigit()
                                           else 99, r["iri"]))


def term_labels(rel: Release) -> dict[str, dict[str, list[str]]]:
    """Labels of the ontology's terms, read once per release and process."""
    def read() -> dict[str, dict[str, list[str]]]:
        labels: dict[str, dict[str, list[str]]] = {}
        for row in select(rel.store, "term_labels", rel.prefixes,
                          {ox.Variable("graph"): ox.NamedNode(rel.uris.graph("ontology"))}):
            term, label = row["term"], row["label"]
            labels.setdefault(term.value, {}).setdefault(label.language or "", []).append(
                label.value)
        return labels
    return rel.memo("page.term_labels", read)


def named_rows(rows: Iterable[Any], key: str, label: str,
               lang: str) -> list[tuple[str, str, Any]]:
    """``(iri, name in lang, first row)`` per distinct ``key``, from rows carrying all names."""
    names: dict[str, dict[str, list[str]]] = {}
    first: dict[str, Any] = {}
    for row in rows:
        iri, name = row[key].value, row[label]
        first.setdefault(iri, row)
        names.setdefault(iri, {}).setdefault(name.language or "", []).append(name.value)
    return [(iri, pick_label(names[iri], lang) or iri, first[iri]) for iri in first]
