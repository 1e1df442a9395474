"""What can go wrong in a build, said so that a person can act on it."""

from __future__ import annotations

from dataclasses import dataclass


class BuildError(Exception):
    """The build cannot run (unreadable file, missing required column, bad mapping).

    Nothing is published; the message names the file (and column) and how to fix it.
    """


@dataclass(frozen=True)
class Rejection:
    """One reason one source row did not load."""

    table: str
    file: str
    row: int          # as a spreadsheet shows it: header is row 1, first data row is row 2
    column: str
    value: str
    rule: str         # short machine-readable rule name, e.g. "required", "pattern", "reference"
    reason: str       # a sentence for the data team

    FIELDS = ("table", "file", "row", "column", "value", "rule", "reason")

    def where(self) -> str:
        return f"{self.file}:{self.row}:{self.column}"
