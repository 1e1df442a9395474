"""What changed between releases (loaders/changes.py): three builds of small generated exports
with changes of every kind (schools removed, added and renamed, a building and the records of
a removed school gone); the changesets applied in order to the first release's dump give the
last one's, and the resources added, removed and changed are those a plain comparison of the
quads in memory finds."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from emis_lod.generator import generate
from emis_lod.loaders import changes, releases
from emis_lod.loaders.build import build
from emis_lod.loaders.resource_types import bundled_types
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

BASE = "http://data.test/"
SCHOOLS = 8


@dataclass(frozen=True)
class Builds:
    store: Path
    ids: list[str]

    def release(self, i: int) -> Path:
        return self.store / releases.RELEASES / self.ids[i]

    def manifest(self, i: int) -> dict:
        return releases.read_manifest(self.release(i))


def _lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as f:
        return f.read().splitlines(keepends=True)


def _edit(path: Path, edit) -> None:
    """Rewrite a CSV of the export in its own encoding and line ends."""
    raw = path.read_bytes()
    encoding = "utf-8"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        encoding, text = "cp1251", raw.decode("cp1251")
    end = "\r\n" if "\r\n" in text else "\n"
    rows = text.split(end)
    tail = rows.pop() if rows[-1] == "" else None
    rows = edit(rows)
    path.write_bytes((end.join(rows) + (end if tail is not None else "")).encode(encoding))


def _cell(row: str, i: int) -> str:
    return row.split(";")[i]


@pytest.fixture(scope="session")
def three_builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    source = tmp_path_factory.mktemp("changes-source")
    generate(source, schools=SCHOOLS, seed=11)
    store = tmp_path_factory.mktemp("changes-store")
    settings = load_settings(base_uri=BASE)
    ids = [build(source, store, settings, echo=lambda *_: None).release]
    # second: a school gone (its records go with it), a school renamed, a building gone
    removed_school = _cell(_school_rows(source)[1], 0)

    def schools_two(rows: list[str]) -> list[str]:
        rows = [r for r in rows if not r.startswith(removed_school + ";")]
        cells = rows[1].split(";")
        cells[2] = cells[2] + " (renamed)"
        rows[1] = ";".join(cells)
        return rows

    _edit(source / "schools.csv", schools_two)
    _edit(source / "buildings.csv", lambda rows: rows[:-1])
    ids.append(build(source, store, settings, echo=lambda *_: None).release)
    # third: a new school (a copy of the first under a new code), an address changed

    def schools_three(rows: list[str]) -> list[str]:
        cells = rows[1].split(";")
        cells[0] = cells[0][:-2] + "99"
        moved = rows[1].split(";")
        moved[10] = moved[10] + " 2"
        return [rows[0], ";".join(moved), *rows[2:], ";".join(cells)]

    _edit(source / "schools.csv", schools_three)
    ids.append(build(source, store, settings, echo=lambda *_: None).release)
    return Builds(store, ids)


def _school_rows(source: Path) -> list[str]:
    raw = (source / "schools.csv").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    return [r for r in text.splitlines() if r][1:]


def test_the_first_release_records_no_comparison(three_builds: Builds) -> None:
    first = three_builds.manifest(0)
    assert "changes" not in first
    assert not any(changes.is_changeset(d["file"]) for d in first["dumps"])
    assert (three_builds.release(0) / changes.CHANGES / changes.SORTED).is_file()


def test_changesets_applied_in_order_give_the_last_dump(three_builds: Builds) -> None:
    quads = set(_lines(three_builds.release(0) / "dumps" / "emis.nq.gz"))
    for i in (1, 2):
        compared = three_builds.manifest(i)["changes"]
        assert compared["previous"] == three_builds.ids[i - 1]
        dumps = three_builds.release(i) / "dumps"
        removed = _lines(dumps / compared["files"]["removed"])
        added = _lines(dumps / compared["files"]["added"])
        assert (len(added), len(removed)) == (compared["added_quads"], compared["removed_quads"])
        assert set(removed) <= quads and not set(added) & quads   # a true difference
        quads = changes.apply(iter(quads), iter(removed), iter(added))
        assert quads == set(_lines(dumps / "emis.nq.gz")), f"release {i + 1}"


def _records(path: Path, uris: Uris) -> dict[str, tuple[str, frozenset[bytes]]]:
    out: dict[str, tuple[str, set[bytes]]] = {}
    types = changes.release_types(path.parent.parent, uris)   # the release's, from its manifest
    assert types == set(bundled_types(uris))
    for line in _lines(path):
        found = changes.resource_of(line.split(b" ", 1)[0].decode(), uris, types)
        if found:
            out.setdefault(found[1], (found[0], set()))[1].add(line)
    return {iri: (t, frozenset(lines)) for iri, (t, lines) in out.items()}


def test_resources_added_removed_and_changed_are_those_of_a_plain_comparison(
        three_builds: Builds) -> None:
    uris = Uris(BASE)
    for i in (1, 2):
        old = _records(three_builds.release(i - 1) / "dumps" / "emis.nq.gz", uris)
        new = _records(three_builds.release(i) / "dumps" / "emis.nq.gz", uris)
        expected: dict[str, dict[str, int]] = {}
        for iri in old.keys() | new.keys():
            kind = ("added" if iri not in old else "removed" if iri not in new
                    else "changed" if old[iri][1] != new[iri][1] else None)
            if kind:
                type_ = (new.get(iri) or old[iri])[0]
                expected.setdefault(type_, dict.fromkeys(changes.KINDS, 0))[kind] += 1
        assert three_builds.manifest(i)["changes"]["counts"] == dict(sorted(expected.items()))
        members = (three_builds.release(i) / changes.CHANGES / changes.MEMBERS).read_text().splitlines()
        assert len(members) == sum(sum(c.values()) for c in expected.values())
        assert members == sorted(members)


def test_every_kind_of_change_is_seen(three_builds: Builds) -> None:
    second = three_builds.manifest(1)["changes"]["counts"]
    third = three_builds.manifest(2)["changes"]["counts"]
    assert second["school"]["removed"] == 1 and second["school"]["changed"] >= 1
    assert second["building"]["removed"] >= 1
    assert second["enrolment"]["removed"] >= 1           # the removed school's records
    assert second["release"] == {"added": 1, "removed": 1, "changed": 0}
    assert third["school"]["added"] == 1 and third["school"]["changed"] >= 1


def test_the_changeset_is_listed_with_its_size_and_checksum(three_builds: Builds) -> None:
    manifest = three_builds.manifest(2)
    dumps = three_builds.release(2) / "dumps"
    listed = {d["file"]: d for d in manifest["dumps"]}
    sums = dict(reversed(line.split("  ")) for line in
                (dumps / "SHA256SUMS").read_text().splitlines())
    for name in manifest["changes"]["files"].values():
        assert changes.is_changeset(name) and name in listed
        data = (dumps / name).read_bytes()
        assert listed[name]["bytes"] == len(data)
        assert listed[name]["sha256"] == sums[name] == hashlib.sha256(data).hexdigest()
        assert listed[name]["media_type"] == "application/gzip"
    assert set(sums) == set(listed) == {p.name for p in dumps.iterdir()} - {"SHA256SUMS"}


def test_a_previous_release_without_its_sorted_quads_is_sorted_again(three_builds: Builds,
                                                                      tmp_path: Path) -> None:
    """A release built before changes were kept (or imported without them) is compared from
    its dump: the same changeset."""
    old, new = tmp_path / three_builds.ids[1], tmp_path / three_builds.ids[2]
    shutil.copytree(three_builds.release(1) / "dumps", old / "dumps")
    shutil.copytree(three_builds.release(2) / "dumps", new / "dumps",
                    ignore=lambda _d, names: [n for n in names if changes.is_changeset(n)])
    again = changes.compare(old, new, Uris(BASE))
    assert again is not None
    assert again.manifest() == three_builds.manifest(2)["changes"]
    for name in again.files.values():
        assert (new / "dumps" / name).read_bytes() == (three_builds.release(2) / "dumps" / name).read_bytes()
    assert not {p.name for p in (new / changes.CHANGES).iterdir()} - {changes.SORTED, changes.MEMBERS,
                                                                      changes.PAGES}


def test_pages_split_the_members(tmp_path: Path) -> None:
    members = [("school", f"{BASE}id/school/{i:05d}", "update") for i in range(2 * changes.PAGE_SIZE + 3)]
    (tmp_path / changes.CHANGES).mkdir()
    changes.write_members(tmp_path / changes.CHANGES, members)
    index, first = changes.read_page(tmp_path, 1)
    assert len(index["pages"]) == 3 and len(first) == changes.PAGE_SIZE
    assert [m for p in (1, 2, 3) for m in changes.read_page(tmp_path, p)[1]] == sorted(members)
    assert changes.read_page(tmp_path, 4)[1] == []
    assert json.loads((tmp_path / changes.CHANGES / changes.PAGES).read_text())["members"] == len(members)


def test_resource_of_reads_our_iris_only() -> None:
    uris = Uris(BASE)
    types = set(bundled_types(uris))
    assert changes.resource_of(f"<{BASE}id/school/1>", uris, types) == ("school", f"{BASE}id/school/1")
    assert changes.resource_of(f"<{BASE}id/release/R#file-x.csv>", uris, types) == (
        "release", f"{BASE}id/release/R")
    assert changes.resource_of(f"<{BASE}def/concept/material/brick>", uris, types) == (
        "concept", f"{BASE}def/concept/material/brick")
    for other in (f"<{BASE}graph/schools>", "_:b1", "<http://else.org/id/school/1>",
                  f"<{BASE}id/unknown/1>", f"<{BASE}def/emis#School>"):
        assert changes.resource_of(other, uris, types) is None
    assert changes.resource_of(f"<{BASE}id/unknown/1>", uris, None) == ("unknown", f"{BASE}id/unknown/1")


