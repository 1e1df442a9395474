"""SHACL validation of a staged release, with the engine chosen by the ``validator`` setting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import pyoxigraph as ox
import rdflib
from rdflib.namespace import XSD

from emis_lod.namespaces import SH
from emis_lod.profiles import Profile, default
from emis_lod.uris import Uris

if TYPE_CHECKING:
    from .column_checks import ColumnChecks, Decided

VIOLATION = "http://www.w3.org/ns/shacl#Violation"


def shape_files(profile: Profile | None = None) -> list[Path]:
    """The shapes of a profile (``shapes:`` of profile.yaml; the default profile's)."""
    return (profile or default()).files("shapes")


def load_shapes(uris: Uris, profile: Profile | None = None) -> rdflib.Graph:
    """The shapes graph; its relative IRIs resolve against ``{base}def/`` like the ontology."""
    graph = rdflib.Graph()
    for path in shape_files(profile):
        graph.parse(path, format="turtle", publicID=uris.concepts)
    # sh:namespace is a literal, so Turtle leaves a relative one ("emis#") alone: resolve it
    # like every other IRI of the file.
    for decl, namespace in list(graph.subject_objects(SH.namespace)):
        if ":" not in str(namespace):
            absolute = urljoin(uris.concepts, str(namespace)) + ("#" if str(namespace).endswith("#") else "")
            graph.set((decl, SH.namespace, rdflib.Literal(absolute, datatype=XSD.anyURI)))
    return graph


# Constraints that can start failing for a node that survives when OTHER nodes are removed
# (a reference loses its target, a count drops, a SPARQL rule sees less); value checks of a
# node's own values cannot, so later validation rounds of a build skip them.
AFTER_REMOVAL = {f"http://www.w3.org/ns/shacl#{c}ConstraintComponent" for c in (
    "Class", "Node", "MinCount", "QualifiedMinCount", "HasValue", "Equals", "SPARQL",
    # the logical ones, whose members may hold any of those (a building's link to a school or
    # to a preschool organisation is an sh:xone of two minimum counts)
    "Xone", "Or", "And", "Not")}


_COMPILED: dict[tuple, tuple[rdflib.Graph, list]] = {}


def compiled_shapes(uris: Uris, profile: Profile | None = None) -> tuple[rdflib.Graph, list]:
    """The shapes graph and its compiled constraints, compiled once per base URI and shape
    files (the same constraint objects in every validation round of a build). Read-only."""
    from . import shacl

    key = (uris.base, tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                            for p in shape_files(profile)))
    if key not in _COMPILED:
        shapes = load_shapes(uris, profile)
        _COMPILED.clear()
        _COMPILED[key] = (shapes, shacl.compile_shapes(shapes))
    return _COMPILED[key]


def validate(store: ox.Store, uris: Uris, engine: str = "sparql",
             only: Callable[[Any], bool] | None = None,
             columns: ColumnChecks | Decided | None = None, profile: Profile | None = None) -> list:
    """Violations of the shapes in the store's data (all graphs, as one union).

    ``only`` picks which compiled constraints run (SPARQL engine only; pySHACL, the
    reference, always runs every shape). ``columns`` describes what a build has just loaded
    (:class:`loaders.column_checks.ColumnChecks`, or its :class:`~loaders.column_checks.Decided`
    answers): the constraints it proves cannot be violated there are not queried; the result
    is the same.
    """
    from . import shacl

    if engine == "sparql":
        shapes, compiled = compiled_shapes(uris, profile)
        todo = [c for c in compiled if only is None or only(c)]
        if columns is not None:
            skip = columns.skip(shapes, compiled)
            todo = [c for c in todo if c not in skip]
        return shacl.run_compiled(store, todo, union=True)
    if engine == "pyshacl":
        shapes = load_shapes(uris, profile)
        triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                              use_default_graph_as_union=True)
        assert isinstance(triples, ox.QueryTriples)
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        union = rdflib.Graph().parse(data=data.decode("utf-8"), format="nt")
        return shacl.validate_pyshacl(union, shapes)
    raise ValueError(f"unknown validator '{engine}': use 'sparql' or 'pyshacl'")


def may_fail_after_removal(constraint: Any) -> bool:
    return constraint.kind == "sparql" or constraint.component in AFTER_REMOVAL


def about_classes(classes: set[str]) -> Callable[[Any], bool]:
    """Constraints whose targets mention one of these class IRIs."""
    return lambda constraint: any(f"<{c}>" in constraint.sparql for c in classes)
