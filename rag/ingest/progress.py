"""Ingest progress, step by step: each page read of a PDF, each batch of passages embedded.

`Ingestor.ingest(..., progress=callback)` calls `callback(IngestProgress)` at every step (the web
upload's progress bar can show `str(step)`: "manual.pdf: page 120/500"); on a terminal, ingest
also draws a bar per file and stage on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class IngestProgress:
    """One step of an ingest: `done` of `total` pages read ("page") or passages embedded ("passage")."""

    source: str  # the file's name
    unit: str  # "page" | "passage"
    done: int
    total: int

    def __str__(self) -> str:
        return f"{self.source}: {self.unit} {self.done}/{self.total}"


ProgressCallback = Callable[[IngestProgress], None]


class Progress:
    """Sends each step to the callback (if any) and, on a terminal, to a bar on stderr."""

    def __init__(self, callback: ProgressCallback | None = None, bars: bool = False):
        self.callback = callback
        self.bars = bars
        self._bar = None
        self._key: tuple[str, str] | None = None

    def step(self, source: str, unit: str, done: int, total: int) -> None:
        if self.callback is not None:
            self.callback(IngestProgress(source, unit, done, total))
        if not self.bars:
            return
        if self._key != (source, unit):
            from tqdm import tqdm

            self.close()
            self._bar = tqdm(total=total, desc=source[:30], unit=unit, file=sys.stderr, leave=False)
            self._key = (source, unit)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self.close()

    def pages(self, source: str) -> Callable[[int, int], None]:
        """The `progress(page, pages)` hook for reading one file."""
        return lambda page, pages: self.step(source, "page", page, pages)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._key = None, None
