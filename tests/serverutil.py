"""Test helpers: write a release without the build pipeline, and run the real server.

- :func:`make_release` writes a complete, published release (``releases.staging_dir`` ->
  bulk load into named graphs -> ``manifest.json`` -> ``finish_release`` -> ``publish``).
- :func:`running_server` starts the real ``emis-lod serve`` command (gunicorn, 2 workers) on a
  loopback port, waits until it answers, yields its base URL (with a trailing slash) and stops it.
- :func:`sample_data` is a small data set in the platform's model (schools, enrolment,
  districts, regions, code lists and a bit of ontology) for a given base URI.

The base URI baked into a release must be the address the server answers on, so pick the port
first: ``port = free_port(); make_release(store, sample_data(base), base)`` with
``base = f"http://127.0.0.1:{port}/"``, then ``running_server(store, port=port)``.
"""

from __future__ import annotations

import contextlib
import os
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
from emis_lod.loaders import releases

from emis_lod import __version__

# subject IRI pattern (after the base) -> named graph (after {base}graph/)
GRAPH_BY_PATH = (
    ("id/school/", "schools"),
    ("id/enrolment/", "schools"),
    ("id/district/", "districts"),
    ("id/region/", "regions"),
    ("def/", "ontology"),
)


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


def _graph_for(subject: object, base: str) -> str:
    if isinstance(subject, ox.NamedNode) and subject.value.startswith(base):
        path = subject.value[len(base):]
        for prefix, graph in GRAPH_BY_PATH:
            if path.startswith(prefix):
                return f"{base}graph/{graph}"
    return f"{base}graph/misc"


def make_release(store_dir: Path, data: str | Mapping[str, str], base_uri: str) -> Path:
    """Write and publish a release of ``data``; return its directory.

    ``data`` is RDF text (Turtle, N-Triples, TriG, N-Quads), whose default-graph triples go to a
    named graph chosen by subject (schools and their enrolment -> ``{base}graph/schools``,
    districts, regions, ``def/`` -> ``{base}graph/ontology``, the rest ``{base}graph/misc``),
    or a mapping ``{graph IRI: text}`` putting each text's triples in that graph.
    """
    if not base_uri.endswith("/"):
        base_uri += "/"
    store_dir = Path(store_dir)
    quads: list[ox.Quad] = []
    chunks = data.items() if isinstance(data, Mapping) else [(None, data)]
    for graph, text in chunks:
        for q in _parse(text):
            if graph is not None:
                target: ox.NamedNode | ox.BlankNode | ox.DefaultGraph = ox.NamedNode(graph)
            elif isinstance(q.graph_name, ox.DefaultGraph):
                target = ox.NamedNode(_graph_for(q.subject, base_uri))
            else:
                target = q.graph_name
            quads.append(ox.Quad(q.subject, q.predicate, q.object, target))
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


def _command() -> list[str]:
    script = Path(sys.executable).parent / "emis-lod"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "emis_lod.cli"]


@contextlib.contextmanager
def running_server(store_dir: Path, *, port: int | None = None, workers: int = 2,
                   startup_timeout: float = 30.0) -> Iterator[str]:
    """Run ``emis-lod serve --store DIR --host 127.0.0.1 --port P`` until the block ends.

    Yields ``http://127.0.0.1:P/``. The server's output goes to a log file, shown in the error
    when the server fails to start.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tempfile.NamedTemporaryFile(prefix="emis-lod-serve-", suffix=".log", delete=False)
    cmd = [*_command(), "serve", "--store", str(store_dir), "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)

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


SAMPLE = """\
@prefix emis:   <{base}def/emis#> .
@prefix schema: <https://schema.org/> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl:    <http://www.w3.org/2002/07/owl#> .
@prefix org:    <http://www.w3.org/ns/org#> .
@prefix geo:    <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

# ---- ontology (a small part of ontology/emis.ttl)
<{base}def/emis> a owl:Ontology ;
    dcterms:title "EMIS онтологиясы"@ky, "Онтология EMIS"@ru, "EMIS ontology"@en .
emis:School a owl:Class ; rdfs:subClassOf schema:School, org:FormalOrganization ;
    rdfs:isDefinedBy <{base}def/emis> ;
    rdfs:label "Мектеп"@ky, "Школа"@ru, "School"@en .
