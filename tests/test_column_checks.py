"""Constraints decided on the mapped columns (loaders/column_checks/) are never wrong.

A decided constraint's store query is skipped, so each decision must be a proof that the query
finds nothing. Checked here on stores loaded exactly as a build loads them (before any SHACL
rejection): every decided constraint, run as SPARQL on that store, returns nothing; with
mappings loosened so that the shapes must catch a row, the constraint that catches it is not
decided; decisions marked stable still hold after rows are removed as later rounds remove
them; and a whole build gives the same validation report and rejections with and without them.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib
import yaml
from rdflib.compare import to_isomorphic

from emis_lod.generator import generate
from emis_lod.generator.crosswalks import write_crosswalks
from emis_lod.loaders import build as builder
from emis_lod.loaders import column_checks, releases, shacl
from emis_lod.loaders.codelists import CodeLists, vocabulary_files
from emis_lod.loaders.column_checks import ColumnChecks
from emis_lod.loaders.column_checks.rules import _Checker
from emis_lod.loaders.column_checks.vocabulary import RDF_TYPE, SUBCLASS
from emis_lod.loaders.mapper import map_table
from emis_lod.loaders.mapping_spec import bundled_mapping_dir, load_mappings
from emis_lod.loaders.privacy import DEMO_SECRET
from emis_lod.loaders.readers import find_source, read_source
from emis_lod.loaders.rejected_rows import remove_rows
from emis_lod.loaders.validate import compiled_shapes
from emis_lod.namespaces import prefixes
from emis_lod.settings import load_settings
from emis_lod.uris import Uris

BASE = "http://data.test/"
URIS = Uris(BASE)
EMIS = URIS.vocab
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"


def _focus(cls: str) -> str:
    """How a compiled query names the instances of emis:``cls`` as its focus nodes."""
    return f"{{ ?this <{RDF_TYPE}>/<{SUBCLASS}>* <{EMIS}{cls}> . }}"


class Loaded:
    """A store as a build has it when validation starts (the vocabulary and the mapped tables,
    each table in its graph, loaded with the bulk loader as loaders/build.py does), and what
    was mapped into it."""

    def __init__(self, source: Path, work: Path, mappings_dir: Path | None = None) -> None:
        self.mappings = load_mappings(mappings_dir)
        self.nt = work / "nt"
        self.nt.mkdir(parents=True)
        codes, pre = CodeLists(URIS), prefixes(URIS)
        accepted: dict[str, pd.DataFrame] = {}
        self.mapped = {}
        for m in self.mappings:
            path = find_source(source, m)
            if path is None:
                accepted[m.table] = pd.DataFrame({c.name: pd.Series(dtype="string") for c in m.columns})
                continue
            self.mapped[m.table] = map_table(m, read_source(path, m), URIS, codes, pre, accepted,
                                             self.nt / f"{m.table}.nt", date.today(), DEMO_SECRET.encode())
            accepted[m.table] = self.mapped[m.table].accepted
        self.store = ox.Store(str(work / "db"))
        for path in vocabulary_files():
            self.store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=URIS.concepts,
                                 to_graph=ox.NamedNode(URIS.graph("ontology")))
        for m in self.mappings:
            if m.table in self.mapped:
                self.store.bulk_load(path=str(self.nt / f"{m.table}.nt"), format=ox.RdfFormat.N_TRIPLES,
                                     to_graph=ox.NamedNode(URIS.graph(m.graph)))
        self.shapes, self.compiled = compiled_shapes(URIS)
        self.decided = ColumnChecks(self.mappings, self.mapped, URIS).decide(self.shapes, self.compiled)

    def found(self, constraints) -> list:  # noqa: ANN001
        return shacl.run_compiled(self.store, list(constraints))

    def constraint(self, cls: str, component: str, path: str | None = None, message: str = ""):  # noqa: ANN201
        """The compiled constraint of the shape of ``cls`` (``emis:`` local name)."""
        hits = [c for c in self.compiled
                if _focus(cls) in c.sparql and c.component == SH + component
                and (path is None or c.path == path) and message in c.message]
        assert len(hits) == 1, (cls, component, path, hits)
        return hits[0]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 generated schools with every fault kind of the generator, and crosswalks."""
    out = tmp_path_factory.mktemp("colcheck-source")
    generate(out, schools=150, seed=11)
    write_crosswalks(out, schools=12, seed=11)
    return out


