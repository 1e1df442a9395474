"""N-Triples terms for whole columns at once (the bulk path never builds rdflib objects)."""

from __future__ import annotations

import pandas as pd

from emis_lod.uris import encode_key

from .columns import per_distinct

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_UNSAFE = r"[^A-Za-z0-9\-._~]"


def _escape(values: pd.Series) -> pd.Series:
    return (values.str.replace("\\", "\\\\", regex=False)
            .str.replace('"', '\\"', regex=False)
            .str.replace("\n", "\\n", regex=False)
            .str.replace("\r", "\\r", regex=False))


def escape_literal(values: pd.Series) -> pd.Series:
    """N-Triples STRING_LITERAL_QUOTE escaping (RDF 1.1 N-Triples, section 2.4)."""
    return per_distinct(values.astype("string"), _escape)


_BCP47 = r"^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$"


def language_tags(values: pd.Series, default: str | None = None) -> pd.Series:
    """Values as BCP 47 language tags (``ky``, ``ru``, ``en-GB``), lower-cased; a value that is
    not a well-formed tag, or none, gives ``default`` (NA when None)."""
    tags = values.astype("string").str.strip().str.lower()
    tags = tags.where(tags.str.fullmatch(_BCP47).fillna(False).astype(bool))
    return tags.fillna(default) if default else tags


def literal(values: pd.Series, datatype: str | None = None,
            lang: str | pd.Series | None = None) -> pd.Series:
    """Literals for a column; ``lang`` is one tag, or a tag per row (NA: a plain string)."""
    body = '"' + escape_literal(values) + '"'
    if isinstance(lang, pd.Series):
        tags = lang.reindex(values.index)
        return body.where(tags.isna(), body + "@" + tags)
    if lang:
        return body + f"@{lang}"
    if datatype and datatype != f"{XSD}string":
        return body + f"^^<{datatype}>"
    return body


def path_segment(values: pd.Series) -> pd.Series:
    """Keys as IRI path segments, percent-encoding only the rows that need it."""
    values = values.astype("string")
    unsafe = values.str.contains(_UNSAFE, regex=True, na=False)
    if unsafe.any():
        values = values.copy()
        values[unsafe] = values[unsafe].map(encode_key)
    return values


def iri(values: pd.Series) -> pd.Series:
    return "<" + values + ">"


def triples(subjects: pd.Series, predicate: str, objects: pd.Series) -> str:
    """Lines "<s> <p> o ." for the rows where both sides exist."""
    ok = (subjects.notna() & objects.notna()).to_numpy(dtype=bool)
    if not ok.any():
        return ""
    # one f-string per line: pandas' string addition is three passes over every row
    middle = f" <{predicate}> "
    return "".join([f"{s}{middle}{o} .\n" for s, o in zip(subjects.to_numpy(dtype=object)[ok],
                                                          objects.to_numpy(dtype=object)[ok],
                                                          strict=True)])
