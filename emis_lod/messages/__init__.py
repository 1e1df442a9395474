"""The words of the pages that are not data, per language, as data files.

``emis_lod/messages/{lang}/*.yaml``: one directory per language (``ky``, ``ru``, ``kk``, ``en``),
each a flat mapping of message keys to texts. Every ``*.yaml`` file of a language directory is
read and merged; a key defined twice in one language is an error naming both files. A text may
name fields in braces (``"Release {release}"``), filled by :func:`message`'s keyword arguments
(a literal brace is written twice: ``{{``). Column headers and values that the ontology and the
code lists name are not here: their labels are in the store, in every language.

A language is served when it has a directory here; a key missing in one language is found by
``tests/test_page_languages.py`` (and answered in English meanwhile, so that a page never fails).
Adding a language is adding a directory of YAML files with the same keys.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

FALLBACK = "en"  # the language of a text missing in another (a test fails on it)


class MessageError(ValueError):
    """A message table that cannot be used; the message names the file and the key."""


def directory() -> Path:
    """Where the message tables are: ``{directory}/{lang}/*.yaml``."""
    return Path(str(resources.files(__name__)))


@cache
def languages_with_messages() -> tuple[str, ...]:
    """The languages that have message tables, in name order."""
    return tuple(sorted(p.name for p in directory().iterdir()
                        if p.is_dir() and any(p.glob("*.yaml"))))


@cache
def messages(lang: str) -> dict[str, str]:
    """Every message of ``lang``, merged from its files; {} for a language without tables."""
    out: dict[str, str] = {}
    where: dict[str, Path] = {}
    for path in sorted((directory() / lang).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise MessageError(f"{path}: a mapping of message keys to texts is expected")
        for key, text in data.items():
            if not isinstance(key, str) or not isinstance(text, str):
                raise MessageError(f"{path}: {key}: a text is expected, found {text!r}")
            if key in out:
                raise MessageError(f"{path}: {key}: already defined in {where[key]}; "
                                   "define each key once per language")
            out[key], where[key] = text, path
    return out


def message(key: str, lang: str, **fields: Any) -> str:
    """The text of ``key`` in ``lang`` (in English when that language lacks it), its fields
    filled. An unknown key is a KeyError naming it."""
    text = messages(lang).get(key)
    if text is None:
        text = messages(FALLBACK).get(key)
        if text is None:
            raise KeyError(f"no message {key!r} in {directory() / FALLBACK}")
    return text.format(**fields)


def missing_keys() -> dict[str, list[str]]:
    """Language -> the keys some other language has and it lacks (empty when all agree)."""
    every = {lang: set(messages(lang)) for lang in languages_with_messages()}
    union = set().union(*every.values()) if every else set()
    return {lang: sorted(union - keys) for lang, keys in every.items() if union - keys}
