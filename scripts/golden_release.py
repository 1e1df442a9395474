"""Record the golden release that ``tests/test_golden_release.py`` compares every build with.

The golden files say what a build publishes for one fixed input: the generator's demo export
(``SCHOOLS`` schools, seed ``SEED``) built with ``today=TODAY``, base URI ``BASE_URI`` and the
``sparql`` validator. They are recorded from a checkout of the project and re-recorded only when
what is published is meant to change (a new property, a fixed mapping, a new dump), never to make
a faster build pass: a speed-up that changes one quad is a bug.

    .venv/bin/python scripts/golden_release.py                      # from this checkout
    .venv/bin/python scripts/golden_release.py --checkout /tmp/base # from another checkout
    .venv/bin/python scripts/golden_release.py --check              # compare, write nothing

``--checkout`` imports ``emis_lod`` from that directory (mapped as its ``pyproject.toml`` maps the
top-level folders) instead of the installed one, so the golden can be recorded from a worktree of
a known commit with this venv; the modules' files are printed to show which code ran.

What a snapshot holds (``snapshot()``), each compared as a list of lines:

- ``release.nq``: every quad of the store's named graphs, one N-Quads line each, sorted. Values
  that differ from build to build are replaced, in ``{base}graph/provenance`` only: the release
  id (in IRIs and literals) by ``RELEASE``; the build's start and end times (``prov:startedAtTime``,
  ``prov:endedAtTime``, and the release's ``dcterms:issued``, ``prov:generatedAtTime``) by
  ``"BUILD-TIME"^^xsd:dateTime``; the software version by ``VERSION``; and the build day that
  stands as reporting period of a graph with no school or fiscal year by
  ``"BUILD-DATE"^^xsd:date``; and in ``{base}graph/catalog`` the catalogue's
  ``dcterms:modified`` (the build time) by ``"BUILD-TIME"^^xsd:dateTime``. Blank nodes are
  relabelled from what surrounds them (see
  :func:`relabel_blank_nodes`), so the labels do not depend on the store.
- ``graphs.txt``: the named graphs the store lists (an empty graph would not show in quads).
- ``validation.nt``: the SHACL report, blank nodes relabelled the same way, sorted.
- ``rejections.csv``, ``dumps/*.csv``, ``dumps/*.csv-metadata.json``: the files as written.
- ``dumps/emis.nq.gz`` and ``dumps/emis.trig.gz``: parsed, normalised like the store, sorted; the
  golden of both is ``release.nq`` (the dumps must hold exactly the store).
- ``manifest.json``: the manifest without what differs per build (release id, build time,
  software version, the dumps' bytes and checksums: their contents are compared instead).
- ``input.json``: the configuration and the SHA-256 of every generated input file, so that a
  change of the generator is told apart from a change of the build.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.abc
import importlib.util
import json
import lzma
import sys
import tempfile
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from typing import Any

SCHOOLS = 80
SEED = 11
TODAY = date(2026, 3, 31)            # the generator's export date
BASE_URI = "http://data.test/"
VALIDATOR = "sparql"

HERE = Path(__file__).resolve().parent
GOLDEN_DIR = HERE.parent / "tests" / "data" / "golden"

XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
SCHEMA = "https://schema.org/"
# Per-build values of the provenance graph and what replaces them.
BUILD_TIME_PROPERTIES = (PROV + "startedAtTime", PROV + "endedAtTime", PROV + "generatedAtTime",
                         DCTERMS + "issued")
RELEASE_PLACEHOLDER = "RELEASE"
TIME_PLACEHOLDER = "BUILD-TIME"
DATE_PLACEHOLDER = "BUILD-DATE"
VERSION_PLACEHOLDER = "VERSION"
# Manifest keys that differ per build; the dumps keep only their names and media types.
MANIFEST_PER_BUILD = ("release", "built_at", "software_version")

# name in a snapshot -> golden file (text files larger than a few kB are xz-compressed)
RELEASE_NQ = "release.nq"
COMPRESSED_SUFFIX = ".xz"
SMALL = 16_000


# ------------------------------------------------------------------ which code runs

class _CheckoutFinder(importlib.abc.MetaPathFinder):
    """Imports ``emis_lod`` and its sub-packages from one checkout (its pyproject's package-dir)."""

    def __init__(self, packages: dict[str, Path]) -> None:
        self.packages = packages

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname in self.packages:
            folder = self.packages[fullname]
            return importlib.util.spec_from_file_location(
                fullname, folder / "__init__.py", submodule_search_locations=[str(folder)])
        parent = fullname.rpartition(".")[0]
        if parent in self.packages:
            return PathFinder.find_spec(fullname, [str(self.packages[parent])])
        return None


def use_checkout(root: Path) -> None:
    """Make ``import emis_lod`` load the code of the checkout at ``root``."""
    root = root.resolve()
    if any(name == "emis_lod" or name.startswith("emis_lod.") for name in sys.modules):
        raise RuntimeError("emis_lod is already imported; choose the checkout first")
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    dirs = config["tool"]["setuptools"]["package-dir"]
    sys.meta_path.insert(0, _CheckoutFinder({name: root / folder for name, folder in dirs.items()}))


def code_files() -> dict[str, str]:
    """The file of every imported ``emis_lod`` module (to show which checkout ran)."""
    return {name: str(getattr(module, "__file__", "") or "") for name, module in sorted(sys.modules.items())
            if name == "emis_lod" or name.startswith("emis_lod.")}


# ------------------------------------------------------------------ input and build

def generate_input(out: Path) -> dict[str, Any]:
    """Write the demo export into ``out``; the configuration and the input files' checksums."""
    from emis_lod.generator import generate

    generate(out, schools=SCHOOLS, seed=SEED)
    return {"schools": SCHOOLS, "seed": SEED, "today": TODAY.isoformat(), "base_uri": BASE_URI,
            "validator": VALIDATOR,
            "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in sorted(out.iterdir()) if p.is_file()}}


def build_release(source: Path, store: Path) -> Path:
    """Build ``source`` into a new store; the release directory."""
    from emis_lod.loaders.build import build
    from emis_lod.settings import Settings

    settings = Settings(base_uri=BASE_URI, validator=VALIDATOR)   # no EMIS_LOD_* from the environment
    report = build(source, store, settings, echo=lambda *_: None, today=TODAY, publish=False)
    return Path(report.release_dir)


# ------------------------------------------------------------------ normalisation

def _replace_release(term: Any, release: str) -> Any:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode) and release in term.value:
        return ox.NamedNode(term.value.replace(release, RELEASE_PLACEHOLDER))
    if isinstance(term, ox.Literal) and release in term.value:
        value = term.value.replace(release, RELEASE_PLACEHOLDER)
        if term.language:
            return ox.Literal(value, language=term.language)
        return ox.Literal(value, datatype=term.datatype)
    return term


def _is_period(predicate: Any) -> bool:
    """``emis:reportingPeriod`` (whatever the base URI of the vocabulary)."""
    return predicate.value.rpartition("#")[2] == "reportingPeriod"


def normalise_provenance(quads: list[Any], release: str, provenance_graph: str) -> list[Any]:
    """Replace the values of ``provenance_graph`` that differ per build (see the module text);
    quads of other graphs are returned as they are."""
    import pyoxigraph as ox

    graph = ox.NamedNode(provenance_graph)
    prov = [q for q in quads if q.graph_name == graph]
    rest = [q for q in quads if q.graph_name != graph]
    ended = [q.object.value for q in prov if q.predicate.value == PROV + "endedAtTime"]
    build_day = {datetime.fromisoformat(v).date().isoformat() for v in ended}
    # graphs whose reporting period is the build day (no school or fiscal year of their own)
    by_day = {q.subject for q in prov if _is_period(q.predicate) and isinstance(q.object, ox.Literal)
              and q.object.datatype.value == XSD + "date" and q.object.value in build_day}
    periods = {q.object for q in prov if q.subject in by_day and q.predicate.value == DCTERMS + "temporal"}
    out = []
    for q in prov:
        s, p, o = (_replace_release(t, release) for t in (q.subject, q.predicate, q.object))
        if isinstance(o, ox.Literal):
            if p.value in BUILD_TIME_PROPERTIES and o.datatype.value == XSD + "dateTime":
                o = ox.Literal(TIME_PLACEHOLDER, datatype=o.datatype)
            elif p.value == SCHEMA + "softwareVersion":
                o = ox.Literal(VERSION_PLACEHOLDER)
            elif o.datatype.value == XSD + "date" and o.value in build_day and (
                    (q.subject in by_day and _is_period(p))
                    or (q.subject in periods and p.value in (DCAT + "startDate", DCAT + "endDate"))):
                o = ox.Literal(DATE_PLACEHOLDER, datatype=o.datatype)
        out.append(ox.Quad(s, p, o, q.graph_name))
    return rest + out


def normalise_catalogue(quads: list[Any], catalogue_graph: str) -> list[Any]:
    """The catalogue's ``dcterms:modified`` in ``catalogue_graph`` (the build time) replaced."""
    import pyoxigraph as ox

    graph = ox.NamedNode(catalogue_graph)
    return [ox.Quad(q.subject, q.predicate, ox.Literal(TIME_PLACEHOLDER, datatype=q.object.datatype),
                    q.graph_name)
            if q.graph_name == graph and q.predicate.value == DCTERMS + "modified" else q
            for q in quads]


def relabel_blank_nodes(quads: list[Any]) -> list[Any]:
    """Name every blank node after what surrounds it, by colour refinement: a node's label is a
    hash of its triples (with the labels of the blank nodes in them), repeated until the labels
    stop splitting. Two nodes left with one label could not be told apart, which the release's
    blank nodes (trees under one IRI each) never are; that raises rather than guess."""
    import pyoxigraph as ox

    around: dict[Any, list[tuple[str, Any, Any, Any]]] = defaultdict(list)
    for q in quads:
        if isinstance(q.subject, ox.BlankNode):
            around[q.subject].append(("out", q.predicate, q.object, q.graph_name))
        if isinstance(q.object, ox.BlankNode):
            around[q.object].append(("in", q.predicate, q.subject, q.graph_name))
    if not around:
        return quads
    label = dict.fromkeys(around, "")

    def show(term: Any) -> str:
        return "_:" + label[term] if isinstance(term, ox.BlankNode) else str(term)

    distinct = 1
    for _ in range(len(around) + 1):
        label = {node: hashlib.sha256("\n".join(sorted(
            f"{d} {p} {show(t)} {g}" for d, p, t, g in edges)).encode("utf-8")).hexdigest()[:20]
            for node, edges in around.items()}
        now = len(set(label.values()))
        if now == distinct:
            break
        distinct = now
    if distinct != len(around):
        raise ValueError(f"{len(around) - distinct} blank nodes cannot be told apart by their "
                         "triples; compare this data with rdflib.compare instead")

    def rename(term: Any) -> Any:
        return ox.BlankNode("b" + label[term]) if isinstance(term, ox.BlankNode) else term

    return [ox.Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name) for q in quads]


