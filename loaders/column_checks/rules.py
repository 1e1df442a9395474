"""The rules by which the column checks decide a compiled constraint: one per family of
constraints (value constraints run as their own query on the distinct values, ``sh:class``,
counts, ``sh:hasValue`` along a path, ``sh:closed``), each giving a :class:`Decision` or nothing."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH
from rdflib.term import Node

from emis_lod.profiles import Profile
from emis_lod.uris import Uris

from ..mapper import MappedTable
from ..mapping_spec import Mapping
from .model import _Focus, _Model, _Producer
from .shapes import (
    _CLASS_PATTERN,
    _CLOCK,
    _CLOSED,
    _HAS_VALUE,
    _PREFIX,
    _SUBJECTS_PATTERN,
    _TYPE_PATTERN,
    _VALUE_BODY,
    _VALUE_SELECT,
    _int_param,
    _label,
    _one_expression,
    _path,
    _targets,
)
from .templates import _overlap, _template_regex
from .vocabulary import _XSD, RDF_TYPE, _distinct_key, _node_of

SHACL = str(SH)
_SCRATCH_GRAPH = ox.NamedNode("urn:emis-lod:column-checks")

# Components whose query looks at each value node alone (loaders.shacl.patterns.value_build).
VALUE_COMPONENTS = {f"{SHACL}{c}ConstraintComponent" for c in (
    "Datatype", "NodeKind", "MinExclusive", "MinInclusive", "MaxExclusive", "MaxInclusive",
    "MinLength", "MaxLength", "Pattern", "LanguageIn", "In")}


@dataclass(frozen=True)
class Decision:
    """Why a constraint cannot be violated in the loaded store."""

    reason: str
    stable: bool = True   # still true after rows are removed (later validation rounds)


class _Checker(_Model):
    """The model of the loaded store, and the decision for each compiled constraint of the shapes."""

    def __init__(self, shapes: rdflib.Graph, mappings: list[Mapping], mapped: dict[str, MappedTable],
                 uris: Uris, profile: Profile | None = None) -> None:
        super().__init__(mappings, mapped, uris, profile)
        self.g = shapes
        self.labels = {_label(s): s for s in set(shapes.subjects())}
        self.targets = _targets(shapes)

    def run(self, compiled: list) -> dict:
        decided: dict = {}
        if self.opaque or not self.consistent():
            return decided
        pending: list[tuple[object, tuple[frozenset[str], str]]] = []
        groups: dict[tuple[frozenset[str], str], set[str]] = defaultdict(set)
        # The constraints of one focus (a class, usually one table) one after the other; what
        # was worked out for a focus is forgotten before the next: at national scale the
        # columns, subjects and value pairs of every table would not fit in memory together.
        work = []
        for cc in compiled:
            node = self.labels.get(cc.shape)
            targets = self.targets.get(node) if node is not None else None
            if node is not None and targets:
                work.append((cc, node, self.focus(targets)))
        work.sort(key=lambda w: sorted(w[2].classes | w[2].subjects_of))
        last = None
        for cc, node, focus in work:
            if last is not None and (focus.classes, focus.subjects_of) != last:
                self._forget()
            last = (focus.classes, focus.subjects_of)
            if not self._same_focus(cc, focus):
                continue
            if self.empty(focus):
                decided[cc] = Decision("no focus node in the loaded data")
                continue
            result = self._decide(cc, node, focus)
            if isinstance(result, Decision):
                decided[cc] = result
            elif isinstance(result, tuple):      # values to check on the scratch store
                group, terms = result
                groups[group] |= terms
                pending.append((cc, group))
        if pending:
            decided.update(self._scratch(pending, groups))
        return decided

    def _same_focus(self, cc: object, focus: _Focus) -> bool:
        """The compiled query's focus nodes are those the model assumes (or it decides nothing)."""
        text = cc.sparql  # type: ignore[attr-defined]
        if "VALUES ?this" in text or re.search(r"\[\] <[^>]+> \?this \.", text):
            return False
        return set(_TYPE_PATTERN.findall(text)) == focus.classes and \
            set(_SUBJECTS_PATTERN.findall(text)) == focus.subjects_of

    def _decide(self, cc: object, node: Node, focus: _Focus) -> Decision | tuple | None:
        component = cc.component  # type: ignore[attr-defined]
        if cc.kind == "sparql":  # type: ignore[attr-defined]
            return self._sparql_values(cc, focus)
        path = _path(self.g, node)
        if path is None:
            return None
        if path == ():
            return self._closed(cc, focus) if component == f"{SHACL}ClosedConstraintComponent" else None
        if len(path) > 1:
            if component == f"{SHACL}MinCountConstraintComponent" \
                    and _int_param(self.g, node, SH.minCount) == 1:
                return self._chain(focus, path, None)
            if component == f"{SHACL}HasValueConstraintComponent" and len(path) == 2:
                m = _HAS_VALUE.search(cc.sparql)  # type: ignore[attr-defined]
                if m and m.group(1) == "(" + "/".join(f"<{x}>" for x in path) + ")":
                    return self._chain(focus, path, m.group(2))
            return None
        p = path[0]
        if component in VALUE_COMPONENTS:
            return self._values(focus, p)
        if component == f"{SHACL}ClassConstraintComponent":
            m = _CLASS_PATTERN.search(cc.sparql)  # type: ignore[attr-defined]
            return self._class(focus, p, m.group(1)) if m else None
        if component == f"{SHACL}MinCountConstraintComponent":
            n = _int_param(self.g, node, SH.minCount)
            return self._min_count(focus, p, n) if n is not None else None
        if component == f"{SHACL}MaxCountConstraintComponent":
            n = _int_param(self.g, node, SH.maxCount)
            return self._max_count(focus, p, n) if n is not None else None
        if component == f"{SHACL}UniqueLangConstraintComponent":
            return self._unique_lang(focus, p)
        if component == f"{SHACL}HasValueConstraintComponent":
            m = _HAS_VALUE.search(cc.sparql)  # type: ignore[attr-defined]
            if m and m.group(1) == f"<{p}>":
                return self._chain(focus, (p,), m.group(2))
        return None

    # value constraints: the constraint's own query on the distinct values

    def _values(self, focus: _Focus, p: str) -> tuple | None:
        if focus.subjects_of:
            return None      # the stand-in focus node is made by its classes
        prods, vocab = self.concerned(focus, p)
        terms: set[str] = set()
        for prod in prods:
            terms |= self.values(prod)
        terms |= {o for _, o in vocab}
        return (focus.classes, p), terms

    def _sparql_values(self, cc: object, focus: _Focus) -> tuple | None:
        """A SHACL-SPARQL constraint of the form ``SELECT $this ?value WHERE { $this p ?value .
        FILTER(...) }`` whose filter reads ?value alone is a value constraint too."""
        text = cc.sparql  # type: ignore[attr-defined]
        declared = {p or "": ns for p, ns in _PREFIX.findall(text)}
        # compiled: the select up to its WHERE brace, the focus nodes' pattern on the same
        # line, then the rest of the select on the next lines
        head, newline, rest = _PREFIX.sub("", text).lstrip().partition("\n")
        start = head.find("{")
        if not newline or start < 0 or not _VALUE_SELECT.match(head[:start + 1]):
            return None
        m = _VALUE_BODY.fullmatch(rest)
        if m is None:
            return None
        token, condition = m.groups()
        if set(re.findall(r"[?$](\w+)", condition)) != {"value"} or not _one_expression(condition) \
                or re.search(r"[{}]|\bEXISTS\b|\b(RAND|UUID|STRUUID|BNODE)\s*\(", condition, re.IGNORECASE):
            return None
        if "NOW" in condition.upper():
            left, _, right = condition.partition(">")
            if left.strip() != "?value" or "".join(right.split()).lstrip("=") not in _CLOCK \
                    or declared.get("xsd", _XSD) != _XSD:
                return None
        if token.startswith("<") and token.endswith(">"):
            predicate = token[1:-1]
        else:
            prefix, colon, local = token.partition(":")
            if not colon or prefix not in declared or not re.fullmatch(r"[\w.-]*", local):
                return None
            predicate = declared[prefix] + local
        return self._values(focus, predicate)

    def _scratch(self, pending: list, groups: dict[tuple[frozenset[str], str], set[str]]) -> dict:
        """Runs the pending constraints' own queries on a store holding, per (classes,
        predicate), one stand-in focus node with every value the concerned producers wrote."""
        lines = []
        for i, ((classes, predicate), terms) in enumerate(groups.items()):
            focus = f"<urn:emis-lod:column-checks:focus:{i}>"
            lines += [f"{focus} <{RDF_TYPE}> <{c}> .\n" for c in sorted(classes)]
            lines += [f"{focus} <{predicate}> {t} .\n" for t in sorted(terms)]
        store = ox.Store()
        store.bulk_load(input="".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=_SCRATCH_GRAPH)
        decided = {}
        for cc, _group in pending:
            solutions = store.query(cc.sparql, use_default_graph_as_union=True)
            assert isinstance(solutions, ox.QuerySolutions)   # every compiled query is a SELECT
            if next(iter(solutions), None) is None:
                decided[cc] = Decision("every value the columns wrote passes the constraint's query")
        return decided

    # value types, counts, closed shapes

    def _class(self, focus: _Focus, p: str, cls: str) -> Decision | None:
        prods, vocab = self.concerned(focus, p)
        instances = self.instances(cls)
        for prod in prods:
            if prod.kind == "literal" and not prod.inverse:
                return None
            nodes = {_node_of(t) for t in self.values(prod)}
            if None in nodes or not nodes <= instances:
                return None
        if any(_node_of(o) not in instances for _, o in vocab):
            return None
        return Decision(f"every value is an instance of <{cls}>",
                        stable=not any(c.startswith(self.id_base) for c in self.vocab.subclasses(cls)))

    def _min_count(self, focus: _Focus, p: str, n: int) -> Decision | None:
        if focus.via or n < 1:
            return None if focus.via else Decision("sh:minCount 0")
        stable = True
        for v in focus.vocab:
            objects = self.vocab.out.get((v, p), [])
            if len({_distinct_key(o) for o in objects}) < n:
                return None
            stable &= not any(o.startswith("<" + self.id_base) for o in objects)
        for res in focus.resources:
            own = [q for q in self.by_pred.get(p, []) if q.res is res and not q.inverse]
            need = self.rows(res)
            if not len(need):
                continue
            if n == 1:
                got = pd.Index([]).append([self.has_value(q) for q in own]) if own else pd.Index([])
                if not need.isin(got).all():
                    return None
            else:
                frames = [self.pairs(q)["o"].map(_distinct_key) for q in own]
                if not frames:
                    return None
                keys = pd.concat(frames)
                counts = keys.groupby(level=0).nunique().reindex(need, fill_value=0)
                if (counts < n).any():
                    return None
            stable &= not any(q.kind == "id" and (q.target or "").startswith(self.id_base) for q in own)
        return Decision(f"every row that makes a focus node writes {n} value(s)", stable=stable)

    def _max_count(self, focus: _Focus, p: str, n: int) -> Decision | None:
        prods, vocab = self.concerned(focus, p)
        if not prods and not vocab:
            return Decision("no producer writes the predicate about a focus node")
        if n >= 1 and not vocab and self._one_value_per_subject(prods):
            return Decision("one producer per subject, one value per row, one row per subject")
        counts = self._per_subject(focus, prods, vocab).groupby("s")["o"].nunique()
        if counts.empty or counts.max() <= n:
            return Decision("counted on the columns")
        return None

    def _one_value_per_subject(self, prods: list[_Producer]) -> bool:
        for i, a in enumerate(prods):
            if a.multi or a.inverse or a.subject is None:
                return False
            if any(_overlap(a.subject, b.subject) for b in prods[i + 1:]):
                return False
            if not self.unique_subjects(a.res):
                return False
        return True

    def _per_subject(self, focus: _Focus, prods: list[_Producer],
                     vocab: list[tuple[str, str]]) -> pd.DataFrame:
        """The concerned triples about focus nodes, as distinct (s, o)."""
        frames = [self.pairs(q)[["s", "o"]] for q in prods]
        if vocab:
            frames.append(pd.DataFrame(vocab, columns=["s", "o"]))
        if not frames:
            return pd.DataFrame({"s": [], "o": []})
        frame = pd.concat(frames, ignore_index=True)
        frame = frame[frame["s"].isin(self.nodes(focus))]
        return frame.drop_duplicates()

    def _unique_lang(self, focus: _Focus, p: str) -> Decision | None:
        prods, vocab = self.concerned(focus, p)
        frame = self._per_subject(focus, prods, vocab)
        lang = frame["o"].astype("string").str.extract(r'^".*"@([A-Za-z0-9-]+)$', expand=False).str.lower()
        tagged = frame.assign(lang=lang).dropna(subset=["lang"])
        if tagged.empty or tagged.groupby(["s", "lang"])["o"].nunique().max() <= 1:
            return Decision("at most one value per language tag, counted on the columns")
        return None

    def _chain(self, focus: _Focus, path: tuple[str, ...], value: str | None) -> Decision | None:
        """sh:minCount 1 (value None) or sh:hasValue along ``p`` or ``( p q )`` where ``q``
        comes from the vocabulary: every focus node has such a value."""
        if focus.via:
            return None
        first, rest = path[0], path[1:]
        if rest:
            ends = {s for s, o in self.vocab.by_pred.get(rest[0], [])
                    if (value is None or o == f"<{value}>") and not s.startswith(self.id_base)
                    and not (_node_of(o) or "").startswith(self.id_base)}
            good = {f"<{s}>" for s in ends if not s.startswith("_:")}
        else:
            if value is None:
                return None
            good = {f"<{value}>"}
        if value is not None and value.startswith(self.id_base):
            return None
        for v in focus.vocab:
            if not any(o in good for o in self.vocab.out.get((v, first), [])):
                return None
        for res in focus.resources:
            need = self.rows(res)
            if not len(need):
                continue
            own = [q for q in self.by_pred.get(first, []) if q.res is res and not q.inverse]
            if not own:
                return None
            hits = pd.concat([self.pairs(q)["o"] for q in own])
            ok = hits[hits.isin(good)].index.unique()
            if not need.isin(ok).all():
                return None
        what = "has the value" if value else "has a value along the path"
        return Decision(f"every row that makes a focus node {what}")

    def _closed(self, cc: object, focus: _Focus) -> Decision | None:
        m = _CLOSED.search(cc.sparql)  # type: ignore[attr-defined]
        if m is None:
            return None
        allowed = set(re.findall(r"<([^>]+)>", m.group(1)))
        used: set[str] = set()
        for res in self.resources:
            if any(_overlap(res.template, t) for t in focus.templates) and res.cls is not None:
                used.add(RDF_TYPE)
        for prod in self.producers:
            if any(_overlap(prod.subject, t) for t in focus.templates) or \
                    (focus.vocab and self._matches_vocab(prod.subject) & focus.vocab):
                used.add(prod.predicate)
        regexes = [None if t is None else _template_regex(t) for t in focus.templates]
        for predicate, pairs in self.vocab.by_pred.items():
            if any(s in focus.vocab or any(r is None or r.fullmatch(s) for r in regexes) for s, _ in pairs):
                used.add(predicate)
        if used <= allowed:
            return Decision("no producer writes another predicate about a focus node")
        return None
