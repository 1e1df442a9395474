"""After derivation only the constraints the added graphs can change run again
(loaders/revalidate.py): on a built release with faults planted in the derived and indicator
graphs, the filtered check finds exactly what checking every constraint about the derived
classes finds, and it skips the tables' own record constraints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from emis_lod.loaders import indicators, releases, revalidate
from emis_lod.loaders.build import BuildReport, derived_classes
from emis_lod.loaders.validate import about_classes, load_shapes, validate
from emis_lod.uris import Uris

BASE = "http://data.test/"
URIS = Uris(BASE)
E = URIS.vocab
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def planted(built: BuildReport, tmp_path_factory: pytest.TempPathFactory) -> tuple[ox.Store, str, str]:
    """A copy of the built store with faults in the added graphs; the observation given a
    second value."""
    copy = tmp_path_factory.mktemp("revalidate") / "oxigraph"
    shutil.copytree(built.release_dir / releases.OXIGRAPH, copy)
    store = ox.Store(str(copy))
    observation = next(iter(store.query(
        f"SELECT ?o WHERE {{ GRAPH ?g {{ ?o a <{E}IndicatorObservation> }} }} ORDER BY ?o LIMIT 1")))[0]
    post = next(iter(store.query(
        f"SELECT ?p WHERE {{ GRAPH ?g {{ ?p a <{E}StaffPost> }} }} ORDER BY ?p LIMIT 1")))[0]
    derived, made = ox.NamedNode(URIS.graph("derived")), ox.NamedNode(URIS.graph("indicators"))
    store.extend([
        # a finance summary without its school, year or period (minimum counts)
        ox.Quad(ox.NamedNode(BASE + "id/finance-summary/x"), ox.NamedNode(
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(E + "FinanceSummary"), derived),
        # an observation with a second value (maximum count, value = numerator / denominator)
        ox.Quad(observation, ox.NamedNode(E + "value"),
                ox.Literal("7", datatype=ox.NamedNode(XSD + "decimal")), made),
        # a staff post given a second school, which is no school (a record of a table, changed
        # by an added graph: its maximum count and class constraints must run again)
        ox.Quad(post, ox.NamedNode(E + "school"), ox.NamedNode(BASE + "id/nowhere"), derived),
    ])
    return store, observation.value, post.value


def _run(store: ox.Store, only) -> set:
    return {v.key() for v in validate(store, URIS, "sparql", only)}


def test_the_filtered_check_finds_what_the_whole_check_finds(planted: tuple[ox.Store, str, str]) -> None:
    store, observation, post = planted
    about = about_classes(derived_classes(URIS) | indicators.classes(URIS))
    touched = revalidate.touched_by(store, [URIS.graph("derived"), URIS.graph("indicators")])
    everything = _run(store, about)
    filtered = _run(store, lambda c: about(c) and touched(c))
    assert filtered == everything
    focus = {k[0] for k in everything}
    assert BASE + "id/finance-summary/x" in focus                       # the planted faults
    assert any(k[0] == observation and k[1] == E + "value" for k in everything)
    assert any(k[1] == E + "value" for k in everything)
    assert {k[3].rsplit("#")[-1] for k in everything if k[0] == post} >= {
        "MaxCountConstraintComponent", "ClassConstraintComponent"}


def test_the_tables_own_record_constraints_are_not_run_again(built: BuildReport) -> None:
    from emis_lod.loaders.shacl import compile_shapes

    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))

    about = about_classes(derived_classes(URIS) | indicators.classes(URIS))
    touched = revalidate.touched_by(store, [URIS.graph("derived"), URIS.graph("indicators")])
    compiled = [c for c in compile_shapes(load_shapes(URIS)) if about(c)]
    kept = [c for c in compiled if touched(c)]
    assert len(kept) < len(compiled)
    staff_posts = [c for c in compiled if c.shape.endswith("StaffPostShape")]
    assert staff_posts and not any(touched(c) for c in staff_posts)   # staff get no derived triple
    # nor do finance lines, provision records or assessments: a derived summary shares their
    # predicates (emis:school, emis:fiscalYear), not their nodes
    records = [c for c in compiled if c.kind == "core" and any(
        c.sparql.count(f"<{E}{name}>") for name in ("FinanceLine", "TextbookProvision", "SafetyAssessment"))]
    assert records and not any(touched(c) for c in records)


def test_after_a_removal_the_filtered_round_finds_what_the_whole_round_finds(
        built: BuildReport, tmp_path: Path) -> None:
    """A validation round after rows were taken out runs only the constraints the removed
    triples can change (revalidate.touched_by_removal): here a school is taken out as the build
    takes out a rejected row (its triples and those pointing at it), and the round finds every
    record that pointed at it, as running every constraint a removal can break does."""
    from emis_lod.loaders.shacl import compile_shapes
    from emis_lod.loaders.validate import may_fail_after_removal

    copy = tmp_path / "oxigraph"
    shutil.copytree(built.release_dir / releases.OXIGRAPH, copy)
    store = ox.Store(str(copy))
    school = next(iter(store.query(
        f"SELECT ?s WHERE {{ ?s a <{E}School> ; ^<{E}school> ?b . ?b a <{E}Building> }} ORDER BY ?s LIMIT 1",
        use_default_graph_as_union=True)))[0]
    going = list(store.quads_for_pattern(school, None, None)) + \
        list(store.quads_for_pattern(None, None, school))
    lines = [f"{q.subject} {q.predicate} {q.object} .".encode() for q in going]
    for quad in going:
        store.remove(quad)
    changed = revalidate.touched_by_removal(store, lines)
    everything = _run(store, may_fail_after_removal)
    filtered = _run(store, lambda c: may_fail_after_removal(c) and changed(c))
    assert filtered == everything
    pointed = {q.subject.value for q in going if q.object == school}
    assert pointed and pointed <= {k[0] for k in everything}      # the cascade is found
    compiled = [c for c in compile_shapes(load_shapes(URIS)) if may_fail_after_removal(c)]
    assert 0 < len([c for c in compiled if changed(c)]) < len(compiled)
