"""Giving memory back to the system between the phases of a build.

A build allocates and frees gigabytes at national scale (source frames, N-Triples text, query
results). CPython and Oxigraph free into glibc's malloc, which keeps freed pages in its arenas
unless asked to return them; the build asks after each large step, so that its resident size
follows what it holds, not the most it ever held.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _malloc_trim():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):   # not glibc (musl, macOS): nothing to ask
        return None


def release_memory() -> None:
    """Collect garbage and return free heap pages to the operating system (glibc only)."""
    gc.collect()
    return_free_pages()


def return_free_pages() -> None:
    """Return free heap pages to the operating system (glibc only), without a garbage
    collection: for steps that drop objects without reference cycles, many times over."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
