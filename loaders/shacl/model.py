"""The records SHACL validation works with: a result (:class:`Violation`), a compiled constraint
(:class:`CompiledConstraint`), and the errors a shapes graph or a validation run can raise."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib.namespace import SH

SPEC = "https://www.w3.org/TR/shacl/"
SH_NS = str(SH)



@dataclass(frozen=True)
class Violation:
    """One validation result (SHACL §3.6.2), engine-independent.

    ``focus`` is an IRI, ``_:label`` for a blank node, or an N-Triples literal; ``path`` a
    predicate IRI, ``^IRI`` for an inverse path, or SPARQL property-path syntax for the other
    path kinds; ``value`` the offending value in N-Triples syntax.
    """

    focus: str
    path: str | None
    value: str | None
    component: str
    shape: str
    severity: str
    message: str

    def key(self) -> tuple[str, str | None, str | None, str]:
        """What the equivalence tests compare: (focus, path, value, component)."""
        return (self.focus, self.path, self.value, self.component)


@dataclass(frozen=True)
class CompiledConstraint:
    """One constraint of one shape, compiled to a SPARQL SELECT over all focus nodes at once.

    The query returns ``?this`` (focus node) and, where the component reports one, ``?value``;
    ``?count``/``?lang``/``?path`` feed the message. SHACL-SPARQL constraints return whatever
    their ``sh:select`` projects (plus ``?this``).
    """

    shape: str
    component: str
    path: str | None
    severity: str
    message: str  # template: {?var} / {$var} are replaced by the solution's bindings
    sparql: str
    kind: str = "core"  # "core" or "sparql" (SHACL-SPARQL, SHACL §5)
    node_shape: bool = True
    # The same constraint read per focus node from the index (LATERAL, FILTER NOT EXISTS),
    # for when the focus nodes are few: the set-based ``sparql`` hashes every triple of the
    # path's predicate in the store (a gigabyte for ``emis:school`` at 20,000 schools), however
    # few the focus nodes. ``focus`` counts the focus nodes, up to PER_FOCUS_LIMIT + 1.
    per_focus: str | None = None
    focus: str | None = None


class ShaclError(ValueError):
    """A shapes graph that cannot be compiled; says which shape, what, and the spec section."""

    def __init__(self, shape: str, problem: str, section: str) -> None:
        self.shape, self.problem, self.section = shape, problem, section
        where = re.sub(r"\s*\(#([\w-]+)\)", lambda m: f", {SPEC}#{m.group(1)}", section)
        super().__init__(f"shape {shape}: {problem} (SHACL {where})")


class InvalidShape(ShaclError):
    """The shape breaks a syntax rule of SHACL (e.g. ``sh:minCount "two"``)."""


class UnsupportedShape(ShaclError):
    """Valid SHACL this compiler does not handle; validate that shape with pySHACL instead."""


class ValidationFailure(RuntimeError):
    """A SHACL-SPARQL query reported ``?failure true`` or could not run (SHACL §5.3.2)."""


