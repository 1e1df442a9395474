"""The validation report a release publishes (``validation.ttl``): the results as a
``sh:ValidationReport`` (SHACL §3.6) in Turtle."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib.namespace import SH

from .model import SH_NS, Violation
from .terms import escape

_SEVERITY_RANK = {str(SH.Info): 0, str(SH.Warning): 1, str(SH.Violation): 2}


def report_graph(violations: Iterable[Violation], conforms_base: str = str(SH.Info)) -> str:
    """A ``sh:ValidationReport`` (SHACL §3.6) as Turtle.

    ``sh:conforms`` is false when a result has severity ``conforms_base`` or worse: the default
    (sh:Info) is the Recommendation's rule, any result at all; ``str(SH.Violation)`` lets
    warnings and infos through, like pySHACL's ``allow_warnings``.
    """
    violations = list(violations)
    floor = _SEVERITY_RANK.get(str(conforms_base))
    if floor is None:
        raise ValueError(f"conforms_base must be sh:Info, sh:Warning or sh:Violation, not {conforms_base}")
    conforms = not any(_SEVERITY_RANK.get(v.severity, 2) >= floor for v in violations)
    lines = [
        f"@prefix sh: <{SH_NS}> .",
        "",
        "[] a sh:ValidationReport ;",
        f"    sh:conforms {'true' if conforms else 'false'}" + (" ;" if violations else " ."),
    ]
    for i, v in enumerate(violations):
        props = [
            "a sh:ValidationResult",
            f"sh:focusNode {_turtle_node(v.focus)}",
            f"sh:sourceConstraintComponent <{v.component}>",
            f"sh:sourceShape {_turtle_node(v.shape)}",
            f"sh:resultSeverity <{v.severity}>",
            f'sh:resultMessage "{escape(v.message)}"',
        ]
        if v.path is not None:
            props.append(f"sh:resultPath {_turtle_path(v.path)}")
        if v.value is not None:
            props.append(f"sh:value {_turtle_value(v.value)}")
        end = " ;" if i < len(violations) - 1 else " ."
        lines.append("    sh:result [\n        " + " ;\n        ".join(props) + "\n    ]" + end)
    return "\n".join(lines) + "\n"


def _bnode_label(label: str) -> str:
    return "_:" + (re.sub(r"[^A-Za-z0-9_]", "_", label[2:]) or "b")


def _turtle_node(text: str) -> str:
    if text.startswith("_:"):
        return _bnode_label(text)
    if text.startswith('"'):
        return text
    return f"<{text}>"


def _turtle_value(nt: str) -> str:
    return _bnode_label(nt) if nt.startswith("_:") else nt


def _turtle_path(path: str) -> str:
    if path.startswith("^") and not path.startswith("^("):
        return f"[ sh:inversePath <{path[1:]}> ]"
    if path.startswith(("<", "(")):
        # Other path kinds are reported in SPARQL syntax; keep them readable as a string.
        return f'"{escape(path)}"'
    return f"<{path}>"
