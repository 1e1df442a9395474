"""SHACL constraints decided on the mapped columns, so that their store queries need not run.

The mapping engine types and checks every column (datatype, range, pattern, code list,
required, references) and rejects a bad row before any triple is written, so most compiled
constraints (:mod:`loaders.shacl`) can find nothing in the store a build has just loaded; each
one is still a SPARQL query over millions of triples. :class:`ColumnChecks` proves, constraint
by constraint, from the mappings and the typed columns of the loaded rows
(``MappedTable.accepted``), that a constraint **cannot** report a violation in that store; the
validator then skips its query. Whatever is not proven runs on the store as before, and
``--validator pyshacl`` (the reference) never skips anything.

What the store holds when the first validation round runs is known exactly: the vocabulary
graph (ontology and code lists, read here the way the build loads it) and, per mapping
resource, the triples the mapper writes for the loaded rows. Every triple of a mapping comes
from a *producer*: one property of one resource block (or its ``inverse``), with the subject
IRI template of the block, the kind of object (a link template, a concept of a code list, a
literal with its datatype or language) and whether a row gives one value or a list. The
constraint's focus nodes are the instances of its target classes (``rdf:type`` and the
``rdfs:subClassOf`` triples of the vocabulary): the subjects of resource blocks whose class is
one of them, and vocabulary nodes typed so. A producer concerns a focus node when its subject
template can produce that node's IRI: keys are written as single path segments, so templates
with different fixed segments (``school/{code}``, ``building/{id}``) never meet.

Decided here (a constraint is skipped only when the reason holds for the whole store):

* every constraint of a shape whose targets have no instance at all in the loaded store (the
  summaries, indicators and provenance records are made later, and validated after they are);
* value constraints (``sh:datatype``, ``sh:nodeKind``, ``sh:in``, ``sh:pattern``, ranges,
  lengths, ``sh:languageIn``, and SHACL-SPARQL constraints that only filter the focus node's
  values of one predicate): the distinct values every concerned producer wrote are loaded into
  a small in-memory Oxigraph store, each set on a stand-in focus node of the target classes,
  and **the constraint's own compiled query** runs there. The same terms in the same engine
  give the same answer, so Oxigraph's canonical forms, regular expressions and ill-typed
  literals need no second implementation;
* ``sh:class``: every value is an instance of the class (a concept of a code list, or the IRI
  of a loaded row of a table whose block has that class);
* ``sh:minCount`` and ``sh:hasValue`` (also along ``( p skos:inScheme )`` paths): every row of
  every block that makes an instance writes the value(s) (a required column, a concept with the
  right scheme);
* ``sh:maxCount`` and ``sh:uniqueLang``: one producer per subject with one value per row and
  one row per subject, or else counted on the values themselves;
* ``sh:closed``: no producer that can write about an instance uses a predicate outside the
  shape's list.

Rows removed by a later validation round only take triples away, so a decision still holds
then unless it counted on a link to another row (a ``sh:minCount`` of ``emis:school``, say):
those are marked ``stable=False`` and run again in later rounds.

Anything else is not decided: SHACL-SPARQL rules across properties or resources, logical and
qualified shapes, other paths, shapes on the focus node itself, target nodes. The compiled
query of a decided constraint must select its focus nodes exactly as assumed here (checked on
its text), and before anything is decided the model must account for every line the mapper
wrote (as many triples per table); a mapping the model does not describe, or any error, decides
nothing, so every query runs.

The package: :mod:`.model` (what the load wrote: producers, rows, subjects, objects, focus
nodes, over :mod:`.templates` and :mod:`.vocabulary`), :mod:`.shapes` (reading the shapes and
the compiled queries' text), :mod:`.rules` (the decision for each family of constraints); here,
the face the validator uses.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import rdflib

from emis_lod.profiles import Profile
from emis_lod.uris import Uris

from ..mapper import MappedTable
from ..mapping_spec import Mapping
from .rules import Decision, _Checker

__all__ = ["ENABLED", "ColumnChecks", "Decided", "Decision", "constraint_key", "decided"]

# Switch for comparisons (tests, benchmarks): False makes every round run every query.
ENABLED = True


class ColumnChecks:
    """The constraints the mapped columns decide, for one store as the build loaded it.

    Create it right after the load and pass it to the validation rounds of that store (see
    :func:`loaders.validate.validate`). The first round skips every decided constraint; later
    rounds run after the build removed rejected rows (and changed nothing else), so they skip
    only the decisions that no removal can undo.
    """

    def __init__(self, mappings: Sequence[Mapping], mapped: dict[str, MappedTable], uris: Uris,
                 profile: Profile | None = None) -> None:
        self.mappings, self.mapped, self.uris = list(mappings), mapped, uris
        self.profile = profile
        self._decided: dict | None = None
        self.rounds = 0

    def decide(self, shapes: rdflib.Graph, compiled: Iterable) -> dict:
        """Compiled constraint -> :class:`Decision`, for the constraints proven to find nothing."""
        if self._decided is None:
            try:
                self._decided = _Checker(shapes, self.mappings, self.mapped, self.uris,
                                         self.profile).run(list(compiled))
            except Exception as err:  # noqa: BLE001 - an optimisation: if it cannot run, every query runs
                warnings.warn(f"SHACL constraints could not be decided on the columns ({err!r}); "
                              "every constraint is queried on the store", RuntimeWarning, stacklevel=2)
                self._decided = {}
        return self._decided

    def skip(self, shapes: rdflib.Graph, compiled: Iterable) -> set:
        """The constraints this validation round need not query (one call per round)."""
        first, self.rounds = self.rounds == 0, self.rounds + 1
        if not ENABLED:
            return set()
        return {c for c, d in self.decide(shapes, compiled).items() if first or d.stable}


def constraint_key(constraint: Any) -> tuple:
    """What names a compiled constraint in any process (its shape may be a blank node, whose
    label differs each time the shapes are parsed; its query and message do not)."""
    c = constraint
    return (c.component, c.path, c.sparql, c.message, c.severity, c.kind, c.node_shape)


@dataclass
class Decided:
    """What :class:`ColumnChecks` decided in another process (the build's worker, whose memory
    goes with it), applied by :func:`constraint_key`: the same :meth:`skip` per round."""

    decisions: dict[tuple, Decision]
    rounds: int = 0

    def skip(self, shapes: rdflib.Graph, compiled: Iterable) -> set:
        """The constraints this validation round need not query (one call per round)."""
        first, self.rounds = self.rounds == 0, self.rounds + 1
        if not ENABLED:
            return set()
        return {c for c in compiled
                if (d := self.decisions.get(constraint_key(c))) is not None and (first or d.stable)}


def decided(mappings: Sequence[Mapping], mapped: dict[str, MappedTable], uris: Uris,
            profile: Profile | None = None) -> Decided:
    """Decide the constraints on the mapped columns (what :class:`ColumnChecks` decides), to be
    run in a worker process (loaders/worker.py) before the store is loaded."""
    from ..validate import compiled_shapes

    shapes, compiled = compiled_shapes(uris, profile)
    decisions = ColumnChecks(mappings, mapped, uris, profile).decide(shapes, compiled) if ENABLED else {}
    return Decided({constraint_key(c): d for c, d in decisions.items()})
