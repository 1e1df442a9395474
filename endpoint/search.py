"""Finding schools, districts and regions by name (``/search?q=``, and the reconciliation
service's matching): any of their names in any language, ignoring case and accents and tolerant
of Cyrillic typed in Latin letters (``toktogul``, ``lebedinovka``, ``Jalal-Abad`` or
``Dzhalal-Abad``) and of the Kyrgyz letters ң, ү, ө lost as н, у, о in Windows-1251 exports:
names and queries are both reduced to one Latin "skeleton" (:func:`skeleton`).

The index (every name of every school, district and region, read with one SELECT) is built on
the first search of a release in each process and kept on the release (``Release.memo``): a
release is immutable. Results are ranked: exact name or code, then name prefix, then every word
of the query starting a word of the name, then anywhere in the name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .query import load_query, solutions
from .release import Release

# Cyrillic (Russian, Kyrgyz and Kazakh) to Latin; ң, ү, ө (and Kazakh ә, ғ, қ, ұ, һ) fall
# together with н, у, о (а, г, к, у, х) as they do in Windows-1251 exports, ж with the Kyrgyz
# Latin j, й and ы with i.
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "j", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "і": "i", "ї": "i", "є": "e", "ı": "i", "ә": "a", "ғ": "g", "қ": "k", "ұ": "u", "һ": "h",
}
# Latin spellings of the same sounds, longest first: what each transliteration convention
# writes is reduced to what CYRILLIC writes.
LATIN = (("shch", "sh"), ("sch", "sh"), ("dzh", "j"), ("zh", "j"), ("dj", "j"), ("kh", "h"),
         ("ts", "c"), ("tch", "ch"), ("ng", "n"), ("ye", "e"), ("yo", "e"), ("y", "i"),
         ("w", "v"), ("q", "k"), ("x", "ks"))


def skeleton(text: str) -> str:
    """A name or query reduced for comparison: case folded, Cyrillic in Latin letters, accents
    and punctuation dropped, spelling variants of transliteration merged, doubled letters
    single, words separated by one space (``"с. Лебединовка"`` -> ``"s lebedinovka"``)."""
    text = unicodedata.normalize("NFC", text.casefold())
    text = "".join(CYRILLIC.get(ch, ch) for ch in text)
    # compatibility forms may decompose to capitals ("№" is "No"): fold the case once more
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text).casefold()
                   if not unicodedata.combining(ch))
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    for latin, plain in LATIN:
        text = text.replace(latin, plain)
    out: list[str] = []
    for ch in text:
        if not (out and out[-1] == ch and ch.isalpha()):
            out.append(ch)
    return " ".join("".join(out).split())


@dataclass(frozen=True)
class Entry:
    iri: str
    type: str
    name: str
    skeleton: str
    words: tuple[str, ...]


def search_index(rel: Release) -> list[Entry]:
    """Every name of every school, district and region with its skeleton, once per release."""
    def build() -> list[Entry]:
        entries = []
        rows = solutions(rel.store, load_query("search_names"), rel.prefixes)
        for row in rows:
            iri, name = row["s"].value, row["name"].value
            split = rel.uris.split_id(iri)
            if split is None:
                continue
            s = skeleton(name)
            entries.append(Entry(iri, split[0], name, s, tuple(s.split())))
            if split[0] == "school":  # the code finds the school too
                entries.append(Entry(iri, "school", split[1], split[1].casefold(),
                                     (split[1].casefold(),)))
        entries.sort(key=lambda e: (e.iri, e.name))
        return entries
    return rel.memo("search.index", build)


def rank(entry: Entry, query: str, words: list[str]) -> int | None:
    """0 the whole name, 1 the start of the name, 2 every word starts a word, 3 anywhere."""
    if entry.skeleton == query:
        return 0
    if entry.skeleton.startswith(query):
        return 1
    if all(any(w.startswith(q) for w in entry.words) for q in words):
        return 2
    if query in entry.skeleton or query.replace(" ", "") in entry.skeleton.replace(" ", ""):
        return 3
    return None


def best_matches(entries: Iterable[Entry], query: str, types: set[str] | None
                 ) -> list[tuple[str, tuple[int, int, str]]]:
    """``(iri, (rank, length, name))`` of every thing of ``types`` (None: any) a name of which
    matches ``query`` (a :func:`skeleton`), its best-ranked name kept (then the shortest, then
    the first in order), best first (then the shorter name, then the IRI)."""
    words = query.split()
    best: dict[str, tuple[int, int, str]] = {}
    for entry in entries:
        if types is not None and entry.type not in types:
            continue
        r = rank(entry, query, words)
        if r is None:
            continue
        candidate = (r, len(entry.name), entry.name)
        if entry.iri not in best or candidate < best[entry.iri]:
            best[entry.iri] = candidate
    return sorted(best.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))


def search(rel: Release, q: str, types: set[str]) -> list[tuple[str, str, int]]:
    """``(iri, matched name, rank)`` of every thing a name of which matches ``q``, best first."""
    query = skeleton(q)
    if not query:
        return []
    return [(iri, found[2], found[0]) for iri, found in best_matches(search_index(rel), query, types)]
