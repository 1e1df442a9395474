"""Rendered documents, and the rows pages share, kept in memory per worker process.

A release never changes, so a document rendered once stays right for as long as its release
is served: the key holds the release id, and a publish simply makes old keys unreachable
(the least recently used ones are dropped first). Describing and rendering a school takes
milliseconds; answering from here takes microseconds. The same least-recently-used memory
keeps query rows that many pages show (a district's indicator values on each of its schools'
pages) or that one page shows in each language (what links to a school).

This is not the release's memo (``Release.memo``, ``endpoint/release.py``), which keeps a few
values each derived from a whole release (the search index, the VoID counts) for as long as
the release is served: documents and rows are many (one per resource, tens of thousands per
release) and each is cheap to make again, so this memory is bounded and forgets the least used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

DEFAULT_SIZE = 1024   # documents per worker: a school page is ~30-60 kB, so at most ~50 MB


T = TypeVar("T")


class Memo(Generic[T]):
    """A thread-safe least-recently-used map with at most ``size`` entries."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        body = render()          # outside the lock: other requests go on meanwhile
        with self._lock:
            self.misses += 1
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return body

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class DocumentCache(Memo[bytes | str]):
    """Rendered documents (bytes or text) of the releases a worker serves."""
