"""The mapping engine: one source table + its mapping -> N-Triples and rejections.

Works on whole columns: type and check every column (``columns``), drop rows with
any fault into the rejection list, check keys and references, then write the
triples of the surviving rows, property by property, straight to a file that
Oxigraph's bulk loader reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as ReadOnlyMap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

import pandas as pd

from emis_lod.uris import Uris, decode_key

from . import ntriples as nt
from .codelists import CodeLists
from .columns import Problem, duplicate_keys, per_distinct, template_keys, type_column
from .errors import BuildError
from .mapping_spec import ABSOLUTE, ColumnSpec, LanguageFrom, Mapping, ObjectSpec, ResourceSpec, expand
from .readers import ROW, SourceTable, fault_problems

XSD = nt.XSD
# Literal datatype per mapping datatype. Counts are checked as non-negative but written
# as xsd:integer: Oxigraph stores every derived integer type as xsd:integer anyway, and
# the triples we write should be the triples the store (and its dumps) hold.
WITHHELD = "(personal data withheld)"
WRITE_BLOCK = 100_000    # rows of a table whose triples are made at a time
LEXICAL_DATATYPE = {"decimal": "decimal", "integer": "integer", "nonNegativeInteger": "integer",
                    "gYear": "gYear", "date": "date", "boolean": "boolean"}


@dataclass
class MappedTable:
    table: str
    file: str
    rows_read: int
    rows_loaded: int
    triples: int
    rejections: pd.DataFrame          # columns: Rejection.FIELDS
    accepted: pd.DataFrame            # typed values of the loaded rows (for references)
    subjects: pd.DataFrame            # subject IRI -> source row, for SHACL results
    spilled: Path | None = None       # where ``accepted`` is kept once it left memory
    subjects_file: Path | None = None   # where ``subjects`` is kept once it left memory

    def spill(self, path: Path, mapping: Mapping, keep: list[str]) -> None:
        """Write the typed columns the triples were made from to ``path`` and keep in memory
        only ``keep`` (the columns other tables refer to): a national table's columns are
        gigabytes, and after mapping only validation's column checks read them, once."""
        used = [c for c in used_columns(mapping) if c in self.accepted.columns]
        self.accepted[used].to_pickle(path)
        self.spilled = path
        self.accepted = self.accepted[[c for c in dict.fromkeys(keep) if c in self.accepted.columns]]

    def spill_subjects(self, path: Path) -> None:
        """Write the subjects to ``path`` and keep the first in memory (the build's example):
        every subject of a national release is a quarter of a gigabyte, read back only to trace
        SHACL results to their rows."""
        self.subjects.to_pickle(path)
        self.subjects_file = path
        self.subjects = self.subjects.iloc[:1].copy()

    def subject_rows(self) -> pd.DataFrame:
        """Subject IRI -> source row, for every subject (read back when spilled)."""
        return pd.read_pickle(self.subjects_file) if self.subjects_file is not None else self.subjects

    def accepted_frame(self) -> pd.DataFrame:
        """The typed columns of the loaded rows that make triples (read back when spilled)."""
        return pd.read_pickle(self.spilled) if self.spilled is not None else self.accepted


def used_columns(mapping: Mapping) -> list[str]:
    """The columns a mapping's triples are made from: ids, objects, languages, conditions."""
    names: list[str] = list(mapping.key)
    for res in mapping.resources:
        names += template_keys(res.id) + list(res.when_any_positive)
        names += [column for column, _ in res.when_equals]
        for _, obj in res.properties:
            names += [obj.column] if obj.column else []
            names += template_keys(obj.id or "") + template_keys(obj.value or "")
            names += [obj.lang.column] if isinstance(obj.lang, LanguageFrom) else []
    return list(dict.fromkeys(names))


def _notation(iris: pd.Series) -> pd.Series:
    """A concept IRI ({base}def/concept/{scheme}/{code}) -> its code."""
    codes = iris.str.rsplit("/", n=1).str[-1]
    encoded = codes.str.contains("%", regex=False, na=False)
    if encoded.any():
        codes = codes.copy()
        codes[encoded] = codes[encoded].map(decode_key)
    return codes


