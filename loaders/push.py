"""Push a release into another triple store through the SPARQL 1.1 Graph Store HTTP Protocol.

``emis-lod push --store DIR [RELEASE_ID] --to URL`` writes every named graph of a release with
one ``PUT URL?graph=<graph IRI>`` each (Graph Store Protocol §5.3: the graph is replaced, so a
second push of the same release leaves the target as the first one did). The graph holding the
release's provenance (``{base}graph/provenance``, :mod:`provenance`) goes last: a consumer that
sees it knows every graph it describes is already there.

The body is N-Triples read from the release's Oxigraph store opened read-only, produced by a
generator in slices of about a megabyte, so that no graph is ever in memory as a whole. It is
sent with a ``Content-Length``: the graph is serialized twice, once to measure it and once to
send it, because a body in chunked transfer coding is not understood by every store (Virtuoso
7.2 answers ``201 Created`` to a chunked ``PUT`` and stores nothing).

Authentication comes from the environment, never from the command line: ``EMIS_LOD_PUSH_USER``
and ``EMIS_LOD_PUSH_PASSWORD``, sent as HTTP Basic, or as HTTP Digest (RFC 7616: MD5 or SHA-256,
``qop=auth``) when ``EMIS_LOD_PUSH_AUTH=digest``; for Digest a ``HEAD`` of the graph fetches the
server's challenge before each ``PUT``, so that a streamed body is never sent twice.

The functions that decide (the order of the graphs, the request target, the credentials, the
Digest answer, the body) are pure; :func:`put` is the whole HTTP part.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import itertools
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, quote, urlsplit

import pyoxigraph as ox

from emis_lod.uris import Uris

from . import provenance, releases

ENV_USER = "EMIS_LOD_PUSH_USER"
ENV_PASSWORD = "EMIS_LOD_PUSH_PASSWORD"
ENV_AUTH = "EMIS_LOD_PUSH_AUTH"
AUTH_SCHEMES = ("basic", "digest")
MEDIA_TYPE = "application/n-triples"
SLICE = 4096            # triples serialized at a time (about 0.5-1 MB of N-Triples)
TIMEOUT = 3600.0        # seconds to wait on the socket: a store may load a big graph for minutes
EXCERPT = 300           # characters of a failed answer's body quoted in the error


class PushError(RuntimeError):
    """A push that cannot start or did not finish; ``written`` lists the graphs already replaced
    in the target and ``pending`` those that were not."""

    def __init__(self, message: str, written: Sequence[str] = (), pending: Sequence[str] = ()):
        super().__init__(message)
        self.written = list(written)
        self.pending = list(pending)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    scheme: str = "basic"


@dataclass(frozen=True)
class Pushed:
    """One graph written into the target."""

    graph: str
    triples: int
    bytes: int
    seconds: float
    status: int


# ------------------------------------------------------------------ pure decisions

def check_url(url: str) -> SplitResult:
    """The target's parts; a :class:`PushError` unless it is an ``http`` or ``https`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PushError(f"--to {url!r}: a Graph Store Protocol endpoint is an http:// or https:// "
                        "URL, such as http://localhost:8890/sparql-graph-crud for Virtuoso")
    if parts.fragment:
        raise PushError(f"--to {url!r}: leave out the fragment (#{parts.fragment})")
    return parts


def request_target(parts: SplitResult, graph: str) -> str:
    """The path and query of the ``PUT`` of ``graph`` (GSP §4.2, indirect graph identification):
    the endpoint's own query parameters are kept and ``graph=`` is added."""
    query = f"graph={quote(graph, safe='')}"
    return f"{parts.path or '/'}?{parts.query + '&' if parts.query else ''}{query}"


def order(graphs: Iterable[str], last: str) -> list[str]:
    """The graphs in the order they are pushed: sorted, with ``last`` (the provenance) at the end."""
    names = sorted(set(graphs))
    return [g for g in names if g != last] + ([last] if last in names else [])


