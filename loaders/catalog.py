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
  with titles, descriptions and keywords in the profile's languages (the national facts, the
  domains and their texts are the profile's: emis_lod/profiles; the platform's own words are
  the message tables': emis_lod/messages);
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

from emis_lod.messages import message
from emis_lod.profiles import Profile, default
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
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
PUBLIC = EU + "access-right/PUBLIC"
STABLE = EU + "planned-availability/STABLE"
NATIONAL_AUTHORITY = "http://purl.org/adms/publishertype/NationalAuthority"
ATTRIBUTION = "http://purl.org/adms/licencetype/Attribution"
# the concepts of others' vocabularies the catalogue uses: scheme, notation, the message of
# their labels (emis_lod/messages/{lang}/catalogue.yaml)
EXTERNAL_CONCEPTS: dict[str, tuple[str, str, str]] = {
    f"{DATA_THEME}/EDUC": (DATA_THEME, "EDUC", "catalogue.theme_educ"),
    f"{DATA_THEME}/GOVE": (DATA_THEME, "GOVE", "catalogue.theme_gove"),
    STABLE: (EU + "planned-availability", "STABLE", "catalogue.availability_stable"),
    NATIONAL_AUTHORITY: ("http://purl.org/adms/publishertype/1.0", "NationalAuthority",
                         "catalogue.publisher_national_authority"),
    ATTRIBUTION: ("http://purl.org/adms/licencetype/1.0", "Attribution", "catalogue.licence_attribution"),
}
EXTERNAL_SCHEMES: dict[str, str] = {
    DATA_THEME: "catalogue.scheme_data_theme",
    EU + "planned-availability": "catalogue.scheme_planned_availability",
    "http://purl.org/adms/publishertype/1.0": "catalogue.scheme_publisher_type",
    "http://purl.org/adms/licencetype/1.0": "catalogue.scheme_licence_type",
}
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
LDES_SPECIFICATION = "https://w3id.org/ldes/specification"
CSVW = "http://www.w3.org/ns/csvw"
# a licence's deed -> its IRI in the EU licence authority table (the deed stays as rdfs:seeAlso)
EU_LICENCES = {
    "https://creativecommons.org/licenses/by/4.0/": EU + "licence/CC_BY_4_0",
    "https://creativecommons.org/licenses/by-sa/4.0/": EU + "licence/CC_BYSA_4_0",
    "https://creativecommons.org/publicdomain/zero/1.0/": EU + "licence/CC0",
}
# file suffix -> (IANA media type, EU file type)
# what each kind of file holds: its message ({title} is the domain's title)
FILE_DESCRIPTION = {".nq.gz": "catalogue.file_nq", ".trig.gz": "catalogue.file_trig",
                    ".csv": "catalogue.file_csv"}
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
    """A dataset of the catalogue: one domain of the data (``catalogue: domains:`` of the
    profile)."""

    key: str
    title: Text
    description: Text
    keywords: dict[str, tuple[str, ...]]
    frequency: str                       # an EU frequency authority code
    graphs: tuple[str, ...]              # the named graphs ({base}graph/...) of the domain
    tables: tuple[str, ...]              # CSV dumps (stems) distributed with it
    coverage: tuple[tuple[str, str], ...]  # (emis property, "year" | "school-year" | "date" | "period")
    themes: tuple[str, ...] = ("EDUC",)  # EU data themes


def domains(profile: Profile | None = None) -> tuple[Domain, ...]:
    """The catalogue's datasets per domain, as the profile declares them."""
    return tuple(Domain(d["key"], dict(d["title"]), dict(d["description"]),
                        {lang: tuple(words) for lang, words in d["keywords"].items()},
                        d["frequency"], tuple(d["graphs"]), tuple(d["tables"]),
                        tuple((prop, kind) for prop, kind in d["coverage"]),
                        tuple(d.get("themes", ("EDUC",))))
                 for d in (profile or default()).data["catalogue"]["domains"])


def catalog_iri(uris: Uris) -> str:
    return uris.catalog


def domain_iri(uris: Uris, key: str) -> str:
    return f"{uris.catalog}#{key}"


def dataset_iri(uris: Uris) -> str:
    """The whole release: the VoID dataset (endpoint/void.py)."""
    return uris.id("dataset", NAME)


def distribution_iri(uris: Uris, file: str) -> str:
    return f"{uris.catalog}#dump-{file}"


def planned_files(profile: Profile | None = None) -> list[str]:
    """The dump files every build writes (loaders/dumps.py), known before they are written."""
    files = [dumps.NQUADS_FILE, dumps.TRIG_FILE]
    for query in dumps.table_queries(profile):
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


def coverage(store: ox.Store, uris: Uris, profile: Profile | None = None) -> dict[str, tuple[str, str]]:
    """Domain -> (first, last) date its data covers: school years as 1 September to 31 August,
    fiscal years as calendar years, dates as they are."""
    out: dict[str, tuple[str, str]] = {}
    for d in domains(profile):
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


