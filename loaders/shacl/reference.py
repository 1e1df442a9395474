"""The reference engine: pySHACL run on an rdflib graph, its report mapped into the same
:class:`~.model.Violation` records the SPARQL engine gives, so the two can be compared."""

from __future__ import annotations

import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, SH

from .model import ValidationFailure, Violation
from .paths import path_to_sparql
from .terms import as_ntriples, node_label


def validate_pyshacl(
    data: rdflib.Graph, shapes: rdflib.Graph, ont: rdflib.Graph | None = None
) -> list[Violation]:
    """The reference: pySHACL's report mapped into :class:`Violation` records."""
    import pyshacl  # imported here: slow to import, and only the reference path needs it

    _conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ont, inference="none", advanced=False,
        abort_on_first=False, allow_warnings=False, allow_infos=False,
    )
    if not isinstance(results, rdflib.Graph):  # pySHACL returns its failure in place of the report
        raise ValidationFailure(f"pySHACL could not validate: {results}")
    out: dict[Violation, None] = {}
    for r in results.subjects(RDF.type, SH.ValidationResult):
        if any(True for _ in results.subjects(SH.detail, r)):
            continue  # a nested result inside another result's sh:detail
        focus = results.value(r, SH.focusNode)
        shape = results.value(r, SH.sourceShape)
        if focus is None or shape is None:
            raise ValidationFailure(f"pySHACL returned a result without focus node or shape: {r}")
        path_node = results.value(r, SH.resultPath)
        value = results.value(r, SH.value)
        path = None
        if path_node is not None:
            if isinstance(path_node, URIRef):
                path = str(path_node)
            else:
                src = results if (path_node, None, None) in results else shapes
                inv = src.value(path_node, SH.inversePath)
                if isinstance(inv, URIRef) and len(list(src.predicate_objects(path_node))) == 1:
                    path = f"^{inv}"
                else:
                    path = path_to_sparql(src, path_node)
        messages = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        out[Violation(
            focus=node_label(focus),
            path=path,
            value=as_ntriples(value) if value is not None else None,
            component=str(results.value(r, SH.sourceConstraintComponent)),
            shape=node_label(shape),
            severity=str(results.value(r, SH.resultSeverity)),
            message=messages[0] if messages else "",
        )] = None
    return sorted(out, key=lambda v: (v.shape, v.focus, v.path or "", v.component, v.value or ""))
