"""The whole-dataset dumps written from the mapped N-Triples files hold exactly the store's quads:
less what validation removed, plus the graphs computed in the store, and from the store alone
when a file cannot be trusted (loaders/whole_dumps.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest

from emis_lod.loaders import whole_dumps
from emis_lod.loaders.errors import BuildError

G1, G2, COMPUTED = "http://data.test/graph/a", "http://data.test/graph/b", "http://data.test/graph/c"
E, XSD = "http://data.test/def/emis#", "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LINES = {
    G1: [f'<http://data.test/id/s/1> <{E}name> "Школа № 1 \\"A\\" \\\\ \\n"@ru .',
         f'<http://data.test/id/s/1> <{E}pupils> "41"^^<{XSD}integer> .',
         f'<http://data.test/id/s/2> <{E}name> "Two" .',
         f'<http://data.test/id/s/2> <{RDF_TYPE}> <{E}School> .'],
    G2: [f'<http://data.test/id/b/1> <{E}school> <http://data.test/id/s/2> .',
         f'<http://data.test/id/b/1> <{E}storeys> "2"^^<{XSD}integer> .'],
}
PREFIXES = {"emis": "http://data.test/def/emis#"}


def _setup(tmp_path: Path, duplicate: bool = False) -> tuple[ox.Store, list[whole_dumps.GraphText], dict]:
    store = ox.Store()
    parts = []
    for graph, lines in LINES.items():
        path = tmp_path / f"{graph.rsplit('/', 1)[-1]}.nt"
        text = "\n".join(lines + (lines[:1] if duplicate else [])) + "\n"
        path.write_text(text, encoding="utf-8")
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        parts.append(path)
    # validation takes school 2 out: its own triples and the reference to it
    deleted: dict[str, set[bytes]] = {}
    for q in list(store.quads_for_pattern(ox.NamedNode("http://data.test/id/s/2"), None, None)) + \
            list(store.quads_for_pattern(None, None, ox.NamedNode("http://data.test/id/s/2"))):
        deleted.setdefault(q.graph_name.value, set()).add(f"{q.subject} {q.predicate} {q.object} .".encode())
        store.remove(q)
    # a graph computed in the store, with a blank node
    store.add(ox.Quad(ox.NamedNode("http://data.test/id/s/1"), ox.NamedNode("http://data.test/def/emis#x"),
                      ox.BlankNode("b0"), ox.NamedNode(COMPUTED)))
    texts = [whole_dumps.GraphText(g, p, frozenset(deleted.get(g, ())))
             for g, p in zip(LINES, parts, strict=True)]
    return store, texts, deleted


def _counts(store: ox.Store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for q in store:
        counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1
    return counts


def _dump_quads(path: Path, fmt: ox.RdfFormat) -> set[str]:
    return {str(q) for q in ox.parse(gzip.decompress(path.read_bytes()), format=fmt)}


def _start(texts: list[whole_dumps.GraphText], nq: Path, trig: Path, work: Path,
           computed: list[whole_dumps.GraphText] | None = None) -> whole_dumps.Pending:
    """As a build does: each table's members as it is mapped, again for the tables validation
    took lines out of, then the dumps, and the computed graphs' files as they are made."""
    members = whole_dumps.DumpMembers(work / "members", PREFIXES)
    for text in texts:
        members.add(whole_dumps.GraphText(text.graph, text.path))
    members.redo({text.graph: text.removed for text in texts})
    pending = whole_dumps.start(members, nq, trig, work)
    members.add_computed(computed or [])
    return pending


def _write(tmp_path: Path, store: ox.Store, texts: list[whole_dumps.GraphText],
           name: str) -> tuple[Path, Path]:
    nq, trig = tmp_path / f"{name}.nq.gz", tmp_path / f"{name}.trig.gz"
    pending = _start(texts, nq, trig, tmp_path)
    pending.finish(store, _counts(store), tmp_path)
    return nq, trig


