"""``emis-lod build``: read every table, map, validate, load a new release, publish it.

The order protects what is served: all source files are read (and a bad file
stops the build) before anything is written; the release is assembled in a
staging directory; ``current`` is switched only when the release is complete.
"""

from __future__ import annotations

import gc
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyoxigraph as ox

from emis_lod import __version__
from emis_lod.namespaces import prefixes
from emis_lod.profiles import Profile, default, write_release_file
from emis_lod.settings import Settings
from emis_lod.uris import Uris

from . import capacity, catalog, changes, dumps, indicators, releases, revalidate, whole_dumps
from .codelists import CodeLists
from .errors import BuildError, Rejection
from .map_tables import decide_columns, map_tables
from .mapper import MappedTable
from .mapping_spec import Mapping, load_mappings
from .memory import release_memory, return_free_pages
from .privacy import DEMO_SECRET
from .progress import SILENT, Progress
from .readers import find_source
from .rejected_rows import owners, remove_rows, shacl_rejections
from .resource_types import resource_types, to_manifest
from .validate import about_classes, may_fail_after_removal, validate
from .vocabulary_check import check as check_vocabulary
from .worker import Worker

MAX_SHACL_ROUNDS = 10   # each round rejects the rows that referred to the last round's


@dataclass
class TableReport:
    table: str
    file: str
    encoding: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    triples: int
    graph: str
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class BuildReport:
    release: str
    release_dir: Path
    store: Path
    base_uri: str
    tables: list[TableReport]
    vocabulary_triples: int
    triples: int
    rejections: pd.DataFrame
    shacl_violations: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)   # seconds per build phase
    examples: dict[str, str] = field(default_factory=dict)   # table -> one loaded resource IRI
    skipped: list[str] = field(default_factory=list)         # optional tables with no file
    published: bool = True                                   # False: built with publish=False

    @property
    def rejected(self) -> int:
        return sum(t.rows_rejected for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """The summary for machines (``emis-lod build --json``): the same facts as
        :meth:`summary`, with the accounting per table and where the reports are."""
        return {
            "ok": True, "release": self.release, "published": self.published,
            "store": str(self.store), "release_dir": str(self.release_dir),
            "base_uri": self.base_uri, "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "triples": self.triples, "vocabulary_triples": self.vocabulary_triples,
            "rows_read": sum(t.rows_read for t in self.tables),
            "rows_loaded": sum(t.rows_loaded for t in self.tables),
            "rows_rejected": self.rejected, "shacl_violations": self.shacl_violations,
            "tables": [asdict(t) for t in self.tables], "skipped_tables": self.skipped,
            "rejections": str(self.release_dir / releases.REJECTIONS),
            "validation_report": str(self.release_dir / releases.VALIDATION),
        }

    def summary(self) -> str:
        done = "published" if self.published else "written (not published)"
        lines = [f"release {self.release} {done} in {self.store} ({self.seconds:.1f} s)",
                 f"{'table':<20} {'file':<24} {'read':>8} {'loaded':>8} {'rejected':>9} {'triples':>10}"]
        for t in self.tables:
            lines.append(f"{t.table:<20} {t.file:<24} {t.rows_read:>8} {t.rows_loaded:>8} "
                         f"{t.rows_rejected:>9} {t.triples:>10}")
        lines.append(f"{'vocabulary':<20} {'ontology/':<24} {'':>8} {'':>8} {'':>9} "
                     f"{self.vocabulary_triples:>10}")
        for table in self.skipped:
            lines.append(f"{table:<20} (no file: the table is optional and was skipped)")
        lines.append(f"triples loaded: {self.triples}; rows rejected: {self.rejected}; "
                     f"SHACL violations: {self.shacl_violations}")
        if len(self.rejections):
            lines.append("rejected rows (file:row:column  reason):")
            shown = self.rejections.head(20)
            for r in shown.itertuples(index=False):
                lines.append(f"  {r.file}:{r.row}:{r.column}  {r.reason}")
            if len(self.rejections) > len(shown):
                lines.append(f"  ... {len(self.rejections) - len(shown)} more")
            lines.append(f"full report: {self.release_dir / releases.REJECTIONS}")
        return "\n".join(lines)

    def try_urls(self, public: str) -> str:
        uris = Uris(public)
        lines = ["try:", f"  {public}  (home page)", f"  {uris.sparql}  (SPARQL endpoint)",
                 f"  {uris.concept('indicator', 'qualified-teachers')}  (an indicator: regions "
                 "and districts)", f"  {uris.release_summary}  (this release: accounting, rejected rows)"]
        lines += [f"  {iri}  (a resource of table {table}: 303 to its document)"
                  for table, iri in self.examples.items()]
        lines += [f"  curl -L -H 'Accept: text/turtle' {next(iter(self.examples.values()), public)}",
                  f"  curl -G -H 'Accept: text/csv' {uris.sparql} --data-urlencode "
                  "'query=SELECT (COUNT(*) AS ?schools) WHERE { ?s a emis:School }'"]
        return "\n".join(lines)


def _find_all(source: Path, mappings: list[Mapping]) -> dict[str, Path]:
    """The export file of every table; a required table without one stops the build."""
    paths: dict[str, Path] = {}
    for m in mappings:
        path = find_source(source, m)
        if path is None:
            if m.source_required:
                raise BuildError(f"{source}: no file for table '{m.table}' (looked for "
                                 f"{', '.join(m.files)}); add the export or mark the table optional "
                                 f"in {Path(m.path).name}")
            continue
        paths[m.table] = path
    return paths


def _load(db: Path, mappings: list[Mapping], mapped: dict[str, MappedTable], nt_dir: Path,
          uris: Uris, profile: Profile) -> tuple[ox.Store, int]:
    if db.exists():
        shutil.rmtree(db)
    store = ox.Store(str(db))
    vocab_graph = ox.NamedNode(uris.graph("ontology"))
    for path in profile.vocabulary_files:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=uris.concepts,
                        to_graph=vocab_graph)
    vocabulary = len(store)
    store.bulk_load(whole_dumps.nquads_reader([
        whole_dumps.GraphText(uris.graph(m.graph), nt_dir / f"{m.table}.nt")
        for m in mappings if m.table in mapped]), format=ox.RdfFormat.N_QUADS)
    return store, vocabulary


