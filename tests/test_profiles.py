"""Country profiles (emis_lod/profiles): checked before use with errors naming the file and key,
chosen by name, directory or EMIS_LOD_PROFILE, recorded in the release, and the only place that
knows anything national."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from emis_lod import profiles
from emis_lod.loaders.build import BuildError, BuildReport
from emis_lod.loaders.mapping_spec import load_mapping, load_mappings
from emis_lod.loaders.releases import current_release
from emis_lod.profiles import ProfileError, load, load_profile

ROOT = Path(__file__).resolve().parent.parent
KG = ROOT / "profiles" / "kg"


def copy_profile(tmp_path: Path, name: str = "kg") -> Path:
    """A bundled profile copied to ``tmp_path/NAME`` with its relative directories made absolute
    (so that the copy reads the platform's files where they are)."""
    source = ROOT / "profiles" / name
    target = tmp_path / name
    shutil.copytree(source, target)
    data = yaml.safe_load((target / "profile.yaml").read_text(encoding="utf-8"))
    for key in profiles.DIRECTORIES:
        data[key] = [str((source / d).resolve()) for d in data.get(key, [])]
    data["geography"] = str((source / data["geography"]).resolve())
    (target / "profile.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def broken(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    directory = copy_profile(tmp_path)
    data = yaml.safe_load((directory / "profile.yaml").read_text(encoding="utf-8"))
    change(data)
    (directory / "profile.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


def test_bundled_profiles_are_checked_and_kg_is_the_default() -> None:
    bundled = profiles.bundled()
    assert {"kg", "kz"} <= set(bundled)
    for name in bundled:
        p = load_profile(name)
        assert p.name == name and p.languages and p.files("mappings") and p.files("shapes")
    assert load_profile(None, environ={}).name == "kg"
    assert load_profile(None, environ={"EMIS_LOD_PROFILE": "kz"}).name == "kz"
    assert load_profile(str(KG)).languages == ("ky", "ru", "en")
    # a file left out is not used, though a directory of the profile has it
    kz = load_profile("kz")
    assert "preschools.rq" in kz.data["leave_out"] and any(
        (d / "preschools.rq").is_file() for d in kz.directories("dumps"))
    assert "preschools.rq" not in {p.name for p in kz.files("dumps")}


@pytest.mark.parametrize("change, where", [
    (lambda d: d.pop("currency"), "(top): 'currency' is a required property"),
    (lambda d: d.update(currency="som"), "currency: 'som' does not match"),
    (lambda d: d.update(languages=["ky", "Russian"]), "languages/1: 'Russian' does not match"),
    (lambda d: d["title"].pop("ru"), "title: no text in ru"),
    (lambda d: d["catalogue"]["domains"][1]["keywords"].pop("en"),
     "catalogue/domains/1/keywords: no text in en"),
    (lambda d: d.update(mappings=["nowhere"]), "mappings/0: no directory"),
    (lambda d: d.update(colour="blue"), "Additional properties are not allowed ('colour'"),
    (lambda d: d.update(languages=["ru", "ru"]), "languages: a language is listed twice"),
])
def test_a_wrong_profile_stops_naming_the_file_and_key(tmp_path: Path, change, where: str) -> None:
    directory = broken(tmp_path, change)
    with pytest.raises(ProfileError) as err:
        load(directory)
    assert str(directory / "profile.yaml") in str(err.value)
    assert where in str(err.value)


def test_an_unknown_profile_names_the_bundled_ones(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="neither a bundled profile .*kg.*kz"):
        load_profile("mn")
    result = subprocess.run([sys.executable, "-m", "emis_lod.cli", "build", "--source", str(tmp_path),
                             "--store", str(tmp_path / "store"), "--profile", "mn"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "bundled profile" in result.stderr and "kg" in result.stderr
    assert not (tmp_path / "store").exists()


def test_the_release_records_its_profile(profile_built: BuildReport, profile) -> None:
    release = current_release(profile_built.store)
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["profile"] == profile.name
    assert manifest["languages"] == list(profile.languages)
    recorded = profiles.of_release(release)
    assert (recorded.name, recorded.languages, recorded.currency) == \
        (profile.name, profile.languages, profile.currency)


def test_a_mapping_extends_another_by_merging(tmp_path: Path) -> None:
    base = ROOT / "mappings" / "schools.yaml"
    (tmp_path / "schools.yaml").write_text(
        f"extends: {base}\n"
        "columns:\n"
        "  school_code: {aliases: ['Мектеп коды'], pattern: '^[0-9]{12}$'}\n"
        "  latitude: {min: 40.5, max: 55.5}\n"
        "  longitude: {max: null}\n", encoding="utf-8")
    m = load_mapping(tmp_path / "schools.yaml")
    original = load_mapping(base)
    assert m.column("school_code").aliases == ("Мектеп коды",)
    assert m.column("school_code").pattern == "^[0-9]{12}$"
    assert m.column("latitude").min == 40.5 and m.column("latitude").max == 55.5
    assert m.column("name_ru").aliases == original.column("name_ru").aliases
    assert m.column("longitude").max is None and original.column("longitude").max is not None
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(BuildError, match="cycle"):
        load_mapping(tmp_path / "a.yaml")


def test_a_later_directory_replaces_a_mapping_of_the_same_name(tmp_path: Path) -> None:
    directory = copy_profile(tmp_path)
    own = directory / "mappings"
    own.mkdir()
    (own / "schools.yaml").write_text(f"extends: {ROOT / 'mappings' / 'schools.yaml'}\n"
                                      "title: Schools of the test\n", encoding="utf-8")
    data = yaml.safe_load((directory / "profile.yaml").read_text(encoding="utf-8"))
    data["mappings"].append("mappings")
    (directory / "profile.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    mappings = {m.table: m for m in load_mappings(files=load(directory).files("mappings"))}
    assert mappings["schools"].title == "Schools of the test"
    assert mappings["schools"].path == str(own / "schools.yaml")


# Facts of a country: none may be written in the platform's Python (the generators are the
# countries' demo data, and the profiles' own)
NATIONAL = re.compile(r"KGS|KZT|\bKG-[A-Z]|\bKZ-\d|Kyrgyzstan|Kazakhstan|Бишкек|Астана|"
                      r"Министерство образования")


def code_strings(path: Path) -> list[tuple[int, str]]:
    """The string constants a module computes with (its docstrings left out: an example in a
    docstring is documentation)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_nothing_national_is_written_in_python() -> None:
    found = []
    for folder in ("loaders", "endpoint", "emis_lod", "profiles"):
        for path in (ROOT / folder).rglob("*.py"):
            if "generator" in path.parts:
                continue
            found += [f"{path.relative_to(ROOT)}:{line}: {text[:80]!r}"
                      for line, text in code_strings(path) if NATIONAL.search(text)]
    assert not found, "national facts belong in a profile:\n" + "\n".join(found)


def test_every_profile_key_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Country profiles"):readme.index("## Mapping files")]
    schema = json.loads((ROOT / "profiles" / "profile.schema.json").read_text(encoding="utf-8"))
    for key in schema["properties"]:
        assert f"`{key}`" in section, f"profile key {key} missing from the README"


def test_a_profile_extends_another(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "profile.yaml").write_text(
        "extends: kg\nname: kg-city\nmappings: [mappings]\ncurrency: USD\n"
        "title: {ru: Каталог города}\n", encoding="utf-8")
    p = load(tmp_path)
    kg = load_profile("kg")
    assert p.name == "kg-city" and p.currency == "USD" and p.languages == kg.languages
    assert p.directories("mappings") == [*kg.directories("mappings"), tmp_path.resolve() / "mappings"]
    assert p.files("shapes") == kg.files("shapes")
    assert p.text("title", "ru") == "Каталог города" and p.text("title", "en") == kg.text("title", "en")
    (tmp_path / "profile.yaml").write_text("extends: nowhere\nname: x\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="extends: .*nowhere"):
        load(tmp_path)
