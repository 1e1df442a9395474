"""loaders/vocabulary_check.py: every term a mapping uses is declared in the ontology and every
class it makes has a shape; each rule on a small mapping, ontology and shapes of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emis_lod.loaders.codelists import vocabulary_files
from emis_lod.loaders.errors import BuildError
from emis_lod.loaders.mapping_spec import load_mappings, parse_mapping
from emis_lod.loaders.validate import shape_files
from emis_lod.loaders.vocabulary_check import check
from emis_lod.uris import Uris

URIS = Uris("http://data.test/")
PREFIXES = """@prefix emis: <emis#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
"""
ONTOLOGY = """
emis:Gym a owl:Class ; rdfs:subClassOf emis:Facility .
emis:Facility a rdfs:Class .
emis:area a owl:DatatypeProperty .
emis:school a owl:ObjectProperty, owl:FunctionalProperty .
emis:gym a owl:ObjectProperty .
schema:name a rdf:Property .
"""
SHAPES = "[] a sh:NodeShape ; sh:targetClass emis:Gym ."


def mapping(properties: dict[str, Any] | None = None, cls: str = "emis:Gym",
            columns: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"table": "gyms", "source": {"files": ["gyms.csv"]}, "graph": "gyms", "key": ["code"],
            "columns": columns or {"code": {"required": True}, "area": {"datatype": "decimal"}},
            "resources": [{"id": "gym/{code}", "class": cls,
                           "properties": properties or {"emis:area": "area"}}]}


def run(tmp_path: Path, data: dict[str, Any], ontology: str = ONTOLOGY, shapes: str = SHAPES) -> None:
    (tmp_path / "ontology.ttl").write_text(PREFIXES + ontology, encoding="utf-8")
    (tmp_path / "shapes.ttl").write_text(PREFIXES + shapes, encoding="utf-8")
    check([parse_mapping(data, "gyms.yaml")], URIS, [tmp_path / "ontology.ttl"], [tmp_path / "shapes.ttl"])


def refused(tmp_path: Path, data: dict[str, Any], **files: str) -> str:
    with pytest.raises(BuildError) as err:
        run(tmp_path, data, **files)
    return str(err.value)


def test_the_bundled_mappings_pass() -> None:
    check(load_mappings(), URIS, vocabulary_files(), shape_files())


def test_declared_terms_and_a_targeted_class_pass(tmp_path: Path) -> None:
    run(tmp_path, mapping({"emis:area": "area", "schema:name": {"column": "code", "lang": "ru"},
                           "emis:school": {"id": "school/{code}", "inverse": "emis:gym"}}))


def test_an_undeclared_property(tmp_path: Path) -> None:
    message = refused(tmp_path, mapping({"emis:areaa": "area"}))
    assert message.startswith("gyms.yaml: resource 'gym/{code}': property emis:areaa is not declared "
                              "in the ontology (ontology/*.ttl); declare it"), message
    assert "emis:areaa a owl:DatatypeProperty" in message


def test_an_undeclared_inverse_is_an_object_property(tmp_path: Path) -> None:
    message = refused(tmp_path, mapping({"emis:school": {"id": "school/{code}", "inverse": "emis:gyms"}}))
    assert "property emis:gyms is not declared" in message and "emis:gyms a owl:ObjectProperty" in message


def test_a_term_of_another_vocabulary_goes_to_reused_ttl(tmp_path: Path) -> None:
    message = refused(tmp_path, mapping({"schema:nmae": "code"}))
    assert "property schema:nmae is not declared in the ontology" in message
    assert "ontology/reused.ttl" in message and "rdfs:isDefinedBy <https://schema.org/>" in message


def test_a_class_used_as_a_property(tmp_path: Path) -> None:
    message = refused(tmp_path, mapping({"emis:Facility": "area"}))
    assert "property emis:Facility is not declared in the ontology (ontology/*.ttl) (it is declared " \
           "as a class)" in message


def test_an_undeclared_class(tmp_path: Path) -> None:
    message = refused(tmp_path, mapping(cls="emis:Gymnasium"))
    assert message.startswith("gyms.yaml: resource 'gym/{code}': class emis:Gymnasium is not declared "
                              "in the ontology (ontology/*.ttl); declare it"), message


def test_a_class_without_a_shape(tmp_path: Path) -> None:
    message = refused(tmp_path, mapping(), shapes="")
    assert message.startswith("gyms.yaml: resource 'gym/{code}': class emis:Gym has no SHACL shape "
                              "(shapes/*.ttl)"), message
    assert "sh:targetClass emis:Gym" in message


@pytest.mark.parametrize("shapes", [
    "[] a sh:NodeShape ; sh:targetClass emis:Facility .",            # a class above it
    "emis:Gym a rdfs:Class, sh:NodeShape .",                         # implicit class target
    "[] a sh:NodeShape ; sh:targetSubjectsOf emis:school .",         # a property every row has
], ids=["superclass", "implicit", "subjects-of-required"])
def test_other_ways_a_shape_covers_a_class(tmp_path: Path, shapes: str) -> None:
    run(tmp_path, mapping({"emis:school": {"id": "school/{code}"}}), shapes=shapes)


@pytest.mark.parametrize("shapes", [
    "[] a sh:NodeShape ; sh:targetSubjectsOf emis:area .",           # a column that may be empty
    "[] a sh:NodeShape ; sh:targetObjectsOf emis:gym .",
    "[] a sh:NodeShape ; sh:targetNode <http://data.test/id/gym/1> .",
], ids=["subjects-of-optional", "objects-of", "node"])
def test_targets_that_reach_only_some_instances_do_not_count(tmp_path: Path, shapes: str) -> None:
    message = refused(tmp_path, mapping({"emis:area": "area", "emis:school": {"id": "school/{code}"}}),
                      shapes=shapes)
    assert "class emis:Gym has no SHACL shape" in message
