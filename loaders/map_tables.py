"""Reading and mapping every table of an export, in a worker process (loaders/worker.py).

Reading and mapping a national table (a million rows of staff or training) allocates and frees
gigabytes of small Python objects. CPython keeps most of what it freed: an arena of its
allocator goes back to the system only when every object in it is gone, and a few survivors
pin the rest. A build that mapped in its own process kept about 4 GB it no longer used through
loading, validation and derivation. So the tables are read and mapped, one after the other, in
a worker process: the N-Triples and the typed columns go to files in the staging directory,
what the build keeps of each table (its accounting, rejections, subjects and the key columns
other tables refer to) comes back pickled, and the worker's heap goes with the worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from emis_lod.namespaces import prefixes
from emis_lod.profiles import Profile
from emis_lod.uris import Uris

from .codelists import CodeLists
from .column_checks import Decided, decided
from .mapper import MappedTable, map_table
from .mapping_spec import Mapping
from .memory import release_memory
from .progress import SILENT, Progress
from .readers import SourceTable, read_source
from .worker import Worker


def referenced_columns(mappings: list[Mapping]) -> dict[str, list[str]]:
    """Table -> its columns that other tables refer to (what stays in memory once mapped)."""
    referenced: dict[str, list[str]] = {}
    for m in mappings:
        for c in m.columns:
            if c.references:
                referenced.setdefault(c.references.table, []).extend(
                    [c.references.column] + [theirs for _, theirs in c.references.with_])
    return referenced


def map_one(mapping: Mapping, path: Path, uris: Uris, codes: CodeLists, nt_dir: Path, today: date,
            secret: bytes, accepted: dict[str, pd.DataFrame], keep: list[str]
            ) -> tuple[SourceTable, MappedTable, float]:
    """Read and map one table: its N-Triples to ``nt_dir/TABLE.nt``, its typed columns to
    ``nt_dir/TABLE.accepted.pickle``; what the file was (not its rows), the mapped table with
    only the ``keep`` columns in memory, and the seconds spent reading."""
    began = time.perf_counter()
    source = read_source(path, mapping)
    reading = time.perf_counter() - began
    table = map_table(mapping, source, uris, codes, prefixes(uris), accepted,
                      nt_dir / f"{mapping.table}.nt", today, secret)
    table.spill(nt_dir / f"{mapping.table}.accepted.pickle", mapping, keep)
    table.spill_subjects(nt_dir / f"{mapping.table}.subjects.pickle")
    described = replace(source, frame=source.frame.iloc[:0], faults=())
    del source
    release_memory()
    return described, table, reading


def decide_columns(mappings: list[Mapping], mapped: dict[str, MappedTable], uris: Uris,
                   profile: Profile | None = None) -> Decided:
    """In a worker: the constraints the mapped columns decide (loaders/column_checks/), with
    the subjects read from the files map_one wrote."""
    return decided(mappings, {name: replace(t, subjects=t.subject_rows(), subjects_file=None)
                              for name, t in mapped.items()}, uris, profile)


def map_tables(mappings: list[Mapping], paths: dict[str, Path], uris: Uris, codes: CodeLists,
               nt_dir: Path, today: date, secret: bytes, worker: Worker,
               progress: Progress = SILENT, mapped_one: Callable[[Mapping], None] = lambda m: None
               ) -> tuple[dict[str, SourceTable], dict[str, MappedTable], float]:
    """Read and map the tables in mapping order (a table is mapped after the tables it refers
    to), in the ``worker`` process; the tables' descriptions, the mapped tables and the seconds
    spent reading. ``mapped_one`` is told of each table once its files are written."""
    referenced = referenced_columns(mappings)
    accepted: dict[str, pd.DataFrame] = {}
    sources: dict[str, SourceTable] = {}
    mapped: dict[str, MappedTable] = {}
    reading = 0.0
    for m in mappings:
        if m.table not in paths:
            accepted[m.table] = pd.DataFrame({c.name: pd.Series(dtype="string") for c in m.columns})
            continue
        theirs = {c.references.table: accepted[c.references.table] for c in m.columns
                  if c.references and c.references.table in accepted}
        sources[m.table], mapped[m.table], seconds = worker.call(
            map_one, m, paths[m.table], uris, codes, nt_dir, today, secret, theirs,
            referenced.get(m.table, []))
        accepted[m.table] = mapped[m.table].accepted
        reading += seconds
        mapped_one(m)
        progress.advance(m.table)
    return sources, mapped, reading
