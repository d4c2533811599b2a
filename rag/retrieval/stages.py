"""A stopwatch for the stages of one search: adds each stage's milliseconds to a dict, or does nothing."""

from __future__ import annotations

import time


class Stages:
    """``lap(name)`` charges the time since the previous lap to ``name``; with ``into=None`` it costs nothing."""

    __slots__ = ("into", "t")

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self.t = time.perf_counter() if into is not None else 0.0

    def lap(self, name: str | None) -> None:
        """Charge the elapsed time to ``name`` (None: a stage that timed itself; just restart the clock)."""
        if self.into is None:
            return
        now = time.perf_counter()
        if name is not None:
            self.into[name] = self.into.get(name, 0.0) + (now - self.t) * 1000
        self.t = now
