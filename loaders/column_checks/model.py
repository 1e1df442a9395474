"""What the store holds after the load, as the column checks model it from the mappings and the
loaded rows: the producers of triples (one property of one resource block), the rows and subjects
each block makes, the objects each producer writes, and the focus nodes of a shape's targets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from emis_lod.namespaces import prefixes
from emis_lod.profiles import Profile
from emis_lod.uris import Uris

from .. import ntriples as nt
from ..mapper import MappedTable, TableMapper, _template
from ..mapping_spec import ABSOLUTE, LanguageFrom, Mapping, ObjectSpec, ResourceSpec, expand
from ..memory import return_free_pages
from .templates import _overlap, _placeholders, _template_regex
from .vocabulary import RDF_TYPE, SUBCLASS, _Vocabulary


@dataclass(eq=False)
class _Resource:
    mapping: Mapping
    spec: ResourceSpec
    template: str          # subject IRI template
    cls: str | None


@dataclass(eq=False)
class _Producer:
    """One way the mapping writes triples of ``predicate``."""

    res: _Resource
    predicate: str
    obj: ObjectSpec
    inverse: bool          # the triple is (object, inverse, subject)
    subject: str | None    # subject IRI template; None: cannot tell (matches any IRI)
    kind: str              # object: "id" (a link), "concept" or "literal"
    target: str | None     # the link's IRI template (kind "id")
    multi: bool            # a list cell: several values per row
    deps: tuple[str, ...]  # the columns the object is made from


@dataclass
class _Focus:
    classes: frozenset[str]
    subjects_of: frozenset[str]
    resources: list[_Resource]          # blocks whose subjects are instances
    via: list[_Producer]                # producers of the subjectsOf predicates
    vocab: set[str]                     # vocabulary nodes in focus
    templates: list[str | None] = field(default_factory=list)


class _Model:
    """The triples the mapper wrote for the loaded rows, per producer, and the vocabulary's."""

    def __init__(self, mappings: list[Mapping], mapped: dict[str, MappedTable], uris: Uris,
                 profile: Profile | None = None) -> None:
        self.mappings, self.mapped, self.uris = mappings, mapped, uris
        self.id_base = uris.base + "id/"
        self.prefixes = prefixes(uris)
        self.vocab = _Vocabulary(uris, profile)
        self.resources: list[_Resource] = []
        self.producers: list[_Producer] = []
        self.opaque = False      # a mapping writes rdf:type or rdfs:subClassOf itself
        self.mappers = {m.table: TableMapper(m, uris, None, self.prefixes) for m in mappings}  # type: ignore[arg-type]
        for m in mappings:
            for spec in m.resources:
                self._add(m, spec)
        self.by_pred: dict[str, list[_Producer]] = defaultdict(list)
        for p in self.producers:
            self.by_pred[p.predicate].append(p)
            self.opaque |= p.predicate in (RDF_TYPE, SUBCLASS)
        self._cache: dict[tuple, object] = {}
        self._lexical: dict[str, dict[str, pd.Series]] = {}
        self._rows: dict[str, pd.Index] = {}

    def _add(self, m: Mapping, spec: ResourceSpec) -> None:
        where = f"{m.path}: resource {spec.id}"
        cls = expand(spec.class_, self.prefixes, where) if spec.class_ else None
        res = _Resource(m, spec, self.id_base + spec.id, cls)
        self.resources.append(res)
        columns = {c.name: c for c in m.columns}
        for predicate, obj in spec.properties:
            pred = expand(predicate, self.prefixes, where)
            col = columns.get(obj.column) if obj.column else None
            target = None
            if obj.id is not None:
                kind = "id"
                target = obj.id if ABSOLUTE.match(obj.id) else self.id_base + obj.id
            elif col is not None and col.concept:
                kind = "concept"
            else:
                kind = "literal"
            deps = ([obj.column] if obj.column else []) + _placeholders(obj.id) + _placeholders(obj.value)
            if isinstance(obj.lang, LanguageFrom):
                deps.append(obj.lang.column)
            multi = bool(col is not None and col.separator)
            self.producers.append(_Producer(res, pred, obj, False, res.template, kind, target, multi,
                                            tuple(dict.fromkeys(deps))))
            if obj.inverse:
                inv = expand(obj.inverse, self.prefixes, where)
                self.producers.append(_Producer(res, inv, obj, True, target, "id", res.template, multi,
                                                tuple(dict.fromkeys(deps))))

    # ---- the loaded rows

    def lexical(self, table: str) -> dict[str, pd.Series]:
        if table not in self._lexical:
            t = self.mapped.get(table)
            frame = t.accepted_frame() if t is not None else pd.DataFrame()
            self._lexical[table] = {c: frame[c] for c in frame.columns}
            self._rows[table] = frame.index
        return self._lexical[table]

    def _cached(self, key: tuple, make):  # noqa: ANN001, ANN202 - a small memo
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def selected(self, res: _Resource) -> pd.Index:
        """The rows the block is written for (as mapper.TableMapper.write selects them)."""
        def make() -> pd.Index:
            table = res.mapping.table
            if table not in self.mapped:
                return pd.Index([])
            lexical = self.lexical(table)
            index = self._rows[table]
            rows = pd.Series(True, index=index)
            if res.spec.when_any_positive:
                rows &= pd.concat([pd.to_numeric(lexical[c], errors="coerce").fillna(0) > 0
                                   for c in res.spec.when_any_positive], axis=1).any(axis=1)
            keys = self.mappers[table]._keys(lexical)
            for column, value in res.spec.when_equals:
                rows &= keys[column].eq(value).fillna(False).astype(bool)
            return rows[rows].index
        return self._cached(("selected", id(res)), make)

    def rows(self, res: _Resource) -> pd.Index:
        """The rows the block makes a subject from: selected, with every key of the subject."""
        def make() -> pd.Index:
            made = self.selected(res)
            if not len(made):
                return made
            lexical = self.lexical(res.mapping.table)
            present = pd.Series(True, index=made)
            for c in _placeholders(res.spec.id):
                present &= _restrict(lexical[c], made).notna()
            return made[present.to_numpy(dtype=bool)]
        return self._cached(("rows", id(res)), make)

    def subjects(self, res: _Resource) -> pd.Series:
        """Subject IRIs of the block, per row (from rows()): the mapper's own list when it lines
        up with the block's rows, else made again from the template."""
        def make() -> pd.Series:
            index = self.rows(res)
            if not len(index):
                return pd.Series([], dtype="string")
            written = self._written_subjects(res.mapping).get(id(res))
            if written is not None:
                return written.loc[index]
            local = self._local(res, index)
            return self.id_base + _template(res.spec.id, self.mappers[res.mapping.table]._keys(local), index,
                                            encode=True)
        return self._cached(("subjects", id(res)), make)

    def _written_subjects(self, mapping: Mapping) -> dict[int, pd.Series]:
        """MappedTable.subjects split into the blocks that wrote them (block by block, in the
        mapping's order, one entry per selected row); {} when it does not line up."""
        def make() -> dict[int, pd.Series]:
            table = self.mapped.get(mapping.table)
            if table is None:
                return {}
            frame, start, out = table.subjects, 0, {}
            for res in (r for r in self.resources if r.mapping is mapping):
                made = self.selected(res)
                if not len(made):
                    continue
                block = frame.iloc[start:start + len(made)]
                start += len(made)
                if len(block) != len(made) or not (block["row"].to_numpy() == made.to_numpy()).all():
                    return {}
                out[id(res)] = pd.Series(block["subject"].to_numpy(), index=made, dtype="string")
            return out if start == len(frame) else {}
        return self._cached(("written", id(mapping)), make)

    def unique_subjects(self, res: _Resource) -> bool:
        return self._cached(("unique", id(res)), lambda: not self.subjects(res).duplicated().any())

    def _local(self, res: _Resource, index: pd.Index) -> dict[str, pd.Series]:
        lexical = self.lexical(res.mapping.table)
        return _Local(lexical, index)

    def _objects(self, prod: _Producer, index: pd.Index) -> pd.Series:
        """N-Triples objects of the producer's triples for these rows, as the mapper writes
        them (a list cell gives one entry per item, under its row); NA dropped."""
        if not len(index):
            return pd.Series([], dtype="string")
        mapper = self.mappers[prod.res.mapping.table]
        local = self._local(prod.res, index)
        if prod.multi:
            column = prod.obj.column
            assert column is not None
            spec = prod.res.mapping.column(column)
            exploded = local[column].str.split("\t").explode()
            exploded = exploded[exploded.notna() & (exploded != "")]
            objects = nt.iri(exploded) if spec.concept else nt.literal(
                exploded, None, mapper._language(prod.obj, local, index))
        else:
            objects = mapper._object(prod.obj, local, index, f"{prod.res.mapping.path}: {prod.predicate}")
        return objects.dropna()

    def pairs(self, prod: _Producer) -> pd.DataFrame:
        """The producer's triples: ``s`` (subject IRI) and ``o`` (N-Triples object), by row."""
        def make() -> pd.DataFrame:
            objects = self._objects(prod, self.rows(prod.res))
            subjects = self.subjects(prod.res).reindex(objects.index)
            frame = pd.DataFrame({"s": subjects.to_numpy(), "o": objects.to_numpy()}, index=objects.index)
            frame = frame.dropna()
            if prod.inverse:
                frame = pd.DataFrame({"s": frame["o"].str[1:-1].to_numpy(),
                                      "o": ("<" + frame["s"] + ">").to_numpy()}, index=frame.index)
            return frame
        return self._cached(("pairs", id(prod)), make)

    def values(self, prod: _Producer) -> set[str]:
        """The distinct objects the producer writes."""
        def make() -> set[str]:
            if prod.inverse:
                return set(self.pairs(prod)["o"])
            index = self.rows(prod.res)
            if not prod.deps:
                index = index[:1]       # a constant: one row says it all
            elif len(index):
                lexical = self.lexical(prod.res.mapping.table)
                if len(prod.deps) == 1:
                    index = _restrict(lexical[prod.deps[0]], index).drop_duplicates().index
                else:
                    frame = pd.DataFrame({c: _restrict(lexical[c], index) for c in prod.deps})
                    index = frame.drop_duplicates().index
            return set(self._objects(prod, index))
        return self._cached(("values", id(prod)), make)

    def has_value(self, prod: _Producer) -> pd.Index:
        """The rows for which the producer writes at least one triple."""
        index = self.rows(prod.res)
        if not len(index):
            return index
        lexical = self.lexical(prod.res.mapping.table)
        present = pd.Series(True, index=index)
        for c in prod.deps:
            if isinstance(prod.obj.lang, LanguageFrom) and c == prod.obj.lang.column:
                continue   # no language tag: a plain string, still a value
            present &= _restrict(lexical[c], index).notna()
        if prod.multi:
            cell = _restrict(lexical[prod.obj.column or ""], index).fillna("")
            present &= cell.str.replace("\t", "", regex=False) != ""
        return index[present.to_numpy(dtype=bool)]

    def written(self, mapping: Mapping) -> int:
        """How many triple lines the model says the mapper wrote for the table."""
        count = sum(len(self.rows(r)) for r in self.resources if r.mapping is mapping and r.cls)
        lexical = self.lexical(mapping.table)
        for prod in (p for p in self.producers if p.res.mapping is mapping):
            rows = self.has_value(prod)
            if prod.multi and len(rows):
                items = _restrict(lexical[prod.obj.column or ""], rows).str.split("\t").explode()
                count += int((items.notna() & (items != "")).sum())
            else:
                count += len(rows)
        return count

    def consistent(self) -> bool:
        """The model writes as many triples per table as the mapper did (else it describes
        another mapping engine, and nothing is decided)."""
        return all(self.written(m) == self.mapped[m.table].triples
                   for m in self.mappings if m.table in self.mapped)

    def instances(self, cls: str) -> set[str]:
        """Every instance of ``cls`` in the loaded store (as node keys)."""
        def make() -> set[str]:
            classes = self.vocab.subclasses(cls)
            out = {s for c in classes for s in self.vocab.types.get(c, ())}
            for res in self.resources:
                if res.cls in classes:
                    out |= set(self.subjects(res).dropna())
            return out
        return self._cached(("instances", cls), make)

    # ---- focus nodes and the producers that concern them

    def focus(self, targets: list[tuple[str, str]]) -> _Focus:
        classes = frozenset(c for kind, c in targets if kind == "class")
        subjects_of = frozenset(p for kind, p in targets if kind == "subjectsOf")
        below = set().union(*(self.vocab.subclasses(c) for c in classes)) if classes else set()
        resources = [r for r in self.resources if r.cls is not None and r.cls in below]
        via = [p for q in subjects_of for p in self.by_pred.get(q, [])]
        vocab = {s for c in below for s in self.vocab.types.get(c, ())}
        vocab |= {s for q in subjects_of for s, _ in self.vocab.by_pred.get(q, [])}
        templates: list[str | None] = [r.template for r in resources]
        templates += [p.subject for p in via]
        return _Focus(classes, subjects_of, resources, via, vocab, templates)

    def empty(self, focus: _Focus) -> bool:
        return not focus.vocab and all(not len(self.rows(r)) for r in focus.resources) \
            and all(self.pairs(p).empty for p in focus.via)

    def nodes(self, focus: _Focus) -> set[str]:
        """Every focus node (as node keys)."""
        def make() -> set[str]:
            out = set(focus.vocab)
            for r in focus.resources:
                out |= set(self.subjects(r).dropna())
            for p in focus.via:
                out |= set(self.pairs(p)["s"])
            return out
        return self._cached(("nodes", focus.classes, focus.subjects_of), make)

    def _matches_vocab(self, template: str | None) -> set[str]:
        """The vocabulary nodes a subject template can make."""
        def make() -> set[str]:
            if template is None:
                return set(self.vocab.subjects)
            regex = _template_regex(template)
            return {s for s in self.vocab.subjects if regex.fullmatch(s)}
        return self._cached(("vmatch", template), make)

    def concerned(self, focus: _Focus, predicate: str) -> tuple[list[_Producer], list[tuple[str, str]]]:
        """The producers that may write ``predicate`` about a focus node, and the vocabulary's
        triples of it about one: (subject, object) pairs."""
        prods = [p for p in self.by_pred.get(predicate, [])
                 if any(_overlap(p.subject, t) for t in focus.templates)
                 or (focus.vocab and self._matches_vocab(p.subject) & focus.vocab)]
        regexes = [None if t is None else _template_regex(t) for t in focus.templates]
        vocab = [(s, o) for s, o in self.vocab.by_pred.get(predicate, [])
                 if s in focus.vocab or any(r is None or r.fullmatch(s) for r in regexes)]
        return prods, vocab

    def _forget(self) -> None:
        """Drop what was worked out for the last focus, but the instances of classes, which
        the class constraints of every table read (the schools a finance line refers to)."""
        self._cache = {k: v for k, v in self._cache.items() if k[0] == "instances"}
        self._lexical.clear()
        self._rows.clear()
        return_free_pages()


def _restrict(column: pd.Series, index: pd.Index) -> pd.Series:
    """A column at some of its rows (``index`` is a subset of the column's index, in order)."""
    return column if len(index) == len(column) else column.loc[index]


class _Local(dict):
    """Columns of a table restricted to some rows, fetched when first used."""

    def __init__(self, lexical: dict[str, pd.Series], index: pd.Index) -> None:
        super().__init__()
        self.lexical, self.index = lexical, index

    def __missing__(self, name: str) -> pd.Series:
        value = _restrict(self.lexical[name], self.index)
        self[name] = value
        return value
