"""The index folder on disk: one build at a time, versions switched atomically, nothing lost.

A build holds ``<index>/.lock`` (``flock``, with the holder's pid written inside) from before it
reads anything until it has switched ``CURRENT``. A second build waits for it or stops with one
line naming the holder; the kernel releases the lock of a build that died, so its stale pid is
simply taken over. Under the lock, temporary files of dead builds are removed, the folder is
probed for write permission and free space is checked before anything is embedded. Every build
writes a new, uniquely named version folder; the previous live version is only pruned after
``CURRENT`` names the new one.

``POLICYQA_FAULT_AT=<step>`` makes a build ``os._exit`` at that step (``<step>:wait`` makes it stop
there and wait to be killed), so tests can crash it inside the swap window.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import PolicyQAError

LOCK_NAME = ".lock"
FAULT_VAR = "POLICYQA_FAULT_AT"
# embedded: vectors computed; written: temporary folder complete; renamed: the new version is in
# place but CURRENT still names the old one (the swap window); switched: CURRENT names the new one
FAULT_STEPS = ("locked", "embedded", "written", "renamed", "switched")
TMP_MARK = ".tmp-"


class IndexBusyError(PolicyQAError):
    """Another build holds the index folder's lock."""


class IndexWriteError(PolicyQAError):
    """The index folder cannot be written (permissions, full disk, any other OS error)."""


def os_error_line(exc: OSError, index_dir: Path) -> str:
    """One line for an OS error met while building the index, with what to do about it."""
    where = exc.filename or index_dir
    why = exc.strerror or exc.__class__.__name__
    hint = {
        errno.EACCES: "give write permission or choose another --index folder",
        errno.EPERM: "give write permission or choose another --index folder",
        errno.EROFS: "the file system is read-only; choose another --index folder",
        errno.ENOSPC: "free some disk space or choose another --index folder",
        errno.EDQUOT: "free some disk space or choose another --index folder",
        errno.EFBIG: "the file size limit was reached; raise it (ulimit -f) or choose another --index folder",
    }.get(exc.errno or 0, "the previous index is unchanged")
    return f"index build stopped at {where}: {why}; {hint}"


def fault_point(step: str) -> None:
    """Stop the process here when ``POLICYQA_FAULT_AT`` names this step (for crash tests)."""
    name, _, mode = os.environ.get(FAULT_VAR, "").partition(":")
    if name != step:
        return
    print(f"fault point {step} (pid {os.getpid()})", file=sys.stderr, flush=True)
    if mode == "wait":
        time.sleep(3600)
    os._exit(70)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(fd: int) -> int | None:
    raw = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(raw) if raw.isdigit() else None


@contextmanager
def build_lock(index_dir: Path, wait_s: float = 0.0) -> Iterator[str]:
    """Hold the index folder's build lock; yields a note when a dead build's lock was taken over.

    Raises:
        IndexBusyError: another live build holds it for longer than ``wait_s`` seconds.
        IndexWriteError: the folder cannot be created or written.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise IndexWriteError(os_error_line(exc, index_dir)) from None
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    raise IndexBusyError(
                        f"another index build (pid {holder or 'unknown'}) is writing {index_dir}; wait for it "
                        "to finish, or set POLICYQA_INDEX_LOCK_WAIT_S to wait for it"
                    ) from None
                time.sleep(0.2)
        previous = _read_pid(fd)
        note = ""
        if previous and previous != os.getpid() and not _pid_alive(previous):
            note = f"took over the lock of build pid {previous}, which is no longer running"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield note
        os.ftruncate(fd, 0)  # an empty lock file: the last build ended normally
    finally:
        os.close(fd)  # releases the flock


def clean_dead_builds(index_dir: Path) -> list[str]:
    """Remove temporary folders and files left by builds that died (call under the lock)."""
    removed = []
    for p in index_dir.iterdir():
        if p.name.startswith(".") and TMP_MARK in p.name:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed


def check_writable(index_dir: Path, need_bytes: int) -> None:
    """Probe write permission and free space before any embedding is spent.

    Raises:
        IndexWriteError: naming what is missing and how much space is free.
    """
    probe = index_dir / f".probe{TMP_MARK}{os.getpid()}"
    try:
        probe.write_bytes(b"x")
        probe.unlink()
        free = shutil.disk_usage(index_dir).free
    except OSError as exc:
        raise IndexWriteError(os_error_line(exc, index_dir)) from None
    if free < need_bytes:
        raise IndexWriteError(
            f"not enough free space for the index in {index_dir}: it needs about {need_bytes / 1e6:.0f} MB, "
            f"{free / 1e6:.0f} MB are free; free some space or choose another --index folder"
        )


def estimate_bytes(n_chunks: int, dim: int, n_chars: int) -> int:
    """What a version folder will take: vectors twice (FAISS and .npy), texts and offset maps."""
    return 2 * n_chunks * dim * 4 + 16 * n_chars + (1 << 20)


def new_version_name(content_hash: str, index_dir: Path) -> str:
    """A version folder name no other build has used: content hash, time, random suffix."""
    while True:
        name = f"v-{content_hash[:12]}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
        if not (index_dir / name).exists():
            return name


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def switch_current(index_dir: Path, version: str) -> None:
    """Point ``CURRENT`` at ``version`` in one rename: readers see the old name or the new one."""
    pointer_tmp = index_dir / f".CURRENT{TMP_MARK}{os.getpid()}"
    with open(pointer_tmp, "w", encoding="utf-8") as fh:
        fh.write(version + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")
    fsync_dir(index_dir)


def prune_versions(index_dir: Path, keep: set[str]) -> list[str]:
    """Remove version folders other than ``keep`` (call only after the switch)."""
    removed = []
    for p in index_dir.iterdir():
        if p.is_dir() and p.name.startswith("v-") and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed


def damaged_files(version_dir: Path, manifest: dict) -> list[str]:
    """Files of a version that its manifest's checksums do not vouch for; empty when all match.

    A manifest without checksums vouches for nothing, and so does one that leaves a file out.
    """
    from rag.ingest.corpus import file_sha256

    sums = manifest.get("checksums")
    if not isinstance(sums, dict) or not sums:
        return ["manifest.json (no checksums)"]
    bad = [n for n, d in sorted(sums.items()) if not (version_dir / n).is_file() or file_sha256(version_dir / n) != d]
    unlisted = sorted(p.name for p in version_dir.iterdir() if p.name != "manifest.json" and p.name not in sums)
    return bad + [f"{n} (not in the checksums)" for n in unlisted]


def read_manifest_file(version_dir: Path) -> dict:
    """The manifest of a version folder; raises OSError or ValueError when unreadable."""
    data = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("manifest.json is not an object")
    return data
