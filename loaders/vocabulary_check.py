"""Every term a mapping uses is declared in the ontology, and every class it makes has a shape.

Checked when a build starts, before anything is read or written: a mapping that types its rows
with a class, or gives them a property, that ``ontology/*.ttl`` does not declare, or a class
that no shape of ``shapes/*.ttl`` validates, stops the build with a :class:`BuildError` naming
the mapping file, the resource (its ``id`` template) and the term.

The rules:

- **Declared**: the ontology files state the term's type. A class is declared by
  ``rdf:type rdfs:Class`` or ``owl:Class``; a property by ``rdf:type rdf:Property`` or an OWL
  property type (``owl:ObjectProperty``, ``owl:DatatypeProperty``, ``owl:AnnotationProperty``,
  ...). The same rule holds for the terms of other vocabularies a mapping reuses
  (``schema:name``, ``geo:lat``, ``skos:exactMatch``): ``ontology/reused.ttl`` lists each one
  the platform uses, with its type and the vocabulary that defines it, so that a misspelt
  ``schema:nmae`` is caught like a misspelt ``emis:pupilz``.
- **Shaped**: a class ``C`` the mapping types rows with is validated by a shape with
  ``sh:targetClass C`` or ``sh:targetClass D`` for a superclass ``D`` of ``C``
  (``rdfs:subClassOf`` in the ontology: SHACL reaches instances of subclasses), by a shape that
  is itself the class (an implicit class target: ``C a rdfs:Class, sh:NodeShape``), or by a shape
  with ``sh:targetSubjectsOf P`` where every block typing ``C`` gives every row ``P`` (from a
  required column, or a fixed value). ``sh:targetNode`` and ``sh:targetObjectsOf`` reach only
  some instances and do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from emis_lod.namespaces import prefixes
from emis_lod.uris import Uris

from .errors import BuildError
from .mapping_spec import Mapping, ObjectSpec, ResourceSpec, expand

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"
CLASS_TYPES = {RDFS + "Class", OWL + "Class"}
PROPERTY_TYPES = {RDF + "Property"} | {OWL + t for t in (
    "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "FunctionalProperty",
    "InverseFunctionalProperty", "TransitiveProperty", "SymmetricProperty", "AsymmetricProperty",
    "ReflexiveProperty", "IrreflexiveProperty")}
HOW_TO_DECLARE = ("see README, \"Adding a table\"")


class Vocabulary:
    """What the ontology files declare (classes, properties, superclasses) and what the shape
    files cover (target classes, classes that are shapes, target properties)."""

    def __init__(self, uris: Uris, vocabulary: Iterable[Path], shapes: Iterable[Path]) -> None:
        self.uris = uris
        self.classes: set[str] = set()
        self.properties: set[str] = set()
        self.superclasses: dict[str, set[str]] = {}
        for s, p, o in _triples(vocabulary, uris):
            if p == RDF + "type" and o in CLASS_TYPES:
                self.classes.add(s)
            elif p == RDF + "type" and o in PROPERTY_TYPES:
                self.properties.add(s)
            elif p == RDFS + "subClassOf":
                self.superclasses.setdefault(s, set()).add(o)
        self.targets: set[str] = set()
        self.subjects_of: set[str] = set()
        typed: dict[str, set[str]] = {}
        for s, p, o in _triples(shapes, uris):
            if p == SH + "targetClass":
                self.targets.add(o)
            elif p == SH + "targetSubjectsOf":
                self.subjects_of.add(o)
            elif p == RDF + "type":
                typed.setdefault(s, set()).add(o)
        self.targets |= {s for s, types in typed.items()
                         if SH + "NodeShape" in types and RDFS + "Class" in types}

    def above(self, cls: str) -> set[str]:
        """The class and its superclasses (``rdfs:subClassOf*``)."""
        seen, todo = {cls}, [cls]
        while todo:
            for parent in self.superclasses.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen


def _triples(files: Iterable[Path], uris: Uris) -> Iterable[tuple[str, str, str]]:
    for path in files:
        try:
            quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=uris.concepts))
        except SyntaxError as err:
            raise BuildError(f"{path}: not valid Turtle: {err}") from None
        for q in quads:
            yield q.subject.value, q.predicate.value, q.object.value


def _curie(iri: str, uris: Uris) -> str:
    for prefix, namespace in prefixes(uris).items():
        if iri.startswith(namespace) and re.fullmatch(r"[\w-]+", iri[len(namespace):]):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def _always(obj: ObjectSpec, mapping: Mapping) -> bool:
    """Whether every row gets this object: a fixed value, or only required or defaulted columns."""
    used = [obj.column] if obj.column else re.findall(r"\{(\w+)\}", (obj.id or "") + (obj.value or ""))
    computed = {c.name for c in mapping.computed}
    for name in used:
        if name in computed:
            continue
        try:
            spec = mapping.column(name)
        except KeyError:
            return False
        if not (spec.required or spec.default is not None):
            return False
    return True


def _where(m: Mapping, res: ResourceSpec) -> str:
    return f"{m.path}: resource '{res.id}'"


def check(mappings: Iterable[Mapping], uris: Uris, vocabulary: Iterable[Path] | None = None,
          shapes: Iterable[Path] | None = None) -> None:
    """Stop (:class:`BuildError`) at the first term of a mapping that the ontology does not
    declare, or class that no shape covers. ``vocabulary`` and ``shapes``: the ontology and
    shape files of the build (those of the default profile when not given)."""
    if vocabulary is None:
        from .codelists import vocabulary_files

        vocabulary = vocabulary_files()
    if shapes is None:
        from .validate import shape_files

        shapes = shape_files()
    known = Vocabulary(uris, vocabulary, shapes)
    pre = prefixes(uris)
    blocks: dict[str, list[tuple[Mapping, ResourceSpec]]] = {}   # class IRI -> blocks typing it
    for m in mappings:
        for res in m.resources:
            if res.class_:
                cls = expand(res.class_, pre, _where(m, res))
                if cls not in known.classes:
                    raise BuildError(
                        f"{_where(m, res)}: class {res.class_} is not declared in the ontology "
                        f"(ontology/*.ttl); {_declare(cls, 'owl:Class', uris)}, or correct the "
                        f"name ({HOW_TO_DECLARE})")
                blocks.setdefault(cls, []).append((m, res))
            for predicate, obj in res.properties:
                for term in (predicate, obj.inverse):
                    if term is None:
                        continue
                    iri = expand(term, pre, _where(m, res))
                    if iri not in known.properties:
                        hint = " (it is declared as a class)" if iri in known.classes else ""
                        kind = "owl:ObjectProperty" if obj.id or term == obj.inverse else \
                            "owl:DatatypeProperty"
                        raise BuildError(
                            f"{_where(m, res)}: property {term} is not declared in the ontology "
                            f"(ontology/*.ttl){hint}; {_declare(iri, kind, uris)}, or correct the "
                            f"name ({HOW_TO_DECLARE})")
    for cls, typing in blocks.items():
        if known.above(cls) & known.targets:
            continue
        if any(all(any(expand(p, pre, "") == prop and _always(o, m) for p, o in res.properties)
                   for m, res in typing) for prop in known.subjects_of):
            continue
        m, res = typing[0]
        raise BuildError(
            f"{_where(m, res)}: class {res.class_} has no SHACL shape (shapes/*.ttl): no shape "
            f"targets it or a class above it, so its rows would be published unchecked; add a "
            f"shape ('[] a sh:NodeShape ; sh:targetClass {_curie(cls, uris)} ; sh:property "
            f"[ sh:path ... ] .') in a Turtle file of the shapes ({HOW_TO_DECLARE})")


def _declare(iri: str, kind: str, uris: Uris) -> str:
    """How to declare a term: in the ontology (ours), or in ontology/reused.ttl (another
    vocabulary's)."""
    if iri.startswith(uris.vocab):
        return (f"declare it in a Turtle file of the ontology ('{_curie(iri, uris)} a {kind} ; "
                f"rdfs:isDefinedBy <emis> ; rdfs:label \"...\"@en .')")
    namespace = re.sub(r"[^#/]*$", "", iri)
    return (f"list it with the reused terms of other vocabularies in ontology/reused.ttl "
            f"('{_curie(iri, uris)} a {'rdfs:Class' if kind == 'owl:Class' else 'rdf:Property'} ; "
            f"rdfs:isDefinedBy <{namespace}> .')")


