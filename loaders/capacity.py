"""Will this build fit? Said before anything is written, not after an hour and a killed process.

Right after the source tables are read (their row counts are known, nothing of the release is
written yet) the build estimates the memory and disk it will need, from the rows per table, and
compares them with what the machine has: the memory it can still take (``MemAvailable`` of
``/proc/meminfo``, or less under a cgroup memory limit, plus what the build already holds) and
the free disk where the store is. A build that cannot fit stops with a :class:`BuildError` that
says how much it needs, how much there is and what to do; ``capacity_check = warn``
(``EMIS_LOD_CAPACITY_CHECK=warn``) prints the same message and builds anyway.

The estimate is linear in the triples the tables make, and the triples in the rows. Every
constant below was measured with ``bench/bench_build.py`` (which prints this estimate next to
what it measured and says when they part, so a changed build shows when they need measuring
again) on the demo export of ``emis_lod.generator`` (seed 2026), pyoxigraph 0.5, the ``sparql``
validator, on a 2-CPU, 24 GB machine:

=========  =======  =========  ========  ========  ===============  ===============
schools    rows     triples    peak RSS  peak RSS  release (store   peak disk,
                               before    since     + dumps)         build
                               781f7ea   781f7ea
=========  =======  =========  ========  ========  ===============  ===============
30         5,361    89,094     188 MB    --        25 MB            25 MB
300        52,764   630,296    574 MB    469 MB    171 MB           171 MB
2,000      350,057  3,832,630  2,401 MB  1,457 MB  1,035 MB         1,142-1,253 MB
=========  =======  =========  ========  ========  ===============  ===============

(781f7ea: the build frees the source frames after mapping and writes the dumps from the
N-Triples files in two worker processes; the peak RSS is that of the build's whole process
tree.) Memory now grows by about 310 bytes per triple over about 280 MB (from 300 to 2,000
schools); the estimate takes 350 bytes per triple over 300 MB, 9-13% above both measurements.
A release takes 283-285 bytes per triple on disk, and during the build the N-Triples files of
the load phase sit next to the new store until the dumps are written from them: the peak seen
was 487 bytes per triple at 7,500 schools (6,859 MB) and 431 at 20,000 (16,040 MB); the
estimate takes 520 bytes per triple plus 50 MB. At 20,000 schools the peak memory was
8,410 MB for 37.2 M triples (226 bytes per triple): the memory estimate (13 GB there) errs high
for national builds. Triples per row: the release manifests' triples / rows_read per table at
300 and 2,000 schools.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BuildError

GB = 1024 ** 3
MB = 1024 ** 2

# Triples one source row makes in its table's graph (the demo mappings, measured at 2,000
# schools: the release manifest's triples / rows_read per table, rounded up).
TRIPLES_PER_ROW: dict[str, float] = {
    "regions": 5, "districts": 6,
    "schools": 90,          # 87.7: a school's own triples and its per-school aggregates
    "buildings": 14.5, "finance": 11, "safety_assessments": 5, "staff": 10.5,
    "textbooks": 11, "textbook_provision": 10, "training": 7, "crosswalks": 4,
}
TRIPLES_PER_ROW_OTHER = 15          # a table of another mapping: more than any table but schools
# The vocabulary (3,060 triples) and the derived, indicators and provenance graphs: a fixed
# part (the indicators of regions and districts) and a part per school row, which flattens as
# the districts fill up (34,890, 126,087 and 502,263 such triples for 37, 307 and 2,040 school
# rows: 338 per row from 30 to 300 schools, 217 from 300 to 2,000); the line through the
# larger two, rounded up.
TRIPLES_FIXED = 65_000
TRIPLES_PER_SCHOOL = 220

# The peak is now the bulk loader's, loading every table at once (its batches fill whatever
# the size: 1,744 MB at 2,000 schools, 3.8 M triples), or at national size the worker that
# decides the constraints on the mapped columns beside it (2,755 MB at 20,000, 37.2 M): a
# base that covers the loader and a little per triple, 7 % above the measurement at 2,000
# schools and nearly twice it at 20,000 (a national build errs high; bench/results/2026-12-06-*)
MEMORY_BASE = 1500 * MB             # interpreter, pandas, pyoxigraph, shapes, the bulk loader
MEMORY_PER_TRIPLE = 100             # bytes of peak RSS per triple over the base
DISK_BASE = 50 * MB
# bytes at the build's peak per triple: 298-327 measured before the dumps were written from the
# mapped N-Triples files; those files now stay beside the store until the dumps are written:
# 487 per triple measured at 7,500 schools, 431 at 20,000 (16,040 MB for 37.2 M triples); the
# snapshot the early CSV tables are read from (loaders/dumps.py) holds files the store's
# compactions replace until those tables are written: 589 at 2,000, 613 at 20,000 (22,805 MB);
# a CSV table is written unsorted and then sorted beside it (loaders/sorted_csv.py): 712 at
# 7,500 (10,045 MB for 14.1 M triples), 631 at 20,000 (23,480 MB)
DISK_PER_TRIPLE = 760

MODES = ("stop", "warn")


@dataclass(frozen=True)
class Needs:
    """What a build of this input needs, about."""

    memory_bytes: int
    disk_bytes: int
    rows: int = 0
    triples: int = 0


@dataclass(frozen=True)
class Available:
    """What the machine offers the build; ``None``: unknown, not checked."""

    memory_bytes: int | None
    disk_bytes: int | None
    memory_source: str = ""


def _rows(table: Any) -> int:
    """A row count, or the rows of a read source table (``readers.SourceTable``)."""
    return len(table.frame) if hasattr(table, "frame") else int(table)


def rows_in(path: Path) -> int:
    """About how many data rows an export holds, without reading it into memory: the lines of
    a CSV file less its header (a cell with line breaks counts more: an estimate errs high), or
    the rows of a workbook's largest sheet."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook
        try:
            book = load_workbook(path, read_only=True)
        except Exception:          # unreadable: reading it will say why, with the file's name
            return 0
        try:
            return max(((ws.max_row or 1) - 1 for ws in book.worksheets), default=0)
        finally:
            book.close()
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def estimate(tables: Mapping[str, Any]) -> Needs:
    """The memory and disk a build needs for these tables: ``{table: rows}`` or the build's
    ``{table: SourceTable}``. Pure: it looks at nothing but its argument."""
    rows = {name: _rows(t) for name, t in tables.items()}
    triples = TRIPLES_FIXED + TRIPLES_PER_SCHOOL * rows.get("schools", 0) + sum(
        TRIPLES_PER_ROW.get(name, TRIPLES_PER_ROW_OTHER) * n for name, n in rows.items())
    triples = int(triples)
    return Needs(memory_bytes=MEMORY_BASE + MEMORY_PER_TRIPLE * triples,
                 disk_bytes=DISK_BASE + DISK_PER_TRIPLE * triples,
                 rows=sum(rows.values()), triples=triples)


