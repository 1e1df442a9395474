"""Rendered documents are kept per app and release: the second request for a document is
answered from memory with the same bytes, a page keeps its own path and query, and the
least recently used documents leave first."""

from __future__ import annotations

from emis_lod.endpoint.document_cache import DocumentCache


def cache_of(app) -> DocumentCache:
    return app.extensions["emis-lod.documents"]


def test_second_request_is_answered_from_memory(app, client, sample) -> None:
    first = client.get(f"/doc/school/{sample.school}", headers={"Accept": "text/turtle"})
    cache = cache_of(app)
    hits = cache.hits
    second = client.get(f"/doc/school/{sample.school}", headers={"Accept": "text/turtle"})
    assert cache.hits == hits + 1
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]


def test_html_pages_keep_their_own_query(client, sample) -> None:
    ru = client.get(f"/doc/school/{sample.school}?lang=ru").get_data(as_text=True)
    en = client.get(f"/doc/school/{sample.school}?lang=en").get_data(as_text=True)
    assert 'lang="ru"' in ru and 'lang="en"' in en and ru != en
    html = client.get(f"/doc/school/{sample.school}.html?lang=ru").get_data(as_text=True)
    assert 'href="?lang=ky"' in html    # relative: the language links keep the path and suffix


def test_unknown_documents_are_not_kept(app, client) -> None:
    before = len(cache_of(app)._items) if "emis-lod.documents" in app.extensions else 0
    assert client.get("/doc/school/no-such-school.ttl").status_code == 404
    assert len(cache_of(app)._items) == before


def test_least_recently_used_leave_first() -> None:
    cache = DocumentCache(size=2)
    for key in ("a", "b"):
        cache.get_or_render(key, lambda k=key: k.upper())
    cache.get_or_render("a", lambda: "never")       # a is used again
    cache.get_or_render("c", lambda: "C")           # b leaves
    assert list(cache._items) == ["a", "c"]
    assert cache.get_or_render("b", lambda: "B again") == "B again"