def quad_line(q: Any) -> str:
    import pyoxigraph as ox

    graph = "" if isinstance(q.graph_name, ox.DefaultGraph) else f" {q.graph_name}"
    return f"{q.subject} {q.predicate} {q.object}{graph} ."


def canonical_quads(quads: Iterable[Any], release: str, base_uri: str = BASE_URI) -> list[str]:
    """Sorted N-Quads lines of ``quads`` with the per-build values replaced."""
    quads = normalise_provenance(list(quads), release, base_uri + "graph/provenance")
    quads = normalise_catalogue(quads, base_uri + "graph/catalog")
    return sorted(quad_line(q) for q in relabel_blank_nodes(quads))


# ------------------------------------------------------------------ snapshot

def _lines(text: str) -> list[str]:
    """Lines split at "\\n" only, so that the text can be rebuilt exactly (CSV's "\\r" stays)."""
    return text.split("\n")


def _read_lines(path: Path) -> list[str]:
    return _lines(path.read_bytes().decode("utf-8"))


def _parse_dump(path: Path, fmt: Any, release: str) -> list[str]:
    import pyoxigraph as ox

    with gzip.open(path, "rb") as f:
        data = f.read()
    return canonical_quads(ox.parse(input=data, format=fmt), release)


def snapshot(release_dir: Path) -> dict[str, list[str]]:
    """What a release publishes, as lines per name (see the module text)."""
    import pyoxigraph as ox
    import rdflib

    release_dir = Path(release_dir)
    manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    release = manifest["release"]
    store = ox.Store.read_only(str(release_dir / "oxigraph"))
    try:
        out: dict[str, list[str]] = {RELEASE_NQ: canonical_quads(iter(store), release)}
        out["graphs.txt"] = sorted(g.value for g in store.named_graphs())
    finally:
        del store
    stray = [line for line in out[RELEASE_NQ] if release in line]
    if stray:
        raise AssertionError(f"the release id {release} is in quads outside the provenance graph, "
                             f"e.g. {stray[0]}")
    out["rejections.csv"] = _read_lines(release_dir / "rejections.csv")
    report = rdflib.Graph().parse(release_dir / "validation.ttl", format="turtle")
    report_quads = ox.parse(input=report.serialize(format="nt", encoding="utf-8"),
                            format=ox.RdfFormat.N_TRIPLES)
    out["validation.nt"] = sorted(quad_line(q) for q in relabel_blank_nodes(
        [ox.Quad(t.subject, t.predicate, t.object) for t in report_quads]))
    dumps = release_dir / "dumps"
    out["dumps/emis.nq.gz"] = _parse_dump(dumps / "emis.nq.gz", ox.RdfFormat.N_QUADS, release)
    out["dumps/emis.trig.gz"] = _parse_dump(dumps / "emis.trig.gz", ox.RdfFormat.TRIG, release)
    for path in sorted(dumps.iterdir()):
        if path.name.endswith((".csv", ".csv-metadata.json")):
            out[f"dumps/{path.name}"] = _read_lines(path)
    out["manifest.json"] = _lines(json.dumps(published_manifest(manifest), indent=1,
                                             ensure_ascii=False, sort_keys=True))
    return out


