"""The ontology and code lists: every term labelled and defined in ky, ru and en; every class
has a SHACL shape; every code list is a complete SKOS concept scheme."""

from __future__ import annotations

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from emis_lod.loaders.codelists import vocabulary_files
from emis_lod.loaders.validate import load_shapes
from emis_lod.uris import Uris

URIS = Uris("http://data.test/")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
LANGS = {"ky", "ru", "en"}
LABEL_LANGS = LANGS | {"kk"}  # every label and definition is in Kazakh too (the kz profile's pages)


def vocabulary() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in vocabulary_files():
        graph.parse(path, format="turtle", publicID=URIS.concepts)
    return graph


def own_terms(graph: rdflib.Graph) -> set[rdflib.URIRef]:
    return {s for s in graph.subjects(RDFS.isDefinedBy, rdflib.URIRef(URIS.ontology))}


def test_terms_are_labelled_and_defined_in_three_languages() -> None:
    graph = vocabulary()
    terms = own_terms(graph)
    assert len(terms) > 20
    for term in terms:
        for prop, wanted in ((RDFS.label, LABEL_LANGS), (SKOS.definition, LABEL_LANGS)):
            langs = {o.language for o in graph.objects(term, prop)}
            assert wanted <= langs, f"{term} lacks {prop} in {wanted - langs}"


def test_every_class_has_a_shape() -> None:
    graph, shapes = vocabulary(), load_shapes(URIS)
    classes = {c for c in graph.subjects(RDF.type, OWL.Class) if str(c).startswith(URIS.vocab)}
    targeted = set(shapes.objects(None, SH.targetClass))
    assert classes and classes <= targeted, f"classes without a shape: {classes - targeted}"


def test_ontology_namespace_follows_the_base() -> None:
    graph = vocabulary()
    assert (rdflib.URIRef(URIS.ontology), RDF.type, OWL.Ontology) in graph
    assert all(str(t).startswith(URIS.vocab) for t in own_terms(graph))


def test_code_lists_are_complete_skos_schemes() -> None:
    graph = vocabulary()
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert {URIS.scheme(s) for s in ("school-type", "ownership", "language", "locality")} <= \
        {str(s) for s in schemes}
    for concept in graph.subjects(RDF.type, SKOS.Concept):
        scheme = graph.value(concept, SKOS.inScheme)
        assert scheme in schemes, concept
        assert str(concept).startswith(str(scheme) + "/"), "concept URIs sit under their scheme"
        assert {o.language for o in graph.objects(concept, SKOS.prefLabel)} == LABEL_LANGS, concept
        assert graph.value(concept, SKOS.notation) is not None


def test_regression_relative_sh_namespace_keeps_its_hash() -> None:
    """SHACL-SPARQL prefixes declared relative ("emis#") resolve to the deployment's namespaces;
    urljoin once dropped the '#', so no rule on emis: terms ever matched."""
    shapes = load_shapes(URIS)
    declared = {str(shapes.value(d, SH.prefix)): str(ns) for d, ns in shapes.subject_objects(SH.namespace)}
    assert declared["emis"] == URIS.vocab
    assert declared["concept"] == URIS.concepts + "concept/"
