"""The SPARQL-compiled SHACL validator against pySHACL, the reference.

Each folder under tests/data/shacl/ is a case: ``data.ttl`` and ``shapes.ttl``. The data goes
into a NAMED graph of an Oxigraph store (so the union-default-graph mode is exercised) and into
rdflib for pySHACL; the sets of (focus, path, value, component) must be equal. A folder whose
name ends in ``-conforms`` must produce no result at all, every other folder at least one.
"""

from __future__ import annotations

import doctest
import random
from collections import Counter
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from rdflib.namespace import SH

from emis_lod.loaders import shacl
from emis_lod.loaders.shacl import (
    InvalidShape,
    UnsupportedShape,
    ValidationFailure,
    Violation,
    compile_shapes,
    compiler,
    report_graph,
    validate_pyshacl,
    validate_store,
)

DATA = Path(__file__).parent / "data" / "shacl"
CASES = sorted(p for p in DATA.iterdir() if (p / "shapes.ttl").exists())
GRAPH = pyoxigraph.NamedNode("urn:emis-lod:test:data")
EX = "http://example.org/"

PREFIXES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def _store(turtle: str | bytes) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    data = turtle.encode() if isinstance(turtle, str) else turtle
    store.load(data, format=pyoxigraph.RdfFormat.TURTLE, to_graph=GRAPH)
    return store