def published_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without its per-build values (see MANIFEST_PER_BUILD)."""
    kept = {k: v for k, v in manifest.items() if k not in MANIFEST_PER_BUILD}
    kept["dumps"] = [{"file": d["file"], "media_type": d["media_type"]} for d in manifest["dumps"]]
    return kept


# The dumps of the whole dataset are compared with the golden of the store.
SAME_AS = {"dumps/emis.nq.gz": RELEASE_NQ, "dumps/emis.trig.gz": RELEASE_NQ}


# ------------------------------------------------------------------ golden files

def golden_path(name: str, golden_dir: Path = GOLDEN_DIR) -> Path:
    plain = golden_dir / name
    return plain if plain.exists() else golden_dir / (name + COMPRESSED_SUFFIX)


def read_golden(name: str, golden_dir: Path = GOLDEN_DIR) -> list[str]:
    path = golden_path(name, golden_dir)
    data = path.read_bytes()
    if path.suffix == COMPRESSED_SUFFIX:
        data = lzma.decompress(data)
    return _lines(data.decode("utf-8").removesuffix("\n"))   # write_golden adds a final newline


def golden_names(golden_dir: Path = GOLDEN_DIR) -> list[str]:
    """The snapshot names recorded in ``golden_dir`` (without the input description)."""
    names = [str(p.relative_to(golden_dir)).removesuffix(COMPRESSED_SUFFIX)
             for p in golden_dir.rglob("*") if p.is_file()]
    return sorted(n for n in names if n != "input.json")


def write_golden(snap: dict[str, list[str]], given: dict[str, Any], golden_dir: Path) -> list[str]:
    """Write the golden files (a file whose content is unchanged is left alone); the changed."""
    changed = []
    wanted = {"input.json": _lines(json.dumps(given, indent=1, sort_keys=True))}
    wanted.update({k: v for k, v in snap.items() if k not in SAME_AS})
    for name, lines in wanted.items():
        text = ("\n".join(lines) + "\n").encode("utf-8")
        compress = len(text) > SMALL
        path = golden_dir / (name + (COMPRESSED_SUFFIX if compress else ""))
        other = golden_dir / (name if compress else name + COMPRESSED_SUFFIX)
        if path.exists() and read_golden(name, golden_dir) == lines and not other.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        other.unlink(missing_ok=True)
        path.write_bytes(lzma.compress(text, format=lzma.FORMAT_XZ, preset=9) if compress else text)
        changed.append(str(path.relative_to(golden_dir)))
    for name in golden_names(golden_dir):
        if name not in wanted:
            golden_path(name, golden_dir).unlink()
            changed.append(f"{name} (removed)")
    return changed


def differences(snap: dict[str, list[str]], golden_dir: Path = GOLDEN_DIR) -> list[str]:
    """Names whose lines differ from the golden ones."""
    return [name for name, lines in snap.items()
            if read_golden(SAME_AS.get(name, name), golden_dir) != lines]


# ------------------------------------------------------------------ command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, help="import emis_lod from this checkout")
    parser.add_argument("--golden", type=Path, default=GOLDEN_DIR, help="golden directory")
    parser.add_argument("--check", action="store_true", help="only compare with the golden files")
    parser.add_argument("--work", type=Path, help="keep the input and the store here")
    args = parser.parse_args(argv)
    if args.checkout:
        use_checkout(args.checkout)
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        work = args.work or Path(tmp)
        given = generate_input(work / "source")
        release_dir = build_release(work / "source", work / "store")
        files = code_files()
        print(f"built with emis_lod from {Path(files['emis_lod']).parent.parent} "
              f"(build: {files['emis_lod.loaders.build']})")
        if args.checkout:
            foreign = [f for f in files.values() if f and not f.startswith(str(args.checkout.resolve()))]
            if foreign:
                raise SystemExit(f"modules not from {args.checkout}: {foreign}")
        snap = snapshot(release_dir)
    if args.check:
        differ = differences(snap, args.golden)
        print("differs from the golden: " + ", ".join(differ) if differ else "equal to the golden")
        return 1 if differ else 0
    changed = write_golden(snap, given, args.golden)
    print("\n".join(f"wrote {name}" for name in changed) or "golden files unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
