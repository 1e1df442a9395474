"""What changed between releases, as a Linked Data Event Stream (LDES 1.0, https://w3id.org/ldes/specification).

- ``/ldes``: the ``ldes:EventStream``: ``ldes:timestampPath dcterms:created``,
  ``ldes:versionOfPath dcterms:isVersionOf``, the create, update and delete objects
  (``as:Create``, ``as:Update``, ``as:Delete`` on ``rdf:type``, the spec's defaults written out),
  a ``tree:shape`` of its members, and exactly one ``tree:view``: the root node.
- ``/ldes/root``: the root node (the stream's context again, as the spec asks of a root node):
  for each release compared with the one before it, back from the served release, a
  ``tree:GreaterThanOrEqualToRelation`` on ``dcterms:created`` to the release's first page and,
  but for the newest, a ``tree:LessThanRelation`` bounded by the next release's time; a
  retention policy (``ldes:startingFrom``) says the stream begins with the oldest release it
  compares: what was there before is that release's predecessor's dump.
- ``/ldes/{release}/{n}``: the members of one release, :data:`loaders.changes.PAGE_SIZE` a page,
  sorted by type and IRI, ``ldes:immutable`` and served ``Cache-Control: immutable``; each page
  but the last relates to the next (``tree:GreaterThanOrEqualToRelation``: same timestamp).
- a member ``{base}ldes/{release}/id/{type}/{key}`` is the version of ``{base}id/{type}/{key}``
  that release made: ``a as:Create|as:Update|as:Delete``, ``dcterms:isVersionOf`` the resource,
  ``dcterms:created`` the release's time (its id: when its build started), ``dcterms:isPartOf``
  the release. It answers ``303`` to the page that lists it. The triples themselves are in the
  release's changeset and documents (``/dumps/``).

Every answer is Turtle, JSON-LD, N-Triples or RDF/XML (suffix, ``?format=``, ``Accept``;
``emis_lod.formats``), rendered by ``describe.render_rdf``. The members come from the files the
build wrote (``loaders/changes.py``): nothing is computed here.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import Gone, NotFound

from emis_lod import formats
from emis_lod.formats import HTML, TURTLE, Format
from emis_lod.loaders import changes, releases

from . import jsonld, negotiation
from .describe import render_rdf
from .release import EXTENSION, Release, release
from .responses import document_response, see_other

bp = Blueprint("ldes", __name__)

LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
AS = "https://www.w3.org/ns/activitystreams#"
SH = "http://www.w3.org/ns/shacl#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {"ldes": LDES, "tree": TREE, "as": AS, "sh": SH}
EVENTS = {"create": AS + "Create", "update": AS + "Update", "delete": AS + "Delete"}
OFFERS = tuple(f for f in formats.DOCUMENT_FORMATS if f is not HTML)
IMMUTABLE = "public, max-age=31536000, immutable"
MUTABLE = "public, max-age=60"
_RELEASE_ID = re.compile(r"^\d{8}T\d{12}Z$")


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def timestamp(release_id: str) -> ox.Literal:
    return ox.Literal(changes.release_time(release_id).isoformat().replace("+00:00", "Z"),
                      datatype=n(XSD + "dateTime"))


def chain(store_dir: Path, current: str) -> list[str]:
    """The releases compared with the one before, newest first, from the served release back
    along each one's ``previous`` while its directory is there (pruned releases end it)."""
    out: list[str] = []
    at: str | None = current
    while at and (Path(store_dir) / releases.RELEASES / at / releases.MANIFEST).is_file():
        compared = releases.read_manifest(Path(store_dir) / releases.RELEASES / at).get("changes")
        if not compared:
            break
        out.append(at)
        at = compared.get("previous")
    return out