@pytest.fixture(scope="module")
def loaded(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return Loaded(source, tmp_path_factory.mktemp("colcheck-store"))


def test_the_producers_write_what_the_mapper_wrote(loaded: Loaded) -> None:
    """The checker's model of the mapping (blocks, rows, subjects, objects) gives back the very
    N-Triples the mapper wrote, table by table: what it reasons about is what was loaded."""
    checker = _Checker(loaded.shapes, loaded.mappings, loaded.mapped, URIS)
    for m in loaded.mappings:
        if m.table not in loaded.mapped:
            continue
        mine: set[str] = set()
        for res in (r for r in checker.resources if r.mapping is m and r.cls):
            mine |= {f"<{s}> <{RDF_TYPE}> <{res.cls}> ." for s in checker.subjects(res)}
        for prod in (p for p in checker.producers if p.res.mapping is m):
            pairs = checker.pairs(prod)
            mine |= set("<" + pairs["s"] + f"> <{prod.predicate}> " + pairs["o"] + " .")
        written = set((loaded.nt / f"{m.table}.nt").read_text(encoding="utf-8").splitlines())
        assert mine == written, m.table


def test_decided_constraints_find_nothing_in_the_loaded_store(loaded: Loaded) -> None:
    assert len(loaded.decided) >= 0.9 * len(loaded.compiled)
    assert loaded.found(loaded.decided) == []
    # what does find something here is left to the store (the generator's closed budget lines
    # without an actual amount are caught by the SHACL-SPARQL rule of finance.ttl)
    undecided = [c for c in loaded.compiled if c not in loaded.decided]
    assert loaded.found(undecided)
    reasons = Counter(d.reason.split(" <")[0] for d in loaded.decided.values())
    assert reasons["no focus node in the loaded data"] > 100     # summaries, indicators, provenance
    assert reasons["every value the columns wrote passes the constraint's query"] > 50


def test_every_kind_of_focus_node_and_component_is_decided(loaded: Loaded) -> None:
    """The large classes' constraints, which cost the most on the store, are all decided."""
    for cls in ("School", "Enrolment", "StaffPost", "TrainingRecord", "FinanceLine", "Building",
                "TextbookProvision", "TextbookEdition", "SafetyAssessment"):
        kinds = {c.component.rsplit("#")[1] for c in loaded.decided if _focus(cls) in c.sparql}
        # a building's one required link, to a school or to a preschool organisation, is an
        # sh:xone of two minimum counts (shapes/buildings.ttl): it has no minimum count of its own
        required = {"MaxCountConstraintComponent"} if cls == "Building" else \
            {"MaxCountConstraintComponent", "MinCountConstraintComponent"}
        assert required <= kinds, cls
    closed = [c for c in loaded.compiled if c.component == SH + "ClosedConstraintComponent"]
    assert closed and all(c in loaded.decided for c in closed)
    future = loaded.constraint("TrainingRecord", "SPARQLConstraintComponent",
                               message="cannot be completed in the future")
    assert future in loaded.decided


def test_stable_decisions_survive_the_removal_of_rows(loaded: Loaded, source: Path,
                                                       tmp_path: Path) -> None:
    """Later validation rounds skip the stable decisions: removing rows (as the build does with
    rejected ones: their subjects' triples, both ways) never makes one of them find something.
    A removed school breaks the minimum counts of the rows that link to it, which are therefore
    not stable."""
    again = Loaded(source, tmp_path)
    doomed: dict[str, dict[int, list[dict]]] = {}
    for table, step in (("schools", 7), ("buildings", 5), ("staff", 11), ("textbooks", 3)):
        rows = again.mapped[table].accepted.index[::step]
        doomed[table] = {int(r): [dict(table=table, file="x", row=int(r), column="c", value="",
                                       rule="shacl", reason="test")] for r in rows}
    remove_rows(again.store, doomed, again.mapped, {})
    stable = [c for c, d in again.decided.items() if d.stable]
    assert again.found(stable) == []
    unstable = [c for c, d in again.decided.items() if not d.stable]
    post_school = again.constraint("StaffPost", "MinCountConstraintComponent", EMIS + "school")
    assert post_school in unstable and again.found([post_school])


# --------------------------------------------------------------------------- loosened mappings


def _mappings(tmp_path: Path, edit: Callable[[dict[str, dict]], None]) -> Path:
    out = tmp_path / "mappings"
    shutil.copytree(bundled_mapping_dir(), out, ignore=shutil.ignore_patterns("*.py", "__*"))
    specs = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in out.glob("*.yaml")}
    edit(specs)
    for name, spec in specs.items():
        (out / f"{name}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return out


def _set_cell(source: Path, file: str, column: str, value: str, nth: int = 0) -> None:
    """Sets one cell of a valid, plainly written row of a generated table (the export is
    messy on purpose: rows with quotes or faults are left alone)."""
    path = source / file
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "cp1251", raw.decode("cp1251")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = [h.strip() for h in lines[0].lstrip("\ufeff").split(sep)]
    manifest = json.loads((source / "generator-manifest.json").read_text(encoding="utf-8"))
    invalid = {i["row"] for i in manifest["invalid"] if i["file"] == file}
    plain = [i for i, line in enumerate(lines[1:], start=2)
             if i not in invalid and '"' not in line and len(line.split(sep)) == len(header)]
    i = plain[nth]
    cells = lines[i - 1].split(sep)
    cells[header.index(column)] = value
    lines[i - 1] = sep.join(cells)
    path.write_bytes(newline.join(lines).encode(encoding))


def _drop(spec: dict, column: str, key: str) -> None:
    spec["columns"][column].pop(key)


CASES: dict[str, tuple] = {
    # name: (mapping edit, source edit, (class, component, path or None, message))
    "range": (lambda s: _drop(s["schools"], "latitude", "max"),
              lambda src: _set_cell(src, "schools.csv", "latitude", "48,5"),
              ("School", "MaxInclusiveConstraintComponent", GEO + "lat", "")),
    "min": (lambda s: _drop(s["finance"], "planned", "min"),
            lambda src: _set_cell(src, "finance.csv", "planned", "-120,5"),
            ("FinanceLine", "MinInclusiveConstraintComponent", EMIS + "plannedAmount", "")),
    "pattern": (lambda s: _drop(s["textbooks"], "isbn", "pattern"),
                lambda src: _set_cell(src, "textbooks.csv", "isbn", "12-34"),
                ("TextbookEdition", "PatternConstraintComponent", SCHEMA + "isbn", "")),
    "datatype": (lambda s: s["schools"]["columns"]["shifts"].update(datatype="decimal"),
                 lambda src: _set_cell(src, "schools.csv", "shifts", "2,5"),
                 ("School", "DatatypeConstraintComponent", EMIS + "shifts", "")),
    "datatype-of-a-template": (
        lambda s: s["schools"]["resources"][1]["properties"]["emis:grade"].update(datatype="string"),
        None, ("Enrolment", "DatatypeConstraintComponent", EMIS + "grade", "")),
    "required": (lambda s: s["schools"]["columns"]["school_type"].update(required=False),
                 lambda src: _set_cell(src, "schools.csv", "school_type", ""),
                 ("School", "MinCountConstraintComponent", EMIS + "schoolType", "")),
    "reference": (lambda s: _drop(s["finance"], "school_code", "references"),
                  lambda src: _set_cell(src, "finance.csv", "school_code", "99999999"),
                  ("FinanceLine", "ClassConstraintComponent", EMIS + "school", "")),
    "concept-as-text": (
        lambda s: s["schools"]["resources"][0]["properties"].update(
            {"emis:ownership": {"value": "{ownership}"}}),
        None, ("School", "ClassConstraintComponent", EMIS + "ownership", "")),
    "scheme": (lambda s: s["finance"]["resources"][0]["properties"].update({"emis:currency": "period"}),
               None, ("FinanceLine", "HasValueConstraintComponent",
                      f"(<{EMIS}currency>/<http://www.w3.org/2004/02/skos/core#inScheme>)", "")),
    "closed": (lambda s: s["staff"]["resources"][0]["properties"].update({"emis:schoolCode": "school_code"}),
               None, ("StaffPost", "ClosedConstraintComponent", None, "")),
    "two-values": (lambda s: s["schools"]["resources"][0]["properties"].update(
                       {"emis:settlement": ["settlement", "address"]}),
                   None, ("School", "MaxCountConstraintComponent", EMIS + "settlement", "")),
    "one-language-twice": (
        lambda s: s["districts"]["resources"][0]["properties"]["schema:name"][2].update(lang="ru"),
        None, ("AdministrativeUnit", "UniqueLangConstraintComponent", SCHEMA + "name", "")),
    "language": (lambda s: s["regions"]["resources"][0]["properties"]["schema:name"][2].update(lang="de"),
                 None, ("AdministrativeUnit", "LanguageInConstraintComponent", SCHEMA + "name", "")),
    "future": (lambda s: _drop(s["safety_assessments"], "inspection_date", "max"),
               lambda src: _set_cell(src, "safety_assessments.csv", "inspection_date", "01.03.2100"),
               ("SafetyAssessment", "SPARQLConstraintComponent", None, "cannot lie in the future")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_loosened_mapping_leaves_the_shapes_to_catch_the_row(case: str, demo_source: Path,
                                                              tmp_path: Path) -> None:
    """With a check dropped from a mapping (or a mapping that writes what the shapes forbid),
    the constraint that catches the row is not decided, and what is decided still finds
    nothing."""
    edit_mapping, edit_source, (cls, component, path, message) = CASES[case]
    mappings = _mappings(tmp_path, edit_mapping)
    source = tmp_path / "source"
    shutil.copytree(demo_source, source)
    if edit_source:
        edit_source(source)
    loaded = Loaded(source, tmp_path / "work", mappings)
    catcher = loaded.constraint(cls, component, path, message)
    assert loaded.found([catcher]), "the case must give the shapes something to catch"
    assert catcher not in loaded.decided
    assert loaded.found(loaded.decided) == []


# --------------------------------------------------------------------------- whole builds


def test_a_build_reports_the_same_with_and_without_the_column_checks(
        demo_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every validation round finds the same violations, and the release has the same
    rejections and SHACL validation report (the generated export has rows that only SHACL
    rejects, so a second round runs too)."""
    settings = load_settings(base_uri=BASE)
    reports, rounds = {}, {}
    validate = builder.validate
    for enabled in (True, False):
        seen: list[list] = []

        def recording(*args, seen=seen, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            found = validate(*args, **kwargs)
            seen.append(sorted(v.key() + (v.message,) for v in found))
            return found

        monkeypatch.setattr(column_checks, "ENABLED", enabled)
        monkeypatch.setattr(builder, "validate", recording)
        reports[enabled] = builder.build(demo_source, tmp_path / f"store-{enabled}", settings,
                                         echo=lambda *_: None, publish=False)
        rounds[enabled] = seen
    on, off = reports[True], reports[False]
    assert len(rounds[True]) >= 3 and rounds[True][0]     # two rounds and the derived resources
    assert rounds[True] == rounds[False]
    assert "shacl" in set(off.rejections["rule"])
    assert on.shacl_violations == off.shacl_violations and on.triples == off.triples

    def rejections(report: builder.BuildReport) -> pd.DataFrame:
        frame = pd.read_csv(report.release_dir / releases.REJECTIONS, dtype=str, keep_default_na=False)
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(rejections(on), rejections(off))
    graphs = [rdflib.Graph().parse(r.release_dir / releases.VALIDATION, format="turtle") for r in (on, off)]
    assert to_isomorphic(graphs[0]) == to_isomorphic(graphs[1])
