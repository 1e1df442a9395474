"""Country profiles: everything national about a deployment, as a directory of data files.

A profile directory holds ``profile.yaml`` (checked against ``profile.schema.json`` before use):
the languages of the pages and labels (ordered, the first is the default), the currency, the
publisher and licence, the base URI, the dataset's title, description and keywords, its spatial
extent, the DCAT datasets per domain, and where its files are: mappings, ontology, shapes, code
lists, indicator queries (each a list of directories, relative to the profile; a later file with
the same name replaces an earlier one, so a profile reuses the platform's and adds or overrides),
its administrative geography and its demo generator.

Bundled profiles are the subdirectories of this package (``kg``, ``kz``); ``kg`` is the default.
A build copies the resolved profile into its release (``profile.json``), so that serving a
release needs no profile at hand.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from emis_lod.uris import Uris

DEFAULT = "kg"
ENV = "EMIS_LOD_PROFILE"
FILE = "profile.yaml"
RELEASE_FILE = "profile.json"    # the resolved profile a release was built with
# the keys whose values are directories of files: key -> the file pattern
DIRECTORIES = {"mappings": "*.yaml", "ontology": "*.ttl", "concepts": "*.ttl", "shapes": "*.ttl",
               "indicators": "*.rq", "derived": "*.rq", "dumps": "*.rq"}


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file and the key."""


def bundled_dir() -> Path:
    return Path(str(resources.files(__name__)))


def bundled() -> dict[str, Path]:
    """Name -> directory of every bundled profile."""
    return {p.name: p for p in sorted(bundled_dir().iterdir()) if (p / FILE).is_file()}


