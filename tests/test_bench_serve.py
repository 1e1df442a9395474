"""The serving benchmark compares like with like: the peer's "document" query is the one our
school documents are made from, so it answers the very triples we serve; its report shows each
run with its ratio to the peer. (The runs themselves need wrk and the oxigraph server:
``make bench-tools``; nothing here times anything.)"""

from __future__ import annotations

import urllib.parse

import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

from emis_lod.endpoint import create_app
from emis_lod.loaders import releases
from emis_lod.loaders.build import BuildReport
from emis_lod.settings import load_settings

from serverutil import bench_script

bench = bench_script("bench_serve")


def test_the_peer_answers_the_document_we_serve(built: BuildReport, monkeypatch) -> None:
    monkeypatch.setattr(bench, "BASE", built.base_uri)
    store_dir = built.release_dir.parent.parent
    iris = bench.resource_iris(store_dir, ["district", "finance"], cap=3, seed=1)
    assert len(iris["school"]) == 50 and len(iris["finance"]) == 3 and iris["district"]
    client = create_app(store_dir, load_settings(base_uri=built.base_uri)).test_client()
    store = ox.Store.read_only(str(built.release_dir / releases.OXIGRAPH))
    try:
        for iri, path in zip(iris["school"][:3], bench.peer_queries(iris["school"][:3], "document"),
                             strict=True):
            query = urllib.parse.unquote(path.partition("query=")[2])
            triples = list(store.query(query, use_default_graph_as_union=True))
            peer = rdflib.Graph().parse(
                data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
            doc = bench.doc_paths([iri])[0]
            ours = rdflib.Graph().parse(data=client.get(doc + ".nt").data, format="nt")
            assert len(ours) > 100 and isomorphic(ours, peer), iri
    finally:
        del store


def test_the_report_shows_every_run_and_its_ratio(capsys) -> None:
    run = bench.Run("emis-lod", "jsonld", "cold", 1000, 1.0, 1000.0, 2.0, 3.0, 9.0, 12.0, 0, 26000,
                    {"own": 0.5, "document": 12.0})
    peer = bench.Run("oxigraph:own", "jsonld", "cold", 2000, 1.0, 2000.0, 1.0, 1.5, 4.0, 6.0, 0, 3500)
    figures = {"schools": 20, "triples": 1000, "release": "r", "machine": "m", "when": "w",
               "render_seconds": 12.5, "runs": [vars(run), vars(peer)],
               "page_queries": {"school": {"describe": 10.0}},
               "queries": [{"query": "01-x", "emis-lod": {"seconds": 0.5, "status": 200},
                            "oxigraph": {"seconds": 0.4, "status": 200}}]}
    other = {"schools": 2, "page_queries": {"school": {"describe": 8.0}}}
    bench.show(figures, other)
    shown = capsys.readouterr().out
    assert "0.50 / 12.00" in shown and "oxigraph:own" in shown
    assert "emis-lod render" in shown and "12.5 s" in shown
    assert "growth describe 1.25x" in shown and "01-x" in shown
