"""loaders/resource_types.py: the types of a release read from the mappings, the derived queries
and the platform's own, and what stops a build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emis_lod.loaders.errors import BuildError
from emis_lod.loaders.mapping_spec import parse_mapping
from emis_lod.loaders.resource_types import (
    bundled_types,
    derived_types,
    from_manifest,
    resource_types,
    to_manifest,
)
from emis_lod.uris import PLATFORM_TYPES, Uris

URIS = Uris("http://data.test/")


def mapping(*resources: dict[str, Any], table: str = "gyms") -> Any:
    return parse_mapping({"table": table, "source": {"files": [f"{table}.csv"]}, "graph": table,
                          "key": ["code"], "columns": {"code": {"required": True}},
                          "resources": list(resources)}, f"{table}.yaml")


def test_the_bundled_types() -> None:
    types = bundled_types(URIS)
    assert types["school"].cls == URIS.vocab + "School"
    assert types["school"].tables == ("schools", "crosswalks")
    assert types["staff-summary"].query == "staff-summary.rq"
    assert types["staff-summary"].cls == URIS.vocab + "StaffSummary"
    assert types["staff"].describes_people and not types["school"].describes_people
    assert {t for t, made in types.items() if made.made_by == "platform"} == set(PLATFORM_TYPES)
    assert {"finance-summary", "provision-summary", "staff-summary"} == {
        t for t, made in types.items() if made.made_by == "derived"}


def test_a_type_from_a_template_and_its_class() -> None:
    types = resource_types([mapping({"id": "sports-facility/{code}", "class": "emis:Gym",
                                     "properties": {}},
                                    {"id": "sports-facility/{code}", "properties": {}})], URIS, [])
    assert types["sports-facility"].cls == URIS.vocab + "Gym"
    assert types["sports-facility"].tables == ("gyms",)
    assert types["sports-facility"].links == ()
    linked = resource_types([mapping({"id": "gym/{code}", "class": "emis:Gym", "properties": {
        "emis:school": {"id": "school/{code}"}, "skos:exactMatch": {"id": "http://x.org/{code}"}}})],
        URIS, [])
    assert linked["gym"].links == (("school", "emis:school"),)     # absolute templates link outside
    assert bundled_types(URIS)["enrolment"].links == (("school", "emis:school"),)


def test_the_manifest_round_trip() -> None:
    types = bundled_types(URIS)
    assert from_manifest({"types": to_manifest(types)}, URIS) == types
    assert from_manifest({}, URIS) == types      # a release that records none: the bundled ones


def test_derived_types_from_the_minted_iris(tmp_path: Path) -> None:
    query = tmp_path / "gym-summary.rq"
    query.write_text('CONSTRUCT { ?s a emis:GymSummary ; emis:school ?school } WHERE {\n'
                     '  ?school emis:schoolCode ?code .\n'
                     '  BIND(IRI(CONCAT("id/gym-summary/", ?code)) AS ?s) }\n', encoding="utf-8")
    types = derived_types([query], URIS)
    assert types["gym-summary"].cls == URIS.vocab + "GymSummary"
    query.write_text(query.read_text().replace("?s a emis:GymSummary ;", "?s"), encoding="utf-8")
    with pytest.raises(BuildError, match="does not give \\?s a class"):
        derived_types([query], URIS)


@pytest.mark.parametrize("resources, error", [
    ([{"id": "{code}", "class": "emis:Gym", "properties": {}}], "an id must start with its type"),
    ([{"id": "Gym/{code}", "class": "emis:Gym", "properties": {}}], "an id must start with its type"),
    ([{"id": "gym/{code}", "properties": {}}], "no resource block gives it a class"),
    ([{"id": "gym/{code}", "class": "emis:Gym", "properties": {}},
      {"id": "gym/{code}", "class": "emis:Hall", "properties": {}}], "is given more than one class"),
    ([{"id": "release/{code}", "class": "emis:Gym", "properties": {}}], "and by the platform"),
    ([{"id": "gym/{code}", "class": "nope:Gym", "properties": {}}], "unknown prefix in class"),
])
def test_what_stops_a_build(resources: list[dict[str, Any]], error: str) -> None:
    with pytest.raises(BuildError, match=error):
        resource_types([mapping(*resources)], URIS, [])
