"""Matching a reconciliation query against the index (:mod:`endpoint.reconcile_index`): its
candidates, their scores, and whether the best is a ``match``.

A query is compared with each name of a candidate as a **weighted soft Dice** of the two token
sets (:mod:`endpoint.reconcile_names`): each token weighs its inverse document frequency over
the release, and two tokens match when equal, when one is the other with an ending (Russian
declension: "Токомбаева" / "Токомбаев", "Кадамжайский" / "Кадамжай") or when they are one or two
typing errors apart (``difflib`` ratio >= 0.8); numbers only when equal, and a number that
contradicts the name's number halves the similarity and forbids a match. A query word that is
not in the name but is the candidate's settlement, district or region (``"СОШ №1 Кадамжай"``)
counts as matched. Properties then add to the score when they agree (district, region,
statistics code, school code, settlement) and subtract when they contradict; a contradiction
forbids ``match``. :func:`decide` sets ``match`` only on a clear winner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .reconcile_index import TYPE_BY_SEGMENT, Entity, Index, RecProperty, RecType
from .reconcile_names import code_key, token_similarity, tokens
from .search import best_matches, skeleton

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
    found = best_matches(index.suggest_entries, query, types) if query else []
    ordered = [index.by_iri[iri] for iri, _ in found]
    if exact is not None and (types is None or exact.type.segment in types):
        ordered = [exact, *(e for e in ordered if e is not exact)]
    return ordered
