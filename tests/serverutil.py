"""Test helpers: write a release without the build pipeline, and run the real server.

- :func:`make_release` writes a complete, published release (``releases.staging_dir`` ->
  bulk load into named graphs -> ``manifest.json`` -> ``finish_release`` -> ``publish``).
- :func:`running_server` starts the real ``emis-lod serve`` command (gunicorn, 2 workers) on a
  loopback port, waits until it answers, yields its base URL (with a trailing slash) and stops it.
- :func:`sample_data` is a small data set in the platform's model (schools, enrolment,
  districts, regions, code lists and a bit of ontology) for a given base URI, with the four
  domains for one school (:data:`SCHOOL`): finance lines and summaries of two fiscal years,
  textbook provision of two half-years, staff posts and their summary, two buildings with their
  assessments; and the domains' real ontology and code lists (``ontology/``).

The base URI baked into a release must be the address the server answers on, so pick the port
first: ``port = free_port(); make_release(store, sample_data(base), base)`` with
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
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from emis_lod import __version__
from emis_lod.loaders import releases

# subject IRI pattern (after the base) -> named graph (after {base}graph/)
GRAPH_BY_PATH = (
    ("id/school/", "schools"),
    ("id/enrolment/", "schools"),
    ("id/district/", "districts"),
    ("id/region/", "regions"),
    ("id/finance/", "finance"),
    ("id/finance-summary/", "finance"),
    ("id/textbook/", "textbooks"),
    ("id/provision/", "textbook-provision"),
    ("id/provision-summary/", "textbook-provision"),
    ("id/staff/", "staff"),
    ("id/training/", "training"),
    ("id/staff-summary/", "staff-summary"),
    ("id/building/", "buildings"),
    ("id/assessment/", "safety"),
    ("id/release/", "provenance"),
    ("def/", "ontology"),
)


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
    staging = store_dir / releases.RELEASES / f"{releases.STAGING_PREFIX}{release_id}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(release_dir, staging, copy_function=shutil.copy2 if update else os.link,
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
emis:schoolYear a owl:DatatypeProperty ; rdfs:isDefinedBy <{base}def/emis> ;
    rdfs:label "окуу жылы"@ky, "учебный год"@ru, "school year"@en .

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


DOMAINS = """\
@prefix emis:   <{base}def/emis#> .
@prefix schema: <https://schema.org/> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
@prefix school:   <{base}id/school/> .
@prefix line:     <{base}id/finance/> .
@prefix fsum:     <{base}id/finance-summary/> .
@prefix book:     <{base}id/textbook/> .
@prefix prov:     <{base}id/provision/> .
@prefix psum:     <{base}id/provision-summary/> .
@prefix post:     <{base}id/staff/> .
@prefix course:   <{base}id/training/> .
@prefix ssum:     <{base}id/staff-summary/> .
@prefix bldg:     <{base}id/building/> .
@prefix insp:     <{base}id/assessment/> .
@prefix period:   <{base}def/concept/period/> .
@prefix direction: <{base}def/concept/finance-direction/> .
@prefix source:   <{base}def/concept/funding-source/> .
@prefix category: <{base}def/concept/economic-category/> .
@prefix currency: <{base}def/concept/currency/> .
@prefix half:     <{base}def/concept/half-year/> .
@prefix subject:  <{base}def/concept/subject/> .
@prefix condition: <{base}def/concept/textbook-condition/> .
@prefix position: <{base}def/concept/position/> .
@prefix level:    <{base}def/concept/education-level/> .
@prefix qcat:     <{base}def/concept/qualification-category/> .
@prefix material: <{base}def/concept/building-material/> .
@prefix zone:     <{base}def/concept/seismic-zone/> .
@prefix hazard:   <{base}def/concept/hazard/> .
@prefix safety:   <{base}def/concept/safety-class/> .
@prefix language: <{base}def/concept/language/> .

# ---- money: finance lines of 2024 and 2025 and their summaries (as mappings/derived computes
# them: actual amounts, KGS); 2025 is the latest fiscal year, with two periods
school:41101001 emis:financeSummary fsum:41101001-2025-FY,
        fsum:41101001-2025-H1, fsum:41101001-2024-FY .
fsum:41101001-2025-FY a emis:FinanceSummary ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:FY ;
    emis:incomeBudget 1234567.50 ; emis:incomeExtraBudgetary 89000.00 ;
    emis:expenditure 1250000.25 ; emis:plannedExpenditure 1400000.00 ;
    emis:currency currency:KGS .
