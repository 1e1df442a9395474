"""The matching behind ``/reconcile``: an index of the names, codes and places of every school,
district, region and textbook edition of a release, and the scoring of a reconciliation query.

A registry writes a school's name its own way: in Kyrgyz, Russian or English, in Cyrillic or in
Latin letters, with or without "школа" / "мектеби" / "school", abbreviated ("СОШ" for "средняя
общеобразовательная школа"), with "№", "No." or "#" before the number, in quotes, in any case,
with typing errors. A name is reduced to **tokens**: the search's Latin skeleton
(:func:`endpoint.browse.skeleton`: case, script, accents, punctuation and the spellings of the
usual transliterations), split into words and numbers; the number signs dropped; the generic words
of school and place names ("средняя", "орто", "secondary", "школа", "мектеби", "school", "СОШ",
"район", "облусу", ...) replaced by one canonical token each (``#secondary``, ``#school``, ...), so
that every language writes them alike; the markers of a settlement ("с.", "г.", "село") dropped.

A query is compared with each name of a candidate as a **weighted soft Dice** of the two token
sets: each token weighs its inverse document frequency over the release (a village's name weighs
much, ``#school`` little), and two tokens match when equal, when one is the other with an ending
(Russian declension: "Токомбаева" / "Токомбаев", "Кадамжайский" / "Кадамжай") or when they are one
or two typing errors apart (``difflib`` ratio >= 0.8); numbers only when equal, and a number
that contradicts the name's number halves the similarity and forbids a match. A query word that
is not in the name but is the candidate's settlement, district or region (``"СОШ №1
Кадамжай"``) counts as matched. Properties then add to the score when they agree (district,
region, statistics code, school code, settlement) and subtract when they contradict; a
contradiction forbids ``match``. :func:`decide` sets ``match`` only on a clear winner.

The index is built once per release and process (``reconcile.py`` keeps it in a
:class:`~endpoint.document_cache.Memo`), from one SELECT (``queries/reconcile_index.rq``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from emis_lod.uris import Uris

from .browse import Entry, rank, skeleton

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


# ------------------------------------------------------------------ tokens


def _canonical(table: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Generic words as the skeleton writes them (``school`` becomes ``shol``)."""
    return {skeleton(word): canon for word, canon in table.items()}


SCHOOL = ("#secondary", "#general", "#school")
GENERIC = _canonical({
    # abbreviations of school types, Russian
    "СОШ": SCHOOL, "ООШ": ("#basic", "#general", "#school"),
    "НОШ": ("#primary", "#general", "#school"), "НШ": ("#primary", "#school"),
    "СШ": ("#secondary", "#school"), "УВК": ("#complex",), "ШГ": ("#school", "#gymnasium"),
    # and Kazakh: жалпы білім беретін мектеп, орта мектеп, негізгі орта мектеп, бастауыш мектеп
    "ЖББМ": SCHOOL, "ЖОБМ": SCHOOL, "ОМ": ("#secondary", "#school"),
    "НОМ": ("#basic", "#school"), "БМ": ("#primary", "#school"), "ОСШ": SCHOOL,
    # school, in each language
    "школа": ("#school",), "школы": ("#school",), "шк": ("#school",), "мектеп": ("#school",),
    "мектеби": ("#school",), "мектебинин": ("#school",), "school": ("#school",),
    "мектебі": ("#school",), "мектебінің": ("#school",),
    # its level
    "средняя": ("#secondary",), "орто": ("#secondary",), "secondary": ("#secondary",),
    "основная": ("#basic",), "негизги": ("#basic",), "basic": ("#basic",),
    "начальная": ("#primary",), "башталгыч": ("#primary",), "primary": ("#primary",),
    "орта": ("#secondary",), "негізгі": ("#basic",), "бастауыш": ("#primary",),
    "жалпы": ("#general",), "білім": (), "беретін": (), "беру": (),
    "elementary": ("#primary",), "общеобразовательная": ("#general",), "general": ("#general",),
    "гимназия": ("#gymnasium",), "gymnasium": ("#gymnasium",), "лицей": ("#lyceum",),
    "lyceum": ("#lyceum",), "комплекс": ("#complex",), "complex": ("#complex",),
    # administrative units
    "район": ("#district",), "району": ("#district",), "района": ("#district",),
    "district": ("#district",), "raion": ("#district",), "rayon": ("#district",),
    "raionu": ("#district",), "rayonu": ("#district",),
    "область": ("#region",), "области": ("#region",), "облусу": ("#region",),
    "ауданы": ("#district",), "аудан": ("#district",), "облысы": ("#region",), "облыс": ("#region",),
    "облус": ("#region",), "region": ("#region",), "oblast": ("#region",),
    # words that carry nothing: "named after", settlement markers
    "им": (), "имени": (), "атындагы": (), "named": (), "after": (), "of": (), "the": (),
    "с": (), "село": (), "г": (), "город": (), "шаары": (), "шаар": (), "city": (), "пгт": (),
    "айыл": (), "айылы": (), "village": (), "town": (), "кыштагы": (),
    "атындағы": (), "ауыл": (), "ауылы": (), "қаласы": (), "қала": (), "кенті": (),
})
NUMBER_SIGNS = {"no", "n", "nr", "nomer"}
RAW_ABBREVIATIONS = ((re.compile(r"(?<!\w)р-н(?!\w)"), " район "),
                     (re.compile(r"(?<!\w)обл\."), " область "))
