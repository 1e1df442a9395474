"""The map on a page: a school's own point, or the schools of a district or region
(``queries/places.rq``), with the tiles and attribution the settings name (``static/map.js``
draws it; the places are also listed, so the page reads without a script)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from .describe import select
from .messages import message
from .page import Page, named_rows, web_href
from .release import Release, settings
from .schema_org import coordinates, script_json


def map_view(rel: Release, page: Page, described: Mapping[str, Any] | None,
             lang: str) -> dict[str, Any] | None:
    """What the page's map shows: a school's own point, or the schools of a district or region
    (``queries/places.rq``); None when there is nothing to put on a map."""
    if described is None:
        return None
    if described["@type"] == "School":
        point = coordinates(page.by_subject, page.root)
        places = [{"lat": point[0], "long": point[1], "name": page.title(page.root),
                   "href": None}] if point else []
    else:
        rows = select(rel.store, "places", rel.prefixes,
                      {ox.Variable("this"): ox.NamedNode(page.root)})
        places = []
        for iri, name, row in named_rows(rows, "s", "name", lang):
            try:
                lat, long = float(row["lat"].value), float(row["long"].value)
            except ValueError:
                continue
            places.append({"lat": lat, "long": long, "name": name, "href": web_href(iri)})
        places.sort(key=lambda p: (p["name"], p["href"] or ""))
    if not places:
        return None
    config = settings()
    return {"places": places, "school": described["@type"] == "School",
            "title": message("map", lang), "coordinates": message("coordinates", lang),
            "count_label": message("schools_on_map", lang),
            "data": script_json({"places": places, "tiles": config.map_tiles or None,
                                 "attribution": config.map_attribution}, indent=None)}
