"""Benchmark: documents and documented queries of ``emis-lod serve`` next to ``oxigraph
serve-read-only`` on a copy of the same store, in the same run.

Run on demand (``make bench-serve`` or ``python bench/bench_serve.py --schools 20000``); it is
not a test and asserts nothing. Every figure comes from this run on this machine:

1. a release of N schools: ``--store DIR`` reuses one, else the demo export is generated and
   built into ``--workdir`` (reused when it is already there); ``emis-lod render`` (timed)
   renders its heaviest documents once, as ``serve`` does in the background, unless done;
2. the peer: the release's Oxigraph directory copied once (``workdir/peer-store``) and served
   by ``oxigraph serve-read-only --union-default-graph`` (PyPI ``oxigraph``, the database's
   own HTTP server); ``emis-lod serve`` with its defaults (2 workers) on the release, twice:
   ``emis-lod``, gunicorn alone (``--front none``, the baseline), and ``emis-lod+nginx``, behind
   Debian's nginx as ``serve`` runs by default (every cold document a cache miss, passed to
   gunicorn; every hot one a cache hit), when nginx is installed;
3. documents, driven by ``wrk`` (Debian; ``make bench-tools`` installs it) with 4 connections:
   *cold*, schools in a random order, each asked once (a short probe on 200 others learns the
   rate, then the run lasts as long as asking 80% of the rest takes at that rate, at most
   ``--duration``; each format is a document of its own, so each run is cold); *hot*, 50
   schools over and over. The peer answers one CONSTRUCT per school: ``own``, the school's own triples
   (``CONSTRUCT WHERE { <school> ?p ?o }``), and ``document``, the query our school documents
   are made from (``endpoint/queries/school.rq``), so the same triples as ours. Then a sample
   of the other types (districts, regions and records, ``--per-type``), cold, in JSON-LD,
   Turtle and HTML: the records are rendered on request, not ahead;
4. the describe and page queries of a school, a district, a region, an observation and a
   building, timed in-process (``emis_lod.endpoint.page_costs``): their growth
   between two sizes is what "per-document cost independent of the store" means
   (``--compare OTHER.json``);
5. the documented queries (``docs/queries/*.rq``) through ``/sparql`` (its default
   ``query_timeout``) and through the peer.

Prints req/s, p50, p99 and the ratio to the peer per format, then the query times; ``--json
FILE`` writes them all, ``--show FILE`` prints a saved run again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk_paths.lua"
QUERIES = ROOT / "docs" / "queries"
BASE = "http://127.0.0.1:8000/"  # the base a bench release is built with
# seconds a documented query is waited for on the peer (not --timeout-s: oxigraph 0.5 starts a
# thread per query for it, and runs out of threads under a few thousand queries a second)
PEER_TIMEOUT = 60
HOT_SCHOOLS = 50
PROBE_PATHS = 200     # documents of a cold run asked first, to learn its rate
PROBE_SECONDS = 2
COLD_SHARE = 0.8      # of the documents a cold run may ask, at the rate the probe saw
OTHER_TYPES = ("district", "region", "building", "observation", "finance", "staff", "enrolment")


@dataclass
class Run:
    """One wrk run: who answered, which documents, how fast."""

    server: str
    what: str
    state: str
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0
    bytes_per_answer: int = 0
    ratio: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------ the release and the peer

def release_dir(store: Path) -> Path:
    current = store / "current"
    if current.exists():
        return current.resolve()
    done = sorted(p for p in (store / "releases").iterdir() if (p / "manifest.json").exists())
    if not done:
        raise SystemExit(f"{store} has no complete release")
    return done[-1]


def ensure_release(args: argparse.Namespace) -> Path:
    if args.store:
        return args.store
    store = args.workdir / "store"
    if (store / "current").exists():
        return store
    source = args.workdir / "source"
    if not (source / "schools.csv").exists():
        _run([sys.executable, "-m", "emis_lod.cli", "generate", "--schools", str(args.schools),
              "--seed", str(args.seed), "--out", str(source)])
    _run([sys.executable, "-m", "emis_lod.cli", "build", "--source", str(source), "--store",
          str(store), "--base-uri", BASE, "--quiet"])
    return store


def peer_copy(release: Path, workdir: Path) -> Path:
    """A copy of the release's store for the peer (made once per release)."""
    target = workdir / "peer-store"
    marker = target / "emis-lod-release"
    if marker.exists() and marker.read_text() == release.name:
        return target
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(release / "oxigraph", target)
    marker.write_text(release.name)
    return target


