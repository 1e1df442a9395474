"""How far a build has got, told to whoever runs it.

The build announces each phase (and each table within the long ones); the command line draws
progress bars from that (``emis_lod/progress_bars.py``), while the library, the tests and
``--quiet``/``--json`` runs pass :data:`SILENT`.
"""

from __future__ import annotations

from typing import Protocol

# The phases of a build, in order (BuildReport.phases uses the same names).
PHASES = ("read", "map", "load", "validate", "derive", "indicators", "dumps", "changes",
          "write")


class Progress(Protocol):
    def start(self, phase: str, total: int | None = None) -> None:
        """A phase begins; ``total`` items (tables) will be reported when it has any."""

    def advance(self, item: str) -> None:
        """One item of the current phase is done."""

    def close(self) -> None:
        """The build ended (finished or failed)."""


class Silent:
    def start(self, phase: str, total: int | None = None) -> None:
        pass

    def advance(self, item: str) -> None:
        pass

    def close(self) -> None:
        pass


SILENT = Silent()