def _canonical(term: str | None) -> str | None:
    """An N-Triples term as Oxigraph stores it; blank nodes become ``_:b`` (labels differ).

    Oxigraph canonicalises valid literals when it stores them ("01"^^xsd:integer becomes "1",
    "5"^^xsd:nonNegativeInteger becomes "5"^^xsd:integer), so pySHACL's values go through a
    store too before the sets are compared.
    """
    if term is None:
        return None
    if term.startswith("_:"):
        return "_:b"
    store = pyoxigraph.Store()
    store.load(f"<urn:s> <urn:p> {term} .".encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    (quad,) = list(store)
    obj = quad.object
    return "_:b" if isinstance(obj, pyoxigraph.BlankNode) else str(obj)


def _key(v: Violation) -> tuple:
    focus = v.focus if v.focus.startswith(('"', "_:")) else f"<{v.focus}>"
    return (_canonical(focus), v.path, _canonical(v.value), v.component)


def _both(data_ttl: str, shapes_ttl: str) -> tuple[list[Violation], list[Violation]]:
    shapes = rdflib.Graph().parse(data=shapes_ttl, format="turtle")
    data = rdflib.Graph().parse(data=data_ttl, format="turtle")
    return validate_store(_store(data_ttl), shapes), validate_pyshacl(data, shapes)


# Constraints that have a per-focus form run in it up to PER_FOCUS_LIMIT focus nodes, in their
# set-based form above: every case runs in both.
FORMS = {"set-based": -1, "per-focus": 10**9}


@pytest.fixture(params=list(FORMS))
def form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(compiler, "PER_FOCUS_LIMIT", FORMS[request.param])
    return str(request.param)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_matches_pyshacl(case: Path, form: str) -> None:
    ours, ref = _both((case / "data.ttl").read_text(), (case / "shapes.ttl").read_text())
    assert {_key(v) for v in ours} == {_key(v) for v in ref}
    # Severity travels with each result too.
    assert {(_key(v), v.severity) for v in ours} == {(_key(v), v.severity) for v in ref}
    if case.name.endswith("-conforms"):
        assert ours == []
    else:
        assert ours, "a violating case must produce results"


def test_every_supported_constraint_has_a_violating_case() -> None:
    """Each component the compiler supports is exercised by at least one case."""
    seen: set[str] = set()
    for case in CASES:
        shapes = rdflib.Graph().parse(case / "shapes.ttl")
        seen |= {c.component for c in compile_shapes(shapes)}
    expected = {
        "MinCount", "MaxCount", "Datatype", "Class", "NodeKind", "In", "HasValue", "Pattern",
        "MinInclusive", "MaxInclusive", "MinExclusive", "MaxExclusive", "MinLength", "MaxLength",
        "LanguageIn", "UniqueLang", "Node", "Not", "And", "Or", "Xone", "SPARQL", "Closed",
        "Equals", "Disjoint", "LessThan", "LessThanOrEquals", "QualifiedMinCount",
        "QualifiedMaxCount",
    }
    assert {f"{SH}{name}ConstraintComponent" for name in expected} <= seen


def test_module_docstring_example_runs() -> None:
    assert doctest.testmod(shacl).failed == 0


def test_union_mode_reads_named_graphs_only_when_asked() -> None:
    case = DATA / "targets-class-subclass"
    store = _store((case / "data.ttl").read_bytes())
    shapes = rdflib.Graph().parse(case / "shapes.ttl")
    assert validate_store(store, shapes, union=True)
    assert validate_store(store, shapes, union=False) == []
    default = pyoxigraph.Store()
    default.load((case / "data.ttl").read_bytes(), format=pyoxigraph.RdfFormat.TURTLE)
    assert validate_store(default, shapes, union=False) == validate_store(store, shapes)


def test_ontology_graph_supplies_subclasses() -> None:
    """rdfs:subClassOf axioms from the ontology: in another named graph of the store, and
    passed to pySHACL as ``ont``; both engines find the subclass instance."""
    onto = PREFIXES + "ex:Lyceum rdfs:subClassOf ex:School ."
    data = PREFIXES + "ex:s1 a ex:Lyceum . ex:s2 a ex:School ; ex:name \"Two\" ."
    shapes = rdflib.Graph().parse(data=PREFIXES + """
    ex:S sh:targetClass ex:School ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .""", format="turtle")
    store = _store(data)
    store.load(onto.encode(), format=pyoxigraph.RdfFormat.TURTLE,
               to_graph=pyoxigraph.NamedNode("urn:emis-lod:test:ontology"))
    ours = validate_store(store, shapes)
    ref = validate_pyshacl(rdflib.Graph().parse(data=data, format="turtle"), shapes,
                           ont=rdflib.Graph().parse(data=onto, format="turtle"))
    assert [v.focus for v in ours] == [f"{EX}s1"]
    assert {_key(v) for v in ours} == {_key(v) for v in ref}


def test_ill_typed_literals_are_violations() -> None:
    data = PREFIXES + """
    ex:s1 a ex:School ; ex:pupils "abc"^^xsd:integer, 12 ; ex:opened "2020-02-30"^^xsd:date ;
      ex:teachers "-5"^^xsd:nonNegativeInteger, "7"^^xsd:nonNegativeInteger ; ex:code "0A"^^xsd:hexBinary .
    """
    shapes = PREFIXES + """
    ex:S sh:targetClass ex:School ;
      sh:property [ sh:path ex:pupils ; sh:datatype xsd:integer ] ;
      sh:property [ sh:path ex:opened ; sh:datatype xsd:date ] ;
      sh:property [ sh:path ex:code ; sh:datatype xsd:hexBinary ] ;
      sh:property [ sh:path ex:teachers ; sh:datatype xsd:nonNegativeInteger ] .
    """
    ours, ref = _both(data, shapes)
    assert {(v.path, v.value) for v in ours} == {
        (f"{EX}pupils", '"abc"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        (f"{EX}opened", '"2020-02-30"^^<http://www.w3.org/2001/XMLSchema#date>'),
        # Oxigraph stores "-5"^^xsd:nonNegativeInteger as the xsd:integer -5, out of range.
        (f"{EX}teachers", '"-5"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    }
    assert {_key(v) for v in ours} == {_key(v) for v in ref}


def test_ill_typed_boolean_keeps_its_lexical_form() -> None:
    """rdflib rewrites "yes"^^xsd:boolean to "false" when it parses; Oxigraph keeps "yes"."""
    data = PREFIXES + 'ex:s1 a ex:School ; ex:urban "yes"^^xsd:boolean, true .'
    shapes = PREFIXES + """
    ex:S sh:targetClass ex:School ; sh:property [ sh:path ex:urban ; sh:datatype xsd:boolean ] ."""
    with pytest.warns(UserWarning, match="weird boolean"):  # rdflib, while parsing for pySHACL
        ours, ref = _both(data, shapes)
    assert [v.value for v in ours] == ['"yes"^^<http://www.w3.org/2001/XMLSchema#boolean>']
    assert len(ref) == 1


def test_ill_typed_values_fail_every_range_check() -> None:
    """SHACL §4.3: a value for which "$min <= v" is not true fails; an ill-typed literal is not
    comparable, so it fails the minimum and the maximum (pySHACL reports only the minimum)."""
    data = PREFIXES + 'ex:s1 a ex:School ; ex:share "abc"^^xsd:decimal, 0.5 .'
    shapes = PREFIXES + """
    ex:S sh:targetClass ex:School ;
      sh:property [ sh:path ex:share ; sh:minInclusive 0 ; sh:maxInclusive 1 ] ."""
    ours, ref = _both(data, shapes)
    assert sorted(v.component.rsplit("#")[1] for v in ours) == [
        "MaxInclusiveConstraintComponent", "MinInclusiveConstraintComponent"]
    assert {_key(v) for v in ref} <= {_key(v) for v in ours}


def test_stricter_than_rdflib_on_lexical_forms() -> None:
    """Documented difference: rdflib does not check xsd:gYear; Oxigraph (and XML Schema) do."""
    data = PREFIXES + 'ex:s1 a ex:School ; ex:year "19x0"^^xsd:gYear, "1990"^^xsd:gYear .'
    shapes = PREFIXES + """
    ex:S sh:targetClass ex:School ; sh:property [ sh:path ex:year ; sh:datatype xsd:gYear ] ."""
    ours, ref = _both(data, shapes)
    assert [v.value for v in ours] == ['"19x0"^^<http://www.w3.org/2001/XMLSchema#gYear>']
    assert ref == []


def test_messages_say_the_rule_and_the_value() -> None:
    data = PREFIXES + 'ex:s1 a ex:School ; ex:pupils "abc"^^xsd:integer .'
    shapes = PREFIXES + """
    ex:S sh:targetClass ex:School ;
      sh:property [ sh:path ex:pupils ; sh:datatype xsd:integer ] ;
      sh:property [ sh:path ex:name ; sh:minCount 1 ] ;
      sh:property [ sh:path ex:code ; sh:minCount 1 ; sh:message "Every school needs a code"@en ] ."""
    ours, _ = _both(data, shapes)
    by_path = {v.path.rsplit("/", 1)[1]: v.message for v in ours}
    assert by_path["pupils"] == (
        'Value "abc"^^xsd:integer is not a valid literal of datatype xsd:integer (sh:datatype)')
    assert by_path["name"] == "ex:name has 0 value(s), fewer than sh:minCount 1"
    assert by_path["code"] == "Every school needs a code"


def test_sparql_message_template_is_filled() -> None:
    case = DATA / "sparql-one-assessment-per-inspection"
    ours, _ = _both((case / "data.ttl").read_text(), (case / "shapes.ttl").read_text())
    assert [v.message for v in ours] == [
        "Building http://example.org/b2 has 3 seismic assessments for inspection http://example.org/i2024"
    ]


def test_report_graph_is_a_shacl_validation_report() -> None:
    case = DATA / "complex-paths"
    ours, _ = _both((case / "data.ttl").read_text(), (case / "shapes.ttl").read_text())
    ours.append(Violation(focus="_:x1", path="^http://example.org/p", value='"a \\"q\\"\\n"@en',
                          component=str(SH.MinCountConstraintComponent), shape="_:s",
                          severity=str(SH.Warning), message='say "hi"\n'))
    g = rdflib.Graph().parse(data=report_graph(ours), format="turtle")
    report = g.value(None, rdflib.RDF.type, SH.ValidationReport)
    assert _conforms(report_graph(ours)) is False
    results = list(g.objects(report, SH.result))
    assert len(results) == len(ours)
    assert {str(g.value(r, SH.resultMessage)) for r in results} >= {'say "hi"\n'}
    for r in results:
        for p in (SH.focusNode, SH.sourceConstraintComponent, SH.sourceShape, SH.resultSeverity,
                  SH.resultMessage, SH.resultPath):
            assert g.value(r, p) is not None
    assert _conforms(report_graph([])) is True
    warnings_only = [v for v in ours if v.severity == str(SH.Warning)]
    assert _conforms(report_graph(warnings_only)) is False
    assert _conforms(report_graph(warnings_only, conforms_base=str(SH.Violation))) is True


def _conforms(turtle: str) -> bool:
    g = rdflib.Graph().parse(data=turtle, format="turtle")
    (value,) = g.objects(None, SH.conforms)
    assert isinstance(value, rdflib.Literal)
    return bool(value.toPython())


def test_each_compiled_constraint_is_one_query_for_all_focus_nodes() -> None:
    shapes = rdflib.Graph().parse(DATA / "datatype" / "shapes.ttl")
    compiled = compile_shapes(shapes)
    assert len(compiled) == 7
    for c in compiled:
        assert c.sparql.lstrip().startswith(("SELECT", "PREFIX"))
        assert "?this" in c.sparql and "LIMIT" not in c.sparql


@pytest.mark.parametrize(
    "shape, error, words",
    [
        ("ex:S sh:targetClass ex:School ; sh:property [ sh:path ex:p ; sh:minCount \"two\" ] .",
         InvalidShape, "sh:minCount must be an xsd:integer"),
        ("ex:S sh:targetClass ex:School ; sh:foo 1 .", UnsupportedShape, "sh:foo"),
        (("ex:S sh:targetClass ex:School ; sh:property [ sh:path ex:p ; sh:qualifiedValueShape "
          "[ sh:class ex:T ] ; sh:qualifiedMinCount 1 ; sh:qualifiedValueShapesDisjoint true ] ."),
         UnsupportedShape, "qualifiedValueShapesDisjoint"),
        ("ex:S sh:targetClass ex:School ; sh:node ex:S .", UnsupportedShape, "recursive"),
        ("ex:S sh:targetClass ex:School ; sh:sparql [ sh:select \"SELECT $this WHERE { $this \" ] .",
         InvalidShape, "does not parse"),
        ("ex:S sh:targetClass ex:School ; sh:property [ sh:minCount 1 ] .", InvalidShape, "sh:path"),
        (("ex:S sh:targetClass ex:School ; sh:sparql [ sh:select "
          "\"SELECT $this WHERE { VALUES ?x { 1 } $this ?p ?x }\" ] ."), InvalidShape, "VALUES"),
    ],
)
def test_shapes_that_cannot_be_compiled_say_which_and_why(shape: str, error: type, words: str) -> None:
    g = rdflib.Graph().parse(data=PREFIXES + shape, format="turtle")
    with pytest.raises(error) as info:
        compile_shapes(g)
    assert words in str(info.value)
    assert "SHACL §" in str(info.value)


def test_sparql_failure_is_raised() -> None:
    shapes = rdflib.Graph().parse(data=PREFIXES + """
    ex:S sh:targetNode ex:s1 ; sh:sparql [ sh:select "SELECT $this (true AS ?failure) WHERE { }" ] .
    """, format="turtle")
    with pytest.raises(ValidationFailure, match="failure"):
        validate_store(_store(PREFIXES + "ex:s1 a ex:School ."), shapes)


# ---- a generated data set of a few thousand nodes: counts must agree


def _generated(n: int, seed: int = 7) -> str:
    rnd = random.Random(seed)
    lines = [PREFIXES, "ex:Gymnasium rdfs:subClassOf ex:School .", "ex:d1 a ex:District ."]
    for i in range(n):
        s = f"ex:s{i}"
        cls = rnd.choice(["ex:School", "ex:Gymnasium"])
        props = [f"{s} a {cls}"]
        if rnd.random() > 0.05:
            code = f"{rnd.randint(0, 99999):05d}" if rnd.random() > 0.05 else "12AB"
            props.append(f'ex:code "{code}"')
        if rnd.random() > 0.02:
            bad = rnd.random() < 0.05
            pupils = rnd.choice(["-3", '"many"^^xsd:integer']) if bad else str(rnd.randint(0, 2000))
            props.append(f"ex:pupils {pupils}")
        props.append(f'ex:name "School {i}"@ru' + (f', "Мектеп {i}"@ky' if rnd.random() > 0.1 else ""))
        if rnd.random() < 0.03:
            props.append(f'ex:name "Dup {i}"@ru')
        props.append("ex:district " + ("ex:d1" if rnd.random() > 0.03 else "ex:nowhere"))
        props.append("ex:type " + rnd.choice(["ex:Primary", "ex:Basic", "ex:Secondary"] * 10 + ["ex:Other"]))
        opened = f"{rnd.randint(1900, 2035)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
        props.append(f'ex:opened "{opened}"^^xsd:date')
        if rnd.random() < 0.05:
            props.append("ex:director ex:p1, ex:p2")
        lines.append(" ;\n  ".join(props) + " .")
    return "\n".join(lines)


GENERATED_SHAPES = PREFIXES + """
ex:SchoolShape a sh:NodeShape ; sh:targetClass ex:School ;
  sh:property [ sh:path ex:code ; sh:minCount 1 ; sh:maxCount 1 ; sh:pattern "^[0-9]{5}$" ] ;
  sh:property [ sh:path ex:pupils ; sh:minCount 1 ; sh:datatype xsd:integer ; sh:minInclusive 0 ] ;
  sh:property [ sh:path ex:name ; sh:minCount 2 ; sh:uniqueLang true ; sh:languageIn ( "ky" "ru" ) ] ;
  sh:property [ sh:path ex:district ; sh:class ex:District ] ;
  sh:property [ sh:path ex:type ; sh:in ( ex:Primary ex:Basic ex:Secondary ) ] ;
  sh:property [ sh:path ex:opened ; sh:maxExclusive "2026-01-01"^^xsd:date ] ;
  sh:property [ sh:path ex:director ; sh:maxCount 1 ] .
"""


def test_generated_thousands_of_nodes_counts_agree(form: str) -> None:
    data = _generated(3000)
    ours, ref = _both(data, GENERATED_SHAPES)
    assert len(ours) > 300
    assert Counter(v.component for v in ours) == Counter(v.component for v in ref)
    assert len(ours) == len(ref)
    shapes, store = rdflib.Graph().parse(data=GENERATED_SHAPES, format="turtle"), _store(data)
    assert validate_store(store, shapes, workers=1) == validate_store(store, shapes, workers=3)
