"""The DCAT catalogue of a release (https://www.w3.org/TR/vocab-dcat-3/), as DCAT-AP 3.0.1 asks it.

The one place that knows the catalogue's triples. The build loads :func:`triples` into the
release's named graph ``{base}graph/catalog`` (:func:`load`), so that it is in the store for
SPARQL harvesters, in the pushed graphs and in the whole-release dumps; the endpoint
(``endpoint/catalog.py``) serves that graph at ``{base}doc/catalog/emis`` with :func:`file_facts`
added: the size and SHA-256 of every file, read from the manifest. Those cannot be in the store:
the whole-release dumps hold the catalogue graph, and a file cannot state its own checksum.
A release built before the catalogue had a graph is served from the same two functions.

What it describes:

- the catalogue ``{base}id/catalog/emis``, the whole release (the VoID dataset
  ``{base}id/dataset/emis``) and one ``dcat:Dataset`` per domain (``{catalog}#registry``, ...),
  with titles, descriptions and keywords in ky, ru and en;
- each dump as a ``dcat:Distribution`` (download URL, IANA media type, EU file type, licence,
  availability; the CSV tables with their CSVW metadata);
- the SPARQL endpoint and the Linked Data Event Stream as ``dcat:DataService``.

Every value that DCAT-AP ranges over a class is typed with it (a licence is a
``dct:LicenseDocument``, a country a ``dct:Location``, ...), and the values come from the EU
Publications Office authority tables (licence, file type, frequency, language, country, access
right, data theme, planned availability) and IANA media types. DCAT-AP's recommended properties
that are not stated are listed in :data:`NOT_STATED`, each with the reason (the README says the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from emis_lod.uris import Uris

from . import dumps

GRAPH = "catalog"
NAME = "emis"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
DCATAP = "http://data.europa.eu/r5r/"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SPDX = "http://spdx.org/rdf/terms#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
WDRS = "http://www.w3.org/2007/05/powder-s#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
IANA = "https://www.iana.org/assignments/media-types/"
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = EU + "frequency/"
FILE_TYPE = EU + "file-type/"
DATA_THEME = EU + "data-theme"
THEMES = {"EDUC": "Education, culture and sport", "GOVE": "Government and public sector"}
KYRGYZSTAN = (EU + "country/KGZ", "http://www.wikidata.org/entity/Q813")
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
# Kyrgyzstan's extent and centre (WGS84 longitude latitude, to a hundredth of a degree)
KYRGYZSTAN_BBOX = "POLYGON((69.25 39.17,80.29 39.17,80.29 43.27,69.25 43.27,69.25 39.17))"
KYRGYZSTAN_CENTROID = "POINT(74.77 41.2)"
LANGUAGES = ("ky", "ru", "en")
LANGUAGE_CODES = {"ky": EU + "language/KIR", "ru": EU + "language/RUS", "en": EU + "language/ENG"}
PUBLIC = EU + "access-right/PUBLIC"
STABLE = EU + "planned-availability/STABLE"
NATIONAL_AUTHORITY = "http://purl.org/adms/publishertype/NationalAuthority"
ATTRIBUTION = "http://purl.org/adms/licencetype/Attribution"
# the concepts of others' vocabularies the catalogue uses: scheme, notation, labels
EXTERNAL_CONCEPTS: dict[str, tuple[str, str, dict[str, str]]] = {
    f"{DATA_THEME}/EDUC": (DATA_THEME, "EDUC", {
        "ky": "Билим берүү, маданият жана спорт", "ru": "Образование, культура и спорт",
        "en": THEMES["EDUC"]}),
    f"{DATA_THEME}/GOVE": (DATA_THEME, "GOVE", {
        "ky": "Өкмөт жана мамлекеттик сектор", "ru": "Правительство и государственный сектор",
        "en": THEMES["GOVE"]}),
    STABLE: (EU + "planned-availability", "STABLE", {
        "ky": "туруктуу", "ru": "стабильная", "en": "stable"}),
    NATIONAL_AUTHORITY: ("http://purl.org/adms/publishertype/1.0", "NationalAuthority", {
        "ky": "Улуттук бийлик органы", "ru": "Национальный орган власти",
        "en": "National authority"}),
    ATTRIBUTION: ("http://purl.org/adms/licencetype/1.0", "Attribution", {
        "ky": "Авторлукту көрсөтүү менен", "ru": "С указанием авторства", "en": "Attribution"}),
}
EXTERNAL_SCHEMES: dict[str, dict[str, str]] = {
    DATA_THEME: {"ky": "Маалыматтардын темасы", "ru": "Тема данных", "en": "Data theme"},
    EU + "planned-availability": {"ky": "Пландалган жеткиликтүүлүк",
                                  "ru": "Планируемая доступность", "en": "Planned availability"},
    "http://purl.org/adms/publishertype/1.0": {"ky": "Жарыялоочунун түрү", "ru": "Тип издателя",
                                               "en": "Publisher type"},
    "http://purl.org/adms/licencetype/1.0": {"ky": "Лицензиянын түрү", "ru": "Тип лицензии",
                                             "en": "Licence type"},
}
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
LDES_SPECIFICATION = "https://w3id.org/ldes/specification"
CSVW = "http://www.w3.org/ns/csvw"
# the licence and publisher of the dataset unless the manifest says "license" and "publisher"
# (the VoID description, endpoint/void.py, states the same ones)
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
PUBLISHER = "Ministry of Education and Science"
PUBLISHER_NAMES = {"ky": "Билим берүү жана илим министрлиги",
                   "ru": "Министерство образования и науки", "en": PUBLISHER}
# a licence's deed -> its IRI in the EU licence authority table (the deed stays as rdfs:seeAlso)
EU_LICENCES = {
    "https://creativecommons.org/licenses/by/4.0/": EU + "licence/CC_BY_4_0",
    "https://creativecommons.org/licenses/by-sa/4.0/": EU + "licence/CC_BYSA_4_0",
    "https://creativecommons.org/publicdomain/zero/1.0/": EU + "licence/CC0",
}
# file suffix -> (IANA media type, EU file type)
FILE_FORMATS = {".nq.gz": ("application/n-quads", "RDF_N_QUADS"),
                ".trig.gz": ("application/trig", "RDF_TRIG"),
                ".csv": ("text/csv", "CSV")}

# DCAT-AP 3.0.1 recommended properties (shapes_recommended.ttl) that the catalogue does not state:
# (class, property) -> why
NOT_STATED: dict[tuple[str, str], str] = {
    (DCAT + "Catalog", DCTERMS + "issued"):
        "the date the catalogue was first published is not in any release; each release's date "
        "is the catalogue's dct:modified (and the release's dcterms:issued in graph/provenance)",
}

Text = dict[str, str]


@dataclass(frozen=True)
class Domain:
    key: str
    title: Text
    description: Text
    keywords: dict[str, tuple[str, ...]]
    frequency: str                       # an EU frequency authority code
    graphs: tuple[str, ...]              # the named graphs ({base}graph/...) of the domain
    tables: tuple[str, ...]              # CSV dumps (stems) distributed with it
    coverage: tuple[tuple[str, str], ...]  # (emis property, "year" | "school-year" | "date" | "period")
    themes: tuple[str, ...] = ("EDUC",)  # EU data themes


DOMAINS: tuple[Domain, ...] = (
    Domain("registry",
           {"ky": "Мектептердин реестри", "ru": "Реестр школ", "en": "Schools registry"},
           {"ky": "Мектептер, алардын аймактары, райондору, түрлөрү жана класстар жана жыныс "
                  "боюнча окуучулар.",
            "ru": "Школы с областями, районами, типами и учащимися по классам и полу.",
            "en": "Schools with their regions, districts and types, and pupils by grade and sex."},
           {"ky": ("мектептер", "окуучулар", "контингент"), "ru": ("школы", "учащиеся", "контингент"),
            "en": ("schools", "pupils", "enrolment")},
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
           {"ky": ("мектептин каржысы", "бюджет", "чыгашалар"), "ru": ("финансы школ", "бюджет", "расходы"),
            "en": ("school finance", "budget", "expenditure")},
           "ANNUAL_2", ("finance",), ("finance",), (("fiscalYear", "year"),), ("EDUC", "GOVE")),
    Domain("textbooks",
           {"ky": "Окуу китептери менен камсыздоо", "ru": "Обеспеченность учебниками",
            "en": "Textbook provision"},
           {"ky": "Окуу китептеринин каталогу жана мектептердин жарым жылдык камсыздоосу.",
            "ru": "Каталог учебников и обеспеченность школ по полугодиям.",
            "en": "The textbook catalogue and each school's provision, reported twice a year."},
           {"ky": ("окуу китептери", "камсыздоо"), "ru": ("учебники", "обеспеченность учебниками"),
            "en": ("textbooks", "textbook provision")},
           "ANNUAL_2", ("textbooks", "textbook-provision"), ("provision",),
           (("schoolYear", "school-year"),)),
    Domain("staff",
           {"ky": "Педагогдор", "ru": "Педагогические кадры", "en": "Teaching staff"},
           {"ky": "Мектеп боюнча педагогдордун квалификациясы (жеке маалыматсыз).",
            "ru": "Квалификация педагогов по школам (без персональных данных).",
            "en": "Teachers' qualifications per school (no personal data; posts under "
                  "pseudonyms)."},
           {"ky": ("мугалимдер", "квалификация"), "ru": ("учителя", "квалификация"),
            "en": ("teachers", "qualification")},
           "ANNUAL", ("staff", "training", "derived"), ("staff-summaries",),
           (("completionDate", "date"),)),
    Domain("buildings",
           {"ky": "Имараттар жана коопсуздук", "ru": "Здания и безопасность",
            "en": "Buildings and safety"},
           {"ky": "Мектеп имараттары, негизги кызматтар жана сейсмикалык коопсуздукту баалоо.",
            "ru": "Здания школ, базовые услуги и оценка сейсмической безопасности.",
            "en": "School buildings, basic services and seismic safety assessments."},
           {"ky": ("мектеп имараттары", "сейсмикалык коопсуздук"),
            "ru": ("здания школ", "сейсмическая безопасность"),
            "en": ("school buildings", "seismic safety")},
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
           {"ky": ("көрсөткүчтөр", "ТӨМ 4"), "ru": ("показатели", "ЦУР 4"), "en": ("indicators", "SDG 4")},
           "ANNUAL", ("indicators",), ("indicators",), (("refPeriod", "period"),)),
)

CATALOG_TITLE = {"ky": "EMIS ачык маалыматтар каталогу", "ru": "Каталог открытых данных EMIS",
                 "en": "EMIS open data catalogue"}
CATALOG_DESCRIPTION = {
    "ky": "Билим берүү министрлигинин EMIS маалыматтары ачык байланышкан маалыматтар катары: "
          "мектептер, окуучулар, каржылоо, окуу китептери, педагогдор жана имараттардын "
          "коопсуздугу; жүктөлүүчү файлдар, SPARQL жана өзгөрүүлөр агымы.",
    "ru": "Данные EMIS министерства образования как открытые связанные данные: школы, учащиеся, "
          "финансы, учебники, педагоги и безопасность зданий; файлы для загрузки, SPARQL и "
          "поток изменений.",
    "en": "The ministry of education's EMIS data as linked open data: schools, pupils, money, "
          "textbooks, staff and building safety; downloads, SPARQL and a stream of changes."}
WHOLE_TITLE = {"ky": "EMIS: мектептер, окуучулар, каржы, окуу китептери, педагогдор жана имараттардын "
                     "коопсуздугу",
               "ru": "EMIS: школы, учащиеся, финансы, учебники, педагоги и безопасность зданий",
               "en": "EMIS: schools, pupils, money, textbooks, staff and building safety"}
WHOLE_DESCRIPTION = {
    "ky": "Бир релиздин бардык маалыматтары (ар бир домен өз аталган графында), код тизмелери, "
          "EMIS онтологиясы жана ар бир графтын келип чыгышы.",
    "ru": "Все данные одного выпуска (каждый домен в своём именованном графе), справочники, "
          "онтология EMIS и происхождение каждого графа.",
    "en": "All the data of one release (each domain in its own named graph), the code lists, the "
          "EMIS ontology and where every graph came from."}
WHOLE_KEYWORDS = {"ky": ("билим берүү", "мектептер", "Кыргызстан"),
                  "ru": ("образование", "школы", "Кыргызстан"),
                  "en": ("education", "schools", "Kyrgyzstan")}
SPARQL_TITLE = {"ky": "SPARQL 1.1 кирүү чекити", "ru": "Точка доступа SPARQL 1.1",
                "en": "SPARQL 1.1 endpoint"}
SPARQL_DESCRIPTION = {
    "ky": "Релиздин бардык графтарына SPARQL 1.1 суроолору (окуу үчүн гана).",
    "ru": "Запросы SPARQL 1.1 ко всем графам выпуска (только чтение).",
    "en": "SPARQL 1.1 queries over every graph of the release (read-only)."}
LDES_TITLE = {"ky": "Өзгөрүүлөр агымы (LDES)", "ru": "Поток изменений (LDES)",
              "en": "Stream of changes (LDES)"}
LDES_DESCRIPTION = {
    "ky": "Релиздер арасындагы өзгөрүүлөр Linked Data Event Stream катары: көчүрмө толук "
          "дамптарды кайра окубай жаңыланат.",
    "ru": "Изменения между выпусками как Linked Data Event Stream: копия обновляется без "
          "повторного чтения полных дампов.",
    "en": "What changed between releases, as a Linked Data Event Stream: a copy keeps in step "
          "without reading the full dumps again."}
CONTACT_NAME = {"ky": "EMIS ачык маалыматтар", "ru": "Открытые данные EMIS", "en": "EMIS open data"}
# what each kind of file holds: {lang: template}, {title} is the domain's title
FILE_DESCRIPTION = {
    ".nq.gz": {"ky": "Бүт релиз, ар бир аталган граф, gzip менен кысылган N-Quads.",
               "ru": "Весь выпуск, все именованные графы, N-Quads в gzip.",
               "en": "The whole release, every named graph, as gzipped N-Quads."},
    ".trig.gz": {"ky": "Бүт релиз, ар бир аталган граф, gzip менен кысылган TriG.",
                 "ru": "Весь выпуск, все именованные графы, TriG в gzip.",
                 "en": "The whole release, every named graph, as gzipped TriG."},
    ".csv": {"ky": "{title}: CSV таблица жана анын CSVW метамаалыматтары.",
             "ru": "{title}: таблица CSV с метаданными CSVW.",
             "en": "{title}: a CSV table with its CSVW metadata."},
}


def catalog_iri(uris: Uris) -> str:
    return uris.catalog


def domain_iri(uris: Uris, key: str) -> str:
    return f"{uris.catalog}#{key}"


def dataset_iri(uris: Uris) -> str:
    """The whole release: the VoID dataset (endpoint/void.py)."""
    return uris.id("dataset", NAME)


def distribution_iri(uris: Uris, file: str) -> str:
    return f"{uris.catalog}#dump-{file}"


def planned_files() -> list[str]:
    """The dump files every build writes (loaders/dumps.py), known before they are written."""
    files = [dumps.NQUADS_FILE, dumps.TRIG_FILE]
    for query in dumps.table_queries():
        files += [f"{query.stem}.csv", f"{query.stem}.csv-metadata.json"]
    return files


def _bounds(value: str, kind: str) -> tuple[str, str]:
    if kind == "period":          # a fiscal year ("2024") or a school year ("2024-2025")
        kind = "year" if len(value) == 4 else "school-year"
    if kind == "year":
        return f"{value[:4]}-01-01", f"{value[:4]}-12-31"
    if kind == "school-year":     # "2024-2025": 1 September to 31 August
        first = value[:4]
        return f"{first}-09-01", f"{int(first) + 1}-08-31"
    return value[:10], value[:10]


def coverage(store: ox.Store, uris: Uris) -> dict[str, tuple[str, str]]:
    """Domain -> (first, last) date its data covers: school years as 1 September to 31 August,
    fiscal years as calendar years, dates as they are."""
    out: dict[str, tuple[str, str]] = {}
    for d in DOMAINS:
        spans = []
        graphs = " ".join(f"<{uris.graph(name)}>" for name in d.graphs)
        for prop, kind in d.coverage:
            rows = store.query(f"SELECT (MIN(STR(?v)) AS ?lo) (MAX(STR(?v)) AS ?hi) WHERE {{ "
                               f"VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s <{uris.vocab}{prop}> ?v }} }}")
            assert isinstance(rows, ox.QuerySolutions)
            for row in rows:
                lo, hi = row["lo"], row["hi"]
                if lo is not None and hi is not None:
                    spans.append((_bounds(lo.value, kind)[0], _bounds(hi.value, kind)[1]))
        if spans:
            out[d.key] = (min(s[0] for s in spans), max(s[1] for s in spans))
    return out


def licence(deed: str | None) -> str:
    """The licence IRI the catalogue states: the EU authority's where it has one."""
    return EU_LICENCES.get(deed or LICENSE, deed or LICENSE)


