"""Every page entirely in its language (issue 15).

Every page type (home, a document of every ``/id/`` type of the release, the ontology, a code
list and a concept, every list, the search with and without results, the release summary, the
catalogue, the VoID dataset, the SPARQL form, the downloads, 404 pages, the reconciliation
preview) is rendered in every language of the release's profile, from a real small build (the
session's 50 generated schools for ``kg``; a build of the ``kz`` profile when it is bundled). A
page fails when

- a text it shows belongs to another language's message table and not to its own
  (``emis_lod/messages/{lang}/*.yaml``); text inside an element whose ``lang`` is another
  language (a school's Russian name on a Kyrgyz page, the language switcher) is data in its own
  language, and ``<code>``, scripts, the query text and URLs are not words;
- a term is shown by its compact IRI (``dcat:Catalog``) for lack of a label, or a property or
  class that a page names has no label in the page's language.

And the tables themselves: every language has every key; a key defined twice is an error; every
term a release uses (property, class, datatype) has a label in each of its languages.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from emis_lod import messages as message_tables
from emis_lod.endpoint import create_app
from emis_lod.endpoint.release import EXTENSION
from emis_lod.endpoint.responses import languages as release_languages
from emis_lod.loaders.build import BuildReport, build
from emis_lod.settings import load_settings

PROFILES = ("kg", "kz")
KZ_SCHOOLS, KZ_SEED = 50, 7
BASE = "http://data.test/"
# elements whose text is not words of the page: code, scripts, the query being edited
NOT_WORDS = {"code", "script", "style", "textarea", "pre"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}
MISSING = "no-such-key-0000"


# ------------------------------------------------------------------ the message tables

def test_every_language_has_every_key() -> None:
    assert set(message_tables.languages_with_messages()) >= {"ky", "ru", "kk", "en"}
    assert message_tables.missing_keys() == {}, "keys missing in some languages' message tables"


def test_every_bundled_profile_language_has_message_tables() -> None:
    from emis_lod.profiles import bundled, load_profile

    for name in bundled():
        missing = set(load_profile(name).languages) - set(message_tables.languages_with_messages())
        assert not missing, f"profile {name}: no message tables in {missing}"


def test_a_key_defined_twice_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "a.yaml").write_text('home: "Home"\n', encoding="utf-8")
    (tmp_path / "xx" / "b.yaml").write_text('home: "Start"\n', encoding="utf-8")
    monkeypatch.setattr(message_tables, "directory", lambda: tmp_path)
    message_tables.messages.cache_clear()
    try:
        with pytest.raises(message_tables.MessageError, match=r"b\.yaml: home: already defined in .*a\.yaml"):
            message_tables.messages("xx")
    finally:
        message_tables.messages.cache_clear()


def test_fields_are_filled_and_a_missing_text_falls_back_to_english() -> None:
    assert message_tables.message("bytes", "ru", count=12) == "12 байт"
    assert message_tables.message("home", "xx") == message_tables.message("home", "en")
    with pytest.raises(KeyError):
        message_tables.message("no-such-message", "en")


# ------------------------------------------------------------------ the releases

@pytest.fixture(scope="module")
def kz_built(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    from emis_lod.profiles import bundled, load_profile

    if "kz" not in bundled():
        pytest.skip("the kz profile is not bundled")
    profile = load_profile("kz")
    source = tmp_path_factory.mktemp("kz-source")
    profile.generate(source, KZ_SCHOOLS, KZ_SEED, True)
    return build(source, tmp_path_factory.mktemp("kz-store"), load_settings(base_uri=BASE),
                 echo=lambda *_: None, profile=profile)


@pytest.fixture(scope="module", params=PROFILES)
def site(request: pytest.FixtureRequest) -> Site:
    report = request.getfixturevalue("built" if request.param == "kg" else "kz_built")
    return Site(report)


class Site:
    """The app serving a build, what it holds, and the pages to render."""

    def __init__(self, report: BuildReport) -> None:
        self.app = create_app(report.store, load_settings(base_uri=report.base_uri))
        self.client = self.app.test_client()
        self.rel = self.app.extensions[EXTENSION].get()
        self.store: ox.Store = self.rel.store
        self.base = report.base_uri
        self.languages = release_languages(self.rel)
        self.label_texts: dict[str, set[str]] = {}   # language -> the terms' labels in it
        self.labels = self._labels()
        self.prefixes = {**self.rel.prefixes, **KNOWN_PREFIXES}

    def _labels(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for row in self.query("SELECT ?t ?l WHERE { GRAPH ?g { ?t rdfs:label|skos:prefLabel ?l } }",
                              {"g": self.rel.uris.graph("ontology")}):
            out.setdefault(row["t"].value, set()).add(row["l"].language or "")
            self.label_texts.setdefault(row["l"].language or "", set()).add(row["l"].value)
        return out

    def query(self, text: str, iris: dict[str, str] | None = None) -> list[ox.QuerySolution]:
        for name, iri in (iris or {}).items():
            text = text.replace(f"?{name} ", f"<{iri}> ")
        return list(self.store.query(text, prefixes=dict(self.rel.prefixes),
                                     use_default_graph_as_union=True))

    def one_per_type(self) -> dict[str, str]:
        """Type -> the key of one of its resources (the first by IRI)."""
        prefix = self.base + "id/"
        found: dict[str, str] = {}
        rows = self.query(f'SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{prefix}")) }}')
        for iri in sorted(r["s"].value for r in rows):
            type_, _, key = iri[len(prefix):].partition("/")
            if key and "#" not in key and type_ not in found:
                found[type_] = key
        return found

    def pages(self) -> list[tuple[str, int]]:
        """Every page type: (path, expected status)."""
        keys = self.one_per_type()
        pages = [("/", 200), ("/def/emis", 200), ("/release/", 200), ("/doc/catalog/emis", 200),
                 ("/doc/dataset/emis", 200), ("/sparql", 200), ("/dumps/", 200), ("/search", 200),
                 ("/search?q=zzzqqqxxx", 200), ("/search?q=" + quote(keys["school"]), 200),
                 (f"/doc/school/{MISSING}", 404), (f"/id/school/{MISSING}", 404),
                 ("/list/no-such-type", 404), (f"/doc/no-such-type/{MISSING}", 404),
                 ("/list/school?page=999", 404), (f"/list/school?region={MISSING}", 404),
                 ("/search?type=no-such-type", 400), (f"/release/?table={MISSING}", 404),
                 (f"/dumps/{MISSING}.gz", 404), (f"/reconcile/preview?id=school/{MISSING}", 404),
                 ("/reconcile/preview?id=" + quote(f"school/{keys['school']}"), 200)]
        for type_, key in sorted(keys.items()):
            if type_ in ("catalog", "dataset"):
                continue
            pages += [(f"/doc/{type_}/{quote(key)}", 200), (f"/list/{type_}", 200)]
        scheme = min(r["s"].value for r in self.query("SELECT ?s WHERE { ?s a skos:ConceptScheme }"))
        concept = min(r["c"].value for r in self.query(
            "SELECT ?c WHERE { ?c skos:inScheme ?s }", {"s": scheme}))
        pages += [(scheme[len(self.base) - 1:], 200), (concept[len(self.base) - 1:], 200)]
        return pages


KNOWN_PREFIXES = {"dcat": "http://www.w3.org/ns/dcat#", "dcterms": "http://purl.org/dc/terms/",
                  "qb": "http://purl.org/linked-data/cube#", "void": "http://rdfs.org/ns/void#",
                  "prov": "http://www.w3.org/ns/prov#", "spdx": "http://spdx.org/rdf/terms#",
                  "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#",
                  "xsd": "http://www.w3.org/2001/XMLSchema#", "owl": "http://www.w3.org/2002/07/owl#"}


# ------------------------------------------------------------------ what a page shows

class Words(HTMLParser):
    """The texts a reader sees in the page's language (text nodes, ``<title>``, placeholders,
    ``aria-label``s), each with whether it sits in ``<code>`` and the like; and the terms a page
    names (``title`` of a row label, a type's link)."""

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.stack: list[tuple[str, str | None, bool]] = []   # tag, lang, not words
        self.texts: list[str] = []
        self.terms: list[str] = []

    def _foreign(self) -> bool:
        return any(lang not in (None, self.lang) for _, lang, _ in self.stack) or \
            any(skip for _, _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if not self._foreign():
            for name in ("placeholder", "aria-label"):
                if a.get(name):
                    self.texts.append(a[name])
        if tag == "span" and a.get("title", "").startswith("http"):
            self.terms.append(a["title"])
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, a.get("lang") or a.get("hreflang") or None, tag in NOT_WORDS))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._foreign():
            self.texts.append(text)