fsum:41101001-2025-H1 a emis:FinanceSummary ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:H1 ;
    emis:incomeBudget 600000.00 ; emis:incomeExtraBudgetary 40000.00 ;
    emis:expenditure 610000.75 ; emis:plannedExpenditure 700000.00 ;
    emis:currency currency:KGS .
fsum:41101001-2024-FY a emis:FinanceSummary ; emis:school school:41101001 ;
    emis:fiscalYear "2024"^^xsd:gYear ; emis:period period:FY ;
    emis:incomeBudget 1100000.00 ; emis:incomeExtraBudgetary 0.0 ;
    emis:expenditure 1150000.00 ; emis:plannedExpenditure 1200000.00 ;
    emis:currency currency:KGS .
line:41101001-2025-FY-I01 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:FY ; emis:lineCode "I01" ;
    emis:direction direction:income ; emis:fundingSource source:01 ;
    emis:plannedAmount 1200000.00 ; emis:actualAmount 1234567.50 ; emis:currency currency:KGS .
line:41101001-2025-FY-I03 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:FY ; emis:lineCode "I03" ;
    emis:direction direction:income ; emis:fundingSource source:03 ;
    emis:plannedAmount 90000.00 ; emis:actualAmount 89000.00 ; emis:currency currency:KGS .
line:41101001-2025-FY-E2111-01 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:FY ; emis:lineCode "E2111-01" ;
    emis:direction direction:expenditure ; emis:fundingSource source:01 ;
    emis:economicCategory category:2111 ;
    emis:plannedAmount 1000000.00 ; emis:actualAmount 990000.25 ; emis:currency currency:KGS .
line:41101001-2025-FY-E2215-02 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:FY ; emis:lineCode "E2215-02" ;
    emis:direction direction:expenditure ; emis:fundingSource source:02 ;
    emis:economicCategory category:2215 ;
    emis:plannedAmount 400000.00 ; emis:actualAmount 260000.00 ; emis:currency currency:KGS .
line:41101001-2025-H1-I01 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:H1 ; emis:lineCode "I01" ;
    emis:direction direction:income ; emis:fundingSource source:01 ;
    emis:plannedAmount 600000.00 ; emis:actualAmount 600000.00 ; emis:currency currency:KGS .
line:41101001-2025-H1-I03 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:H1 ; emis:lineCode "I03" ;
    emis:direction direction:income ; emis:fundingSource source:03 ;
    emis:plannedAmount 40000.00 ; emis:actualAmount 40000.00 ; emis:currency currency:KGS .
line:41101001-2025-H1-E2111-01 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2025"^^xsd:gYear ; emis:period period:H1 ; emis:lineCode "E2111-01" ;
    emis:direction direction:expenditure ; emis:fundingSource source:01 ;
    emis:economicCategory category:2111 ;
    emis:plannedAmount 700000.00 ; emis:actualAmount 610000.75 ; emis:currency currency:KGS .
line:41101001-2024-FY-I01 a emis:FinanceLine ; emis:school school:41101001 ;
    emis:fiscalYear "2024"^^xsd:gYear ; emis:period period:FY ; emis:lineCode "I01" ;
    emis:direction direction:income ; emis:fundingSource source:01 ;
    emis:plannedAmount 1100000.00 ; emis:actualAmount 1100000.00 ; emis:currency currency:KGS .

# ---- textbooks: the catalogue, provision records and the summaries of two half-years
book:TB-0001 a emis:TextbookEdition ; emis:catalogueNumber "TB-0001" ;
    schema:isbn "978-9967-00-001-5" ; schema:name "Математика. 1-класс" ;
    emis:subject subject:math ; emis:grade 1 ; emis:textLanguage language:ky ;
    schema:author "Бекбоев И.", "Абдиева А." ; schema:publisher "Билим" ;
    schema:datePublished "2021"^^xsd:gYear .
book:TB-0002 a emis:TextbookEdition ; emis:catalogueNumber "TB-0002" ;
    schema:name "Математика. 5-класс" ; emis:subject subject:math ; emis:grade 5 ;
    emis:textLanguage language:ru ; schema:publisher "Билим" .
prov:41101001-2025-2026-h1-g1-TB-0001 a emis:TextbookProvision ;
    emis:school school:41101001 ; emis:textbook book:TB-0001 ;
    emis:schoolYear "2025-2026" ; emis:halfYear half:1 ; emis:grade 1 ;
    emis:copiesAvailable 25 ; emis:copiesNeeded 30 ; emis:condition condition:good ;
    emis:reportDate "2025-09-15"^^xsd:date .
