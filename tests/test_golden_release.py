"""Golden release: for one fixed input a build publishes exactly what was recorded.

The input is the generator's demo export (``scripts/golden_release.py``: SCHOOLS schools, seed
SEED, every fault kind of the generator present), built with a fixed ``today``, base URI
``http://data.test/`` and the ``sparql`` validator. What the release publishes is compared with
the golden files in ``tests/data/golden/``:

- the store: every quad of every named graph (``release.nq``), and the list of named graphs;
- ``dumps/emis.nq.gz`` and ``dumps/emis.trig.gz``: parsed, the very same quads as the store;
- ``rejections.csv`` line by line, in its order;
- ``validation.ttl``: the same graph (isomorphic) as the recorded SHACL report;
- every ``dumps/*.csv`` and ``*.csv-metadata.json`` line by line, and ``SHA256SUMS`` matches;
- ``manifest.json``: the accounting per table (rows read, loaded, rejected, triples), the
  triples, the SHACL violations and the rest of what it states.

Only values that differ from one build to the next are normalised, and only in the provenance
graph and the manifest: the release id, the build's start and end times, the build day where it
stands as the reporting period of a table with no year, the software version (and the dumps'
byte sizes and checksums in the manifest, their contents being compared). The provenance graph's
blank nodes (periods, checksums) are named after their triples. The details are in the script's
text.

The golden files were recorded from the code as it was before the build was made faster, and a
faster build must keep them as they are. Re-record them only for an intended change of what is
published (a new property, a corrected mapping, another dump), in a commit that says so, never to
make a speed-up pass::

    .venv/bin/python scripts/golden_release.py                         # from this checkout
    .venv/bin/python scripts/golden_release.py --checkout <worktree>   # from another commit
    .venv/bin/python scripts/golden_release.py --check                 # compare only

A failure names the graph or file that differs and shows its first differing lines.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("golden_release", ROOT / "scripts" / "golden_release.py")
assert _spec and _spec.loader
golden = importlib.util.module_from_spec(_spec)
sys.modules["golden_release"] = golden
_spec.loader.exec_module(golden)

SHOWN = 8          # differing lines shown per graph or file
CONTEXT = 3        # lines of context around the first difference of an ordered file
WIDTH = 400        # characters shown of a line


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("golden-source")
    return out, golden.generate_input(out)


@pytest.fixture(scope="module")
def release_dir(source: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return golden.build_release(source[0], tmp_path_factory.mktemp("golden-store"))


@pytest.fixture(scope="module")
def snap(release_dir: Path) -> dict[str, list[str]]:
    return golden.snapshot(release_dir)


# ------------------------------------------------------------------ how differences are shown

def _cut(line: str) -> str:
    return line if len(line) <= WIDTH else line[:WIDTH] + f"... ({len(line)} characters)"


_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@$")   # renumbered from the window to the file


def ordered_difference(name: str, expected: list[str], actual: list[str]) -> str:
    """Where two files first differ, as a unified diff of a window around that line."""
    first = next((i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a),
                 min(len(expected), len(actual)))
    start = max(0, first - CONTEXT)
    diff = [_HUNK.sub(lambda m: f"@@ -{int(m[1]) + start}{m[2]} +{int(m[3]) + start}{m[4]} @@", line)
            for line in difflib.unified_diff([_cut(x) for x in expected[start:first + SHOWN]],
                                             [_cut(x) for x in actual[start:first + SHOWN]],
                                             f"golden/{name}", f"built/{name}", lineterm="", n=CONTEXT)]
    missing = (Counter(expected) - Counter(actual)).total()
    extra = (Counter(actual) - Counter(expected)).total()
    what = (f"{missing} lines missing and {extra} unexpected" if missing or extra
            else "the same lines in another order")
    return (f"{name} differs from the golden file: {len(expected)} lines recorded, {len(actual)} "
            f"built, {what}; the first difference at line {first + 1}:\n" + "\n".join(diff))


def _by_graph(lines: list[str]) -> dict[str, list[str]]:
    graphs: dict[str, list[str]] = {}
    quads = ox.parse(input="\n".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS) if lines else []
    for line, quad in zip(lines, quads, strict=True):
        name = "(default graph)" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        graphs.setdefault(name, []).append(line)
    return graphs


def quads_difference(name: str, expected: list[str], actual: list[str]) -> str:
    """The quads missing and unexpected, per named graph (a few of each)."""
    have = set(actual)
    want = set(expected)
    missing = _by_graph(sorted(want - have))
    extra = _by_graph(sorted(have - want))
    dupes = [line for line, n in Counter(actual).items() if n > 1]
    differing = sorted(set(missing) | set(extra))
    recorded = {g: len(ls) for g, ls in _by_graph(expected).items()} if differing else {}
    built = {g: len(ls) for g, ls in _by_graph(actual).items()} if differing else {}
    out = [f"{name}: {len(want - have)} quads missing and {len(have - want)} unexpected in "
           f"{len(differing)} graphs (normalised and sorted; golden "
           f"{golden.RELEASE_NQ})"]
    if dupes:
        out.append(f"{len(dupes)} lines twice, e.g. {_cut(dupes[0])}")
    for graph in differing:
        lost, added = missing.get(graph, []), extra.get(graph, [])
        out.append(f"graph <{graph}>: {recorded.get(graph, 0)} quads recorded, {built.get(graph, 0)} "
                   f"built, {len(lost)} missing (-), {len(added)} unexpected (+)")
        out += [f"  - {_cut(line)}" for line in lost[:SHOWN]]
        out += [f"  + {_cut(line)}" for line in added[:SHOWN]]
        hidden = max(0, len(lost) - SHOWN) + max(0, len(added) - SHOWN)
        if hidden:
            out.append(f"  ... and {hidden} more")
    return "\n".join(out)


def assert_ordered(snap: dict[str, list[str]], name: str) -> None:
    expected = golden.read_golden(name)
    actual = snap[name]
    assert actual == expected, ordered_difference(name, expected, actual)


def assert_quads(snap: dict[str, list[str]], name: str) -> None:
    expected = golden.read_golden(golden.SAME_AS.get(name, name))
    actual = snap[name]
    assert actual == expected, quads_difference(name, expected, actual)


# ------------------------------------------------------------------ the input

def test_input_is_the_recorded_input(source: tuple[Path, dict[str, Any]]) -> None:
    """The generator still writes the bytes the golden release was built from; otherwise every
    other difference below comes from the input, not from the build."""
    recorded = json.loads(golden.golden_path("input.json").read_text(encoding="utf-8"))
    given = source[1]
    assert given == recorded, ("the generated input is not the one the golden files were recorded "
                               "from (the generator changed, or the configuration of "
                               "scripts/golden_release.py):\n" + "\n".join(difflib.unified_diff(
                                   json.dumps(recorded, indent=1, sort_keys=True).splitlines(),
                                   json.dumps(given, indent=1, sort_keys=True).splitlines(),
                                   "recorded", "generated", lineterm="")))


def test_input_has_every_fault_kind_of_the_generator(source: tuple[Path, dict[str, Any]]) -> None:
    from emis_lod.generator import DOMAIN_FAULT_KINDS, FAULT_KINDS

    manifest = json.loads((source[0] / "generator-manifest.json").read_text(encoding="utf-8"))
    present = {(r["file"], r["kind"]) for r in manifest["invalid"]}
    wanted = {("schools.csv", k) for k in FAULT_KINDS} | {
        (file, k) for file, kinds in DOMAIN_FAULT_KINDS.items() for k in kinds}
    assert wanted <= present, f"fault kinds missing from the golden input: {sorted(wanted - present)}"


def test_every_faulty_row_is_rejected(source: tuple[Path, dict[str, Any]],
                                      snap: dict[str, list[str]]) -> None:
    """The golden release holds the rejection of every row the generator spoilt (so the golden
    files cover the rejection paths and not only the happy one)."""
    import csv

    manifest = json.loads((source[0] / "generator-manifest.json").read_text(encoding="utf-8"))
    rejected = {(r["file"], int(r["row"])) for r in csv.DictReader(snap["rejections.csv"])}
    spoilt = {(r["file"], int(r["row"])) for r in manifest["invalid"]}
    assert spoilt and spoilt <= rejected, f"spoilt rows not rejected: {sorted(spoilt - rejected)[:10]}"


# ------------------------------------------------------------------ the store and its dumps

def test_store_quads_equal_the_golden(snap: dict[str, list[str]]) -> None:
    assert_quads(snap, golden.RELEASE_NQ)


def test_store_named_graphs_equal_the_golden(snap: dict[str, list[str]]) -> None:
    assert_ordered(snap, "graphs.txt")


@pytest.mark.parametrize("dump", ["dumps/emis.nq.gz", "dumps/emis.trig.gz"])
def test_whole_dataset_dumps_hold_the_golden_quads(snap: dict[str, list[str]], dump: str) -> None:
    assert_quads(snap, dump)


def test_table_dumps_are_the_golden_ones(snap: dict[str, list[str]]) -> None:
    recorded = [n for n in golden.golden_names() if n.startswith("dumps/")]
    built = [n for n in snap if n.startswith("dumps/") and n not in golden.SAME_AS]
    assert built == recorded, f"dump files: recorded {recorded}, built {built}"


@pytest.mark.parametrize("name", [n for n in golden.golden_names() if n.startswith("dumps/")])
def test_table_dump_equals_the_golden(snap: dict[str, list[str]], name: str) -> None:
    assert name in snap, f"{name} was not written"
    assert_ordered(snap, name)


def test_dump_checksums_match_the_files(release_dir: Path) -> None:
    dumps = release_dir / "dumps"
    sums = dict(line.split("  ", 1)[::-1] for line in
                (dumps / "SHA256SUMS").read_text(encoding="utf-8").splitlines())
    files = sorted(p.name for p in dumps.iterdir() if p.name != "SHA256SUMS")
    assert sorted(sums) == files
    for name, digest in sums.items():
        assert hashlib.sha256((dumps / name).read_bytes()).hexdigest() == digest, name


# ------------------------------------------------------------------ reports and manifest

def test_rejections_equal_the_golden(snap: dict[str, list[str]]) -> None:
    assert_ordered(snap, "rejections.csv")


def test_validation_report_is_the_golden_graph(snap: dict[str, list[str]]) -> None:
    expected = golden.read_golden("validation.nt")
    actual = snap["validation.nt"]
    recorded = Graph().parse(data="\n".join(expected), format="nt")
    built = Graph().parse(data="\n".join(actual), format="nt")
    assert len(built) == len(actual)
    assert isomorphic(recorded, built), quads_difference("validation.ttl", expected, actual)


ACCOUNTING = ("rows_read", "rows_loaded", "rows_rejected", "triples")


def test_manifest_accounting_equals_the_golden(snap: dict[str, list[str]]) -> None:
    recorded = json.loads("\n".join(golden.read_golden("manifest.json")))
    built = json.loads("\n".join(snap["manifest.json"]))
    wrong = [f"{key}: recorded {recorded[key]}, built {built.get(key)}"
             for key in ("triples", "vocabulary_triples", "shacl_violations")
             if built.get(key) != recorded[key]]
    assert sorted(built["tables"]) == sorted(recorded["tables"]), "tables differ"
    wrong += [f"{table}.{key}: recorded {counts[key]}, built {built['tables'][table][key]}"
              for table, counts in recorded["tables"].items() for key in ACCOUNTING
              if built["tables"][table][key] != counts[key]]
    assert not wrong, "manifest accounting differs from the golden one:\n" + "\n".join(wrong)


def test_manifest_equals_the_golden(snap: dict[str, list[str]]) -> None:
    assert_ordered(snap, "manifest.json")