def derived_queries(profile: Profile | None = None) -> list[Path]:
    """CONSTRUCT queries whose results every release carries (``derived:`` of the profile,
    ``mappings/derived/*.rq`` and the profile's own)."""
    return (profile or default()).files("derived")


def derived_classes(uris: Uris, profile: Profile | None = None) -> set[str]:
    """The classes the derived queries create (``a emis:X`` in their templates)."""
    return {uris.vocab + name for path in derived_queries(profile)
            for name in re.findall(r"(?<![?$\w])a emis:(\w+)", path.read_text(encoding="utf-8"))}


def _derive(store: ox.Store, uris: Uris, nt_dir: Path, profile: Profile) -> list[whole_dumps.GraphText]:
    """Run the derived queries, in order, over the union of the loaded graphs (a query sees
    what the ones before it derived), into ``graph/derived``: each query's results are written
    as N-Triples by Oxigraph and read by its bulk loader (a national release derives a million
    triples; a Python object per term would cost minutes). The files stay for the dumps."""
    graph = uris.graph("derived")
    written: list[whole_dumps.GraphText] = []
    for query in derived_queries(profile):
        try:
            triples = store.query(profile.query_text(query.read_text(encoding="utf-8"), uris),
                                  base_iri=uris.base,
                                  prefixes=prefixes(uris), use_default_graph_as_union=True)
        except SyntaxError as err:
            raise BuildError(f"{query}: not a valid SPARQL query: {err}") from None
        if not isinstance(triples, ox.QueryTriples):
            raise BuildError(f"{query}: a derived query must be a CONSTRUCT query")
        path = nt_dir / f"derived-{len(written)}.nt"      # a hyphen: no table file has one
        triples.serialize(str(path), format=ox.RdfFormat.N_TRIPLES)
        del triples
        return_free_pages()    # the query's hash tables, before the bulk loader's buffers
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        written.append(whole_dumps.GraphText(graph, path))
    return written


def _indicators(store: ox.Store, uris: Uris, nt_dir: Path, profile: Profile) -> list[whole_dumps.GraphText]:
    """The monitoring indicators, from the rows that stay and the derived summaries, into
    ``graph/indicators`` through the bulk loader; the file stays for the dumps."""
    path = nt_dir / "indicator-observations.nt"   # a hyphen: no table file has one
    indicators.write_ntriples(indicators.observations(store, uris, profile), uris, path,
                              profile.languages)
    release_memory()       # the frames and the queries' hash tables, before the bulk loader's
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(uris.graph("indicators")))
    return [whole_dumps.GraphText(uris.graph("indicators"), path)]


