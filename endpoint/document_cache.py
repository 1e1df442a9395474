"""Rendered documents kept in memory, per worker process.

A release never changes, so a document rendered once stays right for as long as its release
is served: the key holds the release id, and a publish simply makes old keys unreachable
(the least recently used ones are dropped first). Describing and rendering a school takes
milliseconds; answering from here takes microseconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

DEFAULT_SIZE = 1024   # documents per worker: a school page is ~30-60 kB, so at most ~50 MB


class DocumentCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, bytes | str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], bytes | str]) -> bytes | str:
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
