"""Terms written as text: rdflib and Oxigraph terms in the forms :class:`~.model.Violation`
records, compiled queries and human messages use, and the filling of ``sh:message`` templates."""

from __future__ import annotations

import re

import pyoxigraph
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from .model import SH_NS


def node_label(node: Node) -> str:
    """An rdflib term as a :class:`~.model.Violation` names it: an IRI as is, a blank node as
    ``_:label``, a literal in N-Triples syntax."""
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        return as_ntriples(node)
    return str(node)


def sparql_string(text: str) -> str:
    """``text`` as a quoted, escaped string literal (Oxigraph's N-Triples form, valid SPARQL)."""
    return str(pyoxigraph.Literal(text))


def as_ntriples(node: Node) -> str:
    """An rdflib term in N-Triples syntax (a literal written by Oxigraph, as the store would)."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        if node.language:
            return str(pyoxigraph.Literal(str(node), language=node.language))
        if node.datatype is not None:
            return str(pyoxigraph.Literal(str(node), datatype=pyoxigraph.NamedNode(node.datatype)))
        return sparql_string(str(node))
    raise TypeError(f"not an RDF term: {node!r}")


def ox_label(term: object) -> str:
    """An Oxigraph node as a :class:`~.model.Violation` names it (see :func:`node_label`)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    return str(term)


_SHORT = {str(XSD): "xsd:", str(RDF): "rdf:", str(RDFS): "rdfs:", SH_NS: "sh:"}


_SHORT_DATATYPE = re.compile(
    r"\^\^<(" + "|".join(re.escape(ns) for ns in _SHORT) + r")([A-Za-z0-9_]*)>$"
)


_BARE = re.compile(r'^"([+-]?[0-9]+(?:\.[0-9]+)?|true|false)"\^\^xsd:(?:integer|decimal|boolean)$')


def display(term: object) -> str:
    """A value for a human message: N-Triples, with xsd:/rdf: datatypes shortened and
    integers, decimals and booleans written bare as Turtle does (``-3``, ``true``)."""
    text = _SHORT_DATATYPE.sub(lambda m: "^^" + _SHORT[m.group(1)] + m.group(2), str(term))
    return _BARE.sub(r"\1", text)


def message_value(term: object) -> str:
    """How pySHACL substitutes {?var} in sh:message: the IRI or the literal's lexical form."""
    if isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.Literal)):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    return str(term)


_TEMPLATE_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def fill_message(template: str, bindings: dict[str, str]) -> str:
    """An ``sh:message`` with its ``{?var}``/``{$var}`` replaced by the solution's bindings."""
    return _TEMPLATE_VAR.sub(lambda m: bindings.get(m.group(1), m.group(0)), template)
