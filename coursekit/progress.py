"""A small text progress bar for training loops, in notebooks and terminals alike.

It redraws one line with carriage returns (which Jupyter and terminals both honour) and
redraws at most ``updates`` times, so a saved notebook stays small.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator


class ProgressBar:
    """Wrap an iterable: ``for batch in ProgressBar(batches, total=n, desc="epoch 1"): ...``.

    ``bar.set(loss=0.31)`` adds values to the line; the bar ends with a newline.
    """

    def __init__(self, iterable: Iterable, total: int | None = None, desc: str = "",
                 width: int = 30, updates: int = 20, file=None):
        self.iterable = iterable
        self.total = total if total is not None else _len_or_none(iterable)
        self.desc = desc
        self.width = width
        self.every = max(1, (self.total or updates) // updates)
        self.file = file if file is not None else sys.stdout
        self.values: dict[str, float] = {}
        self.count = 0
        self.start = time.perf_counter()

    def set(self, **values: float) -> None:
        self.values.update(values)

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.count += 1
            if self.count % self.every == 0 and self.count != self.total:
                self._draw()
        self._draw(final=True)

    def _draw(self, final: bool = False) -> None:
        elapsed = time.perf_counter() - self.start
        if self.total:
            filled = int(self.width * self.count / self.total)
            bar = "#" * filled + "-" * (self.width - filled)
            head = f"{self.desc} [{bar}] {self.count}/{self.total}"
        else:
            head = f"{self.desc} {self.count}"
        extras = " ".join(f"{k}={v:.4g}" for k, v in self.values.items())
        self.file.write(f"\r{head} {elapsed:5.1f}s {extras}".rstrip() + ("\n" if final else ""))
        self.file.flush()


def _len_or_none(iterable: Iterable) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None
