"""SPARQL query results written row by row in the registered results formats (JSON, XML, CSV,
TSV: ``emis_lod/formats.py``), so that a row limit and a deadline (:class:`Guard`) can stop a long
answer."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_attr

import pyoxigraph as ox
from rdflib.namespace import XSD

from emis_lod.formats import RESULTS_CSV, RESULTS_JSON, RESULTS_TSV, RESULTS_XML, Format

XSD_STRING = str(XSD.string)


# ------------------------------------------------------------------------ SPARQL results

class ResultLimitReached(Exception):
    """Raised by a :class:`Guard` when an answer runs past its deadline."""


@dataclass
class Guard:
    """Stops a result stream at a row limit (the cut is recorded) or a deadline (an error)."""

    max_rows: int | None = None
    deadline: float | None = None  # time.monotonic() value
    rows: int = 0
    truncated: bool = False

    def rows_of(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            if self.max_rows is not None and self.rows >= self.max_rows:
                self.truncated = True
                return
            if self.deadline is not None and self.rows % 64 == 0 \
                    and time.monotonic() > self.deadline:
                raise ResultLimitReached(
                    f"the answer took longer than allowed (stopped after {self.rows} rows)")
            self.rows += 1
            yield item


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return (f"<literal xml:lang={_xml_attr(term.language)}>"
                    f"{_xml_escape(term.value)}</literal>")
        if term.datatype.value != XSD_STRING:
            return (f"<literal datatype={_xml_attr(term.datatype.value)}>"
                    f"{_xml_escape(term.value)}</literal>")
        return f"<literal>{_xml_escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
                f"<predicate>{_xml_term(term.predicate)}</predicate>"
                f"<object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


JSON_TERMS_KEPT = 200_000   # distinct terms whose JSON one answer keeps


def write_solutions(variables: Sequence[str], rows: Iterable[Sequence[Any]], fmt: Format,
                    out: io.BufferedIOBase | io.BytesIO) -> None:
    """SELECT results (``rows`` of terms or None, in ``variables`` order) in a results format."""
    if fmt is RESULTS_JSON:
        out.write(b'{"head":{"vars":' + json.dumps(list(variables)).encode()
                  + b'},"results":{"bindings":[')
        # each binding is the text json.dumps gives the dict {variable: term}, put together from
        # the JSON of each distinct term, written once (an answer repeats its IRIs row after row)
        keys = [json.dumps(v, ensure_ascii=False) + ": " for v in variables]
        terms: dict[Any, str] = {}
        separator = b""
        for row in rows:
            parts = []
            for key, term in zip(keys, row, strict=True):
                if term is None:
                    continue
                written = terms.get(term)
                if written is None:
                    written = json.dumps(_json_term(term), ensure_ascii=False)
                    if len(terms) < JSON_TERMS_KEPT:
                        terms[term] = written
                parts.append(key + written)
            out.write(separator + ("{" + ", ".join(parts) + "}").encode("utf-8"))
            separator = b","
        out.write(b"]}}")
    elif fmt is RESULTS_XML:
        head = "".join(f"<variable name={_xml_attr(v)}/>" for v in variables)
        out.write(('<?xml version="1.0" encoding="utf-8"?>\n'
                   '<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                   f"<head>{head}</head><results>").encode())
        for row in rows:
            cells = "".join(f"<binding name={_xml_attr(v)}>{_xml_term(t)}</binding>"
                            for v, t in zip(variables, row, strict=True) if t is not None)
            out.write(f"<result>{cells}</result>\n".encode())
        out.write(b"</results></sparql>\n")
    elif fmt is RESULTS_CSV:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(variables)
        out.write(text.getvalue().encode("utf-8"))
        for row in rows:
            text.seek(0)
            text.truncate()
            writer.writerow([_csv_term(t) for t in row])
            out.write(text.getvalue().encode("utf-8"))
    elif fmt is RESULTS_TSV:
        out.write(("\t".join("?" + v for v in variables) + "\n").encode("utf-8"))
        for row in rows:
            # str() of a pyoxigraph term is its N-Triples form, tabs and newlines escaped
            out.write(("\t".join("" if t is None else str(t) for t in row) + "\n").encode("utf-8"))
    else:
        raise ValueError(f"{fmt.label} is not a SPARQL results format")


def write_boolean(value: bool, fmt: Format, out: io.BufferedIOBase | io.BytesIO) -> None:
    """An ASK answer in a results format (CSV/TSV: the bare word, as most stores do)."""
    word = "true" if value else "false"
    if fmt is RESULTS_JSON:
        out.write(b'{"head":{},"boolean":' + word.encode() + b"}")
    elif fmt is RESULTS_XML:
        out.write(('<?xml version="1.0" encoding="utf-8"?>\n'
                   '<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                   f"<head/><boolean>{word}</boolean></sparql>\n").encode())
    elif fmt in (RESULTS_CSV, RESULTS_TSV):
        out.write(f"{word}\n".encode())
    else:
        raise ValueError(f"{fmt.label} is not a SPARQL results format")