@pytest.mark.parametrize("duplicate", [False, True], ids=["from-files", "from-store"])
def test_dumps_hold_exactly_the_store(tmp_path: Path, duplicate: bool) -> None:
    store, texts, deleted = _setup(tmp_path, duplicate)
    assert sum(len(v) for v in deleted.values()) == 3
    expected = {str(q).replace("_:b0", "_:BN") for q in store}
    nq, trig = _write(tmp_path, store, texts, "emis")
    for path, fmt in ((nq, ox.RdfFormat.N_QUADS), (trig, ox.RdfFormat.TRIG)):
        found = _dump_quads(path, fmt)
        blank = {q for q in found if "_:" in q}
        assert len(blank) == 1            # the one blank node quad, whatever its label
        assert {q for q in found if "_:" not in q} == {q for q in expected if "_:" not in q}
    text = gzip.decompress(trig.read_bytes()).decode()
    assert "@prefix emis: <http://data.test/def/emis#>" in text and "emis:name" in text


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    first = _write(tmp_path / "1", *_setup(_mkdir(tmp_path / "1"))[:2], "emis")
    second = _write(tmp_path / "2", *_setup(_mkdir(tmp_path / "2"))[:2], "emis")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_the_first_members_are_the_mapped_files(tmp_path: Path) -> None:
    """The quads of the tables come from the files (read in blocks, removed lines left out):
    a gzip member per table holds them, the last one the graphs computed in the store."""
    store, texts, _ = _setup(tmp_path)
    nq, _ = _write(tmp_path, store, texts, "emis")
    raw = nq.read_bytes()
    second = raw.index(b"\x1f\x8b\x08", 10)     # where the second member starts
    third = raw.index(b"\x1f\x8b\x08", second + 10)
    first, then = gzip.decompress(raw[:second]).decode(), gzip.decompress(raw[second:third]).decode()
    assert first.count("\n") == 2 and "id/s/2>" not in first and G1 in first
    assert then.count("\n") == 1 and G2 in then
    assert COMPUTED in gzip.decompress(raw[third:]).decode()


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_nothing_but_the_dumps_is_left(tmp_path: Path) -> None:
    store, texts, _ = _setup(tmp_path)
    before = set(tmp_path.iterdir())
    nq, trig = _write(tmp_path, store, texts, "emis")
    assert set(tmp_path.iterdir()) - before == {nq, trig}


def test_a_failed_worker_fails_the_dumps_with_its_error(tmp_path: Path) -> None:
    store, texts, _ = _setup(tmp_path)
    texts[0].path.unlink()
    pending = _start(texts, tmp_path / "x.nq.gz", tmp_path / "x.trig.gz", tmp_path)
    with pytest.raises(BuildError, match="writing the dumps failed.*No such file"):
        pending.finish(store, _counts(store), tmp_path)


@pytest.mark.parametrize("lines", [1, 2], ids=["trusted", "a-triple-twice"])
def test_a_computed_graph_comes_from_its_file_when_its_lines_are_the_store(
        tmp_path: Path, lines: int) -> None:
    """The derived and indicator graphs are dumped from the files the build loaded into them;
    a file whose lines are not the graph's triples (one written twice) is not trusted."""
    store, texts, _ = _setup(tmp_path)
    triple = f'<http://data.test/id/s/1> <{E}computed> "7"^^<{XSD}integer> .\n'
    path = tmp_path / "derived-0.nt"
    path.write_text(triple * lines, encoding="utf-8")
    graph = "http://data.test/graph/d"
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    path.write_text(triple.replace("computed", "marked") * lines, encoding="utf-8")   # to tell
    nq, trig = tmp_path / "x.nq.gz", tmp_path / "x.trig.gz"
    pending = _start(texts, nq, trig, tmp_path, [whole_dumps.GraphText(graph, path)])
    pending.finish(store, _counts(store), tmp_path)
    for dump, fmt in ((nq, ox.RdfFormat.N_QUADS), (trig, ox.RdfFormat.TRIG)):
        found = {q for q in _dump_quads(dump, fmt) if graph in q}
        assert found == {triple.replace("computed", "marked" if lines == 1 else "computed")
                         .replace(" .\n", f" <{graph}>")}


def test_one_nquads_stream_loads_what_a_load_per_graph_does(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The build loads every table in one bulk load of an N-Quads stream made from the files
    (loaders/whole_dumps.nquads_reader): the same quads as loading each file into its graph,
    whatever the sizes of the blocks and reads (here: blocks of 7 bytes, lines across them,
    and a last line without its newline)."""
    monkeypatch.setattr(whole_dumps, "BLOCK", 7)
    parts, per_graph = [], ox.Store()
    for graph, lines in LINES.items():
        path = tmp_path / f"{graph.rsplit('/', 1)[-1]}.nt"
        path.write_text("\n".join(lines), encoding="utf-8")      # no newline at the end
        per_graph.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        parts.append(whole_dumps.GraphText(graph, path))
    reader = whole_dumps.nquads_reader(parts)
    text = b"".join(iter(lambda: reader.read(5), b""))
    assert text.decode().splitlines() == [f"{line[:-2]} <{g}> ."
                                          for g, lines in LINES.items() for line in lines]
    one_load = ox.Store()
    one_load.bulk_load(whole_dumps.nquads_reader(parts), format=ox.RdfFormat.N_QUADS)
    assert set(one_load) == set(per_graph) and len(one_load) == sum(map(len, LINES.values()))