def triples(uris: Uris, files: Iterable[str], spans: Mapping[str, tuple[str, str]],
            modified: str | None = None, license: str | None = None,
            publisher: str | None = None) -> list[ox.Triple]:
    """The catalogue (the catalogue node first): ``files`` are the dump files it describes,
    ``spans`` the domains' coverage (:func:`coverage`), ``modified`` the build time; ``license``
    and ``publisher`` override the defaults (the manifest's)."""
    out: list[ox.Triple] = []

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        out.append(ox.Triple(s, n(p), o))

    def a(s: ox.NamedNode | ox.BlankNode, *classes: str) -> None:
        for c in classes:
            add(s, RDF_TYPE, n(c))

    def texts(s: ox.NamedNode, p: str, text: Text) -> None:
        for lang in LANGUAGES:
            add(s, p, ox.Literal(text[lang], language=lang))

    def keywords(s: ox.NamedNode, words: Mapping[str, tuple[str, ...]]) -> None:
        for lang in LANGUAGES:
            for word in words[lang]:
                add(s, DCAT + "keyword", ox.Literal(word, language=lang))

    def typed(value: Any, datatype: str) -> ox.Literal:
        return ox.Literal(str(value), datatype=n(XSD + datatype))

    files = list(files)
    cat = n(catalog_iri(uris))
    whole = n(dataset_iri(uris))
    home = n(uris.base)
    sparql = n(uris.sparql)
    ldes = n(uris.ldes)
    agent = n(f"{uris.catalog}#publisher")
    contact = n(f"{uris.catalog}#contact")
    license_ = n(licence(license))
    a(cat, DCAT + "Catalog")
    texts(cat, DCTERMS + "title", CATALOG_TITLE)
    texts(cat, DCTERMS + "description", CATALOG_DESCRIPTION)
    add(cat, DCTERMS + "publisher", agent)
    add(cat, DCTERMS + "license", license_)
    add(cat, FOAF + "homepage", home)
    add(cat, DCAT + "themeTaxonomy", n(DATA_THEME))
    for lang in LANGUAGES:
        add(cat, DCTERMS + "language", n(LANGUAGE_CODES[lang]))
    add(cat, DCTERMS + "spatial", n(KYRGYZSTAN[0]))
    if modified:
        add(cat, DCTERMS + "modified", typed(modified, "dateTime"))
    add(cat, DCAT + "dataset", whole)
    for d in DOMAINS:
        add(cat, DCAT + "dataset", n(domain_iri(uris, d.key)))
    add(cat, DCAT + "service", sparql)
    add(cat, DCAT + "service", ldes)

    # the things the catalogue points at, typed as DCAT-AP's ranges ask
    a(agent, FOAF + "Organization", FOAF + "Agent")
    if publisher:
        add(agent, FOAF + "name", ox.Literal(publisher, language="en"))
    else:
        for lang in LANGUAGES:
            add(agent, FOAF + "name", ox.Literal(PUBLISHER_NAMES[lang], language=lang))
    add(agent, DCTERMS + "type", n(NATIONAL_AUTHORITY))
    a(contact, VCARD + "Organization", VCARD + "Kind")
    for lang in LANGUAGES:
        add(contact, VCARD + "fn", ox.Literal(CONTACT_NAME[lang], language=lang))
    add(contact, VCARD + "hasURL", home)
    a(license_, DCTERMS + "LicenseDocument")
    add(license_, DCTERMS + "type", n(ATTRIBUTION))
    if license_.value != (license or LICENSE):
        add(license_, RDFS + "seeAlso", n(license or LICENSE))
    a(home, FOAF + "Document")
    themes = sorted({t for d in DOMAINS for t in d.themes})
    for scheme, labels in EXTERNAL_SCHEMES.items():
        a(n(scheme), SKOS + "ConceptScheme")
        texts(n(scheme), DCTERMS + "title", labels)
        texts(n(scheme), SKOS + "prefLabel", labels)
    for iri in EXTERNAL_CONCEPTS:
        # labelled, coded and placed in their scheme as the code lists of our own are
        # (shapes/concepts.ttl), so that the release's every skos:Concept conforms
        scheme, notation, labels = EXTERNAL_CONCEPTS[iri]
        a(n(iri), SKOS + "Concept")
        texts(n(iri), SKOS + "prefLabel", labels)
        add(n(iri), SKOS + "notation", ox.Literal(notation))
        add(n(iri), SKOS + "inScheme", n(scheme))
    for place in KYRGYZSTAN:
        a(n(place), DCTERMS + "Location")
        add(n(place), DCAT + "bbox", ox.Literal(KYRGYZSTAN_BBOX, datatype=n(WKT)))
        add(n(place), DCAT + "centroid", ox.Literal(KYRGYZSTAN_CENTROID, datatype=n(WKT)))
    for lang in LANGUAGES:
        a(n(LANGUAGE_CODES[lang]), DCTERMS + "LinguisticSystem")
    a(n(PUBLIC), DCTERMS + "RightsStatement")
    for standard in (SPARQL_PROTOCOL, LDES_SPECIFICATION, CSVW):
        a(n(standard), DCTERMS + "Standard")
    for frequency in sorted({"ANNUAL_2"} | {d.frequency for d in DOMAINS}):
        a(n(FREQUENCY + frequency), DCTERMS + "Frequency")
    media = {IANA + dumps.GZIP}
    for suffix, (media_type, file_type) in FILE_FORMATS.items():
        if any(f.endswith(suffix) for f in files):
            media.add(IANA + media_type)
            a(n(FILE_TYPE + file_type), DCTERMS + "MediaTypeOrExtent")
    for iri in sorted(media):
        a(n(iri), DCTERMS + "MediaType")

    def service(s: ox.NamedNode, title: Text, description: Text, standard: str) -> None:
        a(s, DCAT + "DataService")
        texts(s, DCTERMS + "title", title)
        texts(s, DCTERMS + "description", description)
        add(s, DCAT + "endpointURL", s)
        add(s, DCAT + "endpointDescription", s)   # both describe themselves at their own URL
        add(s, DCTERMS + "conformsTo", n(standard))
        add(s, DCAT + "servesDataset", whole)
        add(s, DCTERMS + "license", license_)
        add(s, DCTERMS + "accessRights", n(PUBLIC))
        add(s, DCTERMS + "publisher", agent)
        add(s, DCAT + "contactPoint", contact)
        add(s, DCAT + "theme", n(f"{DATA_THEME}/EDUC"))
        keywords(s, WHOLE_KEYWORDS)

    service(sparql, SPARQL_TITLE, SPARQL_DESCRIPTION, SPARQL_PROTOCOL)
    service(ldes, LDES_TITLE, LDES_DESCRIPTION, LDES_SPECIFICATION)

    def dataset(ds: ox.NamedNode, frequency: str, span: tuple[str, str] | None, period: str,
                themes: Sequence[str]) -> None:
        a(ds, DCAT + "Dataset")
        add(ds, DCTERMS + "publisher", agent)
        add(ds, DCTERMS + "license", license_)
        add(ds, DCTERMS + "accrualPeriodicity", n(FREQUENCY + frequency))
        # the term the catalogue first published (DCAT has none of that name): kept for its readers
        add(ds, DCAT + "accrualPeriodicity", n(FREQUENCY + frequency))
        for place in KYRGYZSTAN:
            add(ds, DCTERMS + "spatial", n(place))
        add(ds, DCAT + "contactPoint", contact)
        add(ds, DCTERMS + "accessRights", n(PUBLIC))
        for lang in LANGUAGES:
            add(ds, DCTERMS + "language", n(LANGUAGE_CODES[lang]))
        for theme in themes:
            add(ds, DCAT + "theme", n(f"{DATA_THEME}/{theme}"))
        if span:
            node = ox.BlankNode(f"period-{period}")
            add(ds, DCTERMS + "temporal", node)
            a(node, DCTERMS + "PeriodOfTime")
            add(node, DCAT + "startDate", typed(span[0], "date"))
            add(node, DCAT + "endDate", typed(span[1], "date"))

    def distribution(ds: ox.NamedNode, file: str, title: Text) -> None:
        if file not in files:
            return
        suffix = next(s for s in FILE_FORMATS if file.endswith(s))
        media_type, file_type = FILE_FORMATS[suffix]
        dist = n(distribution_iri(uris, file))
        add(ds, DCAT + "distribution", dist)
        a(dist, DCAT + "Distribution")
        add(dist, DCTERMS + "title", ox.Literal(file))
        for lang in LANGUAGES:
            add(dist, DCTERMS + "description",
                ox.Literal(FILE_DESCRIPTION[suffix][lang].format(title=title[lang]), language=lang))
        add(dist, DCAT + "downloadURL", n(uris.dump(file)))
        add(dist, DCAT + "accessURL", n(uris.dumps))
        add(dist, DCAT + "mediaType", n(IANA + media_type))
        add(dist, DCTERMS + "format", n(FILE_TYPE + file_type))
        add(dist, DCTERMS + "license", license_)
        add(dist, DCATAP + "availability", n(STABLE))
        if file.endswith(".gz"):
            add(dist, DCAT + "compressFormat", n(IANA + dumps.GZIP))
        if file.endswith(".csv") and f"{file}-metadata.json" in files:
            add(dist, WDRS + "describedby", n(uris.dump(f"{file}-metadata.json")))
            add(dist, DCTERMS + "conformsTo", n(CSVW))

    whole_span = (min(s[0] for s in spans.values()), max(s[1] for s in spans.values())) \
        if spans else None
    dataset(whole, "ANNUAL_2", whole_span, "whole", themes)
    texts(whole, DCTERMS + "title", WHOLE_TITLE)
    texts(whole, DCTERMS + "description", WHOLE_DESCRIPTION)
    keywords(whole, WHOLE_KEYWORDS)
    add(whole, DCAT + "landingPage", home)
    for file in (dumps.NQUADS_FILE, dumps.TRIG_FILE):
        distribution(whole, file, WHOLE_TITLE)
    for d in DOMAINS:
        ds = n(domain_iri(uris, d.key))
        add(whole, DCTERMS + "hasPart", ds)
        add(ds, DCTERMS + "isPartOf", whole)
        add(sparql, DCAT + "servesDataset", ds)
        add(ds, DCTERMS + "identifier", ox.Literal(d.key))
        dataset(ds, d.frequency, spans.get(d.key), d.key, d.themes)
        texts(ds, DCTERMS + "title", d.title)
        texts(ds, DCTERMS + "description", d.description)
        keywords(ds, d.keywords)
        for table in d.tables:
            distribution(ds, f"{table}.csv", d.title)
    return out