def licence(deed: str) -> str:
    """The licence IRI the catalogue states: the EU authority's where it has one."""
    return EU_LICENCES.get(deed, deed)


def triples(uris: Uris, files: Iterable[str], spans: Mapping[str, tuple[str, str]],
            modified: str | None = None, license: str | None = None,
            publisher: str | None = None, profile: Profile | None = None) -> list[ox.Triple]:
    """The catalogue (the catalogue node first): ``files`` are the dump files it describes,
    ``spans`` the domains' coverage (:func:`coverage`), ``modified`` the build time; the
    national facts (languages, country, publisher, licence, titles) are the profile's;
    ``license`` and ``publisher`` override the profile's (the manifest's)."""
    profile = profile or default()
    languages = profile.languages
    facts = profile.data
    deed = license or facts["licence"]
    country = facts["country"]
    places = [country["authority"], *([country["wikidata"]] if "wikidata" in country else [])]
    west, south, east, north = facts["spatial"]["bbox"]
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    bbox = "POLYGON(({}))".format(",".join(f"{x:g} {y:g}" for x, y in corners))
    centroid = "POINT({:g} {:g})".format(*facts["spatial"]["centre"])
    parts = domains(profile)
    out: list[ox.Triple] = []

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        out.append(ox.Triple(s, n(p), o))

    def a(s: ox.NamedNode | ox.BlankNode, *classes: str) -> None:
        for c in classes:
            add(s, RDF_TYPE, n(c))

    def texts(s: ox.NamedNode, p: str, text: Mapping[str, str]) -> None:
        for lang in languages:
            add(s, p, ox.Literal(text[lang], language=lang))

    def words(key: str, **fields: str) -> Text:
        return {lang: message(key, lang, **fields) for lang in languages}

    def keywords(s: ox.NamedNode, words: Mapping[str, Sequence[str]]) -> None:
        for lang in languages:
            for word in words[lang]:
                add(s, DCAT + "keyword", ox.Literal(word, language=lang))

    def language(lang: str) -> ox.NamedNode:
        return n(f"{EU}language/{message('catalogue.eu_language', lang)}")

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
    license_ = n(licence(deed))
    a(cat, DCAT + "Catalog")
    texts(cat, DCTERMS + "title", facts["title"])
    texts(cat, DCTERMS + "description", facts["description"])
    add(cat, DCTERMS + "publisher", agent)
    add(cat, DCTERMS + "license", license_)
    add(cat, FOAF + "homepage", home)
    add(cat, DCAT + "themeTaxonomy", n(DATA_THEME))
    for lang in languages:
        add(cat, DCTERMS + "language", language(lang))
    add(cat, DCTERMS + "spatial", n(places[0]))
    if modified:
        add(cat, DCTERMS + "modified", typed(modified, "dateTime"))
    add(cat, DCAT + "dataset", whole)
    for d in parts:
        add(cat, DCAT + "dataset", n(domain_iri(uris, d.key)))
    add(cat, DCAT + "service", sparql)
    add(cat, DCAT + "service", ldes)

    # the things the catalogue points at, typed as DCAT-AP's ranges ask
    a(agent, FOAF + "Organization", FOAF + "Agent")
    if publisher:
        add(agent, FOAF + "name", ox.Literal(publisher, language="en"))
    else:
        texts(agent, FOAF + "name", facts["publisher"]["names"])
    add(agent, DCTERMS + "type", n(NATIONAL_AUTHORITY))
    a(contact, VCARD + "Organization", VCARD + "Kind")
    texts(contact, VCARD + "fn", facts["catalogue"].get("contact") or facts["publisher"]["names"])
    add(contact, VCARD + "hasURL", home)
    if "email" in facts["publisher"]:
        add(contact, VCARD + "hasEmail", n(f"mailto:{facts['publisher']['email']}"))
    a(license_, DCTERMS + "LicenseDocument")
    add(license_, DCTERMS + "type", n(ATTRIBUTION))
    if license_.value != deed:
        add(license_, RDFS + "seeAlso", n(deed))
    a(home, FOAF + "Document")
    themes = sorted({t for d in parts for t in d.themes})
    for scheme, key in EXTERNAL_SCHEMES.items():
        a(n(scheme), SKOS + "ConceptScheme")
        texts(n(scheme), DCTERMS + "title", words(key))
        texts(n(scheme), SKOS + "prefLabel", words(key))
    for iri in EXTERNAL_CONCEPTS:
        # labelled, coded and placed in their scheme as the code lists of our own are
        # (shapes/concepts.ttl), so that the release's every skos:Concept conforms
        scheme, notation, key = EXTERNAL_CONCEPTS[iri]
        a(n(iri), SKOS + "Concept")
        texts(n(iri), SKOS + "prefLabel", words(key))
        add(n(iri), SKOS + "notation", ox.Literal(notation))
        add(n(iri), SKOS + "inScheme", n(scheme))
    for place in places:
        a(n(place), DCTERMS + "Location")
        add(n(place), DCAT + "bbox", ox.Literal(bbox, datatype=n(WKT)))
        add(n(place), DCAT + "centroid", ox.Literal(centroid, datatype=n(WKT)))
    for lang in languages:
        a(language(lang), DCTERMS + "LinguisticSystem")
    a(n(PUBLIC), DCTERMS + "RightsStatement")
    for standard in (SPARQL_PROTOCOL, LDES_SPECIFICATION, CSVW):
        a(n(standard), DCTERMS + "Standard")
    for frequency in sorted({"ANNUAL_2"} | {d.frequency for d in parts}):
        a(n(FREQUENCY + frequency), DCTERMS + "Frequency")
    media = {IANA + dumps.GZIP}
    for suffix, (media_type, file_type) in FILE_FORMATS.items():
        if any(f.endswith(suffix) for f in files):
            media.add(IANA + media_type)
            a(n(FILE_TYPE + file_type), DCTERMS + "MediaTypeOrExtent")
    for iri in sorted(media):
        a(n(iri), DCTERMS + "MediaType")

    def service(s: ox.NamedNode, title: Mapping[str, str], description: Mapping[str, str],
                standard: str) -> None:
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
        keywords(s, facts["keywords"])

    service(sparql, words("catalogue.sparql_title"), words("catalogue.sparql_description"),
            SPARQL_PROTOCOL)
    service(ldes, words("catalogue.ldes_title"), words("catalogue.ldes_description"),
            LDES_SPECIFICATION)

    def dataset(ds: ox.NamedNode, frequency: str, span: tuple[str, str] | None, period: str,
                themes: Sequence[str]) -> None:
        a(ds, DCAT + "Dataset")
        add(ds, DCTERMS + "publisher", agent)
        add(ds, DCTERMS + "license", license_)
        add(ds, DCTERMS + "accrualPeriodicity", n(FREQUENCY + frequency))
        # the term the catalogue first published (DCAT has none of that name): kept for its readers
        add(ds, DCAT + "accrualPeriodicity", n(FREQUENCY + frequency))
        for place in places:
            add(ds, DCTERMS + "spatial", n(place))
        add(ds, DCAT + "contactPoint", contact)
        add(ds, DCTERMS + "accessRights", n(PUBLIC))
        for lang in languages:
            add(ds, DCTERMS + "language", language(lang))
        for theme in themes:
            add(ds, DCAT + "theme", n(f"{DATA_THEME}/{theme}"))
        if span:
            node = ox.BlankNode(f"period-{period}")
            add(ds, DCTERMS + "temporal", node)
            a(node, DCTERMS + "PeriodOfTime")
            add(node, DCAT + "startDate", typed(span[0], "date"))
            add(node, DCAT + "endDate", typed(span[1], "date"))

    def distribution(ds: ox.NamedNode, file: str, title: Mapping[str, str]) -> None:
        if file not in files:
            return
        suffix = next(s for s in FILE_FORMATS if file.endswith(s))
        media_type, file_type = FILE_FORMATS[suffix]
        dist = n(distribution_iri(uris, file))
        add(ds, DCAT + "distribution", dist)
        a(dist, DCAT + "Distribution")
        add(dist, DCTERMS + "title", ox.Literal(file))
        for lang in languages:
            add(dist, DCTERMS + "description", ox.Literal(
                message(FILE_DESCRIPTION[suffix], lang, title=title[lang]), language=lang))
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
    whole_title = words("catalogue.whole_title")
    texts(whole, DCTERMS + "title", whole_title)
    texts(whole, DCTERMS + "description", words("catalogue.whole_description"))
    keywords(whole, facts["keywords"])
    add(whole, DCAT + "landingPage", home)
    for file in (dumps.NQUADS_FILE, dumps.TRIG_FILE):
        distribution(whole, file, whole_title)
    for d in parts:
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


def load(store: ox.Store, uris: Uris, modified: str, profile: Profile | None = None) -> int:
    """Load the catalogue into ``{base}graph/catalog`` (the build, before the dumps are written,
    so that they hold it); the triples added."""
    described = list(dict.fromkeys(triples(uris, planned_files(profile), coverage(store, uris, profile),
                                           modified, profile=profile)))
    graph = ox.NamedNode(uris.graph(GRAPH))
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in described)
    return len(described)


def stored(store: ox.Store, uris: Uris) -> list[ox.Triple] | None:
    """The catalogue graph of a release's store, or None if the release was built without it."""
    graph = ox.NamedNode(uris.graph(GRAPH))
    found = [ox.Triple(q.subject, q.predicate, q.object)
             for q in store.quads_for_pattern(None, None, None, graph)]
    return found or None