@cache
def _schema() -> dict[str, Any]:
    return json.loads((bundled_dir() / "profile.schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Profile:
    """One checked profile. Picklable (paths and plain data), so that build workers get it."""

    name: str
    directory: Path
    data: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.data["languages"])

    @property
    def currency(self) -> str:
        return str(self.data["currency"])

    @property
    def base_uri(self) -> str | None:
        return self.data.get("base_uri")

    @property
    def generator(self) -> str:
        return str(self.data["generator"])

    @property
    def geography(self) -> Path:
        return self.directory / self.data["geography"]

    def directories(self, key: str) -> list[Path]:
        return [(self.directory / d).resolve() for d in self.data.get(key, [])]

    def files(self, key: str) -> list[Path]:
        """The files of ``key`` (one of DIRECTORIES): by name, a later directory's file
        replacing an earlier one's, those named in ``leave_out`` left out, in name order."""
        found: dict[str, Path] = {}
        for directory in self.directories(key):
            for path in directory.glob(DIRECTORIES[key]):
                found[path.name] = path
        for name in self.data.get("leave_out", ()):
            found.pop(name, None)
        return [found[name] for name in sorted(found)]

    @property
    def vocabulary_files(self) -> list[Path]:
        """The ontology, then every code list (the vocabulary graph of a release)."""
        return self.files("ontology") + self.files("concepts")

    def generate(self, out: Path, schools: int, seed: int, crosswalks: bool = False) -> list[Path]:
        """Write the profile's demo export into ``out`` with its generator (``generator:``, a
        module whose ``generate(out, schools, seed)`` returns what it wrote, and optionally
        ``write_crosswalks(out, seed)``); the files written."""
        module = importlib.import_module(self.generator)
        files = list(module.generate(out, schools=schools, seed=seed).files)
        if crosswalks and hasattr(module, "write_crosswalks"):
            files.append(module.write_crosswalks(out, seed=seed))
        return files

    def query_text(self, text: str, uris: Uris) -> str:
        """A derived or indicator query's text with the profile's constants in place:
        ``$currency`` is the profile's currency (its concept in the currency code list), so
        that one query serves every country."""
        currency = f"<{uris.concept('currency', self.currency)}>"
        return re.sub(r"\$currency\b", currency, text)

    def text(self, key: str, lang: str) -> str:
        """A text of the profile (``title``, ``description``) in ``lang``, else the default
        language's."""
        texts = self.data[key]
        return str(texts.get(lang) or texts[self.languages[0]])

    def resolved(self) -> dict[str, Any]:
        """The profile as a release keeps it: its data with every directory made absolute."""
        data = dict(self.data)
        for key in DIRECTORIES:
            if key in data:
                data[key] = [str(p) for p in self.directories(key)]
        data["geography"] = str(self.geography)
        return {"name": self.name, "directory": str(self.directory), **data}


def check(data: Any, path: Path) -> None:
    """Stop with the file and the key when ``data`` does not follow the schema, names a
    directory or file that is not there, or a language twice."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise ProfileError("\n".join(
            f"{path}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in errors[:10]))
    languages = data["languages"]
    if len(set(languages)) != len(languages):
        raise ProfileError(f"{path}: languages: a language is listed twice: {languages}")
    for key in DIRECTORIES:
        for i, d in enumerate(data.get(key, [])):
            if not (path.parent / d).is_dir():
                raise ProfileError(f"{path}: {key}/{i}: no directory {path.parent / d}")
    if not (path.parent / data["geography"]).is_file():
        raise ProfileError(f"{path}: geography: no file {path.parent / data['geography']}")
    for key, texts in _language_texts(data):
        missing = [lang for lang in languages if lang not in texts]
        if missing:
            raise ProfileError(f"{path}: {key}: no text in {', '.join(missing)} (the profile's "
                               f"languages are {', '.join(languages)})")


def _language_texts(data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every value of the profile given per language, with its key path."""
    for key in ("title", "description", "keywords"):
        yield key, data[key]
    yield "publisher/names", data["publisher"]["names"]
    yield "country/names", data["country"]["names"]
    for i, domain in enumerate(data["catalogue"]["domains"]):
        for key in ("title", "description", "keywords"):
            yield f"catalogue/domains/{i}/{key}", domain[key]


def load(path: Path) -> Profile:
    """The profile of a directory (or of its ``profile.yaml``), checked."""
    path = Path(path)
    file = path if path.is_file() else path / FILE
    if not file.is_file():
        raise ProfileError(f"{path}: not a profile directory (no {FILE}); give a directory "
                           f"holding one, or a bundled profile: {', '.join(bundled())}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ProfileError(f"{file}: not valid YAML: {err}") from None
    if isinstance(data, dict) and "extends" in data:
        data = _extended(data, file)
    check(data, file)
    return Profile(str(data["name"]), file.parent.resolve(), data)


def _extended(data: dict[str, Any], file: Path) -> dict[str, Any]:
    """A profile that ``extends`` another (a bundled name or a directory relative to it): the
    other's keys, its directory lists followed by this one's (so that a ministry adds its own
    tables, shapes or code lists to the platform's, and replaces one by giving a file of the
    same name), everything else merged key by key with this one's values winning."""
    data = dict(data)
    parent = str(data.pop("extends"))
    here = file.parent
    try:
        base = _bundled(parent) if parent in bundled() else load(here / parent)
    except ProfileError as err:
        raise ProfileError(f"{file}: extends: {err}") from None
    out = {k: v for k, v in base.resolved().items() if k != "directory"}
    for key, value in data.items():
        if key in DIRECTORIES:
            out[key] = [*out.get(key, []), *(str((here / d).resolve()) for d in value)]
        elif key == "leave_out":
            out[key] = [*out.get(key, []), *value]
        elif key == "geography":
            out[key] = str((here / value).resolve())
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def load_profile(name_or_dir: str | Path | None = None,
                 environ: Mapping[str, str] | None = None) -> Profile:
    """A bundled profile by name, or a profile directory; None: ``EMIS_LOD_PROFILE``, else
    the default (``kg``)."""
    if name_or_dir is None or name_or_dir == "":
        name_or_dir = (os.environ if environ is None else environ).get(ENV) or DEFAULT
    known = bundled()
    if isinstance(name_or_dir, str) and name_or_dir in known:
        return _bundled(name_or_dir)
    path = Path(name_or_dir)
    if not path.exists():
        raise ProfileError(f"profile {str(name_or_dir)!r} is neither a bundled profile "
                           f"({', '.join(known)}) nor a directory; give one of those")
    return load(path)


@cache
def _bundled(name: str) -> Profile:
    return load(bundled()[name])


def default() -> Profile:
    """The default bundled profile (what a function given no profile uses)."""
    return _bundled(DEFAULT)


def of_release(release_dir: Path) -> Profile:
    """The profile a release was built with (its ``profile.json``); a release built before
    profiles existed was built with the default."""
    file = Path(release_dir) / RELEASE_FILE
    if not file.is_file():
        return default()
    data = json.loads(file.read_text(encoding="utf-8"))
    return Profile(data["name"], Path(data["directory"]), data)


def write_release_file(profile: Profile, release_dir: Path) -> None:
    (Path(release_dir) / RELEASE_FILE).write_text(
        json.dumps(profile.resolved(), ensure_ascii=False, indent=2), encoding="utf-8")
