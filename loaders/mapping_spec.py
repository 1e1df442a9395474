"""Mapping files (``mappings/*.yaml``): loaded, checked against their JSON Schema, expanded.

A mapping says, for one source table, which column becomes which property, with
which datatype, language, URI pattern and code list. ``for_each`` blocks are
expanded here, so the engine only ever sees concrete columns and resources.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import BuildError

DATATYPES = ("string", "decimal", "integer", "nonNegativeInteger", "gYear", "date", "boolean")
NUMERIC = ("decimal", "integer", "nonNegativeInteger", "gYear")


@dataclass(frozen=True)
class Reference:
    table: str
    column: str
    with_: tuple[tuple[str, str], ...] = ()   # (our column, their column) that must match too


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    datatype: str = "string"
    concept: str | None = None
    separator: str | None = None
    pattern: str | None = None
    min: float | str | None = None
    max: float | str | None = None
    default: float | str | None = None
    references: Reference | None = None
    personal: bool = False        # never mapped as is, never written to a report
    pseudonymise: bool = False    # the value is replaced by its keyed pseudonym first


@dataclass(frozen=True)
class Computed:
    name: str
    sum: tuple[str, ...]


@dataclass(frozen=True)
class LanguageFrom:
    """A literal's language tag taken row by row from another column (``lang: {column: ...}``):
    its code-list notation (``ky``) or its value, when that is a well-formed BCP 47 tag; rows
    without one get ``default`` (None: a plain string)."""

    column: str
    default: str | None = None


@dataclass(frozen=True)
class ObjectSpec:
    column: str | None = None
    id: str | None = None
    value: str | None = None
    lang: str | LanguageFrom | None = None
    datatype: str | None = None
    inverse: str | None = None


@dataclass(frozen=True)
class ResourceSpec:
    id: str
    class_: str | None     # None: only adds properties to a thing another table types
    properties: tuple[tuple[str, ObjectSpec], ...]
    when_any_positive: tuple[str, ...] = ()
    when_equals: tuple[tuple[str, str], ...] = ()   # only rows whose column has this value


@dataclass(frozen=True)
class Mapping:
    table: str
    title: str
    files: tuple[str, ...]
    graph: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    resources: tuple[ResourceSpec, ...]
    computed: tuple[Computed, ...] = ()
    encoding: str = "auto"
    separator: str = "auto"
    sheet: str | int | None = None
    source_required: bool = True
    describes_people: bool = False
    path: str = ""
    references: tuple[str, ...] = field(default=())   # tables this one depends on

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_schema_cache: dict[str, Any] = {}


#: an id template that is a whole IRI (it links outside the base), not a path under ``{base}id/``
ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def expand(curie: str, prefixes: dict[str, str], where: str) -> str:
    """A mapping's CURIE (``emis:School``) or ``<IRI>`` as an IRI; ``where`` names the mapping
    key in the error when the prefix is unknown."""
    if curie.startswith("<") and curie.endswith(">"):
        return curie[1:-1]
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in prefixes:
        raise BuildError(f"{where}: unknown prefix in '{curie}' (known: {', '.join(sorted(prefixes))})")
    return prefixes[prefix] + local


def _schema() -> Any:
    if "s" not in _schema_cache:
        text = resources.files("emis_lod.mappings").joinpath("mapping.schema.json").read_text("utf-8")
        _schema_cache["s"] = json.loads(text)
    return _schema_cache["s"]


def _substitute(template: str, values: dict[str, Any]) -> str:
    """Fill only the loop variables of a template; column placeholders stay."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values
                  else m.group(0), template)


def _combinations(for_each: dict[str, list[Any]] | None) -> list[dict[str, Any]]:
    if not for_each:
        return [{}]
    names = list(for_each)
    combos = itertools.product(*(for_each[n] for n in names))
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def _object(raw: Any, loop: dict[str, Any]) -> ObjectSpec:
    if isinstance(raw, str):
        return ObjectSpec(column=_substitute(raw, loop))
    fields = {k: _substitute(v, loop) if isinstance(v, str) else v for k, v in raw.items()}
    lang = fields.get("lang")
    if isinstance(lang, dict):
        fields["lang"] = LanguageFrom(_substitute(lang["column"], loop), lang.get("default"))
    return ObjectSpec(**fields)