def file_facts(uris: Uris, listing: Iterable[Mapping[str, Any]],
               catalogue: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Size and SPDX SHA-256 checksum of each file of ``listing`` (the manifest's ``dumps``) that
    is a distribution of ``catalogue``: known only once the files are written, so served with the
    catalogue, not stored in it."""
    distributions = {t.subject for t in catalogue
                     if t.predicate.value == RDF_TYPE and t.object == ox.NamedNode(DCAT + "Distribution")}
    out: list[ox.Triple] = []
    for d in listing:
        file = d["file"]
        dist = ox.NamedNode(distribution_iri(uris, file))
        if dist not in distributions:
            continue
        checksum = ox.BlankNode(f"sha256-{file.replace('.', '-')}")
        out += [ox.Triple(dist, ox.NamedNode(DCAT + "byteSize"),
                          ox.Literal(str(d["bytes"]), datatype=ox.NamedNode(XSD + "nonNegativeInteger"))),
                ox.Triple(dist, ox.NamedNode(SPDX + "checksum"), checksum),
                ox.Triple(checksum, ox.NamedNode(RDF_TYPE), ox.NamedNode(SPDX + "Checksum")),
                ox.Triple(checksum, ox.NamedNode(SPDX + "algorithm"),
                          ox.NamedNode(SPDX + "checksumAlgorithm_sha256")),
                ox.Triple(checksum, ox.NamedNode(SPDX + "checksumValue"),
                          ox.Literal(d["sha256"], datatype=ox.NamedNode(XSD + "hexBinary")))]
    return out


def load(store: ox.Store, uris: Uris, modified: str) -> int:
    """Load the catalogue into ``{base}graph/catalog`` (the build, before the dumps are written,
    so that they hold it); the triples added."""
    described = list(dict.fromkeys(triples(uris, planned_files(), coverage(store, uris), modified)))
    graph = ox.NamedNode(uris.graph(GRAPH))
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in described)
    return len(described)


def stored(store: ox.Store, uris: Uris) -> list[ox.Triple] | None:
    """The catalogue graph of a release's store, or None if the release was built without it."""
    graph = ox.NamedNode(uris.graph(GRAPH))
    found = [ox.Triple(q.subject, q.predicate, q.object)
             for q in store.quads_for_pattern(None, None, None, graph)]
    return found or None
