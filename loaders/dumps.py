"""Bulk downloads of a release, written by every build into ``RELEASE/dumps/``.

- ``emis.nq.gz``: the whole release (every named graph) as gzipped N-Quads; never through rdflib.
- ``emis.trig.gz``: the same dataset as gzipped TriG (Turtle with the named graphs kept, prefixed
  names), for readers who prefer Turtle. Both are written from the tables' N-Triples files in
  worker processes while the build goes on, and end with the graphs computed in the store
  (:mod:`.whole_dumps`).
- ``{table}.csv`` with ``{table}.csv-metadata.json`` (W3C CSVW): tables of the main resources,
  each the answer of a SPARQL SELECT in ``mappings/dumps/{table}.rq`` (SPARQL CSV results:
  IRIs and literal values as plain cells). Staff appear only as per-school summaries. Rows
  are in the order of the first column, the table's primary key (sorted outside the store,
  :mod:`.sorted_csv`), unless the query has an ``ORDER BY`` of its own.
- ``SHA256SUMS``: ``sha256sum -c`` compatible checksums of every other file.

A ``.rq`` file declares its columns in comments, one per SELECT variable, in order::

    # column NAME DATATYPE [PROPERTY]

DATATYPE is a CSVW/XSD base datatype name (``string``, ``decimal``, ``anyURI``, ...); PROPERTY a
prefixed name (``emis:pupils``) that becomes the column's ``propertyUrl``. The first column is
the resource's IRI and is the table's ``aboutUrl``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from emis_lod.formats import NQUADS, RESULTS_CSV, TRIG
from emis_lod.namespaces import prefixes
from emis_lod.profiles import Profile, default
from emis_lod.uris import Uris

from . import whole_dumps
from .errors import BuildError
from .mapping_spec import expand
from .sorted_csv import sort_rows, store_order

DUMPS = "dumps"
NQUADS_FILE = "emis.nq.gz"
TRIG_FILE = "emis.trig.gz"
SUMS_FILE = "SHA256SUMS"
GZIP = "application/gzip"
CSVW_METADATA = "application/csvm+json"
_MODIFIERS = ("Slice", "Distinct", "Reduced", "Project", "OrderBy")   # of the SELECT itself
_COLUMN = re.compile(r"^#\s*column\s+(\w+)\s+(\w+)(?:\s+(\S+))?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Column:
    name: str
    datatype: str
    property: str | None


def table_queries(profile: Profile | None = None) -> list[Path]:
    """The SELECT queries whose answers are published as CSV (``dumps:`` of the profile,
    ``mappings/dumps/*.rq`` and the profile's own)."""
    return (profile or default()).files("dumps")


def columns(query: str) -> list[Column]:
    return [Column(name, datatype, prop) for name, datatype, prop in _COLUMN.findall(query)]


def description(query: str) -> str:
    first = query.lstrip().splitlines()[0] if query.strip() else ""
    return first.lstrip("#").strip()


def media_type(name: str) -> str:
    """The media type a dump file is served as (``.gz`` files as gzip downloads)."""
    if name.endswith(".gz"):
        return GZIP
    if name.endswith(".csv-metadata.json"):
        return CSVW_METADATA
    if name.endswith(".csv"):
        return RESULTS_CSV.content_type
    return "text/plain; charset=utf-8"


def inner_media_type(name: str) -> str | None:
    """For a compressed dump, the media type of what is inside (for DCAT's packaging)."""
    if name.endswith(NQUADS.extension + ".gz"):
        return NQUADS.media_type
    if name.endswith(TRIG.extension + ".gz"):
        return TRIG.media_type
    return None


def csv_table(store: ox.Store, query_path: Path, out_dir: Path, uris: Uris,
               pre: dict[str, str]) -> dict[str, Any]:
    query = query_path.read_text(encoding="utf-8")
    cols = columns(query)
    name = query_path.stem
    # read with rdflib before the query: a parse keeps frames alive in its caches, and a frame
    # holding the solutions would see them dropped by another thread's garbage collection
    # (pyoxigraph's solutions must be dropped by the thread that made them)
    in_own_order = orders_itself(query, uris)
    answer = store.query(query, base_iri=uris.base, prefixes=pre, use_default_graph_as_union=True)
    if not isinstance(answer, ox.QuerySolutions):
        raise BuildError(f"{query_path}: a dump query must be a SELECT query")
    variables = [v.value for v in answer.variables]
    if variables != [c.name for c in cols]:
        raise BuildError(f"{query_path}: '# column' comments {[c.name for c in cols]} do not "
                         f"match the SELECT variables {variables}")
    csv_path = out_dir / f"{name}.csv"
    # unless the query orders its rows, they are sorted on the first column outside the store
    unsorted = csv_path if in_own_order else out_dir / f"{name}.unsorted.csv"
    with open(unsorted, "wb") as out:
        answer.serialize(out, ox.QueryResultsFormat.CSV)
    del answer
    if not in_own_order:
        try:
            if not sort_rows(unsorted, csv_path):     # cells it cannot tell apart
                ordered = store.query(store_order(query, variables), base_iri=uris.base,
                                      prefixes=pre, use_default_graph_as_union=True)
                assert isinstance(ordered, ox.QuerySolutions)
                with open(csv_path, "wb") as out:
                    ordered.serialize(out, ox.QueryResultsFormat.CSV)
                del ordered
        finally:
            unsorted.unlink()
    schema_columns = []
    for c in cols:
        column: dict[str, Any] = {"name": c.name, "titles": c.name, "datatype": c.datatype,
                                  "required": False}
        if c.property:
            column["propertyUrl"] = expand(c.property, pre, f"dump column property {c.property}")
        if c.datatype == "anyURI":
            column["valueUrl"] = "{+" + c.name + "}"
        schema_columns.append(column)
    schema_columns[0]["required"] = True
    schema_columns[0]["suppressOutput"] = True
    metadata = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": csv_path.name,
        "dc:title": name.replace("-", " "),
        "dc:description": description(query),
        "dialect": {"header": True, "lineTerminators": ["\r\n", "\n"]},
        "tableSchema": {"columns": schema_columns, "primaryKey": cols[0].name,
                        "aboutUrl": "{+" + cols[0].name + "}"},
    }
    (out_dir / f"{name}.csv-metadata.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return metadata


def orders_itself(query: str, uris: Uris) -> bool:
    """Whether the SELECT has an ``ORDER BY`` of its own (not one inside a sub-select), read
    from its algebra as rdflib parses it."""
    from rdflib.plugins.sparql import prepareQuery

    node = prepareQuery(query, initNs=prefixes(uris), base=uris.base).algebra.p
    while getattr(node, "name", None) in _MODIFIERS:
        if node.name == "OrderBy":
            return True
        node = node.p
    return False


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def reads_only(query: str, graphs: set[str], uris: Uris) -> bool:
    """Whether every triple pattern of ``query`` is inside ``GRAPH <g>`` with ``g`` one of
    ``graphs`` (read from the query's algebra, as rdflib parses it)."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    def inside(node: object) -> bool:
        if isinstance(node, CompValue):
            # algebra (Graph, BGP) and, inside EXISTS, the parser's syntax (GraphGraphPattern,
            # TriplesBlock)
            if node.name in ("Graph", "GraphGraphPattern"):
                return str(node.term) in graphs
            if node.name in ("BGP", "TriplesBlock") and node.triples:
                return False
            return all(inside(v) for v in node.values())
        if isinstance(node, list | tuple):
            return all(inside(v) for v in node)
        return True

    return inside(prepareQuery(query, initNs=prefixes(uris), base=uris.base).algebra)


def dump_members(release_dir: Path, uris: Uris) -> whole_dumps.DumpMembers:
    """Where the members of the whole-dataset dumps are written as the build makes their
    parts (see :class:`.whole_dumps.DumpMembers`)."""
    return whole_dumps.DumpMembers(Path(release_dir) / "members", prefixes(uris))


def start(release_dir: Path, uris: Uris, members: whole_dumps.DumpMembers,
          store: ox.Store | None = None, profile: Profile | None = None) -> whole_dumps.Pending:
    """Begin the whole-dataset dumps from the tables' ``members`` (see :mod:`.whole_dumps`):
    called once validation has taken out what it rejects (and the members it touched are
    being written again). With the ``store``, the CSV tables that read only the tables'
    graphs are answered beside them, from a snapshot of the store."""
    out_dir = Path(release_dir) / DUMPS
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir()
    graphs = members.graphs
    queries = () if store is None else tuple(
        q for q in table_queries(profile) if reads_only(q.read_text(encoding="utf-8"), graphs, uris))
    early = None
    if store is not None and queries:
        snapshot = Path(release_dir) / "snapshot"
        store.backup(str(snapshot))
        early = whole_dumps.EarlyTables(snapshot, queries, out_dir, uris.base)
    return whole_dumps.start(members, out_dir / NQUADS_FILE, out_dir / TRIG_FILE, Path(release_dir),
                             early)


def write_dumps(store: ox.Store, release_dir: Path, uris: Uris, counts: dict[str, int],
                pending: whole_dumps.Pending | None = None,
                profile: Profile | None = None) -> list[dict[str, Any]]:
    """Write every dump of a release; the manifest's list: file, bytes, sha256, media type.

    ``counts`` are the store's triples per graph; ``pending`` the whole-dataset dumps begun by
    :func:`start` (without it, they are written from the store alone)."""
    pending = pending or start(release_dir, uris, dump_members(release_dir, uris), profile=profile)
    out_dir = Path(release_dir) / DUMPS
    pre = prefixes(uris)
    early = pending.early.queries if pending.early else ()
    try:
        # Oxigraph answers a query without holding the GIL: the CSV tables are answered by two
        # threads while this one ends the whole-dataset dumps
        with ThreadPoolExecutor(2) as pool:
            tables = [pool.submit(csv_table, store, query_path, out_dir, uris, pre)
                      for query_path in table_queries(profile) if query_path not in early]
            try:
                pending.finish(store, counts, Path(release_dir))
            except BaseException:
                for table in tables:
                    table.cancel()
                raise
            for table in tables:
                table.result()
    except BaseException:
        pending.cancel()
        raise
    return listing(release_dir)


def listing(release_dir: Path) -> list[dict[str, Any]]:
    """The manifest's list of the files in ``dumps/`` (file, bytes, sha256, media type), written
    as ``SHA256SUMS`` too; again after files are added (the changeset, ``loaders/changes.py``)."""
    out_dir = Path(release_dir) / DUMPS
    files = []
    for path in sorted(out_dir.iterdir()):
        if path.name == SUMS_FILE:
            continue
        files.append({"file": path.name, "bytes": path.stat().st_size, "sha256": sha256(path),
                      "media_type": media_type(path.name)})
    (out_dir / SUMS_FILE).write_text("".join(f"{d['sha256']}  {d['file']}\n" for d in files),
                                     encoding="utf-8")
    return files
