"""The resource types of a release: every ``{base}id/{type}/{key}`` it can hold, read from data.

A type is the first segment of a URI template, so a table is given a type by its mapping alone:

- every ``resources[].id`` of the mappings (``school/{school_code}`` makes ``school``), its
  class the ``class`` of the blocks that type it (a block without one only adds properties to
  a thing another block types, as ``crosswalks.yaml`` does for schools);
- every IRI the derived queries mint (``mappings/derived/*.rq``:
  ``BIND(IRI(CONCAT("id/staff-summary/", ...)) AS ?summary)``, its class the ``?summary a
  emis:StaffSummary`` of the same query's template);
- the platform's own: the releases, the indicators' observations and data sets
  (:data:`emis_lod.uris.PLATFORM_TYPES`, minted by ``provenance.py`` and ``indicators.py``).

A build records them in the release's ``manifest.json`` (``"types": {"school": {"class":
"{base}def/emis#School", "tables": ["schools", "crosswalks"]}, ...}``); the endpoint
dereferences ``/id/{type}/...`` and lists ``/list/{type}`` for exactly the types of the release
it serves (:func:`from_manifest`), and the comparison of releases counts their resources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emis_lod.namespaces import prefixes
from emis_lod.uris import PLATFORM_TYPES, Uris

from .errors import BuildError
from .mapping_spec import ABSOLUTE, Mapping, bundled_mapping_dir, expand, load_mappings

#: A type is a path segment of the URI scheme: lower-case letters, digits and hyphens.
TYPE_NAME = re.compile(r"[a-z][a-z0-9-]*")
_MINTED = re.compile(r'BIND\s*\(\s*IRI\s*\(\s*CONCAT\s*\(\s*"id/([^"/]+)/"[^;]*?\)\s*AS\s*\?(\w+)\s*\)',
                     re.S)


@dataclass(frozen=True)
class ResourceType:
    """One type: its name (``school``), its class IRI and what makes it: the tables whose
    mappings mint it, the derived query, or the platform."""

    name: str
    cls: str
    tables: tuple[str, ...] = ()
    query: str | None = None                  # the derived query (file name) that mints it
    describes_people: bool = False            # minted by a table about people (staff)
    made_by: str = "mapping"                  # "mapping", "derived" or "platform"
    links: tuple[tuple[str, str], ...] = ()   # (type linked to, property as written): school

    def manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"class": self.cls, "made_by": self.made_by}
        if self.tables:
            out["tables"] = list(self.tables)
        if self.links:
            out["links"] = dict(self.links)
        if self.query:
            out["query"] = self.query
        if self.describes_people:
            out["describes_people"] = True
        return out


@dataclass
class _Collecting:
    classes: dict[str, str] = field(default_factory=dict)          # class IRI -> where
    tables: list[str] = field(default_factory=list)
    people: bool = False
    links: dict[str, str] = field(default_factory=dict)            # type -> property


def type_of(template: str, where: str) -> str:
    """The type of a resource template (``school/{school_code}`` -> ``school``)."""
    name, slash, rest = template.partition("/")
    if not slash or not rest or not TYPE_NAME.fullmatch(name):
        raise BuildError(f"{where}: resource '{template}': an id must start with its type, a "
                         f"fixed path segment of lower-case letters, digits and hyphens, then "
                         f"'/' and the key (e.g. 'school/{{school_code}}')")
    return name


def _iri(term: str, uris: Uris) -> str | None:
    """A mapping's CURIE (``emis:School``) or ``<IRI>`` as an IRI; None for an unknown prefix."""
    try:
        return expand(term, prefixes(uris), "")
    except BuildError:
        return None


