"""The application's own SPARQL queries (``endpoint/queries/*.rq``) and how the views run them:
their text, with constants written in, and the rows of a SELECT over all graphs of a store."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import pyoxigraph as ox

PACKAGE = __name__.rpartition(".")[0]   # the package whose queries/ folder holds them


@cache
def load_query(name: str) -> str:
    """The text of ``endpoint/queries/{name}.rq``."""
    return resources.files(PACKAGE).joinpath("queries", f"{name}.rq").read_text("utf-8")


@cache
def has_query(name: str) -> bool:
    """True when ``endpoint/queries/{name}.rq`` exists."""
    return resources.files(PACKAGE).joinpath("queries", f"{name}.rq").is_file()


def solutions(store: ox.Store, query: str, prefixes: Mapping[str, str] | None = None,
              **options: Any) -> ox.QuerySolutions:
    """The rows of a SELECT over the union of all graphs (a typed answer: pyoxigraph's query()
    returns solutions, a boolean or triples)."""
    result = store.query(query, prefixes=dict(prefixes or {}), use_default_graph_as_union=True,
                         **options)
    assert isinstance(result, ox.QuerySolutions), "a SELECT query was expected"
    return result


def with_constants(text: str, bindings: Mapping[str, Any]) -> str:
    """A query's text with ``?name``/``$name`` written as the given terms (IRIs).

    Oxigraph plans a query with its constants in place, while pyoxigraph's ``substitutions``
    are joined in at the end for some patterns: a district's map query (a path with two
    alternatives from the district) read every school of every district, 1.2 s at 20,000 schools
    instead of 30 ms. A variable written so must not be projected."""
    for name, term in bindings.items():
        text = re.sub(rf"[?$]{name}\b", str(term).replace("\\", "\\\\"), text)
    return text