emis:District a owl:Class ; rdfs:isDefinedBy <{base}def/emis> ;
    rdfs:label "Район"@ky, "Район"@ru, "District"@en .
emis:Region a owl:Class ; rdfs:isDefinedBy <{base}def/emis> ;
    rdfs:label "Облус"@ky, "Область"@ru, "Region"@en .
emis:Enrolment a owl:Class ; rdfs:isDefinedBy <{base}def/emis> ;
    rdfs:label "Окуучулардын контингенти"@ky, "Контингент учащихся"@ru, "Enrolment"@en .
emis:pupils a owl:DatatypeProperty ; rdfs:domain emis:School ; rdfs:range xsd:nonNegativeInteger ;
    rdfs:isDefinedBy <{base}def/emis> ;
    rdfs:label "окуучулардын саны"@ky, "число учащихся"@ru, "pupils"@en .
emis:district a owl:ObjectProperty ; rdfs:range emis:District ;
    rdfs:isDefinedBy <{base}def/emis> ;
    rdfs:label "району"@ky, "район"@ru, "district"@en .

# ---- code lists
<{base}def/concept/school-type> a skos:ConceptScheme ;
    skos:prefLabel "Мектептердин түрлөрү"@ky, "Типы школ"@ru, "School types"@en ;
    skos:hasTopConcept <{base}def/concept/school-type/gymnasium>,
        <{base}def/concept/school-type/general-secondary> .
<{base}def/concept/school-type/gymnasium> a skos:Concept ;
    skos:inScheme <{base}def/concept/school-type> ;
    skos:topConceptOf <{base}def/concept/school-type> ;
    skos:notation "04" ;
    skos:prefLabel "Гимназия"@ky, "Гимназия"@ru, "Gymnasium"@en .
<{base}def/concept/school-type/general-secondary> a skos:Concept ;
    skos:inScheme <{base}def/concept/school-type> ;
    skos:topConceptOf <{base}def/concept/school-type> ;
    skos:notation "03" ;
    skos:prefLabel "Жалпы орто мектеп"@ky, "Средняя общеобразовательная школа"@ru,
        "General secondary school"@en .
<{base}def/concept/ownership> a skos:ConceptScheme ;
    skos:prefLabel "Менчиктин түрлөрү"@ky, "Формы собственности"@ru, "Forms of ownership"@en .
<{base}def/concept/ownership/state> a skos:Concept ; skos:inScheme <{base}def/concept/ownership> ;
    skos:notation "state" ; skos:prefLabel "Мамлекеттик"@ky, "Государственная"@ru, "State"@en .
<{base}def/concept/locality/urban> a skos:Concept ; skos:inScheme <{base}def/concept/locality> ;
    skos:notation "urban" ; skos:prefLabel "Шаар"@ky, "Городская местность"@ru, "Urban"@en .
<{base}def/concept/locality/rural> a skos:Concept ; skos:inScheme <{base}def/concept/locality> ;
    skos:notation "rural" ; skos:prefLabel "Айыл"@ky, "Сельская местность"@ru, "Rural"@en .
<{base}def/concept/language/ky> a skos:Concept ; skos:inScheme <{base}def/concept/language> ;
    skos:notation "ky" ; skos:prefLabel "Кыргыз тили"@ky, "Кыргызский"@ru, "Kyrgyz"@en .
<{base}def/concept/language/ru> a skos:Concept ; skos:inScheme <{base}def/concept/language> ;
    skos:notation "ru" ; skos:prefLabel "Орус тили"@ky, "Русский"@ru, "Russian"@en .

# ---- administrative units
<{base}id/region/KG-C> a emis:Region ; emis:unitCode "KG-C" ;
    schema:name "Чүй облусу"@ky, "Чуйская область"@ru, "Chüy Region"@en .
<{base}id/region/KG-GB> a emis:Region ; emis:unitCode "KG-GB" ;
    schema:name "Бишкек шаары"@ky, "город Бишкек"@ru, "Bishkek City"@en .