def computed_graphs(step: Callable[[ox.Store, Uris, Path, Profile], list[whole_dumps.GraphText]],
                    db: Path, base: str, nt_dir: Path, profile: Profile) -> list[whole_dumps.GraphText]:
    """In a worker (loaders/worker.py), with the build's store: ``step`` (_derive,
    _indicators); the N-Triples files it loaded, for the dumps."""
    store = ox.Store(str(db))
    try:
        return step(store, Uris(base), nt_dir, profile)
    finally:
        del store     # closed before the build opens the store again


def _drop_people(store: ox.Store, mappings: list[Mapping], uris: Uris) -> set[str]:
    """staff_publication = aggregates: remove the graphs of tables about people; their names."""
    dropped = {uris.graph(m.graph) for m in mappings if m.describes_people}
    for graph in dropped:
        store.remove_graph(ox.NamedNode(graph))
    return dropped


def _secret(settings: Settings, echo: Callable[[str], object]) -> bytes:
    if settings.staff_secret:
        return settings.staff_secret.encode("utf-8")
    echo("warning: EMIS_LOD_STAFF_SECRET is not set; staff pseudonyms use the public demo key "
         "and are NOT protected. Set a ministry secret (and keep it) for real data.")
    return DEMO_SECRET.encode("utf-8")


def build(source: Path, store_dir: Path, settings: Settings,
          echo: Callable[[str], object] = print, mappings_dir: Path | None = None,
          progress: Progress = SILENT,
          today: date | None = None, publish: bool = True,
          profile: Profile | None = None) -> BuildReport:
    """Build SOURCE into a new release of STORE_DIR (and publish it), one build per store at a
    time (releases.building), with a country profile (emis_lod.profiles; the default's)."""
    try:
        with releases.building(Path(store_dir)):
            return _build(source, store_dir, settings, echo, mappings_dir, progress, today, publish,
                          profile or default())
    except releases.BuildRunning as err:
        raise BuildError(str(err)) from None


