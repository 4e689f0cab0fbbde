"""The command line's progress bar: one bar per pass, each with its own ETA."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """A one-line progress bar on a terminal; redraws at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.t0 = time.monotonic()
        self.last = 0.0
        self.stage = ""
        self.stage_t0 = self.t0
        self.drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.stage_t0 = now
        elif done < total and now - self.last < 0.1:
            return
        self.last, self.stage = now, stage
        frac = min(1.0, done / total) if total else 1.0
        filled = int(frac * 30)
        bar = "#" * filled + "." * (30 - filled)
        self.stream.write(
            f"\r{stage:<16}[{bar}] {frac:4.0%} {now - self.t0:7.1f}s {self._eta(now, frac)} "
        )
        self.stream.flush()
        self.drawn = True

    def _eta(self, now: float, frac: float) -> str:
        """Time left in this pass at its rate so far (each pass of a spilled run has its own
        bar, so the estimate never mixes a fast pass's rate into a slow one's)."""
        spent = now - self.stage_t0
        if frac >= 1.0:
            return "          "
        if frac < 0.02 or spent < 0.5:
            return "ETA     ? "
        left = spent * (1.0 - frac) / frac
        return f"ETA {left:5.0f}s" if left < 6000 else f"ETA {left / 60:4.0f}m "

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()
