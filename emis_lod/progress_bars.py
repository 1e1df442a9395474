"""Progress bars for a build on the command line (tqdm), one line per phase on stderr.

tqdm draws nothing when stderr is not a terminal (``disable=None``), so logs and CI output stay
clean; ``--quiet`` and ``--json`` do not create bars at all.
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm


class Bars:
    """:class:`emis_lod.loaders.progress.Progress` drawn as tqdm bars."""

    def __init__(self, **options: Any) -> None:
        self.options = {"disable": None, "leave": True, "dynamic_ncols": True, **options}
        self.bar: tqdm | None = None

    def start(self, phase: str, total: int | None = None) -> None:
        self._finish()
        unit = "table" if total is not None else "step"
        # tqdm writes a postfix as ", text": "map  ####  3/10, schools  00:04"
        fmt = ("{desc:<11}{bar:30} {n_fmt}/{total_fmt}{postfix}  {elapsed}" if total is not None
               else "{desc:<11}{postfix}  {elapsed}")
        self.bar = tqdm(total=total, desc=phase, unit=unit, bar_format=fmt, **self.options)

    def advance(self, item: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(item, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        self._finish()

    def _finish(self) -> None:
        if self.bar is not None:
            if self.bar.total is None:
                self.bar.set_postfix_str("done", refresh=False)
            self.bar.close()
            self.bar = None
