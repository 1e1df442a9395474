"""Which IRIs a mapping's IRI template can make, so that the column checks can tell which
producers write about which focus nodes (a filled key is one path segment)."""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _placeholders(template: str | None) -> list[str]:
    return _PLACEHOLDER.findall(template or "")


def _segment_regex(segment: str) -> str:
    parts = _PLACEHOLDER.split(segment)
    return "".join(re.escape(p) if i % 2 == 0 else "[^/]*" for i, p in enumerate(parts))


def _template_regex(template: str) -> re.Pattern[str]:
    """The IRIs a template can make: a filled key is one path segment (``/`` is %-encoded)."""
    return re.compile("/".join(_segment_regex(s) for s in template.split("/")))


def _overlap(a: str | None, b: str | None) -> bool:
    """Whether two IRI templates can make the same IRI (None: any IRI). Over-approximates."""
    if a is None or b is None:
        return True
    sa, sb = a.split("/"), b.split("/")
    if len(sa) != len(sb):
        return False
    for x, y in zip(sa, sb, strict=True):
        vx, vy = "{" in x, "{" in y
        if not vx and not vy:
            if x != y:
                return False
        elif not vx or not vy:
            literal, pattern = (x, y) if not vx else (y, x)
            if not re.fullmatch(_segment_regex(pattern), literal):
                return False
        else:   # both vary: their fixed starts and ends must agree
            px, py = _PLACEHOLDER.split(x)[0], _PLACEHOLDER.split(y)[0]
            ex, ey = _PLACEHOLDER.split(x)[-1], _PLACEHOLDER.split(y)[-1]
            if not (px.startswith(py) or py.startswith(px)) or not (ex.endswith(ey) or ey.endswith(ex)):
                return False
    return True