_SPLIT_DIGITS = re.compile(r"(?<=[^\W\d])(?=\d)|(?<=\d)(?=[^\W\d])")


@lru_cache(maxsize=100_000)
def tokens(text: str, query: bool = False) -> tuple[str, ...]:
    """A name or query as tokens (``"СОШ №1 им. Манаса"`` -> ``#secondary #general #school 1
    manasa``); in a ``query``, a generic word with a typing error is recognised too."""
    raw = text.casefold()
    for pattern, replacement in RAW_ABBREVIATIONS:
        raw = pattern.sub(replacement, raw)
    words = _SPLIT_DIGITS.sub(" ", skeleton(raw).lower()).split()
    out: list[str] = []
    for i, word in enumerate(words):
        if word in NUMBER_SIGNS and i + 1 < len(words) and words[i + 1].isdigit():
            continue
        generic = GENERIC.get(word) if word in GENERIC or not query else _mistyped_generic(word)
        if generic is not None:
            out.extend(generic)
        elif word.isdigit():
            out.append(str(int(word)))
        else:
            out.append(word)
    return tuple(out)


@lru_cache(maxsize=65536)
def _mistyped_generic(word: str) -> tuple[str, ...] | None:
    """A generic word of six letters or more written with a typing error ("начаьная")."""
    if len(word) < 6 or word.isdigit():
        return None
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(word)
    for generic, canon in GENERIC.items():
        if len(generic) >= 6 and abs(len(generic) - len(word)) <= 2:
            matcher.set_seq1(generic)
            if matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85:
                return canon
    return None