def stream(rel: Release) -> list[ox.Triple]:
    """The event stream and its context (every root node repeats it)."""
    s, u = n(rel.uris.ldes), rel.uris
    shape = n(u.ldes + "#member")
    created, version_of = n(u.ldes + "#created"), n(u.ldes + "#isVersionOf")
    return [
        ox.Triple(s, n(RDF_TYPE), n(LDES + "EventStream")),
        ox.Triple(s, n(DCTERMS + "title"), ox.Literal(
            "What changed between the releases of the EMIS open data", language="en")),
        ox.Triple(s, n(DCTERMS + "isPartOf"), n(u.dataset)),
        ox.Triple(s, n(LDES + "timestampPath"), n(DCTERMS + "created")),
        ox.Triple(s, n(LDES + "versionOfPath"), n(DCTERMS + "isVersionOf")),
        *[ox.Triple(s, n(LDES + f"version{kind}Path"), n(RDF_TYPE))
          for kind in ("Create", "Update", "Delete")],
        *[ox.Triple(s, n(LDES + f"version{kind.title()}Object"), n(iri))
          for kind, iri in EVENTS.items()],
        ox.Triple(s, n(TREE + "shape"), shape),
        ox.Triple(s, n(TREE + "view"), n(u.ldes_root)),
        ox.Triple(shape, n(RDF_TYPE), n(SH + "NodeShape")),
        ox.Triple(shape, n(SH + "nodeKind"), n(SH + "IRI")),
        ox.Triple(shape, n(SH + "property"), created),
        ox.Triple(created, n(SH + "path"), n(DCTERMS + "created")),
        ox.Triple(created, n(SH + "datatype"), n(XSD + "dateTime")),
        ox.Triple(created, n(SH + "minCount"), ox.Literal("1", datatype=n(XSD + "integer"))),
        ox.Triple(shape, n(SH + "property"), version_of),
        ox.Triple(version_of, n(SH + "path"), n(DCTERMS + "isVersionOf")),
        ox.Triple(version_of, n(SH + "nodeKind"), n(SH + "IRI")),
        ox.Triple(version_of, n(SH + "minCount"), ox.Literal("1", datatype=n(XSD + "integer"))),
    ]


def _relation(node: ox.NamedNode, index: int, kind: str, target: str,
              value: ox.Literal) -> list[ox.Triple]:
    r = n(f"{node.value}#relation-{index}")
    return [ox.Triple(node, n(TREE + "relation"), r),
            ox.Triple(r, n(RDF_TYPE), n(TREE + kind)),
            ox.Triple(r, n(TREE + "node"), n(target)),
            ox.Triple(r, n(TREE + "path"), n(DCTERMS + "created")),
            ox.Triple(r, n(TREE + "value"), value)]


def root(rel: Release, compared: list[str]) -> list[ox.Triple]:
    """The root node: a relation to each compared release's first page, bounded by its time and
    (but for the newest) the next one's; the retention policy."""
    node, u = n(rel.uris.ldes_root), rel.uris
    t = stream(rel) + [ox.Triple(node, n(RDF_TYPE), n(TREE + "Node"))]
    newer: str | None = None
    for i, rid in enumerate(compared):
        t += _relation(node, 2 * i, "GreaterThanOrEqualToRelation", u.ldes_page(rid, 1), timestamp(rid))
        if newer is not None:
            t += _relation(node, 2 * i + 1, "LessThanRelation", u.ldes_page(rid, 1), timestamp(newer))
        newer = rid
    policy = n(u.ldes_root + "#retention")
    oldest = compared[-1] if compared else rel.id
    t += [ox.Triple(node, n(LDES + "retentionPolicy"), policy),
          ox.Triple(policy, n(RDF_TYPE), n(LDES + "RetentionPolicy")),
          ox.Triple(policy, n(LDES + "startingFrom"), timestamp(oldest))]
    return t


def page(rel: Release, release_id: str, number: int, index: dict[str, Any],
         members: Iterable[tuple[str, str, str]]) -> list[ox.Triple]:
    """One immutable page of a release's members."""
    u = rel.uris
    node, s, when = n(u.ldes_page(release_id, number)), n(u.ldes), timestamp(release_id)
    t = [ox.Triple(node, n(RDF_TYPE), n(TREE + "Node")),
         ox.Triple(node, n(LDES + "immutable"), ox.Literal("true", datatype=n(XSD + "boolean")))]
    if number < len(index["pages"]):
        t += _relation(node, 0, "GreaterThanOrEqualToRelation", u.ldes_page(release_id, number + 1),
                       when)
    for _type, iri, event in members:
        v = n(u.ldes_version(release_id, iri))
        t += [ox.Triple(s, n(TREE + "member"), v),
              ox.Triple(v, n(RDF_TYPE), n(EVENTS[event])),
              ox.Triple(v, n(DCTERMS + "isVersionOf"), n(iri)),
              ox.Triple(v, n(DCTERMS + "created"), when),
              ox.Triple(v, n(DCTERMS + "isPartOf"), n(u.release(release_id)))]
    return t


