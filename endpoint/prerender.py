"""Renders, once per release, every document of the heavy resource types into the release's
``documents.sqlite`` (``document_store.py``), so that a worker answers them with one read.

Which types: those whose document joins many other resources (a school's carries its
enrolment, money, textbooks, staff, buildings and indicators; a district's or a region's page
its schools, map and indicator table; a cube's page its observations). Rendered live they cost
tens of milliseconds each; the records (a finance line, a staff post, an observation...) are
their own few triples, rendered live in about a millisecond, and too many (millions at national
scale) to render ahead.

Each resource is described once and rendered in every format and, for the HTML page, in every
language, by the very functions a live request calls (``documents.render_body``), inside a
request context for the document's URL: the stored bytes are the live bytes (a test compares
them), and their ETag is the one a live answer computes.

``emis-lod render --store DIR`` renders the current release in the foreground (on a build
machine, before the release is shipped); ``emis-lod serve`` starts ``render --follow``
beside its workers, at a low priority: it renders the served release if it has no documents
yet, and each release published later. Until a release's file is complete, workers render
live. An interrupted run resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
from flask import Flask, g
from werkzeug.http import generate_etag

from emis_lod.formats import DOCUMENT_FORMATS, HTML
from emis_lod.loaders import releases
from emis_lod.settings import Settings

from . import create_app
from . import document_store as store_module
from .describe import RDF_TYPE, lookup, thing_resource
from .documents import render_body
from .release import EXTENSION, Release, ReleaseHolder
from .responses import languages

PRERENDERED_TYPES = ("school", "district", "region", "cube")
FOLLOW_EVERY = 5.0   # seconds between two looks at which release is served
NICE = 10            # the background renderer yields the cores to the workers
Row = tuple[str, str, bytes, str]   # one document: media type, language, body, ETag


def things(rel: Release, type_: str) -> list[str]:
    """The keys of every resource of a type in the release (instances of its class)."""
    cls = ox.NamedNode(rel.types[type_].cls)
    keys = set()
    for quad in rel.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), cls):
        split = rel.uris.split_id(quad.subject.value) if isinstance(quad.subject, ox.NamedNode) \
            else None
        if split is not None and split[0] == type_:
            keys.add(split[1])
    return sorted(keys)


def variants(app: Flask, rel: Release, type_: str, key: str) -> list[Row]:
    """Every document of one resource: ``(media type, language, body, ETag)``."""
    resource = thing_resource(rel.uris, type_, key)
    triples = lookup(rel, resource)
    out = []
    path = "/" + resource.doc_url[len(rel.uris.base):]
    for fmt in DOCUMENT_FORMATS:
        for lang in (languages(rel) if fmt is HTML else ("",)):
            with app.test_request_context(path):
                setattr(g, EXTENSION, rel)
                body = render_body(rel, resource, triples, fmt, lang, resource.iri, True)
            data = body.encode("utf-8") if isinstance(body, str) else body
            out.append((fmt.media_type, lang, data, generate_etag(data)))
    return out


def render_release(store_dir: Path, settings: Settings,
                   progress: Callable[[str, int, int], None] | None = None,
                   keep_going: Callable[[], bool] = lambda: True, processes: int = 1) -> Path | None:
    """Render the documents of the current release; returns the file, or None when it was
    already there (or ``keep_going`` said stop: the partial file is resumed next time).
    With ``processes`` > 1, that many processes render and this one writes."""
    release_dir = releases.current_release(store_dir)
    if store_module.DocumentStore.open(release_dir, settings) is not None:
        return None
    app = create_app(store_dir, settings)
    holder: ReleaseHolder = app.extensions[EXTENSION]
    rel = holder.get()
    writer = store_module.DocumentWriter(release_dir, settings)
    try:
        done = writer.done()
        counts = {type_: things(rel, type_) for type_ in PRERENDERED_TYPES if type_ in rel.types}
        todo = [(type_, key) for type_, keys in counts.items() for key in keys
                if rel.uris.id(type_, key) not in done]
        with contextlib.ExitStack() as stack:
            if processes > 1:
                pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(
                    processes, initializer=_start_renderer, initargs=(Path(store_dir), settings)))
                rendered: Iterator[list[Row]] = pool.imap(_render_one, todo, chunksize=4)
            else:
                rendered = (_compressed(variants(app, rel, *item)) for item in todo)
            numbers = {type_: len(keys) - sum(1 for t, _ in todo if t == type_)
                       for type_, keys in counts.items()}
            for (type_, key), rows in zip(todo, rendered, strict=True):
                if not keep_going():
                    return None
                writer.add(rel.uris.id(type_, key), rows)
                numbers[type_] += 1
                if progress:
                    progress(type_, numbers[type_], len(counts[type_]))
        return writer.finish({type_: len(keys) for type_, keys in counts.items()})
    finally:
        writer.close()


_worker: tuple[Flask, Release] | None = None


def _start_renderer(store_dir: Path, settings: Settings) -> None:
    """In a rendering process: its own application, on its own read-only store."""
    global _worker
    os.nice(NICE)
    app = create_app(store_dir, settings)
    _worker = (app, app.extensions[EXTENSION].get())


def _render_one(item: tuple[str, str]) -> list[Row]:
    assert _worker is not None
    return _compressed(variants(*_worker, *item))


def _compressed(rows: list[Row]) -> list[Row]:
    return [(media, lang, store_module.compress(body), etag) for media, lang, body, etag in rows]


def follow(store_dir: Path, settings: Settings, echo: Callable[[str], None],
           parent: int | None = None) -> None:
    """Render each release served, as it is published, until the parent process goes
    (``parent``: its pid as it knew it before the fork; by default the parent now)."""
    os.nice(NICE)
    parent = parent or os.getppid()

    def parent_alive() -> bool:
        return os.getppid() == parent

    while parent_alive():
        try:
            started = time.monotonic()
            path = render_release(store_dir, settings, keep_going=parent_alive)
            if path is not None:
                echo(f"rendered the documents of {path.parent.name} in "
                     f"{time.monotonic() - started:.0f} s: {path}")
        except releases.NoRelease:
            pass
        time.sleep(FOLLOW_EVERY)


def print_progress(type_: str, number: int, total: int) -> None:
    if number == total or number % 500 == 0:
        print(f"  {type_}: {number}/{total}", file=sys.stderr, flush=True)
