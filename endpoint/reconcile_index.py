"""The index behind ``/reconcile``: the types and properties the service knows, and the names,
codes and places of every school, district, region and textbook edition of a release, by token
and code, with each token's weight (its inverse document frequency over the release: a village's
name weighs much, ``#school`` little).

The index is built once per release and process (by ``reconcile.py``), from one SELECT
(``queries/reconcile_index.rq``); names are read as tokens by :mod:`endpoint.reconcile_names`, and
queries are matched against the index by :mod:`endpoint.reconcile_match`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from emis_lod.uris import Uris

from .reconcile_names import INITIAL_WEIGHT, _bigrams, _initial, code_key, token_similarity, tokens
from .search import Entry, skeleton

# ------------------------------------------------------------------ types and properties


@dataclass(frozen=True)
class RecType:
    """A type the service reconciles against: its id (the class's local name in ``emis:``,
    relative to the manifest's schemaSpace) and its segment of the ``/id/`` URIs."""

    id: str
    segment: str


REC_TYPES: tuple[RecType, ...] = (RecType("School", "school"), RecType("District", "district"),
                                  RecType("Region", "region"),
                                  RecType("TextbookEdition", "textbook"))
TYPE_BY_SEGMENT = {t.segment: t for t in REC_TYPES}
TYPE_BY_ID = {t.id.casefold(): t for t in REC_TYPES}


@dataclass(frozen=True)
class RecProperty:
    """A property a query may narrow by: its id (``emis:`` or ``schema:`` local name), the
    namespace it is in, and other names a client may send for it."""

    id: str
    namespace: str  # "emis" or "schema"
    aliases: tuple[str, ...]
    kind: str  # "place", "code" or "text"


REC_PROPERTIES: tuple[RecProperty, ...] = (
    RecProperty("district", "emis", ("raion", "rayon", "district_code", "districtcode"), "place"),
    RecProperty("region", "emis", ("oblast", "region_code", "regioncode"), "place"),
    RecProperty("statCode", "emis", ("stat", "stat_code", "statistics_code", "okpo"), "code"),
    RecProperty("schoolCode", "emis", ("code", "school_code", "identifier"), "code"),
    RecProperty("settlement", "emis", ("locality", "city", "village", "town", "place"), "text"),
    RecProperty("catalogueNumber", "emis", ("catalogue_number", "catalog_number"), "code"),
    RecProperty("isbn", "schema", (), "code"),
)
PROPERTY_BY_NAME = {name.casefold(): p for p in REC_PROPERTIES for name in (p.id, *p.aliases)}


def property_iri(uris: Uris, prop: RecProperty) -> str:
    return (uris.vocab if prop.namespace == "emis" else "https://schema.org/") + prop.id


def find_property(uris: Uris, pid: str) -> RecProperty | None:
    """The property a query's ``pid`` names: its id, an alias, or its full IRI."""
    pid = pid.strip()
    for prefix in (uris.vocab, "https://schema.org/", "http://schema.org/", "emis:", "schema:"):
        if pid.startswith(prefix):
            pid = pid[len(prefix):]
            break
    return PROPERTY_BY_NAME.get(pid.casefold())


def find_type(uris: Uris, type_id: str) -> RecType | None:
    """The type a query's ``type`` names: its id (``School``), its class IRI or ``emis:School``."""
    type_id = type_id.strip()
    for prefix in (uris.vocab, "emis:"):
        if type_id.startswith(prefix):
            type_id = type_id[len(prefix):]
            break
    return TYPE_BY_ID.get(type_id.casefold())

# ------------------------------------------------------------------ the index


@dataclass
class Entity:
    """A thing the service can answer: school, district, region or textbook edition."""

    iri: str
    id: str  # relative to the identifierSpace: "school/41101001"
    type: RecType
    names: list[tuple[str, str]] = field(default_factory=list)  # (language, name)
    name_tokens: list[tuple[str, ...]] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)  # school code, unit code, catalogue number
    stat_codes: set[str] = field(default_factory=set)
    isbns: set[str] = field(default_factory=set)
    district: str | None = None
    region: str | None = None
    settlements: list[str] = field(default_factory=list)
    context: frozenset[str] = frozenset()  # tokens of its settlement, district and region

    def name(self, lang: str | None = None) -> str:
        """Its name in ``lang``, else Russian, Kyrgyz, English, else any."""
        by_lang: dict[str, list[str]] = {}
        for language, name in self.names:
            by_lang.setdefault(language, []).append(name)
        for candidate in (lang, "ru", "ky", "en", ""):
            if candidate is not None and by_lang.get(candidate):
                return sorted(by_lang[candidate])[0]
        return sorted(name for _, name in self.names)[0] if self.names else self.id


