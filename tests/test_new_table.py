"""Adding a table is data only: README's "Adding a table", performed.

A table the project does not ship (the sports facilities of schools) is added in a temporary
profile by the files the README shows (its mapping, the ontology terms and the shape it needs,
its code list; read from the README, so the procedure documented is the one tested) and a
``profile.yaml`` that lists the platform's directories and the profile's own. ``emis-lod build
--profile`` builds a small generated export plus ``sports_facilities.csv``: the rows land in
the store, the release records the new type, ``/id/sports-facility/{key}`` answers 303 and its
document 200 (JSON-LD and HTML, with its data), and ``/list/sports-facility`` lists it. The same
table is refused, with an error naming the file, the resource and the term, before anything is
written, when its mapping uses an undeclared property or class, or a class without a shape.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from emis_lod.cli import main
from emis_lod.endpoint import create_app
from emis_lod.generator import generate
from emis_lod.loaders import releases
from emis_lod.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://data.test/"
SCHOOLS = 30
MAPPING = "mappings/sports_facilities.yaml"
TEMPLATE = "sports-facility/{facility_id}"
KINDS = ("спортзал", "stadium", "Бассейн")     # a code list's altLabel, notation, prefLabel


def readme_files() -> dict[str, str]:
    """The files of README's "Adding a table": each ```block``` after a line `` `path`: ``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Adding a table\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^`((?:mappings|ontology|shapes|concepts)/[\w.-]+|profile\.yaml)`:[^\n]*\n"
                           r"(?:[^`\n][^\n]*\n)*\n```\w*\n(.*?)^```", section, re.M | re.S))


def write_profile(directory: Path, files: dict[str, str]) -> Path:
    """A profile directory holding the README's files, its profile.yaml included (and the
    directories it lists, should a case leave one empty)."""
    for key in ("mappings", "ontology", "concepts", "shapes"):
        (directory / key).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def valid_school_codes(source: Path, faulty: set[tuple[str, int]], values: set[str]) -> list[str]:
    """Codes of schools the generator wrote without a fault (the build keeps them)."""
    with open(source / "schools.csv", encoding="cp1251", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    codes = [r["school_code"] for r in rows]
    return [code for row, code in enumerate(codes, start=2)
            if ("schools.csv", row) not in faulty and code and code not in values
            and codes.count(code) == 1]


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    found = readme_files()
    assert set(found) == {"profile.yaml", MAPPING, "ontology/sports.ttl", "shapes/sports.ttl",
                          "concepts/sports-facility-kinds.ttl"}, "README's files changed"
    return found


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A generated export and ``sports_facilities.csv``: a facility of each of five schools,
    and a second one of the first; the facilities' keys."""
    out = tmp_path_factory.mktemp("new-table-source")
    made = generate(out, schools=SCHOOLS, seed=3)
    codes = valid_school_codes(out, {(r.file, r.row) for r in made.invalid},
                               {r.value for r in made.invalid})[:5]
    assert len(codes) == 5
    rows = [[f"{code}-S1", code, f"Спортзал школы {code}", KINDS[i % 3], f"{200 + i}.5"]
            for i, code in enumerate(codes)]
    rows.append([f"{codes[0]}-S2", codes[0], "Стадион", "stadium", ""])
    with open(out / "sports_facilities.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Код объекта", "Код школы", "Наименование", "Вид объекта", "Площадь, м2"])
        writer.writerows(rows)
    return out, [r[0] for r in rows]


def run_build(source: Path, store: Path, profile: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--store", str(store),
                                       "--profile", str(profile), "--base-uri", BASE, "--quiet"])
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, files: dict[str, str],
          source: tuple[Path, list[str]]) -> Path:
    profile = write_profile(tmp_path_factory.mktemp("new-table-profile"), files)
    store = tmp_path_factory.mktemp("new-table-store")
    code, errors = run_build(source[0], store, profile)
    assert code == 0, errors
    return store


@pytest.fixture(scope="module")
def client(built: Path):
    return create_app(built, load_settings(base_uri=BASE)).test_client()


# ------------------------------------------------------------------ the table is added

