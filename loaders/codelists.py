"""Code lists: the SKOS concept schemes of ``ontology/concepts/``, used to recognise source values.

A source value matches a concept when it equals, ignoring case and spacing, the
concept's ``skos:notation``, ``skos:prefLabel`` or ``skos:altLabel`` in any language.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyoxigraph as ox

from emis_lod.profiles import Profile, default
from emis_lod.uris import Uris

SKOS = "http://www.w3.org/2004/02/skos/core#"
LABELS = {f"{SKOS}notation", f"{SKOS}prefLabel", f"{SKOS}altLabel"}


def normalise_label(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def vocabulary_files(profile: Profile | None = None) -> list[Path]:
    """The ontology and every code list of a profile (the default's), in a stable order."""
    return (profile or default()).vocabulary_files


class CodeLists:
    def __init__(self, uris: Uris, files: list[Path] | None = None) -> None:
        self.uris = uris
        self._index: dict[str, dict[str, str]] = defaultdict(dict)   # scheme -> label -> IRI
        self._names: dict[str, list[str]] = defaultdict(list)       # scheme -> notations
        prefix = uris.scheme("")
        in_scheme: dict[str, str] = {}
        labels: list[tuple[str, str, str]] = []
        for path in default().files("concepts") if files is None else files:
            for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=uris.concepts):
                p, s, o = quad.predicate.value, quad.subject, quad.object
                if p == f"{SKOS}inScheme" and o.value.startswith(prefix):
                    in_scheme[s.value] = o.value[len(prefix):]
                elif p in LABELS and isinstance(o, ox.Literal):
                    labels.append((s.value, p, o.value))
        for concept, predicate, text in labels:
            scheme = in_scheme.get(concept)
            if scheme is None:
                continue
            self._index[scheme].setdefault(normalise_label(text), concept)
            if predicate == f"{SKOS}notation":
                self._names[scheme].append(text)

    @property
    def schemes(self) -> list[str]:
        return sorted(self._index)

    def describe(self, scheme: str) -> str:
        return ", ".join(sorted(self._names.get(scheme, []))) or "(empty or unknown code list)"

    def lookup(self, scheme: str, values: pd.Series, separator: str | None
               ) -> tuple[pd.Series, pd.Series]:
        """Concept IRIs for the values (tab-joined for lists), and a mask of unknown values."""
        index = self._index.get(scheme, {})
        if separator:
            # once per distinct cell: a list column repeats few combinations
            joined: dict[str, str | None] = {}
            unknown: list[str] = []
            for cell in values.dropna().unique():
                items = [item.strip() for item in cell.split(separator)]
                iris = [index.get(normalise_label(item)) for item in items if item]
                found = [i for i in iris if i is not None]
                joined[cell] = "\t".join(dict.fromkeys(found)) if found else None
                if len(found) < len(iris):
                    unknown.append(cell)
            return values.map(joined).astype("string"), values.isin(unknown)
        distinct = {v: index.get(normalise_label(v)) for v in values.dropna().unique()}
        iris = values.map(distinct).astype("string")
        return iris, values.notna() & iris.isna()
