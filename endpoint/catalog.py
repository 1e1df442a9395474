"""The DCAT catalogue (https://www.w3.org/TR/vocab-dcat-3/) of the served release.

- ``/id/catalog/emis`` (the ``dcat:Catalog``) answers ``303 See Other`` to ``/doc/catalog/emis``,
  which answers HTML, Turtle, JSON-LD, N-Triples or RDF/XML like every other document (suffix,
  ``?format=``, ``Accept``).
- One ``dcat:Dataset`` per domain (registry, money, textbooks, staff, buildings and safety), as
  hash IRIs of the catalogue (``{base}id/catalog/emis#registry``: they dereference to the
  catalogue document, which describes them), with title and description in ky, ru and en,
  licence, publisher, temporal coverage computed from the data (fiscal years, school years,
  inspection and course dates), spatial coverage (Kyrgyzstan), update frequency (EU frequency
  vocabulary) and the domain's CSV table (with its CSVW metadata) as a ``dcat:Distribution``
  with download URL, media type, size and SPDX SHA-256 checksum.
- The whole release (the VoID dataset ``{base}id/dataset/emis``) is a ``dcat:Dataset`` too, with
  the domains as ``dcterms:hasPart`` and the gzipped N-Quads and TriG dumps as distributions.
- The SPARQL endpoint is a ``dcat:DataService`` serving every dataset.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template

from emis_lod import formats
from emis_lod.formats import HTML
from emis_lod.loaders import dumps as dump_files

from . import Release, release, solutions
from .documents import (
    alternates,
    choose_language,
    document_response,
    named_document_format,
    render_rdf,
    see_other,
)
from .void import LICENSE, PUBLISHER, dataset_iri

bp = Blueprint("catalog", __name__)

NAME = "emis"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SPDX = "http://spdx.org/rdf/terms#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
KYRGYZSTAN = ("http://publications.europa.eu/resource/authority/country/KGZ",
              "http://www.wikidata.org/entity/Q813")
IANA = "https://www.iana.org/assignments/media-types/"
LANGUAGES = ("ky", "ru", "en")


@dataclass(frozen=True)
class Domain:
    key: str
    title: dict[str, str]
    description: dict[str, str]
    frequency: str                       # an EU frequency authority code
    graphs: tuple[str, ...]              # the named graphs ({base}graph/...) of the domain
    tables: tuple[str, ...]              # CSV dumps (stems) distributed with it
    coverage: tuple[tuple[str, str], ...]  # (emis property, "year" | "school-year" | "date")


DOMAINS: tuple[Domain, ...] = (
    Domain("registry",
           {"ky": "Мектептердин реестри", "ru": "Реестр школ", "en": "Schools registry"},
           {"ky": "Мектептер, алардын аймактары, райондору, түрлөрү жана класстар жана жыныс "
                  "боюнча окуучулар.",
            "ru": "Школы с областями, районами, типами и учащимися по классам и полу.",
            "en": "Schools with their regions, districts and types, and pupils by grade and sex."},
           "ANNUAL", ("schools", "regions", "districts"), ("schools",),
           (("schoolYear", "school-year"),)),
    Domain("money",
           {"ky": "Мектептердин каржылоосу", "ru": "Финансы школ", "en": "School finance"},
           {"ky": "Булак жана экономикалык категория боюнча пландалган жана иш жүзүндөгү "
                  "кирешелер жана чыгашалар (KGS).",
            "ru": "Плановые и фактические доходы и расходы школ по источникам и экономическим "
                  "категориям (KGS).",
            "en": "Planned and actual income and expenditure of schools by source and economic "
                  "category (KGS)."},
           "ANNUAL_2", ("finance",), ("finance",), (("fiscalYear", "year"),)),
    Domain("textbooks",
           {"ky": "Окуу китептери менен камсыздоо", "ru": "Обеспеченность учебниками",
            "en": "Textbook provision"},
           {"ky": "Окуу китептеринин каталогу жана мектептердин жарым жылдык камсыздоосу.",
            "ru": "Каталог учебников и обеспеченность школ по полугодиям.",
            "en": "The textbook catalogue and each school's provision, reported twice a year."},
           "ANNUAL_2", ("textbooks", "textbook-provision"), ("provision",),
           (("schoolYear", "school-year"),)),
    Domain("staff",
           {"ky": "Педагогдор", "ru": "Педагогические кадры", "en": "Teaching staff"},
           {"ky": "Мектеп боюнча педагогдордун квалификациясы (жеке маалыматсыз).",
            "ru": "Квалификация педагогов по школам (без персональных данных).",
            "en": "Teachers' qualifications per school (no personal data; posts under "
                  "pseudonyms)."},
           "ANNUAL", ("staff", "training", "derived"), ("staff-summaries",),
           (("completionDate", "date"),)),
    Domain("buildings",
           {"ky": "Имараттар жана коопсуздук", "ru": "Здания и безопасность",
            "en": "Buildings and safety"},
           {"ky": "Мектеп имараттары, негизги кызматтар жана сейсмикалык коопсуздукту баалоо.",
            "ru": "Здания школ, базовые услуги и оценка сейсмической безопасности.",
            "en": "School buildings, basic services and seismic safety assessments."},
           "ANNUAL", ("buildings", "safety"), ("buildings",), (("inspectionDate", "date"),)),
    Domain("indicators",
           {"ky": "Мониторинг көрсөткүчтөрү", "ru": "Показатели мониторинга",
            "en": "Monitoring indicators"},
           {"ky": "Мектеп, район жана облус боюнча көрсөткүчтөр (RDF Data Cube): квалификациялуу "
                  "мугалимдер, окуу китептери, бир окуучуга чыгым, негизги кызматтар, коопсуздук.",
            "ru": "Показатели по школам, районам и областям (RDF Data Cube): квалифицированные "
                  "учителя, учебники, расходы на учащегося, базовые услуги, безопасность.",
            "en": "Indicators per school, district and region (RDF Data Cube): qualified teachers, "
                  "textbooks, spending per pupil, basic services, building safety."},
           "ANNUAL", ("indicators",), ("indicators",), (("refPeriod", "period"),)),
)

_coverage: dict[str, dict[str, tuple[str, str]]] = {}
_lock = threading.Lock()


def catalog_iri(rel: Release) -> str:
    return rel.uris.catalog


def doc_url(rel: Release) -> str:
    return rel.uris.doc("catalog", NAME)


def domain_iri(rel: Release, key: str) -> str:
    return f"{catalog_iri(rel)}#{key}"


def _bounds(value: str, kind: str) -> tuple[str, str]:
    if kind == "year":
        return f"{value[:4]}-01-01", f"{value[:4]}-12-31"
    if kind == "period":          # a fiscal year ("2024") or a school year ("2024-2025")
        kind = "year" if len(value) == 4 else "school-year"
    if kind == "school-year":     # "2024-2025": 1 September to 31 August
        first = value[:4]
        return f"{first}-09-01", f"{int(first) + 1}-08-31"
    return value[:10], value[:10]


def coverage(rel: Release) -> dict[str, tuple[str, str]]:
    """Domain -> (first, last) date covered by its data; computed once per release and process."""
    key = str(rel.path)
    with _lock:
        if key not in _coverage:
            out: dict[str, tuple[str, str]] = {}
            for d in DOMAINS:
                spans = []
                graphs = " ".join(f"<{rel.uris.graph(name)}>" for name in d.graphs)
                for prop, kind in d.coverage:
                    rows = list(solutions(
                        rel.store,
                        f"SELECT (MIN(STR(?v)) AS ?lo) (MAX(STR(?v)) AS ?hi) WHERE {{ "
                        f"VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s <{rel.uris.vocab}{prop}> ?v }} }}"))
                    if rows and rows[0]["lo"] is not None:
                        spans.append((_bounds(rows[0]["lo"].value, kind)[0],
                                      _bounds(rows[0]["hi"].value, kind)[1]))
                if spans:
                    out[d.key] = (min(s[0] for s in spans), max(s[1] for s in spans))
            _coverage.clear()
            _coverage[key] = out
        return _coverage[key]


def description(rel: Release) -> list[ox.Triple]:
    """The catalogue as triples (the catalogue node first)."""
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def typed(value: Any, datatype: str) -> ox.Literal:
        return ox.Literal(str(value), datatype=n(XSD + datatype))

    manifest = rel.manifest
    cat = n(catalog_iri(rel))
    whole = n(dataset_iri(rel))
    service = n(rel.uris.sparql)
    publisher = n(f"{catalog_iri(rel)}#publisher")
    license_ = n(manifest.get("license") or LICENSE)
    dumps = {d["file"]: d for d in manifest.get("dumps", [])}
    t = [ox.Triple(cat, n(RDF_TYPE), n(DCAT + "Catalog"))]
    for lang, title in (("en", "EMIS open data catalogue"), ("ru", "Каталог открытых данных EMIS"),
                        ("ky", "EMIS ачык маалыматтар каталогу")):
        t.append(ox.Triple(cat, n(DCTERMS + "title"), ox.Literal(title, language=lang)))
    t += [ox.Triple(cat, n(DCTERMS + "publisher"), publisher),
          ox.Triple(cat, n(DCTERMS + "license"), license_),
          ox.Triple(cat, n(FOAF + "homepage"), n(rel.uris.base)),
          ox.Triple(cat, n(DCAT + "dataset"), whole),
          ox.Triple(cat, n(DCAT + "service"), service),
          ox.Triple(publisher, n(RDF_TYPE), n(FOAF + "Organization")),
          ox.Triple(publisher, n(FOAF + "name"),
                    ox.Literal(manifest.get("publisher") or PUBLISHER, language="en"))]
    if manifest.get("built_at"):
        t.append(ox.Triple(cat, n(DCTERMS + "modified"), typed(manifest["built_at"], "dateTime")))
    t += [ox.Triple(service, n(RDF_TYPE), n(DCAT + "DataService")),
          ox.Triple(service, n(DCTERMS + "title"), ox.Literal("SPARQL 1.1 endpoint", language="en")),
          ox.Triple(service, n(DCAT + "endpointURL"), service),
          ox.Triple(service, n(DCTERMS + "conformsTo"), n("https://www.w3.org/TR/sparql11-protocol/")),
          ox.Triple(service, n(DCAT + "servesDataset"), whole),
          ox.Triple(service, n(DCTERMS + "license"), license_)]

    def common(ds: ox.NamedNode, frequency: str) -> None:
        t.extend([ox.Triple(ds, n(RDF_TYPE), n(DCAT + "Dataset")),
                  ox.Triple(ds, n(DCTERMS + "publisher"), publisher),
                  ox.Triple(ds, n(DCTERMS + "license"), license_),
                  ox.Triple(ds, n(DCAT + "accrualPeriodicity"), n(FREQUENCY + frequency))])
        t.extend(ox.Triple(ds, n(DCTERMS + "spatial"), n(place)) for place in KYRGYZSTAN)

    def distribution(ds: ox.NamedNode, file: str) -> None:
        d = dumps.get(file)
        if d is None:
            return
        dist = n(f"{catalog_iri(rel)}#dump-{file}")
        url = n(rel.uris.dump(file))
        checksum = ox.BlankNode(f"sha256-{file.replace('.', '-')}")
        inner = dump_files.inner_media_type(file)
        t.extend([ox.Triple(ds, n(DCAT + "distribution"), dist),
                  ox.Triple(dist, n(RDF_TYPE), n(DCAT + "Distribution")),
                  ox.Triple(dist, n(DCTERMS + "title"), ox.Literal(file)),
                  ox.Triple(dist, n(DCAT + "downloadURL"), url),
                  ox.Triple(dist, n(DCAT + "accessURL"), n(rel.uris.dumps)),
                  ox.Triple(dist, n(DCAT + "mediaType"), n(IANA + (inner or d["media_type"].split(";")[0]))),
                  ox.Triple(dist, n(DCAT + "byteSize"), typed(d["bytes"], "nonNegativeInteger")),
                  ox.Triple(dist, n(DCTERMS + "license"), license_),
                  ox.Triple(dist, n(SPDX + "checksum"), checksum),
                  ox.Triple(checksum, n(RDF_TYPE), n(SPDX + "Checksum")),
                  ox.Triple(checksum, n(SPDX + "algorithm"), n(SPDX + "checksumAlgorithm_sha256")),
                  ox.Triple(checksum, n(SPDX + "checksumValue"), typed(d["sha256"], "hexBinary"))])
        if inner:
            t.append(ox.Triple(dist, n(DCAT + "compressFormat"), n(IANA + dump_files.GZIP)))
        if file.endswith(".csv") and f"{file}-metadata.json" in dumps:
            t.append(ox.Triple(dist, n("http://www.w3.org/2007/05/powder-s#describedby"),
                               n(rel.uris.dump(f"{file}-metadata.json"))))
            t.append(ox.Triple(dist, n(DCTERMS + "conformsTo"), n("http://www.w3.org/ns/csvw")))

    common(whole, "ANNUAL_2")
    t += [ox.Triple(whole, n(DCTERMS + "title"), ox.Literal(
              "EMIS: schools, pupils, money, textbooks, staff and building safety", language="en")),
          ox.Triple(whole, n(DCAT + "landingPage"), n(rel.uris.base))]
    for file in (dump_files.NQUADS_FILE, dump_files.TRIG_FILE):
        distribution(whole, file)
    spans = coverage(rel)
    for d in DOMAINS:
        ds = n(domain_iri(rel, d.key))
        t += [ox.Triple(cat, n(DCAT + "dataset"), ds), ox.Triple(whole, n(DCTERMS + "hasPart"), ds),
              ox.Triple(ds, n(DCTERMS + "isPartOf"), whole),
              ox.Triple(service, n(DCAT + "servesDataset"), ds),
              ox.Triple(ds, n(DCTERMS + "identifier"), ox.Literal(d.key))]
        common(ds, d.frequency)
        for lang in LANGUAGES:
            t += [ox.Triple(ds, n(DCTERMS + "title"), ox.Literal(d.title[lang], language=lang)),
                  ox.Triple(ds, n(DCTERMS + "description"),
                            ox.Literal(d.description[lang], language=lang))]
        if d.key in spans:
            period = ox.BlankNode(f"period-{d.key}")
            t += [ox.Triple(ds, n(DCTERMS + "temporal"), period),
                  ox.Triple(period, n(RDF_TYPE), n(DCTERMS + "PeriodOfTime")),
                  ox.Triple(period, n(DCAT + "startDate"), typed(spans[d.key][0], "date")),
                  ox.Triple(period, n(DCAT + "endDate"), typed(spans[d.key][1], "date"))]
        for table in d.tables:
            distribution(ds, f"{table}.csv")
    return t


def _see_other(rel: Release) -> Response:
    return see_other(doc_url(rel))


@bp.route(f"/id/catalog/{NAME}")
def catalog() -> Response:
    return _see_other(release())


@bp.route("/doc/catalog/<name>")
def document(name: str) -> Response:
    rel = release()
    fmt, suffix_format = named_document_format(name, NAME,
                                               f"the only catalogue here is {catalog_iri(rel)}")
    triples = description(rel)
    if fmt is HTML:
        lang = choose_language()
        body: Any = render_template(
            "catalog.html", rel=rel, lang=lang, catalog=catalog_iri(rel), doc_url=doc_url(rel),
            domains=[(d, domain_iri(rel, d.key), coverage(rel).get(d.key)) for d in DOMAINS],
            dumps={d["file"]: d for d in rel.manifest.get("dumps", [])}, frequency=FREQUENCY,
            whole=dataset_iri(rel), nquads=dump_files.NQUADS_FILE, trig=dump_files.TRIG_FILE,
            alternates=alternates(doc_url(rel)))
    else:
        body = render_rdf(triples, fmt, root=catalog_iri(rel), prefixes={
            **rel.prefixes, "dcat": DCAT, "dcterms": DCTERMS, "spdx": SPDX, "foaf": FOAF},
            context=formats.jsonld_context(rel.uris.base), context_url=rel.uris.context)
    return document_response(body, fmt, rel, doc_url(rel), catalog_iri(rel), suffix_format)
