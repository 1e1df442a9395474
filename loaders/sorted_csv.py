"""Sorting a SPARQL CSV result on its first column, outside the store.

The CSV tables of a release list their rows in the order of their first column, the table's
primary key (the resource's IRI). Oxigraph's ``ORDER BY`` holds every solution in memory until
the last one is sorted: for the 877,000 textbook provision rows of a 20,000-school country that
is 0.7 GB and a fifth of the query's time. Written unsorted and then sorted as lines by GNU
``sort`` (coreutils: bounded memory, temporary files beyond it), the same rows take 0.1 GB and
a second or two.

The order is that of the first cell's characters (code points), the order of the store's
``ORDER BY`` on the first column's strings: UTF-8 bytes compare as their code points do, and
``sort`` compares bytes in the C locale. Rows with equal first cells keep the order the store
gave them (``sort -s``; Python's sort is stable too).

Where a row's first cell ends must be certain. SPARQL CSV quotes a literal holding ``,``,
``"`` or a line break, but Oxigraph writes IRIs as they are, commas included. So a file
without a quote whose every line has one comma fewer than it has columns is sorted by
``sort`` on the text before the first comma; a file with quotes is read as CSV rows in Python;
a row with more cells than columns (an IRI with a comma) cannot be split with certainty, and
:func:`sort_rows` says so, for the caller to let the store sort.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .errors import BuildError

BLOCK = 8 << 20
SORT_MEMORY = "64M"      # sort's buffer; it spills to temporary files beyond it
_CELL = re.compile(r'"(?:[^"]|"")*"|[^,"\r\n]*')
_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*\n|(?i:BASE)\s*<[^>]*>|(?i:PREFIX)\s*[^\s:]*:\s*<[^>]*>)*")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_ROW = re.compile(rf"(?:{_CELL.pattern})(?:,(?:{_CELL.pattern}))*\r?\n")


def store_order(query: str, variables: list[str]) -> str:
    """``query`` (a SELECT without an ``ORDER BY`` of its own) with its rows
    sorted by the store on the first column: for the files :func:`sort_rows` cannot split.
    The key is a string made per row ("~" + the value sorts as the value does): the store keeps
    it in memory, where ``STR(?iri)`` would be read back from the store at every comparison."""
    prologue = _PROLOGUE.match(query)
    assert prologue is not None      # the pattern matches the empty prologue
    return (f"{prologue.group()}SELECT {' '.join('?' + v for v in variables)} WHERE {{ "
            f"{{ {query[prologue.end():]}\n}} "
            f'BIND(CONCAT("~", STR(?{variables[0]})) AS ?sort_key) }} ORDER BY ?sort_key')


def sort_rows(unsorted: Path, out: Path) -> bool:
    """Write ``unsorted`` (a header line, then rows) to ``out`` with its rows sorted on their
    first cell; False (and nothing written) when a row's cells cannot be told apart."""
    with open(unsorted, "rb") as f:
        header = f.readline()
        columns = header.count(b",") + 1
        quoted, rows, commas = False, 0, 0
        for block in iter(lambda: f.read(BLOCK), b""):
            quoted = quoted or b'"' in block
            rows += block.count(b"\n")
            commas += block.count(b",")
    sort = shutil.which("sort")
    if quoted or columns == 1 or sort is None:
        return _sort_in_python(unsorted, out, header, columns)
    if commas != rows * (columns - 1):       # an IRI with a comma in it
        return False
    with open(out, "wb") as sink:
        sink.write(header)
    with open(unsorted, "rb", buffering=0) as source, open(out, "ab") as sink:
        os.lseek(source.fileno(), len(header), os.SEEK_SET)
        done = subprocess.run([sort, "-s", "-t", ",", "-k1,1", "-S", SORT_MEMORY,
                               "-T", str(out.parent)],
                              stdin=source, stdout=sink, stderr=subprocess.PIPE,
                              env={**os.environ, "LC_ALL": "C"})
    if done.returncode != 0:
        raise BuildError(f"sorting {out.name} failed: {done.stderr.decode('utf-8', 'replace')} "
                         f"(free disk space in {out.parent} if that is what it says)")
    return True


def _first_cell(row: str) -> str:
    cell = _CELL.match(row)
    assert cell is not None      # the pattern matches the empty cell
    text = cell.group()
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def _sort_in_python(unsorted: Path, out: Path, header: bytes, columns: int) -> bool:
    text = unsorted.read_bytes()[len(header):].decode("utf-8")
    rows, at = [], 0
    while at < len(text):
        row = _ROW.match(text, at)
        if row is None or row.end() == at:
            raise BuildError(f"{unsorted.name}: not a CSV row at character {len(header) + at}")
        if _QUOTED.sub("", row.group()).count(",") + 1 != columns:
            return False
        rows.append(row.group())
        at = row.end()
    rows.sort(key=_first_cell)
    with open(out, "wb") as sink:
        sink.write(header)
        sink.write("".join(rows).encode("utf-8"))
    return True