def _build(source: Path, store_dir: Path, settings: Settings, echo: Callable[[str], object],
           mappings_dir: Path | None, progress: Progress, today: date | None,
           publish: bool, profile: Profile) -> BuildReport:
    started = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + now - since
        return now

    today = today or date.today()
    uris = Uris(settings.base_uri)
    mappings = load_mappings(mappings_dir) if mappings_dir else \
        load_mappings(files=profile.files("mappings"))
    # every term the mappings use is declared and every class shaped (loaders/vocabulary_check.py),
    # and the release's resource types are those they and the derived queries mint
    check_vocabulary(mappings, uris, profile.vocabulary_files, profile.files("shapes"))
    types = resource_types(mappings, uris, derived_queries(profile))
    progress.start("read")
    paths = _find_all(Path(source), mappings)
    # stop here, before anything is written, if the build cannot fit
    capacity.check(capacity.estimate({t: capacity.rows_in(p) for t, p in paths.items()}),
                   Path(store_dir), mode=settings.capacity_check, echo=echo)
    codes = CodeLists(uris, profile.files("concepts"))
    secret = _secret(settings, echo)
    mark = lap("read", started)

    store_dir = Path(store_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    previous = releases.current_id(store_dir)    # what changed is told against it (changes.py)
    releases.discard_staging(store_dir)
    release_id = releases.new_release_id()
    staging = releases.staging_dir(store_dir, release_id)
    pending: whole_dumps.Pending | None = None
    # the tables' members of the whole-dataset dumps, written by workers as each table is
    # mapped (the graphs of tables about people are not published in aggregates mode)
    members = dumps.dump_members(staging, uris)
    dropped = settings.staff_publication == "aggregates"

    def mapped_one(m: Mapping) -> None:
        if not (dropped and m.describes_people):
            members.add(whole_dumps.GraphText(uris.graph(m.graph), nt_dir / f"{m.table}.nt"))

    try:
        nt_dir = staging / "nt"
        nt_dir.mkdir()
        progress.start("map", total=len(paths))
        with Worker() as worker:   # its memory goes with it (loaders/worker.py)
            sources, mapped, reading = map_tables(mappings, paths, uris, codes, nt_dir, today,
                                                  secret, worker, progress, mapped_one)
        # the constraints the mapped columns decide, before the store takes the memory, in a
        # worker of their own: the mapping worker's heap is gone by then (1 GB at 20,000 schools)
        with Worker() as worker:
            columns = worker.call(decide_columns, mappings, mapped, uris, profile)
        mark = lap("map", mark)
        phases["map"] -= reading      # reading happened table by table inside the map phase
        phases["read"] += reading
        progress.start("load")
        store, vocabulary = _load(staging / releases.OXIGRAPH, mappings, mapped, nt_dir, uris, profile)
        release_memory()
        mark = lap("load", mark)
        progress.start("validate")
        deleted: dict[str, set[bytes]] = {}   # graph -> N-Triples lines taken out of the store
        only = None                      # the first round runs every constraint left open
        remaining: set = set()           # what the validation report will say
        for _ in range(MAX_SHACL_ROUNDS):
            violations = validate(store, uris, settings.validator, only, columns, profile)
            remaining |= set(violations)
            new = shacl_rejections(violations, owners(mapped, {v.focus for v in violations}),
                                   mappings, uris)
            if not new:
                break
            # Rows behind violations leave the store; rows that pointed at them are caught by
            # the next round (sh:class on the reference), so rejections cascade as they should.
            # Only constraints that a removal can break, and that one of the removed triples
            # can change (loaders/revalidate.py), need to run again.
            taken: dict[str, set[bytes]] = {}
            removed = set(remove_rows(store, new, mapped, taken))
            remaining = {v for v in remaining if v.focus not in removed}
            for graph, lines in taken.items():
                deleted.setdefault(graph, set()).update(lines)
            changed = revalidate.touched_by_removal(store, (line for lines in taken.values()
                                                            for line in lines))
            only = lambda c, changed=changed: may_fail_after_removal(c) and changed(c)  # noqa: E731
            echo(f"SHACL rejected {sum(len(r) for r in new.values())} more rows; validating again")
        else:
            raise BuildError(f"SHACL validation still fails after {MAX_SHACL_ROUNDS} rounds of "
                             f"rejecting the rows it named (references nested deeper than that?); "
                             f"last violations: {[(v.focus, v.message) for v in violations[:3]]}")
        for kept in mapped.values():
            kept.accepted = kept.accepted.iloc[:0]   # no table refers to another any more
        release_memory()
        # The tables' graphs are final: the dump members of the tables validation took rows
        # out of are written again without them, and the CSV tables that read only those
        # graphs are answered by a worker while the build derives and computes indicators.
        members.redo({graph: frozenset(lines) for graph, lines in deleted.items()})
        pending = dumps.start(staging, uris, members, store, profile)
        mark = lap("validate", mark)
        # Derived resources are computed once, from the rows that stay, and checked on their own.
        # Derivation and the indicators run in workers of their own, each with the store: what
        # their queries and frames leave in the heap (2 GB at 20,000 schools) goes with them.
        db = staging / releases.OXIGRAPH
        del store
        release_memory()
        progress.start("derive")
        with Worker() as worker:
            members.add_computed(worker.call(computed_graphs, _derive, db, uris.base, nt_dir, profile))
        mark = lap("derive", mark)
        progress.start("indicators")
        with Worker() as worker:
            members.add_computed(worker.call(computed_graphs, _indicators, db, uris.base, nt_dir,
                                             profile))
        store = ox.Store(str(db))
        mark = lap("indicators", mark)
        from . import provenance
        with ThreadPoolExecutor(1) as pool:
            # the triples per graph, one pass over the store (15 s at 20,000 schools), counted
            # beside the check below: Oxigraph answers without holding the GIL
            counting = pool.submit(provenance.triples_per_graph, store)
            # only what the derived and indicator triples can change runs again
            # (loaders/revalidate.py)
            about = about_classes(derived_classes(uris, profile) | indicators.classes(uris))
            touched = revalidate.touched_by(store, [uris.graph("derived"), uris.graph("indicators")])
            derived = validate(store, uris, settings.validator, lambda c: about(c) and touched(c),
                               profile=profile)
            counts = counting.result()
        violations = sorted(remaining | set(derived), key=lambda v: (v.focus, v.message))
        release_memory()    # the query threads' arenas, before the dumps
        mark = lap("validate", mark)
        if settings.staff_publication == "aggregates":
            counts = {g: n for g, n in counts.items() if g not in _drop_people(store, mappings, uris)}
        # graph/catalog: the DCAT-AP catalogue (loaders/catalog.py), in the dumps like every graph
        # and described by the provenance below like every graph
        ended = datetime.now(UTC)        # the build's end, for the catalogue and the provenance
        built_at = ended.isoformat(timespec="seconds")
        counts = {**counts, uris.graph(catalog.GRAPH): catalog.load(store, uris, built_at, profile)}
        # graph/provenance: the release, its build and where every graph came from (with the
        # counts above); its own triples are counted as they are loaded, so that the dumps and
        # the VoID counts include it
        added = provenance.load(store, uris, provenance.record(
            store, uris, release_id, datetime.fromtimestamp(time.time() - (time.perf_counter()
                                                                           - started), UTC),
            ended, __version__,
            [provenance.table(m.table, uris.graph(m.graph), sources[m.table], mapped[m.table])
             for m in mappings if m.table in mapped],
            {uris.graph(name): [p.read_text(encoding="utf-8") for p in queries] for name, queries in
             (("derived", derived_queries(profile)),
              ("indicators", indicators.indicator_files(profile).values()))},
            counts=counts, vocabulary=profile.vocabulary_files), profile.languages)
        per_graph = {**counts, uris.graph(provenance.GRAPH): added}
        triples = sum(per_graph.values()) + _default_graph_triples(store)
        mark = lap("write", mark)
        progress.start("dumps")
        dump_files = dumps.write_dumps(store, staging, uris, per_graph, pending, profile)
        pending = None
        shutil.rmtree(nt_dir)
        mark = lap("dumps", mark)
        # what changed since the release served when the build started: the changeset in the
        # dumps, the changed resources for the event stream (loaders/changes.py)
        progress.start("changes")
        compared = changes.compare(store_dir / releases.RELEASES / previous if previous else None,
                                   staging, uris, store, set(types))
        if compared is not None:
            dump_files = dumps.listing(staging)
        mark = lap("changes", mark)
        del store          # closes the database before the directory is renamed
        gc.collect()
        progress.start("write")
        _write_validation_report(staging, violations)
        rejections = pd.concat([t.rejections for t in mapped.values()], ignore_index=True) \
            if mapped else pd.DataFrame(columns=list(Rejection.FIELDS))
        rejections = rejections[list(Rejection.FIELDS)]
        rejections.to_csv(staging / releases.REJECTIONS, index=False, encoding="utf-8")
        tables = [TableReport(
            table=m.table, file=sources[m.table].file, encoding=sources[m.table].encoding,
            sha256=sources[m.table].sha256, rows_read=mapped[m.table].rows_read,
            rows_loaded=mapped[m.table].rows_loaded,
            rows_rejected=mapped[m.table].rows_read - mapped[m.table].rows_loaded,
            triples=per_graph.get(uris.graph(m.graph), 0), graph=uris.graph(m.graph),
            ignored_columns=list(sources[m.table].ignored_columns))
            for m in mappings if m.table in mapped]
        for t in tables:
            rejected_rows = rejections.loc[rejections["table"] == t.table, "row"].nunique()
            assert rejected_rows == t.rows_rejected, f"accounting of {t.table} does not close"
        releases.write_manifest(staging, {
            "release": release_id,
            "base_uri": uris.base,
            "profile": profile.name,
            "languages": list(profile.languages),
            "built_at": built_at,
            "software_version": __version__,
            "validator": settings.validator,
            "staff_publication": settings.staff_publication,
            "pseudonym_key": "ministry" if settings.staff_secret else "public demo key",
            "triples": triples,
            "vocabulary_triples": vocabulary,
            "shacl_violations": len(violations),
            "tables": {t.table: asdict(t) for t in tables},
            "types": to_manifest(types),
            "skipped_tables": [m.table for m in mappings if m.table not in sources],
            "dumps": dump_files,
            **({"changes": compared.manifest()} if compared is not None else {}),
        })
        write_release_file(profile, staging)
        final = releases.finish_release(store_dir, staging, release_id)
    except BaseException:
        if pending is not None:
            pending.cancel()
        members.cancel()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        progress.close()
    if publish:
        releases.publish(store_dir, release_id)
    lap("write", mark)
    examples = {t.table: str(t.subjects["subject"].iloc[0]) for t in mapped.values() if len(t.subjects)}
    return BuildReport(release_id, final, store_dir, uris.base, tables, vocabulary, triples,
                       rejections, len(violations), time.perf_counter() - started, phases,
                       dict(reversed(list(examples.items()))),
                       [m.table for m in mappings if m.table not in sources], publish)


def _default_graph_triples(store: ox.Store) -> int:
    answer = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")   # the default graph alone
    assert isinstance(answer, ox.QuerySolutions)
    return int(next(iter(answer))["n"].value)  # type: ignore[union-attr]


def _write_validation_report(staging: Path, violations: list) -> None:
    from .shacl import report_graph

    (staging / releases.VALIDATION).write_text(report_graph(violations), encoding="utf-8")