# ------------------------------------------------------------------ what the machine has

def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None      # "max": no limit


def _stat(path: str, key: str) -> int:
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _meminfo(key: str) -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _own_rss() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cgroup_room() -> int | None:
    """Memory the cgroup limit still allows (page cache that can be dropped counts as room),
    cgroup v2 or v1; ``None`` without a limit."""
    for limit_file, usage_file, stat_file, cache_key in (
            ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current",
             "/sys/fs/cgroup/memory.stat", "inactive_file"),
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes",
             "/sys/fs/cgroup/memory/memory.stat", "total_inactive_file")):
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is None or usage is None or limit >= 1 << 60:        # v1 says "none" as ~2^63
            continue
        return max(0, limit - usage + _stat(stat_file, cache_key))
    return None


def available_memory() -> tuple[int | None, str]:
    """Bytes this build can grow to, and where the figure comes from: what the machine (or the
    cgroup limit, if smaller) can still give, plus what this process already holds, since the
    estimate is of the build's whole peak."""
    free, source = _meminfo("MemAvailable"), "MemAvailable in /proc/meminfo"
    room = _cgroup_room()
    if room is not None and (free is None or room < free):
        free, source = room, "the cgroup memory limit"
    if free is None:
        return None, "unknown"
    return free + _own_rss(), source


def free_disk(store_dir: Path) -> int | None:
    """Free bytes on the file system of ``store_dir`` (or of its nearest existing parent)."""
    path = Path(store_dir).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def measure(store_dir: Path) -> Available:
    memory, source = available_memory()
    return Available(memory, free_disk(store_dir), source)


# ------------------------------------------------------------------ the check

def _gb(n: int) -> str:
    return f"{n / GB:.1f} GB" if n >= GB else f"{n / MB:.0f} MB"


def check(needs: Needs, store_dir: Path, available: Available | None = None, mode: str = "stop",
          echo: Callable[[str], object] = print) -> None:
    """Stop (``BuildError``) when the build needs more memory or disk than ``available`` (by
    default: measured now); ``mode='warn'`` says so through ``echo`` and goes on."""
    if mode not in MODES:
        raise BuildError(f"capacity_check must be one of {', '.join(MODES)}, not '{mode}' "
                         f"(EMIS_LOD_CAPACITY_CHECK)")
    have = available if available is not None else measure(store_dir)
    short: list[str] = []
    if have.memory_bytes is not None and needs.memory_bytes > have.memory_bytes:
        short.append(f"about {_gb(needs.memory_bytes)} of memory, but {_gb(have.memory_bytes)} is "
                     f"available ({have.memory_source or 'as given'})")
    if have.disk_bytes is not None and needs.disk_bytes > have.disk_bytes:
        short.append(f"about {_gb(needs.disk_bytes)} of disk at {store_dir}, but "
                     f"{_gb(have.disk_bytes)} is free there")
    if not short:
        return
    message = (f"this build needs {' and '.join(short)} (estimated from {needs.rows:,} source rows, "
               f"about {needs.triples:,} triples). Free some memory or disk, build into a store on "
               f"a larger disk, or build on a larger machine; set EMIS_LOD_CAPACITY_CHECK=warn "
               f"to build anyway (it may then be killed for lack of memory or stop when the disk "
               f"is full; the served release is not affected either way)")
    if mode == "warn":
        echo(f"warning: {message}")
        return
    raise BuildError(message + ". Nothing was written.")