def _store_dir() -> Path:
    return Path(current_app.extensions[EXTENSION].store_dir)


def _release_dir(release_id: str) -> Path:
    """A release's directory, 404 for what is no release id, 410 Gone for a release no longer
    kept or never compared (a client treats it as a page without members or relations)."""
    if not _RELEASE_ID.match(release_id):
        raise NotFound(f"{release_id} is not a release id")
    path = _store_dir() / releases.RELEASES / release_id
    if not changes.has_members(path):
        raise Gone(f"release {release_id} is not kept here any more, or was not compared with "
                   "another: its changes are not available")
    return path


def _answer(rel: Release, triples: list[ox.Triple], url: str, root_iri: str,
            suffix_format: Format | None, cache: str) -> Response:
    fmt = suffix_format or negotiation.choose_requested(
        request.args.getlist("format"), request.headers.get("Accept"), OFFERS, default=TURTLE)
    g.response_format = fmt
    body = render_rdf(triples, fmt, root=root_iri, prefixes={**rel.prefixes, **PREFIXES},
                      context=jsonld.jsonld_context(rel.uris.base), context_url=rel.uris.context)
    response = document_response(body, fmt, rel, url, None, suffix_format)
    response.headers["Link"] = ", ".join(
        [f'<{url}.{f.suffix}>; rel="alternate"; type="{f.media_type}"' for f in OFFERS]
        + [f'<{url}>; rel="canonical"'])
    response.headers["Cache-Control"] = cache
    return response


def _suffix(name: str) -> tuple[str, Format | None]:
    return formats.split_suffix(name, OFFERS)


@bp.route("/ldes")
@bp.route("/ldes.<suffix>")
def event_stream(suffix: str | None = None) -> Response:
    rel = release()
    _, fmt = _suffix(f"ldes.{suffix}") if suffix else ("ldes", None)
    if suffix and fmt is None:
        raise NotFound(f"no format .{suffix} here; try .ttl, .jsonld, .nt or .rdf")
    return _answer(rel, stream(rel), rel.uris.ldes, rel.uris.ldes, fmt, MUTABLE)


@bp.route("/ldes/<name>")
def root_node(name: str) -> Response:
    rel = release()
    stem, fmt = _suffix(name)
    if stem != "root":
        raise NotFound(f"{rel.uris.ldes}/{name} is not a node of the event stream; start at "
                       f"{rel.uris.ldes}")
    triples = root(rel, chain(_store_dir(), rel.id))
    return _answer(rel, triples, rel.uris.ldes_root, rel.uris.ldes_root, fmt, MUTABLE)


@bp.route("/ldes/<release_id>/<name>")
def release_page(release_id: str, name: str) -> Response:
    rel = release()
    stem, fmt = _suffix(name)
    path = _release_dir(release_id)
    if not stem.isdigit() or int(stem) < 1:
        raise NotFound(f"pages of release {release_id} are numbered from 1")
    index, members = changes.read_page(path, int(stem))
    if not members and int(stem) != 1:
        raise NotFound(f"release {release_id} has {len(index['pages'])} pages of changes")
    url = rel.uris.ldes_page(release_id, int(stem))
    return _answer(rel, page(rel, release_id, int(stem), index, members), url, url, fmt, IMMUTABLE)


@bp.route("/ldes/<release_id>/<path:resource>")
def version(release_id: str, resource: str) -> Response:
    """A member (the version of a resource one release made): 303 to the page that lists it."""
    rel = release()
    path = _release_dir(release_id)
    iri = rel.uris.base + resource
    index, _ = changes.read_page(path, 0)
    firsts = [(p[1], p[2]) for p in index["pages"]]
    # any type: the release's members say which of its types' resources it changed
    found = changes.resource_of(f"<{iri}>", rel.uris, None)
    number = bisect.bisect_right(firsts, found) if found else 0
    _, members = changes.read_page(path, number) if number else (index, [])
    if not found or not any(m[1] == iri for m in members):
        raise NotFound(f"release {release_id} did not change {iri}")
    return see_other(rel.uris.ldes_page(release_id, number))