def test_the_rows_land_in_the_store(built: Path, source: tuple[Path, list[str]]) -> None:
    manifest = releases.read_manifest(releases.current_release(built))
    table = manifest["tables"]["sports_facilities"]
    assert (table["rows_read"], table["rows_loaded"]) == (6, 6), table
    assert manifest["types"]["sports-facility"] == {
        "class": f"{BASE}def/emis#SportsFacility", "made_by": "mapping", "tables": ["sports_facilities"],
        "links": {"school": "emis:school"}}


def test_a_facility_dereferences(client, source: tuple[Path, list[str]]) -> None:
    key = source[1][0]
    school = key.split("-")[0]
    answer = client.get(f"/id/sports-facility/{key}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{BASE}doc/sports-facility/{key}"
    document = client.get(f"/doc/sports-facility/{key}", headers={"Accept": "application/ld+json"})
    assert document.status_code == 200 and document.mimetype == "application/ld+json"
    data = document.get_json()
    assert data["id"] == f"{BASE}id/sports-facility/{key}"
    assert data["type"] == "emis:SportsFacility"
    assert data["school"]["id"] == f"{BASE}id/school/{school}"
    assert data["emis:facilityKind"]["id"] == f"{BASE}def/concept/sports-facility-kind/gym"
    assert data["emis:floorArea"]["@value"] == "200.5"
    html = client.get(f"/doc/sports-facility/{key}?lang=en", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    for shown in ("Sports facility", "floor area, m²", "Gym", f"Спортзал школы {school}"):
        assert shown in page, shown
    assert client.get("/id/sports-facility/no-such-key").status_code == 404


def test_the_facilities_are_listed(client, source: tuple[Path, list[str]]) -> None:
    """Under the class's label, with their school (a column and a filter: the mapping links
    each facility to a school)."""
    listed = client.get("/list/sports-facility.csv")
    assert listed.status_code == 200
    assert int(listed.headers["EMIS-Total-Count"]) == 6
    rows = list(csv.DictReader(io.StringIO(listed.get_data(as_text=True))))
    assert {row["id"] for row in rows} == {f"{BASE}id/sports-facility/{key}" for key in source[1]}
    assert all(row["school"] == f"{BASE}id/school/{row['key'].split('-')[0]}" for row in rows)
    school = source[1][0].split("-")[0]
    of_school = client.get(f"/list/sports-facility.csv?school={school}")
    assert of_school.status_code == 200 and int(of_school.headers["EMIS-Total-Count"]) == 2
    html = client.get("/list/sports-facility?lang=en", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "Sports facility" in html.get_data(as_text=True)


# ------------------------------------------------------------------ the build refuses it

@pytest.mark.parametrize("change, term, expected", [
    (("emis:floorArea: area", "emis:floorSpace: area"), "property emis:floorSpace",
     "is not declared in the ontology"),
    (("class: emis:SportsFacility", "class: emis:SportsGround"), "class emis:SportsGround",
     "is not declared in the ontology"),
    (None, "class emis:SportsFacility", "has no SHACL shape"),
], ids=["undeclared-property", "undeclared-class", "class-without-shape"])
def test_the_build_refuses_undeclared_terms(tmp_path: Path, files: dict[str, str],
                                            source: tuple[Path, list[str]],
                                            change: tuple[str, str] | None, term: str,
                                            expected: str) -> None:
    changed = dict(files)
    if change is None:
        del changed["shapes/sports.ttl"]
    else:
        assert changed[MAPPING].count(change[0]) == 1
        changed[MAPPING] = changed[MAPPING].replace(*change)
    profile = write_profile(tmp_path / "profile", changed)
    store = tmp_path / "store"
    code, errors = run_build(source[0], store, profile)
    assert code == 2
    first = errors.splitlines()[0]
    assert first.startswith(f"error: {profile / MAPPING}: resource '{TEMPLATE}': {term} {expected}"), first
    assert "README" in first and ("declare it" in first or "add a shape" in first), first
    locks = (releases.LOCK, releases.BUILD_LOCK)
    written = [p.name for p in store.rglob("*") if p.name not in locks] if store.exists() else []
    assert written == [], "a refused build wrote into the store"
