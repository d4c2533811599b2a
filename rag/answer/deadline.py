"""The time budget of a generation.

In: a generator's stream of text pieces and a budget in seconds. Out: the same pieces, or a
``TimeoutError`` once the budget has passed even while the source is blocked. Also: whether a
given-up generation still runs, and elapsed milliseconds for the timings.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

GENERATE_THREAD = "policyqa-generate"


def generation_running() -> bool:
    """Is a generation still running on its worker thread (one given up after its time budget,
    which llama.cpp cannot interrupt inside a prompt evaluation or a model load)?"""
    return any(t.name == GENERATE_THREAD and t.is_alive() for t in threading.enumerate())


def within(pieces: Iterator[str], budget_s: float) -> Iterator[str]:
    """Yield from ``pieces`` but raise TimeoutError once ``budget_s`` has passed, even while the
    source is blocked (a hung server, a stuck native call): it is read on a worker thread."""
    out: queue.Queue = queue.Queue()
    done = object()
    gave_up = threading.Event()

    def pump() -> None:
        try:
            for piece in pieces:
                if gave_up.is_set():
                    break
                out.put(piece)
            out.put(done)
        except BaseException as exc:  # handed over to the reading side
            out.put(exc)
        finally:
            close = getattr(pieces, "close", None)
            if gave_up.is_set() and close is not None:
                close()  # let the backend go (an HTTP stream is closed, a model lock released)

    threading.Thread(target=pump, daemon=True, name=GENERATE_THREAD).start()
    deadline = time.monotonic() + budget_s
    try:
        while True:
            try:
                item = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError from None
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        gave_up.set()


def ms_since(t0: float) -> float:
    """Milliseconds since ``t0`` (a ``time.perf_counter()`` reading), to one decimal."""
    return round((time.perf_counter() - t0) * 1000, 1)