def code_key(text: str) -> str:
    """A code compared without case, spaces and hyphens (ISBNs are written both ways)."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def token_similarity(a: str, b: str) -> float:
    """1 for equal tokens; 0.85 for a word and the same word with an ending of at most four
    letters; the ``difflib`` ratio when at least 0.8 (a typing error or two); else 0. Numbers
    and generic tokens match only themselves."""
    if a == b:
        return 1.0
    if a[0] == "#" or b[0] == "#" or a.isdigit() or b.isdigit():
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 4:
        return 0.0
    if len(short) >= 5 and long_.startswith(short) and len(long_) - len(short) <= 4:
        return 0.85
    if len(long_) - len(short) > 3:
        return 0.0
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return ratio if ratio >= 0.8 else 0.0


INITIAL_WEIGHT = 0.3


def _initial(token: str) -> bool:
    return len(token) == 1 and token.isalpha()


def _bigrams(token: str) -> set[str]:
    padded = f"^{token}$"
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


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


# ------------------------------------------------------------------ queries


@dataclass(frozen=True)
class Condition:
    """One property of a query, resolved: the property and its values as the index knows
    them (IRIs of places, code keys, settlement tokens); ``unresolved`` when no value could be
    read (it then neither helps nor harms)."""

    prop: RecProperty
    places: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    texts: tuple[tuple[str, ...], ...] = ()

    @property
    def unresolved(self) -> bool:
        return not (self.places or self.codes or self.texts)


@dataclass(frozen=True)
class Query:
    text: str
    types: tuple[RecType, ...] = ()  # empty: every type
    strict: bool = True  # type_strict "should" only prefers the types
    limit: int = 10
    conditions: tuple[Condition, ...] = ()


@dataclass
class Candidate:
    entity: Entity
    name: str  # the name that matched best
    similarity: float  # of the name, 0..1
    score: float = 0.0
    contradiction: bool = False
    features: dict[str, float | bool] = field(default_factory=dict)
    match: bool = False


#: A match needs a name at least this similar, a score at least MATCH_SCORE and a lead of
#: MARGIN points over the next candidate, and no contradicting property.
MATCH_SIMILARITY = 0.8
MATCH_SCORE = 85.0
MARGIN = 10.0
#: what an agreeing (contradicting) property adds to (takes from) the score
BONUS = {"district": 15.0, "region": 8.0, "statCode": 30.0, "schoolCode": 30.0,
         "settlement": 10.0, "catalogueNumber": 30.0, "isbn": 30.0}
PENALTY = 40.0
MAX_POSTINGS = 20_000  # a token in more things than this does not retrieve candidates


def resolve_places(index: Index, prop: RecProperty, values: Iterable[Any]) -> Condition:
    """District or region values (names in any language, codes, ids or IRIs) as the IRIs of
    the places they name; a name names the places whose names are nearly as similar as the
    best one."""
    segment = prop.id
    found: set[str] = set()
    for value in values:
        ref = str(value.get("id") or value.get("name") or "") if isinstance(value, dict) \
            else str(value)
        ref = ref.strip()
        if not ref:
            continue
        entity = index.entity(ref) or index.entity(f"{segment}/{ref}")
        if entity is None:
            entity = next((e for e in index.by_code.get(ref.upper(), ())
                           if e.type.segment == segment), None)
        if entity is not None and entity.type.segment == segment:
            found.add(entity.iri)
            continue
        scored = [(c.similarity, c.entity.iri) for c in candidates(
            index, Query(ref, (TYPE_BY_SEGMENT[segment],), limit=50))]
        best = max((s for s, _ in scored), default=0.0)
        if best >= 0.6:
            found.update(iri for s, iri in scored if s >= best - 0.05)
    return Condition(prop, places=frozenset(found))


def resolve(index: Index, prop: RecProperty, values: Iterable[Any]) -> Condition:
    values = list(values)
    if prop.kind == "place":
        return resolve_places(index, prop, values)
    texts = [str(v.get("id") or v.get("name") or "") if isinstance(v, dict) else str(v)
             for v in values if not isinstance(v, bool)]
    texts = [t.strip() for t in texts if t.strip()]
    if prop.kind == "code":
        return Condition(prop, codes=frozenset(code_key(t) for t in texts))
    return Condition(prop, texts=tuple(words for words in (tokens(t, query=True) for t in texts)
                                       if words))


def _soft_dice(index: Index, query: list[tuple[str, float, dict[str, float]]],
               name: tuple[str, ...], context: frozenset[str]) -> float:
    """Weighted soft Dice of a query's tokens and a name's; a query token found in the
    candidate's context (settlement, district, region) counts on both sides."""
    matched_q = extra = 0.0
    for token, w, similar in query:
        in_name = max((similar.get(t, 0.0) for t in name), default=0.0)
        in_context = max((similar.get(t, 0.0) for t in context), default=0.0) \
            if in_name < 1.0 and token[0] != "#" else 0.0
        if in_context > in_name:
            matched_q += w * in_context
            extra += w * in_context
        else:
            matched_q += w * in_name
    covered = total_name = 0.0
    for t in name:
        w = index.weights.get(t, index.max_weight)
        total_name += w
        covered += w * max((similar.get(t, 0.0) for _, _, similar in query), default=0.0)
    total_q = sum(w for _, w, _ in query)
    denominator = total_q + total_name + extra
    return (matched_q + covered + extra) / denominator if denominator else 0.0