def fragments(text: str) -> list[str]:
    """The literal parts of a message (between its fields), as they appear on a page."""
    parts = re.split(r"\{[^{}]*\}", text.replace("{{", "{").replace("}}", "}"))
    return [" ".join(p.split()).strip(" .,:;()·–—-") for p in parts
            if re.search(r"[^\W\d_]{2}", p)]


def foreign_words(lang: str, others: tuple[str, ...], labels: set[str]) -> dict[str, str]:
    """Fragment -> the language and key it comes from, for every message of another language
    whose text is not also a text of ``lang``'s table or a term's label in ``lang`` (Kazakh's
    label of owl:Class is Kyrgyz's word for a grade, "Класс")."""
    own = {f for text in message_tables.messages(lang).values() for f in fragments(text)} | labels
    own_text = " | ".join(message_tables.messages(lang).values())
    out = {}
    for other in others:
        for key, text in message_tables.messages(other).items():
            for fragment in fragments(text):
                if fragment and fragment not in own and fragment not in own_text:
                    out.setdefault(fragment, f"{other}:{key}")
    return out


def leaks(texts: list[str], foreign: dict[str, str]) -> list[str]:
    """Texts that are a foreign fragment, or hold one of several words (a single word within a
    longer text is too often the data's own: a Russian textbook title's "класс")."""
    longer = sorted((f for f in foreign if " " in f), key=len, reverse=True)
    # a word, not a piece of an IRI or a compact IRI (emis:District, concept/safety-class)
    pattern = re.compile(r"(?<![\w:/#-])(" + "|".join(map(re.escape, longer)) + r")(?![\w-])")
    found = []
    for text in set(texts):
        if text in foreign:
            found.append(f"{text!r} ({foreign[text]})")
        found += [f"{text!r} has {m.group(1)!r} ({foreign[m.group(1)]})"
                  for m in pattern.finditer(text)]
    return found


