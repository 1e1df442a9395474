"""The source rows behind SHACL violations: found from the subjects they made, written as
rejection lines (rule ``shacl``, naming the source column of the violated property), and taken
out of the loaded store and out of their table's accounting, so that the build can validate again.
"""

from __future__ import annotations

import re

import pandas as pd
import pyoxigraph as ox

from emis_lod.namespaces import prefixes
from emis_lod.uris import Uris

from .mapper import MappedTable
from .mapping_spec import Mapping
from .validate import VIOLATION


def source_columns(mapping: Mapping, uris: Uris) -> dict[str, str]:
    """Predicate IRI -> the source column it is mapped from (to name columns in SHACL results)."""
    pre = prefixes(uris)
    out: dict[str, str] = {}
    for res in mapping.resources:
        for predicate, obj in res.properties:
            iri = pre.get(predicate.partition(":")[0], "") + predicate.partition(":")[2]
            column = obj.column or next(iter(re.findall(r"\{(\w+)\}", obj.id or obj.value or "")), None)
            if column:
                out.setdefault(iri, column)
    return out


def owners(mapped: dict[str, MappedTable], focus: set[str]) -> dict[str, tuple[str, str, int]]:
    """Subject IRI -> (table, file, row) of the source row it was made from (the first table
    and row that made it), for the few focus nodes of violations: a dictionary of every subject
    of a national release would cost a gigabyte."""
    owner: dict[str, tuple[str, str, int]] = {}
    if not focus:
        return owner
    for t in mapped.values():
        rows = t.subject_rows()
        hits = rows[rows["subject"].isin(focus)]
        for subject, row in zip(hits["subject"], hits["row"], strict=True):
            owner.setdefault(subject, (t.table, t.file, int(row)))
    return owner


def shacl_rejections(violations: list, owner: dict[str, tuple[str, str, int]],
                      mappings: list[Mapping], uris: Uris) -> dict[str, dict[int, list[dict]]]:
    """Source rows behind the focus nodes of SHACL violations, with rejection lines."""
    columns = {m.table: source_columns(m, uris) for m in mappings}
    out: dict[str, dict[int, list[dict]]] = {}
    for v in violations:
        if v.severity != VIOLATION or v.focus not in owner:
            continue
        table, file, row = owner[v.focus]
        path = (v.path or "").lstrip("^")
        column = columns[table].get(path) or (path.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or "(resource)")
        out.setdefault(table, {}).setdefault(row, []).append(dict(
            table=table, file=file, row=row, column=column, value=v.value or "",
            rule="shacl", reason=f"{v.message} (SHACL {v.component.rsplit('#', 1)[-1]} on {v.focus})"))
    return out


def remove_rows(store: ox.Store, rows: dict[str, dict[int, list[dict]]],
                 mapped: dict[str, MappedTable], deleted: dict[str, set[bytes]]) -> list[str]:
    """Take rejected rows out of a loaded store and out of the accounting; their subjects.
    What is taken out of the store is added to ``deleted`` (graph -> N-Triples lines), for the
    dumps written from the mapped files."""
    removed: list[str] = []
    for table, by_row in rows.items():
        t = mapped[table]
        made = t.subject_rows()
        subjects = made.loc[made["row"].isin(list(by_row)), "subject"].tolist()
        removed += subjects
        for i in range(0, len(subjects), 500):
            values = " ".join(f"<{s}>" for s in subjects[i:i + 500])
            going = store.query(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?x {{ {values} }} "
                                f"{{ GRAPH ?g {{ ?x ?p ?o }} BIND(?x AS ?s) }} UNION "
                                f"{{ GRAPH ?g {{ ?s ?p ?x }} BIND(?x AS ?o) }} }}")
            assert isinstance(going, ox.QuerySolutions)
            for q in going:
                deleted.setdefault(q["g"].value, set()).add(  # type: ignore[union-attr]
                    f"{q['s']} {q['p']} {q['o']} .".encode())
            store.update(f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ VALUES ?s {{ {values} }} "
                         f"GRAPH ?g {{ ?s ?p ?o }} }} ;\n"
                         f"DELETE {{ GRAPH ?g {{ ?x ?p ?s }} }} WHERE {{ VALUES ?s {{ {values} }} "
                         f"GRAPH ?g {{ ?x ?p ?s }} }}")
        t.rejections = pd.concat([t.rejections, pd.DataFrame(
            [line for lines in by_row.values() for line in lines])], ignore_index=True)
        t.rows_loaded -= len(by_row)
    return removed
