"""The HTML page of a school, a district, a region: schema.org JSON-LD in the head (parsed, and
expanded with pyld to schema.org terms), a ``<link rel="alternate">`` per format that answers,
a language switcher that keeps the page, and the data of the Leaflet map (the browser side is in
``test_browser.py``). Runs on the session's build (``conftest.site``); the school, its district
and region are ``conftest.sample``'s, their names and coordinates read from that build."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from pyld import jsonld

from emis_lod.endpoint import create_app
from emis_lod.endpoint.schema_org import script_json
from emis_lod.formats import DOCUMENT_FORMATS, HTML
from emis_lod.settings import load_settings

SCHEMA = "https://schema.org/"


class Head(HTMLParser):
    """The ``<link>``s, the scripts (with their text) and the ``<a>``s of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.anchors: list[dict[str, str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.links.append(a)
        elif tag == "a":
            self.anchors.append(a)
        elif tag == "script":
            self._script, self._text = a, []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def parse(html: str) -> Head:
    head = Head()
    head.feed(html)
    return head


def embedded(head: Head, type_: str) -> list[dict]:
    return [json.loads(text) for attrs, text in head.scripts if attrs.get("type") == type_]


def no_loader(url, options=None):  # the context is inline: nothing may be fetched
    raise AssertionError(f"pyld tried to fetch {url}")


@pytest.fixture(scope="module")
def school(sample) -> dict[str, str]:
    """The sample school's names (``ky``, ``ru``), coordinates (``lat``, ``long``, as written),
    street address, and its district's names (``district_ky`` ...)."""
    [row] = sample.select(f"""
        SELECT ?ky ?ru ?en ?lat ?long ?address ?district_ky ?district_ru ?district_en WHERE {{
          ?school emis:schoolCode "{sample.school}" ; schema:name ?ky, ?ru ;
                  geo:lat ?lat ; geo:long ?long ; schema:address ?address ;
                  emis:district ?district .
          ?district schema:name ?district_ky, ?district_ru, ?district_en .
          FILTER (lang(?ky) = "ky" && lang(?ru) = "ru" && lang(?district_ky) = "ky"
                  && lang(?district_ru) = "ru" && lang(?district_en) = "en")
          FILTER NOT EXISTS {{ ?school schema:name ?en FILTER (lang(?en) = "en") }}
        }}""")
    return row


def page(client, path: str, lang: str = "en") -> str:
    response = client.get(path, query_string={"lang": lang})
    assert response.status_code == 200, path
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_school_page_embeds_schema_org(client, site, sample, school) -> None:
    _, base = site
    head = parse(page(client, f"/doc/school/{sample.school}"))
    [data] = embedded(head, "application/ld+json")
    assert data["@type"] == "School" and data["@id"] == f"{base}id/school/{sample.school}"
    assert data["identifier"] == sample.school
    [expanded] = jsonld.expand(data, {"documentLoader": no_loader})
    assert expanded["@type"] == [SCHEMA + "School"]
    names = {(n["@value"], n.get("@language")) for n in expanded[SCHEMA + "name"]}
    assert (school["ru"], "ru") in names
    assert (school["ky"], "ky") in names
    [geo] = expanded[SCHEMA + "geo"]
    assert geo["@type"] == [SCHEMA + "GeoCoordinates"]
    assert geo[SCHEMA + "latitude"] == [{"@value": float(school["lat"])}]
    assert geo[SCHEMA + "longitude"] == [{"@value": float(school["long"])}]
    [address] = expanded[SCHEMA + "address"]
    assert address[SCHEMA + "streetAddress"][0]["@value"] == school["address"]
    assert address[SCHEMA + "addressCountry"] == [{"@value": "KG"}]   # the profile's country
    places = {p["@id"]: p for p in expanded[SCHEMA + "containedInPlace"]}
    district = places[f"{base}id/district/{sample.district}"]
    assert {"@value": school["district_en"], "@language": "en"} in district[SCHEMA + "name"]
    assert f"{base}id/region/{sample.region}" in places


@pytest.mark.parametrize("type_", ["district", "region"])
def test_district_and_region_pages_embed_schema_org(client, site, sample, school, type_) -> None:
    _, base = site
    key = code = getattr(sample, type_)
    head = parse(page(client, f"/doc/{type_}/{key}"))
    [data] = embedded(head, "application/ld+json")
    [area] = jsonld.expand(data, {"documentLoader": no_loader})
    assert area["@id"] == f"{base}id/{type_}/{key}"
    assert area["@type"] == [SCHEMA + "AdministrativeArea"]
    assert area[SCHEMA + "identifier"] == [{"@value": code}]
    assert {n.get("@language") for n in area[SCHEMA + "name"]} == {"ky", "ru", "en"}
    # the map: the schools that lie in it, with their coordinates and links (the school has no
    # English name: the Russian one stands in)
    [points] = embedded(head, "application/json")
    assert {"lat": float(school["lat"]), "long": float(school["long"]),
            "href": f"{base}id/school/{sample.school}", "name": school["ru"]} in points["places"]


def test_other_pages_have_no_schema_org_or_map(client, sample) -> None:
    head = parse(page(client, f"/doc/building/{sample.school}-1"))
    assert not embedded(head, "application/ld+json") and not embedded(head, "application/json")
    assert not any("leaflet" in a.get("src", "") for a, _ in head.scripts)


def test_script_json_cannot_close_its_script() -> None:
    nasty = {"name": "</script><script>alert(1)</script> & <!-- \u2028"}
    text = str(script_json(nasty))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == nasty


def test_alternate_links_for_every_format_answer(client, site, sample) -> None:
    _, base = site
    head = parse(page(client, f"/doc/school/{sample.school}"))
    alternates = {link["type"]: link["href"] for link in head.links
                  if link.get("rel") == "alternate" and "hreflang" not in link}
    assert set(alternates) == {f.media_type for f in DOCUMENT_FORMATS if f is not HTML}
    for media_type, href in alternates.items():
        response = client.get(urlsplit(href).path)
        assert response.status_code == 200, href
        assert response.mimetype == media_type
    languages = {link["hreflang"]: link["href"] for link in head.links if "hreflang" in link}
    assert languages == {lang: f"{base}doc/school/{sample.school}?lang={lang}"
                         for lang in ("ky", "ru", "en")}


def test_language_switcher_keeps_the_page(client, sample, school) -> None:
    html = page(client, f"/doc/district/{sample.district}", "ru")
    switch = {a["hreflang"]: a["href"] for a in parse(html).anchors if "hreflang" in a}
    assert set(switch) == {"ky", "ru", "en"}
    here = f"http://localhost/doc/district/{sample.district}?lang=ru"
    for lang, href in switch.items():
        # relative to the page (a query only), so a pre-rendered page fits any path it is at
        parts = urlsplit(urljoin(here, href))
        assert parts.path == f"/doc/district/{sample.district}" \
            and parse_qs(parts.query) == {"lang": [lang]}
    titles = {lang: re.search(r"<h1>(.*?)</h1>", page(client, urlsplit(urljoin(here, href)).path,
                                                       lang)).group(1)
              for lang, href in switch.items()}
    assert titles == {lang: school[f"district_{lang}"] for lang in ("ky", "ru", "en")}


def test_school_map_data_and_coordinates_text(client, sample, school) -> None:
    html = page(client, f"/doc/school/{sample.school}", "ky")
    head = parse(html)
    [points] = embedded(head, "application/json")
    assert points["tiles"] is None  # no tile server: the page asks no other host
    assert [(p["lat"], p["long"]) for p in points["places"]] == [(float(school["lat"]),
                                                                   float(school["long"]))]
    assert '<div id="map"' in html and "Координаттар" in html and f">{school['lat']}<" in html
    sources = [a["src"] for a, _ in head.scripts if a.get("src")]
    sources += [link["href"] for link in head.links if link.get("rel") == "stylesheet"]
    assert "/static/vendor/leaflet/leaflet.js" in sources
    assert all(s.startswith("/static/") for s in sources), sources  # shipped, not from a CDN


def test_a_tile_server_only_when_a_setting_names_one(site, sample) -> None:
    store, base = site
    tiles = "https://tiles.example.kg/{z}/{x}/{y}.png"
    app = create_app(store, load_settings(base_uri=base, map_tiles=tiles,
                                          map_attribution="© Example"))
    head = parse(page(app.test_client(), f"/doc/school/{sample.school}"))
    [points] = embedded(head, "application/json")
    assert points["tiles"] == tiles and points["attribution"] == "© Example"