def _run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=30):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def oxigraph_command() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise SystemExit("the peer server is missing: pip install oxigraph (make bench-tools)")
    return found


def has_nginx() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


class Servers:
    """``emis-lod serve`` (alone, and behind nginx when it is installed) and the peer, started
    together and stopped together."""

    def __init__(self, store: Path, peer_store: Path, workers: int) -> None:
        self.ours_port, self.peer_port, front_port = free_port(), free_port(), free_port()
        self.ours = f"http://127.0.0.1:{self.ours_port}"
        self.peer = f"http://127.0.0.1:{self.peer_port}"
        self.fronted = f"http://127.0.0.1:{front_port}" if has_nginx() else None
        logs = peer_store.parent
        serve = [sys.executable, "-m", "emis_lod.cli", "serve", "--store", str(store),
                 "--workers", str(workers)]
        env = {**os.environ, "EMIS_LOD_PRERENDER": "off"}   # rendered before, by render_documents
        self.procs = [
            subprocess.Popen([*serve, "--port", str(self.ours_port), "--front", "none"], env=env,
                             stdout=subprocess.DEVNULL, stderr=open(logs / "emis-lod.log", "wb"),  # noqa: SIM115
                             start_new_session=True),
            subprocess.Popen([oxigraph_command(), "serve-read-only", "--location", str(peer_store),
                              "--bind", f"127.0.0.1:{self.peer_port}", "--union-default-graph"],
                             stdout=subprocess.DEVNULL, stderr=open(logs / "oxigraph.log", "wb"),  # noqa: SIM115
                             start_new_session=True),
        ]
        if self.fronted:
            self.procs.append(subprocess.Popen(
                [*serve, "--port", str(front_port), "--front", "nginx"], env=env,
                stdout=subprocess.DEVNULL, stderr=open(logs / "emis-lod-nginx.log", "wb"),  # noqa: SIM115
                start_new_session=True))

    def __enter__(self) -> Servers:
        wait_for(self.ours + "/context/v1.jsonld")
        if self.fronted:
            wait_for(self.fronted + "/context/v1.jsonld")
        wait_for(self.peer + "/query?query=" + urllib.parse.quote("ASK {}"))
        return self

    def memory_mb(self) -> dict[str, float]:
        """Proportional set size (shared pages split between their sharers) of each of our
        servers with all its processes: what one more replica of it would take."""
        names = ["emis-lod"] + (["emis-lod+nginx"] if self.fronted else [])
        return {name: round(session_pss_kb(proc.pid) / 1024, 1)
                for name, proc in zip(names, [self.procs[0], *self.procs[2:]], strict=True)}

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def session_pss_kb(session: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rpartition(")")[2].split()[3]) != session:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total


# ------------------------------------------------------------------------ what is asked

def resource_iris(store: Path, types: list[str], cap: int, seed: int) -> dict[str, list[str]]:
    """The IRIs of every school and of up to ``cap`` random resources of each other type."""
    from emis_lod.endpoint import create_app
    from emis_lod.endpoint.prerender import things
    from emis_lod.settings import load_settings

    rel = create_app(store, load_settings()).extensions["emis_lod"].get()
    rng = random.Random(seed)
    out = {}
    for type_ in ["school", *types]:
        keys = things(rel, type_)
        if type_ != "school" and len(keys) > cap:
            keys = rng.sample(keys, cap)
        out[type_] = [rel.uris.id(type_, key) for key in keys]
    return out


def rendered(release: Path) -> bool:
    """True when the release's pre-rendered documents are complete and current."""
    from emis_lod.endpoint.document_store import DocumentStore
    from emis_lod.settings import load_settings

    return DocumentStore.open(release, load_settings()) is not None


def render_documents(store: Path) -> float:
    """``emis-lod render`` (timed): the release's heaviest documents, once, before the runs."""
    started = time.monotonic()
    _run([sys.executable, "-m", "emis_lod.cli", "render", "--store", str(store)])
    return round(time.monotonic() - started, 1)


