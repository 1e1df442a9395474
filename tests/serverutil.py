"""Test helpers: copy or write a release beside the build pipeline, and run the real server.

The endpoint tests serve real builds (``conftest.site``); these helpers are for what a build
cannot make:

- :func:`copy_release` adds a built release to a store again, under a new id (optionally with one
  SPARQL Update applied to the copy).
- :func:`make_release` writes a complete, published release of given RDF, graph by graph
  (``releases.staging_dir`` -> bulk load into named graphs -> ``manifest.json`` ->
  ``finish_release`` -> ``publish``): the W3C protocol tests' own data.
- :func:`running_server` starts the real ``emis-lod serve`` command (gunicorn, 2 workers) on a
  loopback port, waits until it answers, yields its base URL (with a trailing slash) and stops it.

The base URI baked into a release must be the address the server answers on, so pick the port
first: ``port = free_port(); make_release(store, graphs, base)`` with
``base = f"http://127.0.0.1:{port}/"``, then ``running_server(store, port=port)``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from emis_lod import __version__
from emis_lod.loaders import releases


def bench_script(name: str):
    """A script of ``bench/`` imported as a module (the benchmarks are scripts, not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def session_members(sid: int) -> list[int]:
    """The live processes of session ``sid`` (a server started with ``start_new_session``):
    what must be gone once it has stopped."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _parse(text: str) -> list[ox.Quad]:
    """Turtle, N-Triples, TriG or N-Quads text (TriG and N-Quads are supersets of the others)."""
    data = text.encode("utf-8")
    for fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        try:
            return list(ox.parse(data, format=fmt))
        except SyntaxError:
            continue
    raise ValueError("the test data is neither Turtle/TriG nor N-Triples/N-Quads")


def make_release(store_dir: Path, graphs: Mapping[str, str], base_uri: str) -> Path:
    """Write and publish a release of ``graphs``, ``{graph IRI: RDF text}`` (Turtle, N-Triples,
    TriG, N-Quads) putting each text's triples in that graph; return its directory."""
    if not base_uri.endswith("/"):
        base_uri += "/"
    store_dir = Path(store_dir)
    quads = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph))
             for graph, text in graphs.items() for q in _parse(text)]
    release_id = releases.new_release_id()
    staging = releases.staging_dir(store_dir, release_id)
    store = ox.Store(str(staging / releases.OXIGRAPH))
    store.bulk_load(ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
                    format=ox.RdfFormat.N_QUADS)
    store.flush()
    count = len(store)
    del store  # closes the database before anything opens it read-only
    releases.write_manifest(staging, {
        "release": release_id,
        "base_uri": base_uri,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "software_version": __version__,
        "triples": count,
        "tables": {},
    })
    final = releases.finish_release(store_dir, staging, release_id)
    releases.publish(store_dir, release_id)
    return final


def copy_release(store_dir: Path, release_dir: Path, *, update: str | None = None,
                 publish: bool = True) -> Path:
    """Add a built release to ``store_dir`` again, under a new id, as a build adds one (staging
    directory, manifest naming the new id, rename); publish it unless told not to; return its
    directory.

    ``update`` (SPARQL Update) is the one change a test makes to the copy's data; the manifest
    then counts the triples it leaves. Without it the copy's files are hard links to the
    release's (nothing writes into a complete release); with it they are copied. Pre-rendered
    documents are left out: the copy renders its own."""
    store_dir = Path(store_dir)
    taken = max(releases.list_releases(store_dir), default="")
    release_id = releases.new_release_id()
    while release_id <= taken:          # ids are times to the microsecond: a later copy sorts later
        time.sleep(0.001)
        release_id = releases.new_release_id()
    staging = releases.staging_dir(store_dir, release_id)
    shutil.copytree(release_dir, staging, dirs_exist_ok=True,
                    copy_function=shutil.copy2 if update else os.link,
                    ignore=shutil.ignore_patterns(releases.MANIFEST, releases.DOCUMENTS + "*"))
    manifest = {**releases.read_manifest(release_dir), "release": release_id}
    if update is not None:
        store = ox.Store(str(staging / releases.OXIGRAPH))
        store.update(update)
        store.flush()
        manifest["triples"] = len(store)
        del store  # closes the database before anything opens it read-only
    releases.write_manifest(staging, manifest)
    final = releases.finish_release(store_dir, staging, release_id)
    if publish:
        releases.publish(store_dir, release_id)
    return final


def _command() -> list[str]:
    script = Path(sys.executable).parent / "emis-lod"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "emis_lod.cli"]


@contextlib.contextmanager
def running_server(store_dir: Path, *, port: int | None = None, workers: int = 2,
                   startup_timeout: float = 30.0,
                   env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run ``emis-lod serve --store DIR --host 127.0.0.1 --port P`` until the block ends.

    Yields ``http://127.0.0.1:P/``. ``env`` adds environment variables (``EMIS_LOD_*``
    settings). The server's output goes to a log file, shown in the error when the server fails
    to start.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tempfile.NamedTemporaryFile(prefix="emis-lod-serve-", suffix=".log", delete=False)
    cmd = [*_command(), "serve", "--store", str(store_dir), "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, **(env or {})})

    def output() -> str:
        log.flush()
        return Path(log.name).read_text(encoding="utf-8", errors="replace")[-4000:]

    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"`{' '.join(cmd)}` exited with {process.returncode}:\n"
                                   f"{output()}")
            try:
                with urllib.request.urlopen(base + "context/v1.jsonld", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers, even if with an error
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer on {base} within "
                                       f"{startup_timeout} s:\n{output()}") from None
                time.sleep(0.1)
        yield base
    finally:
        if process.poll() is None:
            process.terminate()  # gunicorn's master stops its workers on SIGTERM
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # our own session, started above
                process.wait(timeout=5)
        log.close()
        os.unlink(log.name)