def curies(texts: list[str], prefixes: dict[str, str]) -> list[str]:
    """Texts that are a compact IRI (a term or resource shown for lack of a label; a CURIE
    within a sentence of the data, such as a definition's, is the data's own words)."""
    pattern = re.compile("(" + "|".join(sorted(map(re.escape, prefixes), key=len, reverse=True))
                         + r"):[A-Za-z_][\w.-]*")
    return [text for text in texts if pattern.fullmatch(text)]


# ------------------------------------------------------------------ the pages

def test_every_page_is_in_its_language(site: Site) -> None:
    others = tuple(message_tables.languages_with_messages())
    failures: list[str] = []
    for lang in site.languages:
        foreign = foreign_words(lang, tuple(o for o in others if o != lang),
                                site.label_texts.get(lang, set()))
        for path, status in site.pages():
            url = path + ("&" if "?" in path else "?") + f"lang={lang}"
            answer = site.client.get(url, headers={"Accept": "text/html"})
            assert answer.status_code == status, (url, answer.status_code, answer.text[:500])
            assert answer.mimetype == "text/html", (url, answer.mimetype)
            words = Words(lang)
            words.feed(answer.get_data(as_text=True))
            if not re.search(rf'<html lang="{lang}"', answer.get_data(as_text=True)):
                failures.append(f"{url}: not a page in {lang}")
            failures += [f"{url}: {leak}" for leak in leaks(words.texts, foreign)]
            failures += [f"{url}: shown by its compact IRI: {text!r}"
                         for text in curies(words.texts, site.prefixes)]
            failures += [f"{url}: {term} has no label in {lang}" for term in words.terms
                         if lang not in site.labels.get(term, set())]
    assert not failures, "\n".join(sorted(set(failures))[:80])


def test_every_term_a_release_uses_is_labelled_in_its_languages(site: Site) -> None:
    """Every property, class and datatype of the release's data has an rdfs:label in each of
    its languages, so that no page shows one by its compact IRI or its local name."""
    used: set[str] = set()
    for row in site.query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
        used.add(row["p"].value)
    for row in site.query("SELECT DISTINCT ?c WHERE { ?s a ?c }"):
        used.add(row["c"].value)
    for row in site.query("SELECT DISTINCT ?d WHERE { ?s ?p ?o FILTER(isLiteral(?o)) "
                          "BIND(DATATYPE(?o) AS ?d) }"):
        used.add(row["d"].value)
    ignored = ("http://www.w3.org/ns/shacl#", "https://w3id.org/tree#", "https://w3id.org/ldes#",
               "http://www.w3.org/ns/hydra/core#", "https://www.w3.org/ns/activitystreams#")
    unlabelled = sorted(f"{term} in {sorted(set(site.languages) - site.labels.get(term, set()))}"
                        for term in used if not term.startswith(ignored)
                        and not set(site.languages) <= site.labels.get(term, set()))
    assert not unlabelled, "\n".join(unlabelled)