<{base}id/district/KG-C-01> a emis:District ; emis:unitCode "KG-C-01" ;
    emis:region <{base}id/region/KG-C> ;
    schema:name "Аламүдүн району"@ky, "Аламудунский район"@ru, "Alamüdün District"@en .
<{base}id/district/KG-GB-01> a emis:District ; emis:unitCode "KG-GB-01" ;
    emis:region <{base}id/region/KG-GB> ;
    schema:name "Ленин району"@ky, "Ленинский район"@ru, "Leninsky District"@en .

# ---- schools
<{base}id/school/41101001> a emis:School ;
    emis:schoolCode "41101001" ;
    schema:name "Аламүдүн айылындагы №1 орто мектеби"@ky, "Средняя школа №1 села Аламедин"@ru ;
    emis:schoolType <{base}def/concept/school-type/general-secondary> ;
    emis:ownership <{base}def/concept/ownership/state> ;
    emis:localityType <{base}def/concept/locality/rural> ;
    emis:languageOfInstruction <{base}def/concept/language/ky>, <{base}def/concept/language/ru> ;
    emis:district <{base}id/district/KG-C-01> ;
    emis:region <{base}id/region/KG-C> ;
    emis:settlement "Аламүдүн" ;
    schema:address "Аламүдүн а., Ленин к., 12" ;
    geo:lat "42.8921"^^xsd:decimal ; geo:long "74.6280"^^xsd:decimal ;
    emis:yearOpened "1957"^^xsd:gYear ;
    emis:shifts "2"^^xsd:nonNegativeInteger ;
    emis:pupils "57"^^xsd:nonNegativeInteger ;
    emis:pupilsFemale "28"^^xsd:nonNegativeInteger ;
    emis:pupilsMale "29"^^xsd:nonNegativeInteger ;
    emis:enrolment <{base}id/enrolment/41101001-2025-g1>, <{base}id/enrolment/41101001-2025-g5> .
<{base}id/enrolment/41101001-2025-g1> a emis:Enrolment ;
    emis:school <{base}id/school/41101001> ; emis:grade "1"^^xsd:nonNegativeInteger ;
    emis:schoolYear "2025-2026" ;
    emis:boys "14"^^xsd:nonNegativeInteger ; emis:girls "16"^^xsd:nonNegativeInteger .
<{base}id/enrolment/41101001-2025-g5> a emis:Enrolment ;
    emis:school <{base}id/school/41101001> ; emis:grade "5"^^xsd:nonNegativeInteger ;
    emis:schoolYear "2025-2026" ;
    emis:boys "15"^^xsd:nonNegativeInteger ; emis:girls "12"^^xsd:nonNegativeInteger .

<{base}id/school/41101002> a emis:School ;
    emis:schoolCode "41101002" ;
    schema:name "Лебединовка айылындагы гимназия"@ky, "Гимназия села Лебединовка"@ru ;
    emis:schoolType <{base}def/concept/school-type/gymnasium> ;
    emis:ownership <{base}def/concept/ownership/state> ;
    emis:localityType <{base}def/concept/locality/rural> ;
    emis:languageOfInstruction <{base}def/concept/language/ru> ;
    emis:district <{base}id/district/KG-C-01> ;
    emis:region <{base}id/region/KG-C> ;
    emis:pupils "0"^^xsd:nonNegativeInteger .

<{base}id/school/21101001> a emis:School ;
    emis:schoolCode "21101001" ;
    schema:name "Бишкек шаарындагы №5 гимназия"@ky, "Гимназия №5 города Бишкек"@ru ;
    emis:schoolType <{base}def/concept/school-type/gymnasium> ;
    emis:ownership <{base}def/concept/ownership/state> ;
    emis:localityType <{base}def/concept/locality/urban> ;
    emis:district <{base}id/district/KG-GB-01> ;
    emis:region <{base}id/region/KG-GB> ;
    emis:yearOpened "1936"^^xsd:gYear ;
    emis:pupils "1210"^^xsd:nonNegativeInteger .
"""


def sample_data(base: str) -> str:
    """The sample data set (Turtle) for a base URI."""
    return SAMPLE.replace("{base}", base if base.endswith("/") else base + "/")


SCHOOL = "41101001"  # the sample school with enrolment, coordinates and two languages
SCHOOLS = ("21101001", "41101001", "41101002")
