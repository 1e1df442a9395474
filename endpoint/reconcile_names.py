"""How the reconciliation service reads a name: a school's or place's name, or a query, as
**tokens**, and how alike two tokens are.

A registry writes a school's name its own way: in Kyrgyz, Russian or English, in Cyrillic or in
Latin letters, with or without "школа" / "мектеби" / "school", abbreviated ("СОШ" for "средняя
общеобразовательная школа"), with "№", "No." or "#" before the number, in quotes, in any case,
with typing errors. A name is reduced to tokens: the search's Latin skeleton
(:func:`endpoint.search.skeleton`: case, script, accents, punctuation and the spellings of the
usual transliterations), split into words and numbers; the number signs dropped; the generic words
of school and place names ("средняя", "орто", "secondary", "школа", "мектеби", "school", "СОШ",
"район", "облусу", ...) replaced by one canonical token each (``#secondary``, ``#school``, ...), so
that every language writes them alike; the markers of a settlement ("с.", "г.", "село") dropped.
Two tokens match when equal, when one is the other with an ending (Russian declension:
"Токомбаева" / "Токомбаев") or when they are one or two typing errors apart; numbers only when
equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import SequenceMatcher
from functools import lru_cache

from .search import skeleton


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