prov:41101001-2025-2026-h1-g5-TB-0002 a emis:TextbookProvision ;
    emis:school school:41101001 ; emis:textbook book:TB-0002 ;
    emis:schoolYear "2025-2026" ; emis:halfYear half:1 ; emis:grade 5 ;
    emis:copiesAvailable 26 ; emis:copiesNeeded 27 ; emis:condition condition:fair .
school:41101001 emis:provisionSummary psum:41101001-2025-2026-h1,
        psum:41101001-2024-2025-h2 .
psum:41101001-2025-2026-h1 a emis:ProvisionSummary ;
    emis:school school:41101001 ; emis:schoolYear "2025-2026" ; emis:halfYear half:1 ;
    emis:copiesAvailable 51 ; emis:copiesNeeded 57 ; emis:needCovered 0.895 .
psum:41101001-2024-2025-h2 a emis:ProvisionSummary ;
    emis:school school:41101001 ; emis:schoolYear "2024-2025" ; emis:halfYear half:2 ;
    emis:copiesAvailable 40 ; emis:copiesNeeded 57 ; emis:needCovered 0.702 .

# ---- staff: two posts under pseudonyms, a training record, and the school's aggregate
post:5d41402abc4b2a76b9719d91 a emis:StaffPost ; emis:school school:41101001 ;
    emis:position position:teacher ; emis:subjectTaught subject:math ;
    emis:educationLevel level:higher-pedagogical ;
    emis:qualificationCategory qcat:highest ;
    emis:experienceYears 21 ; emis:workload 1.25 .
post:7d793037a0760186574b0282 a emis:StaffPost ; emis:school school:41101001 ;
    emis:position position:teacher ; emis:educationLevel level:secondary ;
    emis:experienceYears 2 ; emis:workload 1.0 .
course:5d41402abc4b2a76b9719d91-KAO-2024-017-2024-11-20 a emis:TrainingRecord ;
    emis:staff post:5d41402abc4b2a76b9719d91 ; emis:courseCode "KAO-2024-017" ;
    schema:name "Санариптик сабаттуулук" ; emis:provider "КАО им. И. Арабаева" ;
    emis:hours 72 ; emis:completionDate "2024-11-20"^^xsd:date .
school:41101001 emis:staffSummary ssum:41101001 .
ssum:41101001 a emis:StaffSummary ; emis:school school:41101001 ;
    emis:teachers 12 ; emis:teachersQualified 9 ; emis:teachersHigherPedagogical 7 ;
    emis:teachersPartTimeDiploma 2 ; emis:teachersHighestCategory 1 ;
    emis:teachersTrainedRecently 5 .

# ---- buildings: one safe after a retrofit, one condemned
school:41101001 emis:building bldg:41101001-1, bldg:41101001-2 .
bldg:41101001-1 a emis:Building ; emis:school school:41101001 ;
    emis:yearBuilt "1957"^^xsd:gYear ; emis:material material:brick ; emis:storeys 2 ;
    emis:capacity 320 ; emis:seismicZone zone:9 ; emis:hazard hazard:mudflow ;
    emis:electricity true ; emis:drinkingWater true ; emis:indoorToilets false ;
    emis:centralHeating false ; emis:internet true ; emis:computers 12 ;
    emis:latestAssessment insp:41101001-1-2024-05-14 .
insp:41101001-1-2019-04-02 a emis:SafetyAssessment ; emis:building bldg:41101001-1 ;
    emis:inspectionDate "2019-04-02"^^xsd:date ; emis:seismicAssessment safety:needs-retrofit ;
    emis:inspector "Госстрой КР" .
insp:41101001-1-2024-05-14 a emis:SafetyAssessment ; emis:building bldg:41101001-1 ;
    emis:inspectionDate "2024-05-14"^^xsd:date ; emis:seismicAssessment safety:safe ;
    emis:inspector "Госстрой КР" .
bldg:41101001-2 a emis:Building ; emis:school school:41101001 ;
    emis:yearBuilt "1968"^^xsd:gYear ; emis:material material:adobe ; emis:storeys 1 ;
    emis:capacity 80 ; emis:seismicZone zone:9 ;
    emis:electricity true ; emis:drinkingWater false ; emis:indoorToilets false ;
    emis:centralHeating false ; emis:internet false ; emis:computers 0 ;
    emis:latestAssessment insp:41101001-2-2025-03-03 .
insp:41101001-2-2025-03-03 a emis:SafetyAssessment ; emis:building bldg:41101001-2 ;
    emis:inspectionDate "2025-03-03"^^xsd:date ; emis:seismicAssessment safety:emergency ;
    emis:inspector "Госстрой КР" .