def mapped_types(mappings: Iterable[Mapping], uris: Uris) -> dict[str, ResourceType]:
    """The types the mappings mint, each with its class; a type that no block gives a class,
    or two blocks give different classes, stops the build (one type, one class: the class is
    what its list and its documents are about)."""
    found: dict[str, _Collecting] = {}
    for m in mappings:
        for res in m.resources:
            name = type_of(res.id, m.path)
            seen = found.setdefault(name, _Collecting())
            if m.table not in seen.tables:
                seen.tables.append(m.table)
            seen.people = seen.people or m.describes_people
            for predicate, obj in res.properties:
                target = obj.id.partition("/")[0] if obj.id and not ABSOLUTE.match(obj.id) else ""
                if TYPE_NAME.fullmatch(target):
                    seen.links.setdefault(target, predicate)
            if res.class_:
                iri = _iri(res.class_, uris)
                if iri is None:
                    raise BuildError(f"{m.path}: resource '{res.id}': unknown prefix in class "
                                     f"'{res.class_}' (known: {', '.join(sorted(prefixes(uris)))})")
                seen.classes.setdefault(iri, f"{m.path}: resource '{res.id}'")
    out: dict[str, ResourceType] = {}
    for name, seen in found.items():
        if not seen.classes:
            raise BuildError(f"type '{name}' (tables {', '.join(seen.tables)}): no resource block "
                             f"gives it a class; add 'class:' to the block that makes the "
                             f"{name}, or use the type of a table that has one")
        if len(seen.classes) > 1:
            raise BuildError(f"type '{name}' is given more than one class: " + "; ".join(
                f"{where} has {iri}" for iri, where in seen.classes.items())
                + f"; one type has one class: give the other blocks another type than '{name}/'")
        out[name] = ResourceType(name, next(iter(seen.classes)), tuple(seen.tables),
                                 describes_people=seen.people, links=tuple(seen.links.items()))
    return out


def derived_types(queries: Iterable[Path], uris: Uris) -> dict[str, ResourceType]:
    """The types the derived queries mint (``BIND(IRI(CONCAT("id/{type}/", ...)) AS ?v)``),
    each with the class the query's template gives ``?v`` (``?v a emis:Class``)."""
    out: dict[str, ResourceType] = {}
    for path in queries:
        text = Path(path).read_text(encoding="utf-8")
        for name, variable in _MINTED.findall(text):
            typed = re.search(rf"\?{variable}\s+a\s+([\w-]*:[\w-]+|<[^>]+>)", text)
            iri = _iri(typed.group(1), uris) if typed else None
            if iri is None:
                raise BuildError(f"{path}: mints /id/{name}/ IRIs as ?{variable}, but its template "
                                 f"does not give ?{variable} a class ('?{variable} a emis:Class')")
            out[name] = ResourceType(name, iri, query=Path(path).name, made_by="derived")
    return out


def platform_types(uris: Uris) -> dict[str, ResourceType]:
    return {name: ResourceType(name, uris.vocab + cls, made_by="platform")
            for name, cls in PLATFORM_TYPES.items()}


def resource_types(mappings: Iterable[Mapping], uris: Uris,
                   derived_queries: Iterable[Path]) -> dict[str, ResourceType]:
    """Every type of a release built with these mappings and derived queries."""
    out = mapped_types(mappings, uris)
    for more in (derived_types(derived_queries, uris), platform_types(uris)):
        for name, made in more.items():
            if name in out:
                where = made.query or "the platform"
                raise BuildError(f"type '{name}' is minted by table {', '.join(out[name].tables)} "
                                 f"and by {where}; give the table's resources another type")
            out[name] = made
    return out


def to_manifest(types: dict[str, ResourceType]) -> dict[str, dict[str, Any]]:
    return {name: types[name].manifest() for name in types}


def from_manifest(manifest: dict[str, Any], uris: Uris) -> dict[str, ResourceType]:
    """The types of a release, from its manifest; a release built before types were recorded
    has the types the bundled mappings make."""
    recorded = manifest.get("types")
    if recorded is None:
        return bundled_types(uris)
    return {name: ResourceType(name, info["class"], tuple(info.get("tables", ())), info.get("query"),
                               bool(info.get("describes_people", False)),
                               info.get("made_by", "mapping"), tuple(info.get("links", {}).items()))
            for name, info in recorded.items()}


def bundled_types(uris: Uris) -> dict[str, ResourceType]:
    """The types of a release built with the bundled mappings and derived queries."""
    return resource_types(load_mappings(), uris, sorted((bundled_mapping_dir() / "derived").glob("*.rq")))