def _name_similarity(index: Index, query: list[tuple[str, float, dict[str, float]]],
                     entity: Entity) -> tuple[float, str, bool]:
    """The best similarity over the entity's names, that name, and whether a number of the
    query contradicts the numbers of that name or is in none of its names (a registry's
    "СОШ №43 с. Жаны-Жер" may be another school of the village than our "СОШ с. Жаны-Жер")."""
    numbers = {t for t, _, _ in query if t.isdigit()}
    unconfirmed = bool(numbers) and not any(t.isdigit() for name in entity.name_tokens
                                            for t in name)
    best = (0.0, entity.name(), unconfirmed)
    for (_, name), name_tokens in zip(entity.names, entity.name_tokens, strict=True):
        sim = _soft_dice(index, query, name_tokens, entity.context)
        name_numbers = {t for t in name_tokens if t.isdigit()}
        conflict = bool(numbers and name_numbers and numbers != name_numbers)
        if conflict:
            sim *= 0.5
        if sim > best[0]:
            best = (sim, name, conflict or unconfirmed)
    return best


def _type_allowed(query: Query, entity: Entity) -> bool:
    return not query.types or not query.strict or entity.type in query.types


def candidates(index: Index, query: Query) -> list[Candidate]:
    """The candidates of ``query`` by name (and by code), unscored by properties, best first."""
    text = query.text.strip()
    out: dict[str, Candidate] = {}
    exact = index.entity(text)
    if exact is not None:  # an id, IRI or document URL: that thing, and nothing else
        return [Candidate(exact, exact.name(), 1.0, features={"id": True})] \
            if _type_allowed(query, exact) else []
    by_code = [
        *index.by_code.get(text, ()), *index.by_code.get(text.upper(), ()),
        *index.by_stat_code.get(code_key(text), ()), *index.by_isbn.get(code_key(text), ())]
    for entity in by_code:
        if _type_allowed(query, entity):
            out[entity.iri] = Candidate(entity, entity.name(), 1.0,
                                        features={"code": True})
    query_tokens = []
    for token in tokens(text, query=True):
        similar = index.similar(token)
        query_tokens.append((token, index.weight(token, similar), similar))
    if query_tokens:
        pool: set[int] = set()
        for token, _, similar in query_tokens:
            if token[0] == "#":
                continue
            for other in similar:
                posting = index.postings.get(other, ())
                if len(posting) <= MAX_POSTINGS:
                    pool.update(posting)
        for i in sorted(pool):
            entity = index.entities[i]
            if entity.iri in out or not _type_allowed(query, entity):
                continue
            sim, name, conflict = _name_similarity(index, query_tokens, entity)
            if sim <= 0.0:
                continue
            candidate = Candidate(entity, name, sim, features={"name": round(sim, 4)})
            if conflict:
                candidate.contradiction = True
                candidate.features["number"] = False
            out[entity.iri] = candidate
    return sorted(out.values(), key=lambda c: (-c.similarity, c.entity.iri))


