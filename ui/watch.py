"""Follow the index folder: when ``CURRENT`` names a new version, load it aside and swap it in.

Why a poll and not a file watch: ``CURRENT`` is replaced by a rename (so a watch on the file
loses it), the folder may sit on a network disk where inotify says nothing, and a stat every
few seconds costs nothing. Loading happens on the watcher's own thread, so questions go on
being answered from the old version until the new one is fully loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from rag.errors import PolicyQAError
from rag.index import HybridIndex

log = logging.getLogger("policyqa.ui")


def pointed_version(index_dir: Path) -> str:
    """The version name ``CURRENT`` holds now ("" when there is none or it cannot be read)."""
    try:
        return (Path(index_dir) / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


class IndexWatcher:
    """Loads each new version named by ``CURRENT`` and hands it to ``swap``.

    Args:
        index_dir: the index folder.
        load: opens the live version (``runtime.open_index`` with the app's embedder).
        swap: receives the loaded index; called only with a fully loaded one.
        served: the version served now (so the first poll does not reload it).
        interval_s: seconds between polls.
    """

    def __init__(self, index_dir: Path, load: Callable[[], HybridIndex], swap: Callable[[HybridIndex], None],
                 served: str, interval_s: float = 2.0) -> None:
        self.index_dir = Path(index_dir)
        self.load, self.swap = load, swap
        self.served = served
        self.interval_s = interval_s
        self.failed = ""  # a version that would not load: not retried until CURRENT changes
        self.error = ""
        self._lock = threading.Lock()  # one load at a time (the poll and an upload may both ask)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Load and swap in the version ``CURRENT`` names if it is new. Returns whether it swapped."""
        with self._lock:
            name = pointed_version(self.index_dir)
            if not name or name in (self.served, self.failed):
                return False
            try:
                index = self.load()
                index.targets  # noqa: B018 -- loaded now: old versions' files may be pruned later
            except PolicyQAError as exc:
                # a build may have switched again meanwhile: the next poll tries the new name
                self.failed = name if pointed_version(self.index_dir) == name else ""
                self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                log.warning("index version %s not loaded: %s (still serving %s)", name, self.error, self.served)
                return False
            self.swap(index)
            self.served, self.failed, self.error = index.path.name, "", ""
            log.warning("now serving index version %s", self.served)
            return True

    def start(self) -> IndexWatcher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="policyqa-index-watch", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # the watcher must outlive any one bad version
                log.exception("checking the index folder failed")
