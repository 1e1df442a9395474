"""The words of the HTML pages that do not come from the data, in the page's language.

The texts are data: the message tables ``emis_lod/messages/{lang}/*.yaml`` (see
:mod:`emis_lod.messages`). Column headers and values are named by the ontology and the code
lists (their labels are in the store in every language); only the headings and the few words
around them live in the tables. Templates reach them with ``m(key, **fields)``
(:func:`template_message`), in the language of the page being rendered (its ``lang``).
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from emis_lod.messages import FALLBACK, message, messages

__all__ = ["described_error", "localised_description", "message", "template_message"]


@pass_context
def template_message(context: Context, key: str, **fields: Any) -> Markup:
    """``m(key, **fields)`` in a template: the text in the page's language, HTML-escaped, its
    fields filled (escaped too, unless they are markup such as a link built in the template)."""
    lang = context.get("lang") or FALLBACK
    text = messages(lang).get(key) or messages(FALLBACK).get(key)
    if text is None:
        raise KeyError(f"no message {key!r} in the message tables (emis_lod/messages)")
    return Markup(escape(text)).format(**fields)


def described_error(error: type[HTTPException], key: str, **fields: Any) -> HTTPException:
    """An HTTP error whose description is the message ``key``: in English for programs (JSON,
    plain text, RDF), in the page's language on an HTML error page (``errors.py``)."""
    raised = error(message(key, FALLBACK, **fields))
    setattr(raised, "message_key", key)  # noqa: B010 (an attribute werkzeug's errors lack)
    setattr(raised, "message_fields", fields)  # noqa: B010
    return raised


def localised_description(error: Exception, lang: str) -> str | None:
    """The description of an error raised by :func:`described_error`, in ``lang``."""
    key = getattr(error, "message_key", None)
    return message(key, lang, **getattr(error, "message_fields", {})) if key else None