# ---- indicators: SDG 4.c.1 for the school, its district and its region
<{base}id/cube/indicators> a emis:IndicatorDataSet, <http://purl.org/linked-data/cube#DataSet> ;
    <http://purl.org/linked-data/cube#structure> emis:IndicatorStructure ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Көрсөткүчтөр"@ky, "Показатели"@ru, "Indicators"@en .
<{base}id/observation/qualified-teachers_school-41101001_2025-2026>
    a emis:IndicatorObservation, <http://purl.org/linked-data/cube#Observation> ;
    <http://purl.org/linked-data/cube#dataSet> <{base}id/cube/indicators> ;
    emis:indicator <{base}def/concept/indicator/qualified-teachers> ;
    emis:refArea school:41101001 ; emis:refPeriod "2025-2026" ;
    emis:value 0.7500 ; emis:numerator 9.0 ; emis:denominator 12.0 ; emis:schoolsCounted 1 ;
    emis:unit <{base}def/concept/indicator-unit/share> .
<{base}id/observation/qualified-teachers_district-KG-C-01_2025-2026>
    a emis:IndicatorObservation, <http://purl.org/linked-data/cube#Observation> ;
    <http://purl.org/linked-data/cube#dataSet> <{base}id/cube/indicators> ;
    emis:indicator <{base}def/concept/indicator/qualified-teachers> ;
    emis:refArea <{base}id/district/KG-C-01> ; emis:refPeriod "2025-2026" ;
    emis:value 0.8000 ; emis:numerator 16.0 ; emis:denominator 20.0 ; emis:schoolsCounted 2 ;
    emis:unit <{base}def/concept/indicator-unit/share> .
<{base}id/observation/qualified-teachers_region-KG-C_2025-2026>
    a emis:IndicatorObservation, <http://purl.org/linked-data/cube#Observation> ;
    <http://purl.org/linked-data/cube#dataSet> <{base}id/cube/indicators> ;
    emis:indicator <{base}def/concept/indicator/qualified-teachers> ;
    emis:refArea <{base}id/region/KG-C> ; emis:refPeriod "2025-2026" ;
    emis:value 0.8000 ; emis:numerator 16.0 ; emis:denominator 20.0 ; emis:schoolsCounted 2 ;
    emis:unit <{base}def/concept/indicator-unit/share> .
"""

# the domains' ontology and code lists, as the build loads them (relative IRIs against {base}def/)
DOMAIN_VOCABULARY = ("finance.ttl", "textbooks.ttl", "staff.ttl", "buildings.ttl",
                     "concepts/finance.ttl", "concepts/textbooks.ttl", "concepts/staff.ttl",
                     "concepts/buildings.ttl", "concepts/subjects.ttl", "indicators.ttl",
                     "concepts/indicators.ttl")


def domain_vocabulary(base: str) -> str:
    """The domains' ontology terms and code lists, as N-Triples for a base URI."""
    package = resources.files("emis_lod.ontology")
    triples: list[ox.Triple] = []
    for name in DOMAIN_VOCABULARY:
        data = package.joinpath(name).read_bytes()
        triples += [ox.Triple(q.subject, q.predicate, q.object) for q in
                    ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=base + "def/")]
    out = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert out is not None
    return out.decode("utf-8")


def sample_data(base: str) -> str:
    """The sample data set (Turtle) for a base URI."""
    base = base if base.endswith("/") else base + "/"
    return (SAMPLE.replace("{base}", base) + DOMAINS.replace("{base}", base)
            + RELEASE.replace("{base}", base) + domain_vocabulary(base))


# The release describing itself, as a build does in {base}graph/provenance (loaders/provenance.py).
RELEASE = """\
@prefix emis:    <{base}def/emis#> .
@prefix schema:  <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .

<{base}id/release/20260101T000000000000Z> a emis:Release ;
    dcterms:identifier "20260101T000000000000Z" ;
    schema:name "Release 20260101T000000000000Z"@en ;
    dcterms:issued "2026-01-01T00:05:00+00:00"^^xsd:dateTime ;
    prov:wasGeneratedBy <{base}id/release/20260101T000000000000Z#build> .
<{base}id/release/20260101T000000000000Z#build> a prov:Activity ;
    prov:startedAtTime "2026-01-01T00:00:00+00:00"^^xsd:dateTime ;
    prov:endedAtTime "2026-01-01T00:05:00+00:00"^^xsd:dateTime .
"""


SCHOOL = "41101001"  # the sample school with enrolment, coordinates, two languages, the domains
SCHOOLS = ("21101001", "41101001", "41101002")
STAFF_POSTS = ("5d41402abc4b2a76b9719d91", "7d793037a0760186574b0282")  # SCHOOL's, pseudonyms