def credentials(environ: Mapping[str, str]) -> Credentials | None:
    """The credentials the environment gives, if any."""
    user, password = environ.get(ENV_USER, ""), environ.get(ENV_PASSWORD)
    scheme = environ.get(ENV_AUTH, "basic").strip().lower() or "basic"
    if scheme not in AUTH_SCHEMES:
        raise PushError(f"{ENV_AUTH}={environ[ENV_AUTH]!r}: use one of {', '.join(AUTH_SCHEMES)}")
    if not user:
        if password is not None:
            raise PushError(f"{ENV_PASSWORD} is set but {ENV_USER} is not: set both or neither")
        return None
    if password is None:
        raise PushError(f"{ENV_USER} is set but {ENV_PASSWORD} is not: set both or neither")
    return Credentials(user, password, scheme)


def basic_authorization(cred: Credentials) -> str:
    token = base64.b64encode(f"{cred.user}:{cred.password}".encode()).decode("ascii")
    return f"Basic {token}"


_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def digest_challenge(header: str) -> dict[str, str] | None:
    """The parameters of the ``Digest`` challenge of a ``WWW-Authenticate`` header, if it has one."""
    at = header.lower().find("digest ")
    if at < 0:
        return None
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
            for m in _PARAM.finditer(header[at + 7:])}


def digest_authorization(cred: Credentials, method: str, target: str, challenge: Mapping[str, str],
                         cnonce: str, nc: int = 1) -> str:
    """The ``Authorization`` header answering a Digest challenge (RFC 7616 §3.4)."""
    algorithm = challenge.get("algorithm", "MD5")
    name = algorithm.upper().removesuffix("-SESS")
    if name not in ("MD5", "SHA-256"):
        raise PushError(f"the server asks for Digest with {algorithm}: only MD5 and SHA-256 are "
                        "supported")

    def h(text: str) -> str:
        return hashlib.new(name.replace("-", "").lower(), text.encode("utf-8")).hexdigest()

    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    ha1 = h(f"{cred.user}:{realm}:{cred.password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{target}")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    fields = {"username": cred.user, "realm": realm, "nonce": nonce, "uri": target,
              "algorithm": algorithm}
    if "auth" in qops:
        count = f"{nc:08x}"
        fields["response"] = h(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}")
        fields.update(qop="auth", nc=count, cnonce=cnonce)
    elif qops:
        raise PushError(f"the server asks for Digest with qop={challenge['qop']}: only auth is "
                        "supported")
    else:
        fields["response"] = h(f"{ha1}:{nonce}:{ha2}")
    if "opaque" in challenge:
        fields["opaque"] = challenge["opaque"]
    unquoted = ("algorithm", "qop", "nc")
    return "Digest " + ", ".join(f"{k}={v}" if k in unquoted else f'{k}="{v}"'
                                 for k, v in fields.items())


def ntriples(store: ox.Store, graph: str) -> Iterator[bytes]:
    """The triples of ``graph`` as N-Triples, a slice of :data:`SLICE` triples at a time."""
    quads = store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    while True:
        batch = list(itertools.islice(quads, SLICE))
        if not batch:
            return
        yield "".join([f"{q.triple} .\n" for q in batch]).encode("utf-8")


def measure(chunks: Iterable[bytes]) -> tuple[int, int]:
    """(triples, bytes) of an N-Triples body: one triple a line (N-Triples escapes line breaks
    inside literals)."""
    triples = size = 0
    for chunk in chunks:
        triples += chunk.count(b"\n")
        size += len(chunk)
    return triples, size


# ------------------------------------------------------------------ HTTP

@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: str
    headers: Mapping[str, str]


def _connection(parts: SplitResult, timeout: float) -> http.client.HTTPConnection:
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return cls(parts.hostname or "", parts.port, timeout=timeout)


def _answer(conn: http.client.HTTPConnection) -> Answer:
    response = conn.getresponse()
    text = response.read(64 * 1024).decode("utf-8", "replace")
    return Answer(response.status, response.reason, text, dict(response.headers.items()))


