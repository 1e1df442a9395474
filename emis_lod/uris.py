"""The URI scheme, in one place.

Everything the platform mints lives under one configurable base:

- ``{base}id/{type}/{key}``        a thing (school, district, region, enrolment record, ...)
- ``{base}doc/{type}/{key}``       the document about it (303 target of the ``/id/`` URI)
- ``{base}def/emis#{Term}``        ontology terms; ``{base}def/emis`` is the ontology document
- ``{base}def/concept/{scheme}/{code}``  code-list concepts; ``{base}def/concept/{scheme}`` the scheme
- ``{base}graph/{name}``           named graphs (per table and release)
- ``{base}list/{type}``            the list of every thing of a type (pages: ``?page=N&size=M``;
  schools also ``?region=KG-C&district=KG-C-01``; a suffix ``.csv``/``.jsonld``/``.html``)
- ``{base}search?q=...``           the name search (schools, districts, regions)
- ``{base}dumps/`` and ``{base}dumps/{file}``  bulk downloads of the current release
- ``{base}id/catalog/emis``        the DCAT catalogue (303 to ``{base}doc/catalog/emis``)
- ``{base}id/observation/{indicator}_{level}-{area}_{period}[_{subject}-g{grade}]``  an indicator
  value (RDF Data Cube observation); ``{base}id/cube/{name}`` its data set
- ``{base}id/release/{release-id}`` a release: the build that made it and the provenance of its
  graphs (303 to ``{base}doc/release/{release-id}``)
- ``{base}ldes``                   the event stream of what changed between releases; its root
  node ``{base}ldes/root``, the pages of a release ``{base}ldes/{release-id}/{n}`` and the version
  of a resource that release made ``{base}ldes/{release-id}/id/{type}/{key}``
- ``{base}release/``               the HTML summary of the current release; ``{base}release/{file}``
  its rejection report (``rejections.csv``) and SHACL validation report (``validation.ttl``)

Keys are stable source codes, percent-encoded where they hold characters that
are not safe in a path segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

# The types of /id/ URIs that the platform mints itself (type -> class in ``emis:``): releases
# (provenance.py) and the indicators' observations and data sets (indicators.py). Every other
# type is read from data: the mappings' resource templates and the derived queries' IRIs
# (loaders/resource_types.py); a release records its types and the endpoint dereferences those.
PLATFORM_TYPES = {"release": "Release", "observation": "IndicatorObservation",
                  "cube": "IndicatorDataSet"}

ONTOLOGY_PATH = "def/emis"
CONCEPT_PATH = "def/concept"
CONTEXT_PATH = "context/v1.jsonld"
LIST_PATH = "list"
SEARCH_PATH = "search"
RELEASE_PATH = "release"
LDES_PATH = "ldes"
RECONCILE_PATH = "reconcile"


def encode_key(key: str) -> str:
    """A source key as one path segment ("41101 001" -> "41101%20001")."""
    return quote(str(key).strip(), safe="-._~")


def decode_key(segment: str) -> str:
    return unquote(segment)


@dataclass(frozen=True)
class Uris:
    """URI patterns for one base (a deployment, or a test server on a loopback port)."""

    base: str

    def __post_init__(self) -> None:
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")

    # things and their documents
    def id(self, type_: str, key: str) -> str:
        return f"{self.base}id/{type_}/{encode_key(key)}"

    def doc(self, type_: str, key: str) -> str:
        return f"{self.base}doc/{type_}/{encode_key(key)}"

    def id_prefix(self, type_: str) -> str:
        return f"{self.base}id/{type_}/"

    # vocabulary
    @property
    def ontology(self) -> str:
        return f"{self.base}{ONTOLOGY_PATH}"

    @property
    def vocab(self) -> str:
        """Namespace of the ontology's own terms (``emis:``)."""
        return f"{self.base}{ONTOLOGY_PATH}#"

    @property
    def concepts(self) -> str:
        """Base against which the Turtle in ``ontology/`` is parsed (it uses relative IRIs)."""
        return f"{self.base}def/"

    def scheme(self, scheme: str) -> str:
        return f"{self.base}{CONCEPT_PATH}/{scheme}"

    def concept(self, scheme: str, code: str) -> str:
        return f"{self.base}{CONCEPT_PATH}/{scheme}/{encode_key(code)}"

    # named graphs and other documents
    def graph(self, name: str) -> str:
        return f"{self.base}graph/{name}"

    @property
    def sparql(self) -> str:
        return f"{self.base}sparql"

    @property
    def context(self) -> str:
        return f"{self.base}{CONTEXT_PATH}"

    # browse and search (query parameters are added by the caller, in a fixed order)
    def list(self, type_: str) -> str:
        """The list of every thing of ``type_`` (``{base}list/school``)."""
        return f"{self.base}{LIST_PATH}/{type_}"

    @property
    def search(self) -> str:
        return f"{self.base}{SEARCH_PATH}"

    @property
    def dataset(self) -> str:
        return f"{self.base}id/dataset/emis"

    @property
    def dumps(self) -> str:
        """The list of bulk downloads of the current release."""
        return f"{self.base}dumps/"

    def dump(self, file: str) -> str:
        return f"{self.base}dumps/{encode_key(file)}"

    @property
    def catalog(self) -> str:
        return f"{self.base}id/catalog/emis"

    def release(self, release_id: str) -> str:
        """A release, as the provenance graph describes it."""
        return self.id("release", release_id)

    @property
    def release_summary(self) -> str:
        """The HTML summary of the current release."""
        return f"{self.base}{RELEASE_PATH}/"

    def release_file(self, file: str) -> str:
        """A report of the current release (``rejections.csv``, ``validation.ttl``)."""
        return f"{self.base}{RELEASE_PATH}/{encode_key(file)}"

    # the reconciliation service (endpoint/reconcile.py)
    @property
    def reconcile(self) -> str:
        """The W3C Reconciliation Service API 0.2 service: its manifest, query batches."""
        return f"{self.base}{RECONCILE_PATH}"

    @property
    def reconcile_preview(self) -> str:
        """The preview card of an entity, ``?id=`` its id in the identifier space."""
        return f"{self.base}{RECONCILE_PATH}/preview"

    # what changed between releases: the Linked Data Event Stream (endpoint/ldes.py)
    @property
    def ldes(self) -> str:
        """The event stream (``ldes:EventStream``) of the changes between releases."""
        return f"{self.base}{LDES_PATH}"

    @property
    def ldes_root(self) -> str:
        """Its root node: a relation to the pages of every release compared."""
        return f"{self.base}{LDES_PATH}/root"

    def ldes_page(self, release_id: str, number: int) -> str:
        """Page ``number`` (from 1) of the members of one release (immutable)."""
        return f"{self.base}{LDES_PATH}/{release_id}/{number}"

    def ldes_version(self, release_id: str, iri: str) -> str:
        """The version of a resource (``{base}id/...``, ``{base}def/...``) one release made."""
        return f"{self.base}{LDES_PATH}/{release_id}/{iri[len(self.base):]}"

    def split_id(self, iri: str) -> tuple[str, str] | None:
        """``(type, key)`` for one of our ``/id/`` URIs, else None."""
        prefix = f"{self.base}id/"
        if not iri.startswith(prefix):
            return None
        type_, _, key = iri[len(prefix):].partition("/")
        return (type_, decode_key(key)) if key else None
