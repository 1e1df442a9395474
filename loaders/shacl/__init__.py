"""SHACL validation compiled to set-based SPARQL and run on an Oxigraph store.

pySHACL walks focus nodes one at a time in Python (about 10k triples/s); a 20,000-school
release is about 7 M triples. Here every constraint of a shapes graph becomes **one SPARQL
SELECT** that returns the violations of *all* focus nodes at once (``?this`` the focus node,
``?value`` the offending value), and Oxigraph evaluates it with its indexes. pySHACL stays the
reference: :func:`validate_pyshacl` maps its report into the same :class:`Violation` records,
and the tests run both engines on the same data and compare the results as sets.

    >>> import pyoxigraph, rdflib
    >>> shapes = rdflib.Graph().parse(format="turtle", data='''
    ...   @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
    ...   ex:S a sh:NodeShape ; sh:targetClass ex:School ;
    ...      sh:property [ sh:path ex:name ; sh:minCount 1 ] .''')
    >>> store = pyoxigraph.Store()
    >>> store.load(b"<http://example.org/s1> a <http://example.org/School> .",
    ...            format=pyoxigraph.RdfFormat.TURTLE, to_graph=pyoxigraph.NamedNode("http://g"))
    >>> [(v.focus, v.path, v.component.rsplit("#")[1]) for v in validate_store(store, shapes)]
    [('http://example.org/s1', 'http://example.org/name', 'MinCountConstraintComponent')]

Supported (each family cites its section of the SHACL Recommendation where it is compiled):
targets (node, class incl. ``rdfs:subClassOf*`` in the data, implicit class, subjects-of,
objects-of); node and property shapes, nested ``sh:property``; every SHACL path kind (compiled
to the equivalent SPARQL property path); the value type, cardinality, value range, string,
property pair, logical, shape-based (``sh:node``, ``sh:qualifiedValueShape`` without
``sh:qualifiedValueShapesDisjoint``) and other (``sh:closed``, ``sh:hasValue``, ``sh:in``)
components; ``sh:deactivated``, ``sh:severity``, ``sh:message``; SHACL-SPARQL ``sh:sparql``
constraints with ``sh:select``, ``sh:prefixes``/``sh:declare``, ``$this``, ``$PATH`` and
``$currentShape``. Anything else in the ``sh:`` namespace raises :class:`UnsupportedShape`
naming the shape: nothing is skipped silently.

Known differences from pySHACL, all consequences of how the engines store literals:

* Oxigraph stores a valid literal of a type derived from ``xsd:integer`` (``xsd:nonNegativeInteger``,
  ``xsd:int``, ``xsd:byte``...) as ``xsd:integer`` and ``xsd:dateTimeStamp`` as ``xsd:dateTime``;
  the original type is gone. So ``sh:datatype xsd:nonNegativeInteger`` accepts an ``xsd:integer``
  value in the type's range (and rejects ``-5`` or ``"abc"^^xsd:nonNegativeInteger`` like pySHACL),
  and ``sh:datatype xsd:integer`` accepts a valid ``"5"^^xsd:byte``, which pySHACL rejects.
  Oxigraph also canonicalises valid numbers (``"01"^^xsd:integer`` is read back as ``"1"``), so
  reported values are the store's canonical form, and ``sh:in``/``sh:hasValue`` compare numbers
  in that form.
* Lexical validity follows XML Schema as Oxigraph implements it, which is stricter than rdflib:
  ``"20x"^^xsd:gYear`` or ``" 1"^^xsd:integer`` are violations here; rdflib accepts them.
* ``sh:pattern`` uses Oxigraph's (Rust) regular expressions, pySHACL Python's ``re``: the
  common syntax is the same, exotic constructs may differ.

The package, by what each part does: :mod:`.model` (the records and errors), :mod:`.terms`
(terms as text), :mod:`.conditions` (datatype and node-kind conditions), :mod:`.paths`
(SHACL paths as SPARQL paths), :mod:`.patterns` (the core components' query patterns),
:mod:`.sparql` (SHACL-SPARQL constraints), :mod:`.compiler` (shapes graph -> queries),
:mod:`.runner` (queries -> violations), :mod:`.reference` (pySHACL) and :mod:`.report` (the
published ``sh:ValidationReport``).
"""

from __future__ import annotations

from .compiler import compile_shapes
from .model import (
    CompiledConstraint,
    InvalidShape,
    ShaclError,
    UnsupportedShape,
    ValidationFailure,
    Violation,
)
from .reference import validate_pyshacl
from .report import report_graph
from .runner import run_compiled, validate_store

__all__ = [
    "CompiledConstraint",
    "InvalidShape",
    "ShaclError",
    "UnsupportedShape",
    "ValidationFailure",
    "Violation",
    "compile_shapes",
    "report_graph",
    "run_compiled",
    "validate_pyshacl",
    "validate_store",
]