class Index:
    """Every school, district, region and textbook edition of a release, by token and code."""

    def __init__(self, uris: Uris, entities: Iterable[Entity]) -> None:
        self.uris = uris
        self.entities: list[Entity] = sorted(entities, key=lambda e: e.iri)
        self.by_iri = {e.iri: e for e in self.entities}
        self.by_id = {e.id: e for e in self.entities}
        self.by_code: dict[str, list[Entity]] = defaultdict(list)
        self.by_stat_code: dict[str, list[Entity]] = defaultdict(list)
        self.by_isbn: dict[str, list[Entity]] = defaultdict(list)
        for e in self.entities:
            for code in e.codes:
                self.by_code[code].append(e)
            for code in e.stat_codes:
                self.by_stat_code[code].append(e)
            for code in e.isbns:
                self.by_isbn[code].append(e)
        self._link_context()
        self.postings: dict[str, list[int]] = defaultdict(list)
        df: Counter[str] = Counter()
        for i, e in enumerate(self.entities):
            own = {t for name in e.name_tokens for t in name}
            df.update(own)
            for t in own | e.context:
                self.postings[t].append(i)
        n = max(1, len(self.entities))
        # an initial ("А. Токомбаев") is often left out or written differently: it weighs little
        self.weights = {t: math.log(1 + n / count) * (INITIAL_WEIGHT if _initial(t) else 1.0)
                        for t, count in df.items()}
        for t in self.postings:
            self.weights.setdefault(t, math.log(1 + n))
        self.max_weight = math.log(1 + n)
        self.grams: dict[str, list[str]] = defaultdict(list)
        for t in self.postings:
            if not (t[0] == "#" or t.isdigit()):
                for gram in _bigrams(t):
                    self.grams[gram].append(t)
        self._similar: dict[str, dict[str, float]] = {}
        self.suggest_entries = self._suggest_entries()

    def _link_context(self) -> None:
        for e in self.entities:
            words: set[str] = set()
            for settlement in e.settlements:
                words.update(tokens(settlement))
            for place in (e.district, e.region):
                if place and place in self.by_iri:
                    for name in self.by_iri[place].name_tokens:
                        words.update(name)
            e.context = frozenset(t for t in words if t[0] != "#")

    def _suggest_entries(self) -> list[Entry]:
        """Names and codes as the name search's entries, for prefix suggestions."""
        out = []
        skeletons: dict[str, str] = {}  # many schools share a name ("№1 орто мектеби")
        for e in self.entities:
            for _, name in e.names:
                s = skeletons.get(name)
                if s is None:
                    s = skeletons[name] = skeleton(name)
                out.append(Entry(e.iri, e.type.segment, name, s, tuple(s.split())))
            for code in sorted(e.codes):
                out.append(Entry(e.iri, e.type.segment, code, code, (code,)))
        return out

    # -------------------------------------------------------------- lookups

    def entity(self, ref: str) -> Entity | None:
        """An entity by its id (``school/41101001``), its IRI, or the URL of its document."""
        ref = ref.strip()
        if ref in self.by_id:
            return self.by_id[ref]
        if ref in self.by_iri:
            return self.by_iri[ref]
        doc = f"{self.uris.base}doc/"
        if ref.startswith(doc):
            path = ref[len(doc):].split("?", 1)[0].split("#", 1)[0]
            for suffix in (".html", ".ttl", ".jsonld", ".nt", ".rdf"):
                path = path.removesuffix(suffix)
            return self.by_id.get(path)
        return None

    def similar(self, token: str) -> dict[str, float]:
        """The tokens of the index like ``token``, with their similarity (memoized)."""
        found = self._similar.get(token)
        if found is not None:
            return found
        found = {token: 1.0} if token in self.postings else {}
        if not (token[0] == "#" or token.isdigit()) and len(token) >= 4:
            grams = _bigrams(token)
            shared: Counter[str] = Counter()
            for gram in grams:
                shared.update(self.grams.get(gram, ()))
            need = len(grams) / 2
            for other, count in shared.items():
                if count >= need and other != token:
                    sim = token_similarity(token, other)
                    if sim:
                        found[other] = sim
        if len(self._similar) > 100_000:
            self._similar.clear()
        self._similar[token] = found
        return found

    def weight(self, token: str, similar: Mapping[str, float]) -> float:
        if token in self.weights:
            return self.weights[token]
        return max((self.weights[t] for t in similar),
                   default=self.max_weight * (INITIAL_WEIGHT if _initial(token) else 1.0))


def _add(entities: dict[str, Entity], uris: Uris, iri: str, cls: str) -> Entity | None:
    if iri in entities:
        return entities[iri]
    split = uris.split_id(iri)
    rec_type = next((t for t in REC_TYPES if t.id == cls), None)
    if split is None or rec_type is None:
        return None
    entity = Entity(iri, iri[len(uris.base) + len("id/"):], rec_type)
    entities[iri] = entity
    return entity


def build_index(uris: Uris, rows: Iterable[Mapping[str, Any]]) -> Index:
    """The index from the rows of ``queries/reconcile_index.rq`` (``s``, ``class``, ``p``,
    ``o``)."""
    entities: dict[str, Entity] = {}
    vocab = uris.vocab
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        s, cls, p, o = row["s"], row["class"], row["p"], row["o"]
        key = (s.value, p.value, str(o))
        if key in seen:  # the same triple in two graphs
            continue
        seen.add(key)
        entity = _add(entities, uris, s.value, cls.value.removeprefix(vocab))
        if entity is None:
            continue
        prop = p.value.removeprefix(vocab)
        if p.value == "https://schema.org/name" and isinstance(o, ox.Literal):
            entity.names.append((o.language or "", o.value))
            entity.name_tokens.append(tokens(o.value))
        elif prop in ("schoolCode", "unitCode", "catalogueNumber"):
            entity.codes.add(o.value)
        elif prop == "statCode":
            entity.stat_codes.add(code_key(o.value))
        elif p.value == "https://schema.org/isbn":
            entity.isbns.add(code_key(o.value))
        elif prop == "district" and isinstance(o, ox.NamedNode):
            entity.district = o.value
        elif prop == "region" and isinstance(o, ox.NamedNode):
            entity.region = o.value
        elif prop == "settlement":
            entity.settlements.append(o.value)
    for entity in entities.values():
        order = sorted(range(len(entity.names)), key=lambda i: entity.names[i])
        entity.names = [entity.names[i] for i in order]
        entity.name_tokens = [entity.name_tokens[i] for i in order]
        if entity.region is None and entity.district in entities:
            entity.region = entities[entity.district].region
    return Index(uris, entities.values())
