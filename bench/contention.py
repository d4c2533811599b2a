"""CPU contention on a shared machine: load average, the cores other processes keep busy, waiting
for quiet, and a per-phase record of all three for a bench result."""

from __future__ import annotations

import os
import time
from pathlib import Path


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


class OtherCpu:
    """How many cores other processes kept busy between ``start()`` and ``cores()``: the machine's
    busy time (/proc/stat) less this process's own CPU time, over the wall time."""

    def __init__(self) -> None:
        self.start()

    @staticmethod
    def _busy_s() -> float:
        f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = f[3] + f[4]  # idle + iowait
        return (sum(f[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    def start(self) -> None:
        t = os.times()
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._busy_s(), t.user + t.system

    def cores(self) -> float:
        t = os.times()
        wall = time.perf_counter() - self.t0
        other = (self._busy_s() - self.busy0) - (t.user + t.system - self.own0)
        return round(max(0.0, other) / wall, 2) if wall > 0 else 0.0


def wait_quiet(max_s: float, below: float = 0.2, window_s: float = 5.0) -> dict:
    """Wait (at most ``max_s``) until other processes keep fewer than ``below`` cores busy over ``window_s``."""
    t0 = time.perf_counter()
    last = float("nan")
    while True:
        probe = OtherCpu()
        time.sleep(window_s)
        last = probe.cores()
        if last < below or time.perf_counter() - t0 >= max_s:
            return {"waited_s": round(time.perf_counter() - t0, 1), "other_cores_busy_last_window": last,
                    "quiet": last < below}


class Phases:
    """Phases of a run, one at a time: ``begin`` waits for quiet first (if ``quiet_s``), ``end`` keeps
    the cores other processes kept busy meanwhile; ``fields`` is the record for the result."""

    def __init__(self, quiet_s: float) -> None:
        self.quiet_s = quiet_s
        self.waited: dict[str, dict] = {}
        self.busy: dict[str, float] = {}
        self.loadavg_start: str | None = None
        self.current: tuple[str, OtherCpu] | None = None

    def begin(self, phase: str, wait_as: str) -> None:
        if self.quiet_s:
            self.waited[wait_as] = wait_quiet(self.quiet_s)
        if self.loadavg_start is None:
            self.loadavg_start = loadavg()
        self.current = (phase, OtherCpu())

    def end(self) -> None:
        assert self.current is not None, "end() without begin()"
        phase, meter = self.current
        self.busy[phase] = meter.cores()
        self.current = None

    def fields(self) -> dict:
        """``loadavg`` (first phase's start, now), ``other_processes_cores_busy``, ``waited_for_quiet`` if any."""
        out: dict = {"loadavg": {"phase_start": self.loadavg_start, "phase_end": loadavg()},
                     "other_processes_cores_busy": self.busy}
        if self.waited:
            out["waited_for_quiet"] = self.waited
        return out