class _TemplateValues(dict):
    """Column values for templates, turning a coded column into notations only when used."""

    def __init__(self, lexical: dict[str, pd.Series], concepts: set[str]) -> None:
        super().__init__()
        self.lexical, self.concepts = lexical, concepts

    def __missing__(self, name: str) -> pd.Series:
        value = _notation(self.lexical[name]) if name in self.concepts else self.lexical[name]
        self[name] = value
        return value


def _template(template: str, values: ReadOnlyMap[str, pd.Series], index: pd.Index,
              encode: bool) -> pd.Series:
    """Fill a "{column}" template for every row; NA where any used column is NA."""
    parts = re.split(r"\{(\w+)\}", template)
    out = pd.Series(parts[0], index=index, dtype="string")
    for i, part in enumerate(parts[1:]):
        if i % 2 == 0:
            col = values[part]
            out = out + (nt.path_segment(col) if encode else col.astype("string"))
        else:
            out = out + part
    return out


class _LineCounter:
    """Writes N-Triples text straight to a file and counts its lines."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.lines = out, 0

    def append(self, text: str) -> None:
        self.lines += text.count("\n")
        self.out.write(text)


class TableMapper:
    def __init__(self, mapping: Mapping, uris: Uris, codes: CodeLists, prefixes: dict[str, str],
                 today: date | None = None, secret: bytes = b"") -> None:
        self.m = mapping
        self.secret = secret
        self.concepts = {c.name for c in mapping.columns if c.concept}
        self.uris = uris
        self.codes = codes
        self.prefixes = prefixes
        self.today = today or date.today()

    # ------------------------------------------------------------------ checking
    def check(self, source: SourceTable, accepted: dict[str, pd.DataFrame]
              ) -> tuple[dict[str, pd.Series], dict[str, pd.Series], list[Problem]]:
        frame = source.frame
        lexical: dict[str, pd.Series] = {}
        numbers: dict[str, pd.Series] = {}
        problems: list[Problem] = []
        blank = (frame.apply(lambda c: per_distinct(c, lambda x: x.str.strip())) == "").all(axis=1)
        problems.append(Problem("(row)", "empty-row", blank,
                                "the row is empty (every cell blank); delete the row"))
        read_faults = fault_problems(source)
        # An empty row, or one the reader could not line up with the header, has its own
        # reason; what its missing or misplaced cells would also break is noise.
        misread = blank.copy()
        for p in read_faults:
            if p.column == ROW:
                misread |= p.mask
        for spec in self.m.columns:
            lex, num, probs = type_column(spec, frame[spec.name], self.codes, self.today, self.secret)
            lexical[spec.name] = lex
            if num is not None:
                numbers[spec.name] = num
            for p in probs:
                p.mask = p.mask & ~misread
            problems += [p for p in probs if p.mask.any()]
        problems += read_faults
        pending = list(self.m.computed)
        while pending:   # computed columns may sum other computed columns: any order works
            ready = [c for c in pending if all(s in numbers for s in c.sum)]
            if not ready:
                raise BuildError(f"{self.m.path}: computed columns "
                                 f"{', '.join(c.name for c in pending)} sum each other in a cycle "
                                 f"or sum a column that is not numeric")
            for comp in ready:
                total = sum(numbers[c].fillna(0) for c in comp.sum)
                numbers[comp.name] = total
                lexical[comp.name] = total.astype("Int64").astype("string")
                pending.remove(comp)
        alive = ~pd.concat([p.mask for p in problems], axis=1).any(axis=1) if problems \
            else pd.Series(True, index=frame.index)
        for p in duplicate_keys(pd.DataFrame(lexical), self.m, alive):
            problems.append(p)
            alive &= ~p.mask
        for spec in self.m.columns:
            if spec.references:
                broken = self._reference(spec, lexical, accepted, alive)
                if broken is not None:
                    problems.append(broken)
                    alive &= ~broken.mask
        return lexical, numbers, problems

    def _reference(self, spec: ColumnSpec, lexical: dict[str, pd.Series],
                   accepted: dict[str, pd.DataFrame], alive: pd.Series) -> Problem | None:
        ref = spec.references
        assert ref is not None
        theirs = accepted.get(ref.table)
        if theirs is None:
            raise BuildError(f"{self.m.path}: column '{spec.name}' references table '{ref.table}', "
                             f"which was not loaded before it")
        ours_cols = [spec.name] + [ours for ours, _ in ref.with_]
        their_cols = [ref.column] + [t for _, t in ref.with_]
        ours = pd.DataFrame({c: lexical[c] for c in ours_cols})
        check = alive & ours[spec.name].notna()
        if len(ours_cols) == 1:
            found = ours.loc[check, spec.name].isin(theirs[ref.column])
        else:   # composite reference: compare whole tuples, vectorised
            known = pd.MultiIndex.from_frame(theirs[their_cols].astype(str))
            mine = pd.MultiIndex.from_frame(ours.loc[check, ours_cols].astype(str))
            found = pd.Series(mine.isin(known), index=ours.index[check])
        bad = pd.Series(False, index=alive.index)
        bad[found.index[~found.to_numpy(dtype=bool)]] = True
        if not bad.any():
            return None
        link = " and ".join(f"{o}" for o in ours_cols[1:])
        if ref.with_:
            reason = (f"'{{value}}' is not a known {ref.column} of table '{ref.table}' "
                      f"together with this row's {link}")
        else:
            reason = f"'{{value}}' is not a known {ref.column} of table '{ref.table}'"
        return Problem(spec.name, "reference", bad, reason + "; load or fix the referenced row")

    # ------------------------------------------------------------------ rejections
    def rejections(self, source: SourceTable, problems: list[Problem]) -> pd.DataFrame:
        frames = []
        for p in problems:
            rows = p.mask[p.mask].index
            if not len(rows):
                continue
            spec = next((c for c in self.m.columns if c.name == p.column), None)
            if spec is not None and spec.personal:
                values = pd.Series(WITHHELD, index=rows, dtype="string")
            elif p.values is not None:
                values = p.values.loc[rows].astype("string").fillna("")
            elif p.column in source.frame.columns:
                values = source.frame.loc[rows, p.column].astype("string").fillna("")
            else:
                values = pd.Series("", index=rows, dtype="string")
            if isinstance(p.reason, pd.Series):
                reasons = p.reason.loc[rows].astype("string")
            else:
                before, _, after = p.reason.partition("{value}")
                reasons = (before + values.str.strip() + after) if "{value}" in p.reason \
                    else pd.Series(p.reason, index=rows, dtype="string")
            frames.append(pd.DataFrame({
                "table": self.m.table, "file": source.file, "row": rows, "column": p.column,
                "value": values.to_numpy(), "rule": p.rule, "reason": reasons.to_numpy()}))
        if not frames:
            return pd.DataFrame(columns=["table", "file", "row", "column", "value", "rule", "reason"])
        return pd.concat(frames, ignore_index=True).sort_values(["row", "column"], kind="stable")

    # ------------------------------------------------------------------ triples
    def _keys(self, lexical: dict[str, pd.Series]) -> _TemplateValues:
        """Values for templates: a coded column gives its concept's notation, not its IRI."""
        return _TemplateValues(lexical, self.concepts)

    def _object(self, obj: ObjectSpec, lexical: dict[str, pd.Series], index: pd.Index,
                where: str) -> pd.Series:
        if obj.id is not None:
            # an absolute template (https://www.wikidata.org/...) links outside; else an /id/ IRI
            start = "" if ABSOLUTE.match(obj.id) else self.uris.base + "id/"
            return nt.iri(start + _template(obj.id, self._keys(lexical), index, encode=True))
        if obj.value is not None:
            text = _template(obj.value, self._keys(lexical), index, encode=False)
            dt = self._datatype(obj.datatype, where) if obj.datatype else None
            return nt.literal(text, dt, self._language(obj, lexical, index))
        assert obj.column is not None
        values = lexical[obj.column].loc[index]
        spec = next((c for c in self.m.columns if c.name == obj.column), None)
        if spec is not None and spec.concept:
            return nt.iri(values)
        datatype = obj.datatype or (spec.datatype if spec else "integer")
        if datatype == "string":
            return nt.literal(values, None, self._language(obj, lexical, index))
        return nt.literal(values, self._datatype(datatype, where))

    def _language(self, obj: ObjectSpec, lexical: dict[str, pd.Series],
                  index: pd.Index) -> str | pd.Series | None:
        """A literal's language tag: fixed, or per row from another column (a coded column
        gives its concept's notation, ``ky``; see :class:`LanguageFrom`)."""
        if not isinstance(obj.lang, LanguageFrom):
            return obj.lang
        codes = self._keys(lexical)[obj.lang.column].loc[index]
        return nt.language_tags(codes, obj.lang.default)

    def _datatype(self, name: str, where: str) -> str:
        """A mapping datatype ("decimal", "xsd:gYear", "<iri>") as an IRI."""
        if ":" in name:
            return expand(name, self.prefixes, where)
        return XSD + LEXICAL_DATATYPE.get(name, name)

    def write(self, out: TextIO, lexical: dict[str, pd.Series], numbers: dict[str, pd.Series],
              alive: pd.Series) -> tuple[int, pd.DataFrame]:
        triples = 0
        subjects: list[pd.DataFrame] = []
        for res in self.m.resources:
            where = f"{self.m.path}: resource {res.id}"
            rows = alive.copy()
            if res.when_any_positive:
                rows &= pd.concat([numbers[c].fillna(0) > 0 for c in res.when_any_positive],
                                  axis=1).any(axis=1)
            for column, value in res.when_equals:
                rows &= self._keys(lexical)[column].eq(value).fillna(False).astype(bool)
            index = rows[rows].index
            # in blocks of rows: a national table's columns of N-Triples terms would otherwise
            # be in memory all at once (the lines go to the file as soon as they are made)
            for first in range(0, len(index), WRITE_BLOCK):
                triples += self._write_rows(out, res, where, lexical, index[first:first + WRITE_BLOCK],
                                            subjects)
        subject_rows = pd.concat(subjects, ignore_index=True) if subjects else \
            pd.DataFrame({"subject": pd.Series([], dtype="string"), "row": []})
        return triples, subject_rows


    def _write_rows(self, out: TextIO, res: ResourceSpec, where: str, lexical: dict[str, pd.Series],
                    index: pd.Index, subjects: list[pd.DataFrame]) -> int:
        """The triples of one resource block for these rows; how many lines were written."""
        local = {k: v.loc[index] for k, v in lexical.items()}
        subject = nt.iri(self.uris.base + "id/" + _template(res.id, self._keys(local), index,
                                                            encode=True))
        subjects.append(pd.DataFrame({"subject": subject.str[1:-1].array, "row": index}))
        written = _LineCounter(out)
        if res.class_:
            written.append(nt.triples(subject, nt.RDF_TYPE[1:-1], pd.Series(
                f"<{expand(res.class_, self.prefixes, where)}>", index=index)))
        for predicate, obj in res.properties:
            pred = expand(predicate, self.prefixes, where)
            spec = next((c for c in self.m.columns if c.name == obj.column), None)
            if spec is not None and spec.separator:   # a list cell: one triple per item
                exploded = local[spec.name].str.split("\t").explode()
                exploded = exploded[exploded.notna() & (exploded != "")]
                objects = nt.iri(exploded) if spec.concept else nt.literal(
                    exploded, None, self._language(obj, local, index))
                written.append(nt.triples(subject.reindex(exploded.index), pred, objects))
            else:
                objects = self._object(obj, local, index, where)
                written.append(nt.triples(subject, pred, objects))
            if obj.inverse:
                written.append(nt.triples(objects, expand(obj.inverse, self.prefixes, where),
                                          subject.reindex(objects.index)))
        return written.lines


def map_table(mapping: Mapping, source: SourceTable, uris: Uris, codes: CodeLists,
              prefixes: dict[str, str], accepted: dict[str, pd.DataFrame], out_path: Path,
              today: date | None = None, secret: bytes = b"") -> MappedTable:
    """Check and map one table; write its N-Triples to ``out_path``."""
    mapper = TableMapper(mapping, uris, codes, prefixes, today, secret)
    lexical, numbers, problems = mapper.check(source, accepted)
    index = source.frame.index
    faulty = pd.concat([p.mask for p in problems], axis=1).any(axis=1) if problems \
        else pd.Series(False, index=index)
    alive = ~faulty
    rejections = mapper.rejections(source, problems)
    with open(out_path, "w", encoding="utf-8") as out:
        triples, subjects = mapper.write(out, lexical, numbers, alive)
    accepted_frame = pd.DataFrame({k: v[alive] for k, v in lexical.items()})
    return MappedTable(mapping.table, source.file, len(index), int(alive.sum()), triples,
                       rejections, accepted_frame, subjects)
