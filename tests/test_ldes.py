"""The event stream of what changed (endpoint/ldes.py, LDES 1.0) over the three builds of
tests/test_changes.py: the stream and its root node as the spec's initialization reads them,
immutable pages whose members are the manifest's counts, every format, VoID and the release
page linking them."""

from __future__ import annotations

import json

import pytest
import rdflib
from rdflib import RDF, Literal, Namespace, URIRef
from test_changes import BASE, Builds, three_builds  # noqa: F401  (the session's builds)

from emis_lod.endpoint import create_app
from emis_lod.settings import load_settings

LDES = Namespace("https://w3id.org/ldes#")
TREE = Namespace("https://w3id.org/tree#")
AS = Namespace("https://www.w3.org/ns/activitystreams#")
DCT = Namespace("http://purl.org/dc/terms/")
STREAM = URIRef(BASE + "ldes")
ROOT = URIRef(BASE + "ldes/root")


@pytest.fixture(scope="module")
def client(three_builds: Builds):  # noqa: F811
    return create_app(three_builds.store, load_settings(base_uri=BASE)).test_client()


def graph(client, url: str, accept: str = "text/turtle", fmt: str = "turtle") -> rdflib.Graph:
    response = client.get(url, headers={"Accept": accept})
    assert response.status_code == 200, (url, response.status_code, response.data[:300])
    data = response.data
    if fmt == "json-ld":     # the published context, from the app rather than the network
        document = json.loads(data)
        document["@context"] = json.loads(client.get("/context/v1.jsonld").data)["@context"]
        data = json.dumps(document).encode()
    return rdflib.Graph().parse(data=data, format=fmt, publicID=BASE + url.lstrip("/"))


def test_the_stream_has_one_view_and_its_context(client) -> None:
    g = graph(client, "/ldes")
    assert (STREAM, RDF.type, LDES.EventStream) in g
    assert list(g.objects(STREAM, TREE.view)) == [ROOT]
    assert g.value(STREAM, LDES.timestampPath) == DCT.created
    assert g.value(STREAM, LDES.versionOfPath) == DCT.isVersionOf
    assert g.value(STREAM, LDES.versionDeleteObject) == AS.Delete
    assert g.value(STREAM, TREE.shape) is not None


def test_the_root_relates_to_each_compared_release(client, three_builds: Builds) -> None:  # noqa: F811
    g = graph(client, "/ldes/root")
    assert list(g.subjects(TREE.view, ROOT)) == [STREAM]       # the spec's `?s tree:view <>`
    assert g.value(STREAM, LDES.timestampPath) == DCT.created   # the context, on the root node
    targets = {str(g.value(r, TREE.node)) for r in g.objects(ROOT, TREE.relation)}
    assert targets == {f"{BASE}ldes/{rid}/1" for rid in three_builds.ids[1:]}
    kinds = {g.value(r, RDF.type) for r in g.objects(ROOT, TREE.relation)}
    assert kinds == {TREE.GreaterThanOrEqualToRelation, TREE.LessThanRelation}
    policy = g.value(ROOT, LDES.retentionPolicy)
    assert g.value(policy, LDES.startingFrom).toPython().isoformat().startswith(
        f"{three_builds.ids[1][:4]}-")


def test_a_release_page_lists_its_members_immutably(client, three_builds: Builds) -> None:  # noqa: F811
    rid = three_builds.ids[1]
    counts = three_builds.manifest(1)["changes"]["counts"]
    response = client.get(f"/ldes/{rid}/1", headers={"Accept": "text/turtle"})
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"]
    assert client.get(f"/ldes/{rid}/1", headers={"Accept": "text/turtle",
                                                 "If-None-Match": response.headers["ETag"]}
                      ).status_code == 304
    g = graph(client, f"/ldes/{rid}/1")
    page = URIRef(f"{BASE}ldes/{rid}/1")
    assert g.value(page, LDES.immutable) == Literal(True)
    members = set(g.objects(STREAM, TREE.member))
    assert len(members) == sum(sum(c.values()) for c in counts.values())   # fits on one page
    kinds = {AS.Create: "added", AS.Delete: "removed", AS.Update: "changed"}
    seen: dict[tuple[str, str], int] = {}
    for m in members:
        thing = g.value(m, DCT.isVersionOf)
        assert str(m) == f"{BASE}ldes/{rid}/{str(thing)[len(BASE):]}"
        assert g.value(m, DCT.created).toPython() is not None
        type_ = str(thing)[len(BASE):].split("/")[1] if "/id/" in str(thing) else "concept"
        key = (type_, kinds[g.value(m, RDF.type)])
        seen[key] = seen.get(key, 0) + 1
    assert seen == {(t, k): n for t, c in counts.items() for k, n in c.items() if n}


@pytest.mark.parametrize(("accept", "fmt"), [("application/ld+json", "json-ld"),
                                             ("application/n-triples", "nt"),
                                             ("application/rdf+xml", "xml")])
def test_every_format(client, three_builds: Builds, accept: str, fmt: str) -> None:  # noqa: F811
    for url in ("/ldes", "/ldes/root", f"/ldes/{three_builds.ids[2]}/1"):
        turtle = graph(client, url)
        other = graph(client, url, accept, fmt)
        assert len(other) == len(turtle), url
    assert client.get("/ldes/root.jsonld").content_type.startswith("application/ld+json")


def test_a_member_answers_303_to_its_page(client, three_builds: Builds) -> None:  # noqa: F811
    rid = three_builds.ids[2]
    line = (three_builds.release(2) / "changes" / "members.tsv").read_text().splitlines()[0]
    iri = line.split("\t")[1]
    response = client.get(f"/ldes/{rid}/{iri[len(BASE):]}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BASE}ldes/{rid}/1"
    assert client.get(f"/ldes/{rid}/id/school/none").status_code == 404


def test_pages_not_kept_are_gone_and_others_not_found(client, three_builds: Builds) -> None:  # noqa: F811
    assert client.get(f"/ldes/{three_builds.ids[0]}/1").status_code == 410   # not compared
    assert client.get(f"/ldes/{three_builds.ids[1]}/2").status_code == 404
    assert client.get("/ldes/not-a-release/1").status_code == 404
    assert client.get("/ldes/nothing").status_code == 404


def test_void_and_the_release_page_link_the_changes(client, three_builds: Builds) -> None:  # noqa: F811
    void = graph(client, "/doc/dataset/emis.ttl")
    dataset = URIRef(BASE + "id/dataset/emis")
    assert STREAM in set(void.objects(dataset, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso")))
    dumps = {str(o) for o in void.objects(dataset, URIRef("http://rdfs.org/ns/void#dataDump"))}
    assert dumps and not any("changes-" in d for d in dumps)
    files = three_builds.manifest(2)["changes"]["files"]
    for lang, word in (("en", "What changed"), ("ru", "Что изменилось"), ("ky", "Эмне өзгөрдү")):
        page = client.get(f"/release/?lang={lang}").get_data(as_text=True)
        assert word in page and f'href="{BASE}ldes"' in page
        assert all(f"{BASE}dumps/{name}" in page for name in files.values())
        assert 'data-type="school"' in page
    listing = json.loads(client.get("/dumps/index.json").data)
    names = {d["file"] for d in listing["dumps"]}
    assert set(files.values()) <= names