def parse_mapping(data: dict[str, Any], path: str = "<mapping>") -> Mapping:
    try:
        jsonschema.validate(data, _schema())
    except jsonschema.ValidationError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise BuildError(f"{path}: invalid mapping at {where}: {err.message}") from None

    columns: list[ColumnSpec] = []
    for name, spec in data["columns"].items():
        for loop in _combinations(spec.get("for_each")):
            ref = spec.get("references")
            columns.append(ColumnSpec(
                name=_substitute(name, loop),
                aliases=tuple(_substitute(a, loop) for a in spec.get("aliases", ())),
                required=spec.get("required", False),
                datatype=spec.get("datatype", "string"),
                concept=spec.get("concept"),
                separator=spec.get("separator"),
                pattern=spec.get("pattern"),
                min=spec.get("min"),
                max=spec.get("max"),
                default=spec.get("default"),
                references=Reference(ref["table"], ref["column"],
                                     tuple(ref.get("with", {}).items())) if ref else None,
                personal=spec.get("personal", False),
                pseudonymise=spec.get("pseudonymise", False),
            ))
    computed = tuple(
        Computed(name, tuple(_substitute(s, loop) for loop in _combinations(spec.get("for_each"))
                             for s in spec["sum"]))
        for name, spec in data.get("computed", {}).items())
    res: list[ResourceSpec] = []
    for spec in data["resources"]:
        for loop in _combinations(spec.get("for_each")):
            props: list[tuple[str, ObjectSpec]] = []
            for predicate, raw in spec["properties"].items():
                for item in raw if isinstance(raw, list) else [raw]:
                    props.append((predicate, _object(item, loop)))
            res.append(ResourceSpec(
                id=_substitute(spec["id"], loop), class_=spec.get("class"), properties=tuple(props),
                when_any_positive=tuple(_substitute(c, loop) for c in spec.get("when_any_positive", ())),
                when_equals=tuple((c, str(v)) for c, v in spec.get("when_equals", {}).items())))
    source = data["source"]
    mapping = Mapping(
        table=data["table"], title=data.get("title", data["table"]), files=tuple(source["files"]),
        graph=data["graph"], key=tuple(data["key"]), columns=tuple(columns), resources=tuple(res),
        computed=computed, encoding=source.get("encoding", "auto"),
        separator=source.get("separator", "auto"), sheet=source.get("sheet"),
        source_required=source.get("required", True), path=path,
        describes_people=data.get("describes_people", False),
        references=tuple(sorted({c.references.table for c in columns if c.references})))
    _check_names(mapping)
    return mapping


def _check_names(m: Mapping) -> None:
    """Every column a resource or key uses must be declared (a typo is a mapping error)."""
    known = {c.name for c in m.columns} | {c.name for c in m.computed}
    used: list[tuple[str, str]] = [(k, "key") for k in m.key]
    for c in m.computed:
        used += [(s, f"computed {c.name}") for s in c.sum]
    for r in m.resources:
        used += [(n, f"resource {r.id}") for n in re.findall(r"\{(\w+)\}", r.id)]
        used += [(n, f"resource {r.id}") for n in r.when_any_positive]
        used += [(n, f"resource {r.id}") for n, _ in r.when_equals]
        for pred, obj in r.properties:
            if obj.column:
                used.append((obj.column, f"{r.id} {pred}"))
            if isinstance(obj.lang, LanguageFrom):
                used.append((obj.lang.column, f"{r.id} {pred} lang"))
            for tpl in (obj.id, obj.value):
                used += [(n, f"{r.id} {pred}") for n in re.findall(r"\{(\w+)\}", tpl or "")]
    personal = {c.name for c in m.columns if c.personal and not c.pseudonymise}
    for name, where in used:
        if name not in known:
            raise BuildError(f"{m.path}: {where} uses column '{name}', which the mapping does not "
                             f"declare under 'columns' or 'computed'")
        if name in personal:
            raise BuildError(f"{m.path}: {where} uses column '{name}', which holds personal data; "
                             f"personal columns may only be used pseudonymised "
                             f"(pseudonymise: true)")


def load_mapping(path: Path) -> Mapping:
    return parse_mapping(_read(Path(path), ()), str(path))


def _read(path: Path, seen: tuple[Path, ...]) -> Any:
    """A mapping file's YAML, merged over the file it ``extends`` (a path relative to it)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise BuildError(f"{path}: not valid YAML: {err}") from None
    except OSError as err:
        raise BuildError(f"{seen[-1] if seen else path}: cannot read {path}: {err.strerror}") from None
    if not isinstance(data, dict) or "extends" not in data:
        return data
    base = (path.parent / str(data.pop("extends"))).resolve()
    if base in seen or base == path.resolve():
        raise BuildError(f"{path}: extends: {base} extends this file again (a cycle)")
    return merged(_read(base, (*seen, path.resolve())), data)


def merged(base: Any, over: Any) -> Any:
    """``over`` deep-merged into ``base``: mappings key by key, anything else (lists too)
    replaced, and a key set to null removed. How a country's mapping changes the headers,
    patterns or bounds of a table it shares with the platform."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merged(base.get(key), value)
    return out


def bundled_mapping_dir() -> Path:
    return Path(str(resources.files("emis_lod.mappings")))


def load_mappings(directory: Path | None = None, files: list[Path] | None = None) -> list[Mapping]:
    """The mappings of ``files`` (a profile's, :meth:`Profile.files`), or of every YAML file of a
    directory (the default profile's when neither is given), ordered so that referenced tables
    come first."""
    if files is None:
        if directory is None:
            from emis_lod.profiles import default

            files = default().files("mappings")
        else:
            files = sorted(Path(directory).glob("*.yaml"))
    where = directory or (Path(files[0]).parent if files else Path("."))
    mappings: dict[str, Mapping] = {}
    for m in (load_mapping(p) for p in files):
        if m.table in mappings:
            raise BuildError(f"{m.path}: table '{m.table}' is mapped by {mappings[m.table].path} too; "
                             f"a table has one mapping (a profile replaces one by its file name)")
        mappings[m.table] = m
    ordered: list[Mapping] = []
    visiting: set[str] = set()

    def visit(name: str, via: str) -> None:
        if any(m.table == name for m in ordered):
            return
        if name not in mappings:
            raise BuildError(f"{via} references table '{name}', which has no mapping in {where}")
        if name in visiting:
            raise BuildError(f"{mappings[name].path}: references form a cycle through '{name}'")
        visiting.add(name)
        for dep in mappings[name].references:
            visit(dep, mappings[name].path)
        visiting.discard(name)
        ordered.append(mappings[name])

    for name in sorted(mappings):
        visit(name, str(where))
    return ordered