def put(parts: SplitResult, graph: str, size: int, body: Iterable[bytes],
        cred: Credentials | None, timeout: float = TIMEOUT) -> Answer:
    """``PUT`` one graph; returns the server's answer (whatever its status). A connection that
    fails raises :class:`OSError` (or :class:`http.client.HTTPException`)."""
    target = request_target(parts, graph)
    headers = {"Content-Type": f"{MEDIA_TYPE}; charset=utf-8", "Content-Length": str(size)}
    if cred is not None and cred.scheme == "basic":
        headers["Authorization"] = basic_authorization(cred)
    elif cred is not None:
        conn = _connection(parts, timeout)
        try:
            conn.request("HEAD", target)
            challenged = _answer(conn)
        finally:
            conn.close()
        found = next((digest_challenge(v) for k, v in challenged.headers.items()
                      if k.lower() == "www-authenticate" and digest_challenge(v) is not None), None)
        if found is None:
            raise PushError(f"{ENV_AUTH}=digest, but HEAD {target} answered HTTP "
                            f"{challenged.status} without a Digest challenge")
        headers["Authorization"] = digest_authorization(cred, "PUT", target, found,
                                                        secrets.token_hex(16))
    conn = _connection(parts, timeout)
    try:
        try:
            conn.request("PUT", target, body=body, headers=headers)
        except OSError:
            # the server may have answered (and closed) before reading the whole body
            return _answer(conn)
        return _answer(conn)
    finally:
        conn.close()


# ------------------------------------------------------------------ the push

def release_dir(store: Path, release_id: str | None) -> Path:
    """The directory of ``release_id`` (default: the served one)."""
    store = Path(store)
    if release_id is None:
        release_id = releases.current_id(store)
        if release_id is None:
            raise PushError(f"no release is published in {store}: give a RELEASE_ID (complete "
                            f"releases: {', '.join(releases.list_releases(store)) or 'none'})")
    if not releases.is_complete(store, release_id):
        raise PushError(f"release {release_id!r} is not a complete release of {store}; complete "
                        f"releases: {', '.join(releases.list_releases(store)) or 'none'}")
    return store / releases.RELEASES / release_id


def _failed(graph: str, what: str, written: list[str], pending: list[str]) -> PushError:
    return PushError(
        f"PUT of graph <{graph}> failed: {what}. Written ({len(written)}): "
        f"{', '.join(written) or 'none'}. Not written ({len(pending)}): {', '.join(pending)}. "
        "Run the push again to replace them all (a PUT replaces a graph)", written, pending)


def push(release: Path, url: str, environ: Mapping[str, str] = os.environ,
         echo: Callable[[str], object] = print, timeout: float = TIMEOUT) -> list[Pushed]:
    """Write every named graph of the release in ``release`` into the Graph Store Protocol
    endpoint ``url``, the provenance graph last; returns what was written, in order."""
    parts = check_url(url)
    cred = credentials(environ)
    manifest = releases.read_manifest(release)
    last = Uris(str(manifest["base_uri"])).graph(provenance.GRAPH)
    store = ox.Store.read_only(str(release / releases.OXIGRAPH))
    try:
        graphs = order((g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)), last)
        default = sum(1 for _ in itertools.islice(store.quads_for_pattern(
            None, None, None, ox.DefaultGraph()), 1))
        if default:
            echo("note: the release's default graph holds triples; only named graphs are pushed")
        done: list[Pushed] = []
        for i, graph in enumerate(graphs):
            started = time.perf_counter()
            triples, size = measure(ntriples(store, graph))
            try:
                answer = put(parts, graph, size, ntriples(store, graph), cred, timeout)
            except PushError as err:
                raise _failed(graph, str(err), [p.graph for p in done], graphs[i:]) from None
            except (OSError, http.client.HTTPException) as err:
                raise _failed(graph, f"{type(err).__name__}: {err}", [p.graph for p in done],
                              graphs[i:]) from None
            if not 200 <= answer.status < 300:
                excerpt = " ".join(answer.body.split())[:EXCERPT]
                raise _failed(graph, f"HTTP {answer.status} {answer.reason}"
                              + (f": {excerpt}" if excerpt else ""), [p.graph for p in done],
                              graphs[i:])
            done.append(Pushed(graph, triples, size, time.perf_counter() - started, answer.status))
            echo(f"PUT <{graph}>: {triples} triples, {size / 1e6:.1f} MB in "
                 f"{done[-1].seconds:.1f} s (HTTP {answer.status})")
        return done
    finally:
        del store