def _agrees(index: Index, condition: Condition, entity: Entity) -> bool | None:
    """Whether the entity agrees with a property of the query; None when it cannot tell."""
    prop = condition.prop
    if condition.unresolved:
        return None
    if prop.kind == "place":
        if entity.type.segment == prop.id:
            return entity.iri in condition.places
        place = entity.district if prop.id == "district" else entity.region
        return None if place is None else place in condition.places
    if prop.kind == "code":
        own = {"statCode": entity.stat_codes, "isbn": entity.isbns}.get(
            prop.id, {code_key(c) for c in entity.codes})
        if not own:
            return None
        return bool(own & condition.codes)
    if not entity.settlements:
        return None
    for settlement in entity.settlements:
        words = [t for t in tokens(settlement) if t[0] != "#"]
        for wanted in condition.texts:
            wanted = tuple(t for t in wanted if t[0] != "#")
            if words and wanted and all(max(token_similarity(w, t) for t in words) >= 0.8
                                        for w in wanted):
                return True
    return False


def score(index: Index, query: Query, found: list[Candidate]) -> list[Candidate]:
    """Scores (0-100 for the name, plus or minus the properties), ranked, ``match`` decided."""
    for candidate in found:
        points = 100.0 * candidate.similarity
        for condition in query.conditions:
            agrees = _agrees(index, condition, candidate.entity)
            if agrees is None:
                continue
            candidate.features[condition.prop.id] = agrees
            if agrees:
                points += BONUS.get(condition.prop.id, 10.0)
            else:
                points -= PENALTY
                candidate.contradiction = True
        if query.types and not query.strict and candidate.entity.type not in query.types:
            points -= 20.0
        candidate.score = round(max(points, 0.0), 2)
    found.sort(key=lambda c: (-c.score, -c.similarity, c.entity.iri))
    decide(found)
    return found


def decide(ranked: list[Candidate]) -> None:
    """``match`` for the first candidate only when it is unambiguous: a name similar enough,
    a high score, clearly above the second, and no property contradicting it."""
    if not ranked:
        return
    top = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    top.match = (not top.contradiction and top.similarity >= MATCH_SIMILARITY
                 and top.score >= MATCH_SCORE and top.score - runner_up >= MARGIN)


def reconcile(index: Index, query: Query) -> list[Candidate]:
    """The ranked candidates of one query, at most ``query.limit``."""
    if query.text.strip():
        found = candidates(index, query)
    else:  # properties only: the things whose codes they give
        found = []
        for condition in query.conditions:
            for code in condition.codes:
                table = {"statCode": index.by_stat_code, "isbn": index.by_isbn}.get(
                    condition.prop.id)
                hits = table.get(code, []) if table is not None else [
                    e for e in index.by_code.get(code.upper(), index.by_code.get(code, []))]
                found += [Candidate(e, e.name(), 0.0) for e in hits
                          if _type_allowed(query, e)]
        found = list({c.entity.iri: c for c in found}.values())
    return score(index, query, found)[:query.limit]


def suggest(index: Index, prefix: str, types: set[str] | None) -> list[Entity]:
    """Entities for a prefix, as the name search ranks them (whole name or code, start of the
    name, every word starting a word, anywhere); an id or IRI gives its entity first."""
    exact = index.entity(prefix)
    query = skeleton(prefix)
    words = query.split()
    best: dict[str, tuple[int, int, str]] = {}
    if query:
        for entry in index.suggest_entries:
            if types is not None and entry.type not in types:
                continue
            r = rank(entry, query, words)
            if r is None:
                continue
            candidate = (r, len(entry.name), entry.iri)
            if entry.iri not in best or candidate < best[entry.iri]:
                best[entry.iri] = candidate
    ordered = [index.by_iri[iri] for iri, _ in sorted(best.items(), key=lambda kv: kv[1])]
    if exact is not None and (types is None or exact.type.segment in types):
        ordered = [exact, *(e for e in ordered if e is not exact)]
    return ordered