def peer_queries(iris: list[str], kind: str) -> list[str]:
    """The peer's path per school: its own triples, or the document query of ours."""
    from emis_lod.endpoint.query import load_query
    from emis_lod.namespaces import prefixes
    from emis_lod.uris import Uris

    if kind == "own":
        template = "CONSTRUCT WHERE { ?this ?p ?o }"
    elif kind == "onehop":
        template = ("CONSTRUCT { ?this ?p ?o . ?o ?q ?v } WHERE { ?this ?p ?o "
                    "OPTIONAL { FILTER(isIRI(?o) || isBlank(?o)) ?o ?q ?v } }")
    else:
        header = "".join(f"PREFIX {k}: <{v}>\n" for k, v in prefixes(Uris(BASE)).items())
        body = "\n".join(line for line in load_query("school").splitlines()
                         if not line.lstrip().startswith("#"))
        template = header + " ".join(body.split())
    return ["/query?query=" + urllib.parse.quote(template.replace("?this", f"<{iri}>"))
            for iri in iris]


def doc_paths(iris: list[str]) -> list[str]:
    return ["/" + iri[len(BASE):].replace("id/", "doc/", 1) for iri in iris]


# ------------------------------------------------------------------------ driving wrk

def wrk(base: str, paths: list[str], headers: dict[str, str], *, seconds: float,
        connections: int, threads: int, workdir: Path) -> dict[str, Any]:
    listing = workdir / "paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--timeout", "30s", "-s", str(LUA), base, "--", str(listing), str(threads),
           *(f"{k}: {v}" for k, v in headers.items())]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("WRK-JSON "):
            return dict(json.loads(line[len("WRK-JSON "):]))
    raise SystemExit(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")


def measure(server: str, what: str, state: str, base: str, paths: list[str],
            headers: dict[str, str], args: argparse.Namespace) -> Run:
    """One run. Hot: the paths over and over for ``--duration`` seconds. Cold: the last
    PROBE_PATHS paths asked for PROBE_SECONDS to learn the rate, then the others for as long as
    that rate needs to ask about COLD_SHARE of them (at most ``--duration``), so that none is
    asked twice."""
    seconds = args.duration
    if state == "cold" and len(paths) < 2 * PROBE_PATHS:   # a few districts or regions
        seconds = 1.0   # (each is asked several times: "cold" is the first of them only)
    elif state == "cold":
        probe, paths = paths[-PROBE_PATHS:], paths[:-PROBE_PATHS]
        rate = wrk(base, probe, headers, seconds=PROBE_SECONDS, connections=args.connections,
                   threads=args.threads, workdir=args.workdir)
        per_second = rate["requests"] / rate["seconds"] if rate["seconds"] else 1.0
        seconds = max(1.0, min(args.duration, COLD_SHARE * len(paths) / max(per_second, 1.0)))
    got = wrk(base, paths, headers, seconds=seconds, connections=args.connections,
              threads=args.threads, workdir=args.workdir)
    requests = int(got["requests"])
    errors = sum(int(got[k]) for k in got if k.startswith("errors_"))
    run = Run(server, what, state, requests, round(got["seconds"], 2),
              round(requests / got["seconds"], 1) if got["seconds"] else 0.0,
              round(got["p50_ms"], 2), round(got["p90_ms"], 2), round(got["p99_ms"], 2),
              round(got["max_ms"], 1), errors,
              int(got["bytes"] / requests) if requests else 0)
    if state == "cold" and requests > len(paths):
        print(f"  note: {requests} requests for {len(paths)} documents: some were asked twice",
              file=sys.stderr)
    print(f"  {server:<18} {what:<18} {state:<5} {run.rps:>8.0f} req/s  p50 {run.p50_ms:6.1f} ms  "
          f"p99 {run.p99_ms:6.1f} ms  errors {errors}", file=sys.stderr, flush=True)
    return run


FORMATS = {  # what -> Accept header (and Accept-Language for the pages)
    "jsonld": {"Accept": "application/ld+json"},
    "turtle": {"Accept": "text/turtle"},
    "ntriples": {"Accept": "application/n-triples"},
    "rdfxml": {"Accept": "application/rdf+xml"},
    "html-ky": {"Accept": "text/html", "Accept-Language": "ky"},
    "html-ru": {"Accept": "text/html", "Accept-Language": "ru"},
    "html-en": {"Accept": "text/html", "Accept-Language": "en"},
}
PEER_FORMATS = ("jsonld", "turtle")
PEERS = ("own", "onehop", "document")   # the peer's CONSTRUCT per school (see peer_queries)


def documents(servers: Servers, iris: dict[str, list[str]], args: argparse.Namespace) -> list[Run]:
    rng = random.Random(args.seed)
    cold = iris["school"][:]
    rng.shuffle(cold)
    hot = cold[:HOT_SCHOOLS]
    runs = []
    ours = [("emis-lod", servers.ours)] + ([("emis-lod+nginx", servers.fronted)]
                                           if servers.fronted else [])
    for what, headers in FORMATS.items():
        for name, base in ours:
            runs.append(measure(name, what, "cold", base, doc_paths(cold), headers, args))
    for what in PEER_FORMATS:
        for name, base in ours:
            runs.append(measure(name, what, "hot", base, doc_paths(hot), FORMATS[what], args))
    for kind in PEERS:
        for what in PEER_FORMATS:
            runs.append(measure(f"oxigraph:{kind}", what, "cold", servers.peer,
                                peer_queries(cold, kind), FORMATS[what], args))
    for type_, some in iris.items():
        if type_ == "school":
            continue
        rng.shuffle(some)
        for what in ("jsonld", "turtle", "html-en"):
            runs.append(measure("emis-lod", f"{type_}:{what}", "cold", servers.ours,
                                doc_paths(some), FORMATS[what], args))
    for run in runs:
        if run.server == "emis-lod+nginx":   # against gunicorn alone, the same documents
            alone = next((r for r in runs if r.server == "emis-lod" and r.what == run.what
                          and r.state == run.state), None)
            if alone and alone.rps:
                run.ratio["alone"] = round(run.rps / alone.rps, 2)
        if run.server.startswith("emis-lod"):
            what = run.what.rpartition(":")[2]
            for kind in PEERS:
                peer = next((r for r in runs if r.server == f"oxigraph:{kind}"
                             and r.what == ("turtle" if what == "turtle" else "jsonld")), None)
                if peer and peer.rps:
                    run.ratio[kind] = round(run.rps / peer.rps, 2)
    return runs


# ------------------------------------------------------------------------ queries

def documented_queries(servers: Servers) -> list[dict[str, Any]]:
    from emis_lod.namespaces import prefixes
    from emis_lod.uris import Uris

    header = f"BASE <{BASE}>\n" + "".join(
        f"PREFIX {k}: <{v}>\n" for k, v in prefixes(Uris(BASE)).items())
    out = []
    for path in sorted(QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        row: dict[str, Any] = {"query": path.stem}
        for name, url, body in (("emis-lod", servers.ours + "/sparql", text),
                                ("oxigraph", servers.peer + "/query", header + text),
                                ("emis-lod again", servers.ours + "/sparql", text),
                                ("oxigraph again", servers.peer + "/query", header + text)):
            request = urllib.request.Request(
                url, data=urllib.parse.urlencode({"query": body}).encode(),
                headers={"Accept": "application/sparql-results+json",
                         "Content-Type": "application/x-www-form-urlencoded"})
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=PEER_TIMEOUT + 10) as answer:
                    rows = len(json.load(answer)["results"]["bindings"])
                    status = answer.status
            except urllib.error.HTTPError as err:
                rows, status = 0, err.code
            except OSError as err:
                rows, status = 0, str(err)
            row[name] = {"seconds": round(time.monotonic() - started, 3), "status": status,
                         "rows": rows}
        print(f"  {_query_line(row)}", file=sys.stderr, flush=True)
        out.append(row)
    return out


def _query_line(row: dict[str, Any]) -> str:
    def cell(name: str) -> str:
        got = row.get(name)
        return f"{got['seconds']:6.2f} ({got['status']})" if got else "     -"

    return (f"{row['query']:<48} emis-lod {cell('emis-lod')} then {cell('emis-lod again')}   "
            f"oxigraph {cell('oxigraph')} then {cell('oxigraph again')}")


def page_query_times(store: Path, samples: int) -> dict[str, Any]:
    """The describe and page queries per type, timed in a fresh process on the release."""
    code = ("import json, sys; from emis_lod.endpoint.page_costs import page_query_times; "
            "print(json.dumps(page_query_times(sys.argv[1], int(sys.argv[2]))))")
    done = subprocess.run([sys.executable, "-c", code, str(store), str(samples)],
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


# ------------------------------------------------------------------------ report

def show(figures: dict[str, Any], other: dict[str, Any] | None = None) -> None:
    print(f"schools: {figures['schools']}; triples: {figures['triples']:,}; release "
          f"{figures['release']}; {figures['machine']}; {figures['when']}")
    if "render_seconds" in figures:
        print(f"emis-lod render (the heaviest documents, once per release): "
              f"{figures['render_seconds']} s")
    print(f"{'server':<18}{'document':<10}{'state':<6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'bytes':>8}  ratio to oxigraph ({' / '.join(PEERS)}) [to gunicorn alone]")
    for run in figures.get("runs", []):
        ratio = " / ".join(f"{run['ratio'][k]:.2f}" for k in PEERS if k in run["ratio"])
        if "alone" in run["ratio"]:
            ratio += f"  [{run['ratio']['alone']:.2f}]"
        print(f"{run['server']:<18}{run['what']:<10}{run['state']:<6}{run['rps']:>9.0f}"
              f"{run['p50_ms']:>9.1f}{run['p99_ms']:>9.1f}{run['errors']:>8}"
              f"{run['bytes_per_answer']:>8}  {ratio}")
    if figures.get("memory_mb"):
        print("memory after the runs (PSS, MB, every process of the server): " + ", ".join(
            f"{name} {mb:,.0f}" for name, mb in figures["memory_mb"].items()))
    if figures.get("page_queries"):
        print("\ndescribe and page queries, ms per resource (median over the sample)"
              + (f"; growth from {other['schools']} schools" if other else ""))
        for type_, times in figures["page_queries"].items():
            line = "  ".join(f"{k} {v:.2f}" for k, v in times.items())
            if other and type_ in other.get("page_queries", {}):
                before = other["page_queries"][type_]
                line += "   growth " + "  ".join(
                    f"{k} {v / before[k]:.2f}x" for k, v in times.items() if before.get(k))
            print(f"  {type_:<12} {line}")
    if figures.get("queries"):
        print("\ndocumented queries (seconds, HTTP status; each asked twice, the second run after "
              "the first)")
        for row in figures["queries"]:
            print(f"  {_query_line(row)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--schools", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--store", type=Path, default=None, help="reuse this store's release")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30.0,
                        help="seconds a run may last at most (a cold run ends with its schools)")
    parser.add_argument("--samples", type=int, default=30,
                        help="resources per type whose page queries are timed")
    parser.add_argument("--no-queries", action="store_true", help="skip the documented queries")
    parser.add_argument("--no-documents", action="store_true",
                        help="only the page and documented queries (no rendering, no wrk runs)")
    parser.add_argument("--no-types", action="store_true",
                        help="only schools' documents (not districts, regions, records...)")
    parser.add_argument("--per-type", type=int, default=5_000,
                        help="resources of each other type asked (cold) at most")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--compare", type=Path, default=None)
    parser.add_argument("--show", type=Path, default=None)
    args = parser.parse_args()
    if args.show:
        show(json.loads(args.show.read_text()),
             json.loads(args.compare.read_text()) if args.compare else None)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: make bench-tools (or apt-get install wrk)")
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-serve-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    store = ensure_release(args)
    release = release_dir(store)
    manifest = json.loads((release / "manifest.json").read_text())
    figures: dict[str, Any] = {"render_seconds": render_documents(store)} \
        if not (rendered(release) or args.no_documents) else {}
    iris = resource_iris(store, [] if args.no_types else list(OTHER_TYPES), args.per_type, args.seed)
    peer_store = peer_copy(release, args.workdir)
    figures |= {
        "schools": len(iris["school"]), "release": release.name, "triples": manifest.get("triples", 0),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {k: getattr(args, k) for k in ("workers", "connections", "threads", "duration")},
    }
    print("describe and page queries, in-process", file=sys.stderr, flush=True)
    figures["page_queries"] = page_query_times(store, args.samples)
    with Servers(store, peer_store, args.workers) as servers:
        if not args.no_documents:
            print("documents (wrk)", file=sys.stderr, flush=True)
            figures["runs"] = [asdict(r) for r in documents(servers, iris, args)]
        if not args.no_queries:
            print("documented queries", file=sys.stderr, flush=True)
            figures["queries"] = documented_queries(servers)
        figures["memory_mb"] = servers.memory_mb()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    show(figures, json.loads(args.compare.read_text()) if args.compare else None)


if __name__ == "__main__":
    main()
