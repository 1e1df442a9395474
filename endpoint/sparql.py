"""``/sparql``: the SPARQL 1.1 Protocol, query operation (https://www.w3.org/TR/sparql11-protocol/).

- ``GET ?query=``, ``POST`` ``application/x-www-form-urlencoded`` and ``POST``
  ``application/sparql-query`` (UTF-8 only); ``default-graph-uri`` / ``named-graph-uri`` set the
  dataset (section 2.1.4); without them the default graph is the union of all named graphs, so
  queries need no ``GRAPH``. The platform prefixes are predeclared and the base IRI is the
  endpoint.
- SELECT/ASK answer in SPARQL JSON, XML, CSV or TSV; CONSTRUCT/DESCRIBE in Turtle, JSON-LD,
  N-Triples or RDF/XML; ``format=`` (or ``output=``, ``results=``: SPARQLWrapper sends all three),
  then ``Accept`` choose, by the words of ``emis_lod.formats.ALIASES`` for the query's form; a
  word that fits no format of the form falls back to ``Accept``, then to the form's default.
- The endpoint is read-only: SPARQL Update through any route is refused (403 for ``update=`` or an
  ``application/sparql-update`` body, 405 for PUT/DELETE/PATCH), and the store is opened read-only
  anyway. ``SERVICE`` (federated query) is refused: the server makes no outbound requests.
- Limits (``endpoint/executor.py``): each query runs in a killable query process of the WSGI
  worker; past ``query_timeout`` that process is killed and the answer is 503; at most
  ``max_result_rows`` rows (``EMIS-Result-Truncated``); at most ``max_query_length`` characters.
- ``GET /sparql`` without a query: an HTML query form for browsers, the SPARQL 1.1 Service
  Description (https://www.w3.org/TR/sparql11-service-description/) in RDF for everyone else.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    InternalServerError,
    MethodNotAllowed,
    ServiceUnavailable,
    UnsupportedMediaType,
)

from emis_lod import formats
from emis_lod.formats import HTML, RDF_FORMATS, RESULTS_FORMATS, RESULTS_JSON, TURTLE, Format
from emis_lod.namespaces import SD, SH

from . import EXECUTOR, jsonld, negotiation
from .executor import QueryExecutor, QueryJob, QueryProcessFailed
from .release import Release, release, settings
from .responses import choose_language, languages

bp = Blueprint("sparql", __name__)

ALLOWED_METHODS = ["GET", "HEAD", "POST", "OPTIONS"]
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"

READ_ONLY = ("This SPARQL endpoint is read-only: SPARQL Update is not supported on any route. "
             "Send a query with GET ?query=... or POST (application/x-www-form-urlencoded "
             "with query=..., or application/sparql-query).")

# Strings, IRIs and comments, skipped when looking for the SERVICE keyword; then the keyword.
_SERVICE_SCAN = re.compile(
    r'''(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|'''
    r'''"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>|\#[^\n]*)'''
    r'''|(?P<service>(?<![\w:?$])SERVICE(?![\w:]))''',
    re.IGNORECASE | re.DOTALL)


def uses_service(query: str) -> bool:
    """True when the query text has a SERVICE clause (outside strings, IRIs and comments)."""
    return any(m.group("service") for m in _SERVICE_SCAN.finditer(query))


@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    asked_formats: tuple[str, ...]   # format=, output=, results= (in that order)

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def _refuse_update(params: MultiDict) -> None:
    if "update" in params:
        raise Forbidden(READ_ONLY)


def _utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(f"the {what} is not valid UTF-8 ({err}); send it encoded as UTF-8") \
            from None


def _check_charset() -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"charset {charset!r} is not supported: the SPARQL 1.1 Protocol requires UTF-8")


def parse_query_request() -> QueryRequest | None:
    """The query and dataset of the request; None when it carries no query (GET /sparql)."""
    args = request.args
    _refuse_update(args)
    if request.method in ("GET", "HEAD"):
        params: MultiDict = args
        queries = args.getlist("query")
        if not queries:
            return None
    else:
        mimetype = request.mimetype
        if mimetype == UPDATE:
            raise Forbidden(READ_ONLY)
        if mimetype == FORM:
            _check_charset()
            body = _utf8(request.get_data(cache=True), "form body")
            try:
                form = MultiDict(parse_qsl(body, keep_blank_values=True, encoding="utf-8",
                                           errors="strict"))
            except UnicodeDecodeError as err:
                raise BadRequest(f"a percent-encoded value is not valid UTF-8 ({err})") from None
            _refuse_update(form)
            params = MultiDict([*args.items(multi=True), *form.items(multi=True)])
            queries = params.getlist("query")
        elif mimetype == DIRECT:
            _check_charset()
            if "query" in args:
                raise BadRequest("a query was sent both in the body and as ?query=; send one")
            params = args
            queries = [_utf8(request.get_data(cache=True), "query")]
        elif not mimetype:
            raise UnsupportedMediaType(
                f"a POST needs a Content-Type: {FORM} (with query=...) or {DIRECT}")
        else:
            raise UnsupportedMediaType(
                f"Content-Type {mimetype} is not supported for queries; use {FORM} "
                f"(with query=...) or {DIRECT}")
        if not queries:
            raise BadRequest("no query: send query=... (form) or the query text "
                             f"({DIRECT})")
    if len(queries) > 1:
        raise BadRequest(f"{len(queries)} query parameters were sent; the protocol allows one")
    query = queries[0]
    limit = settings().max_query_length
    if len(query) > limit:
        raise BadRequest(f"the query is {len(query)} characters long; the limit is {limit}")
    if not query.strip():
        raise BadRequest("the query is empty")
    for name in ("default-graph-uri", "named-graph-uri"):
        for value in params.getlist(name):
            try:
                ox.NamedNode(value)
            except ValueError:
                raise BadRequest(f"{name}={value!r} is not an absolute IRI") from None
    return QueryRequest(query=query,
                        default_graphs=tuple(params.getlist("default-graph-uri")),
                        named_graphs=tuple(params.getlist("named-graph-uri")),
                        asked_formats=tuple(v for name in FORMAT_PARAMETERS for v in params.getlist(name)))


#: The parameters that name a return format: ``format`` (ours, Virtuoso's), ``output`` (Jena
#: Fuseki's), ``results``; SPARQLWrapper sends all three.
FORMAT_PARAMETERS = ("format", "output", "results")


def choose_format(asked: tuple[str, ...], offers: tuple[Format, ...], default: Format) -> Format:
    """The first of ``asked`` that names one of the offers, else ``Accept``
    (``negotiation.choose_requested``)."""
    return negotiation.choose_requested(asked, request.headers.get("Accept"), offers, default=default)


def _check_service(query: str) -> None:
    if uses_service(query):
        raise Forbidden("SERVICE (federated query) is not allowed: this endpoint makes no "
                        "outbound requests. Query the other endpoint yourself and join locally.")


def _offer(asked: tuple[str, ...], offers: tuple[Format, ...], default: Format
           ) -> tuple[Format | None, negotiation.NotAcceptable | None]:
    """The format chosen among ``offers``, or why none fits (raised once the query's form is
    known: an ASK needs a results format, a CONSTRUCT an RDF one)."""
    try:
        return choose_format(asked, offers, default), None
    except negotiation.NotAcceptable as err:
        return None, err


def _syntax_error_format(rdf_fmt: Format | None) -> Format | None:
    """A query that does not parse has no form: its message is in plain text (None: the error
    handler negotiates it) when the client takes that as well as the graph format that its
    ``Accept`` chose (``text/plain`` names N-Triples too), else an empty graph in that format."""
    if rdf_fmt is None:
        return None
    with contextlib.suppress(negotiation.NotAcceptable):
        if negotiation.negotiate(request.headers.get("Accept"), (formats.TEXT, rdf_fmt)) is formats.TEXT:
            return None
    return rdf_fmt


def executor() -> QueryExecutor:
    return current_app.extensions[EXECUTOR]


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])
def endpoint() -> Response:
    started = time.monotonic()
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ", ".join(ALLOWED_METHODS)})
    if request.method not in ALLOWED_METHODS:
        raise MethodNotAllowed(valid_methods=ALLOWED_METHODS,
                               description=f"{request.method} is not allowed on /sparql. "
                               + READ_ONLY)
    qr = parse_query_request()
    if qr is None:
        return service_description()
    _check_service(qr.query)
    rel = release()
    s = settings()
    results_fmt, results_refusal = _offer(qr.asked_formats, RESULTS_FORMATS, RESULTS_JSON)
    rdf_fmt, rdf_refusal = _offer(qr.asked_formats, RDF_FORMATS, TURTLE)
    job = QueryJob(release=str(rel.path), query=qr.query, prefixes=rel.prefixes,
                   base_iri=rel.uris.sparql, default_graphs=qr.default_graphs,
                   named_graphs=qr.named_graphs,
                   results_format=results_fmt.name if results_fmt else None,
                   rdf_format=rdf_fmt.name if rdf_fmt else None,
                   max_rows=s.max_result_rows)
    g.response_format = results_fmt or rdf_fmt
    try:
        outcome = executor().run(rel.store, job, s.query_timeout - (time.monotonic() - started),
                                 limit=s.query_timeout)
    except QueryProcessFailed as err:
        raise ServiceUnavailable(f"{err}. Try again; if it happens again, narrow the query "
                                 "(add LIMIT, more specific patterns).") from None
    if outcome.status == "syntax":
        g.response_format = results_fmt or _syntax_error_format(rdf_fmt)
        raise BadRequest(outcome.message)
    if outcome.status == "not_acceptable":
        refusal = rdf_refusal if outcome.kind == "triples" else results_refusal
        assert refusal is not None
        raise refusal
    if outcome.status != "ok":
        raise InternalServerError(outcome.message)
    fmt = rdf_fmt if outcome.kind == "triples" else results_fmt
    assert fmt is not None and fmt.name == outcome.format
    g.response_format = fmt
    response = Response(outcome.body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    if outcome.truncated:
        response.headers["EMIS-Result-Truncated"] = f"rows={job.max_rows}"
    return response


# ---------------------------------------------------------------------- service description

# (message key of the title, query): the plain form's examples (the query UI's are docs/queries)
EXAMPLES = (
    ("example_schools_per_region",
     "SELECT ?region ?name (COUNT(?school) AS ?schools) WHERE {\n"
     "  ?school a emis:School ; emis:region ?region .\n"
     "  ?region schema:name ?name . FILTER(lang(?name) = \"en\")\n"
     "} GROUP BY ?region ?name ORDER BY DESC(?schools)"),
    ("example_largest_schools",
     "SELECT ?school ?name ?pupils WHERE {\n"
     "  ?school a emis:School ; schema:name ?name ; emis:pupils ?pupils .\n"
     "  FILTER(lang(?name) = \"ru\")\n"
     "} ORDER BY DESC(?pupils) LIMIT 10"),
    ("example_grade_5",
     "SELECT ?school ?girls ?boys WHERE {\n"
     "  ?e a emis:Enrolment ; emis:school ?school ; emis:grade 5 ;\n"
     "     emis:girls ?girls ; emis:boys ?boys .\n"
     "} LIMIT 100"),
    ("example_named_graphs",
     "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"),
)


def description_triples(rel: Release) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of this endpoint, as triples."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def sd(local: str) -> ox.NamedNode:
        return ox.NamedNode(SD[local])

    def sh(local: str) -> ox.NamedNode:
        return ox.NamedNode(SH[local])

    void_triples = ox.NamedNode("http://rdfs.org/ns/void#triples")
    title = ox.NamedNode("http://purl.org/dc/terms/title")
    # The default dataset is the VoID dataset itself, so a client can follow it to the description.
    service, dataset, default = ox.BlankNode("service"), ox.NamedNode(rel.uris.dataset), \
        ox.BlankNode("default")
    t = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(rel.uris.sparql)),
        ox.Triple(service, title, ox.Literal("EMIS open data SPARQL endpoint", language="en")),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, rdf_type, sd("Graph")),
    ]
    for fmt in (*RESULTS_FORMATS, *RDF_FORMATS):
        if fmt.iri:
            t.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(fmt.iri)))
    if isinstance(rel.manifest.get("triples"), int):
        t.append(ox.Triple(default, void_triples, ox.Literal(
            str(rel.manifest["triples"]),
            datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))))
    for i, graph in enumerate(sorted(rel.store.named_graphs(), key=str)):
        if not isinstance(graph, ox.NamedNode):
            continue
        node = ox.BlankNode(f"graph{i}")
        t += [ox.Triple(dataset, sd("namedGraph"), node),
              ox.Triple(node, rdf_type, sd("NamedGraph")),
              ox.Triple(node, sd("name"), graph)]
    for prefix, namespace in sorted(rel.prefixes.items()):
        node = ox.BlankNode(f"prefix-{prefix}")
        t += [ox.Triple(service, sh("declare"), node),
              ox.Triple(node, sh("prefix"), ox.Literal(prefix)),
              ox.Triple(node, sh("namespace"), ox.Literal(
                  namespace, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#anyURI")))]
    return t


def service_description() -> Response:
    rel = release()
    asked = tuple(v for name in FORMAT_PARAMETERS for v in request.args.getlist(name))
    fmt = choose_format(asked, (*RDF_FORMATS, HTML), TURTLE)
    g.response_format = fmt
    body: str | bytes
    if fmt is HTML:
        lang = choose_language()
        body = render_template(
            "sparql.html", rel=rel, lang=lang, languages=languages(rel),
            examples=EXAMPLES, prefixes=sorted(rel.prefixes.items()),
            results_formats=RESULTS_FORMATS, rdf_formats=RDF_FORMATS,
            query=request.args.get("example") or EXAMPLES[0][1], settings=settings())
    else:
        triples = description_triples(rel)
        if fmt is formats.JSONLD:
            body = jsonld.dumps_jsonld(jsonld.compact_jsonld(
                triples, root=None, context=jsonld.jsonld_context(rel.uris.base),
                context_url=rel.uris.context))
        else:
            body = formats.serialize_graph(triples, fmt, prefixes=rel.prefixes)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response
