"""Index builds cannot lose the index: lock, unique versions, atomic switch, damage repaired, faults one line.

The builds that race, crash or meet a read-only folder are real processes; the fault hook
(``POLICYQA_FAULT_AT``) stops one at a chosen step, inside the swap window included.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from rag.errors import IndexMismatchError
from rag.index import HybridIndex, build_index, current_version
from rag.retrieval.embeddings import FakeEmbedder
from rag.retrieval.index_files import FAULT_STEPS, IndexWriteError
from rag.settings import PROJECT_ROOT

BUILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from rag.retrieval.embeddings import FakeEmbedder
    from rag.errors import PolicyQAError
    from rag.index import build_index

    class Slow(FakeEmbedder):
        def embed_batch(self, texts, kind):
            if kind == "passage":
                time.sleep(float(os.environ.get("SLOW_S", "0")))
            return super().embed_batch(texts, kind)

    try:
        r = build_index(Path(sys.argv[1]), Path(sys.argv[2]), Slow(), rebuild="--rebuild" in sys.argv,
                        lock_wait_s=float(os.environ.get("WAIT_S", "0")))
    except PolicyQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print("built", r.version, r.n_docs, flush=True)
    """
)


def start(corpus: Path, index_dir: Path, *flags: str, user: int | None = None, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD, str(corpus), str(index_dir), *flags], cwd=PROJECT_ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, user=user,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HOME": tempfile.gettempdir(), **env},
    )


def wait_for_fault(proc: subprocess.Popen[str], step: str) -> None:
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith(f"fault point {step}"), line


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "docs_corpus", corpus)
    build_index(corpus, tmp_path / "ix", FakeEmbedder())
    return corpus, tmp_path / "ix"


def loads(index_dir: Path) -> int:
    return len(HybridIndex.load(index_dir, FakeEmbedder()).docs)  # checksums verified


def leftovers(index_dir: Path) -> list[str]:
    return [p.name for p in index_dir.iterdir() if ".tmp-" in p.name]


def test_a_second_build_stops_with_one_line_naming_the_holder(built: tuple[Path, Path]) -> None:
    corpus, ix = built
    holder = start(corpus, ix, "--rebuild", POLICYQA_FAULT_AT="locked:wait")
    try:
        wait_for_fault(holder, "locked")
        cli = subprocess.run([sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index", str(ix)],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
        assert cli.returncode == 2
        assert cli.stderr.count("\n") == 1 and f"pid {holder.pid}" in cli.stderr and "Traceback" not in cli.stderr
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # the holder died holding the lock: the next build takes it over and says so
    report = build_index(corpus, ix, FakeEmbedder())
    assert any(f"pid {holder.pid}" in w and "no longer running" in w for w in report.warnings)
    assert loads(ix) == 5


def test_two_concurrent_rebuilds_both_finish_and_lose_nothing(built: tuple[Path, Path]) -> None:
    corpus, ix = built
    (corpus / "new.txt").write_text("新增的文件：杭州的人工智能計劃。", encoding="utf-8")
    procs = [start(corpus, ix, "--rebuild", SLOW_S="1", WAIT_S="120") for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert loads(ix) == 6
    live = current_version(ix)
    assert live is not None and len({p.name for p in ix.iterdir() if p.name.startswith("v-")}) <= 2
    assert not leftovers(ix)


def test_two_concurrent_rebuilds_without_waiting_one_refuses(built: tuple[Path, Path]) -> None:
    corpus, ix = built
    procs = [start(corpus, ix, "--rebuild", SLOW_S="2") for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 2], [0, 0]), outs  # [0, 0] only if the first finished before the second began
    for p, (_, err) in zip(procs, outs, strict=True):
        if p.returncode == 2:
            other = next(q for q in procs if q is not p)
            assert f"pid {other.pid}" in err and err.count("\n") == 1
    assert loads(ix) == 5


@pytest.mark.parametrize("step", FAULT_STEPS)
def test_a_crash_at_any_step_leaves_a_loadable_index(built: tuple[Path, Path], step: str) -> None:
    corpus, ix = built
    (corpus / "new.txt").write_text("新增的文件：杭州的人工智能計劃。", encoding="utf-8")
    proc = start(corpus, ix, "--rebuild", POLICYQA_FAULT_AT=step)
    proc.communicate(timeout=120)
    assert proc.returncode == 70
    assert loads(ix) == (6 if step == "switched" else 5)
    report = build_index(corpus, ix, FakeEmbedder())
    assert report.n_docs == 6 and loads(ix) == 6 and not leftovers(ix)


def test_kill_9_in_the_swap_window_of_a_same_content_rebuild(built: tuple[Path, Path]) -> None:
    # the same corpus rebuilt: the version folder used to get the live one's name and delete it
    corpus, ix = built
    before = current_version(ix)
    proc = start(corpus, ix, "--rebuild", POLICYQA_FAULT_AT="renamed:wait")
    wait_for_fault(proc, "renamed")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert current_version(ix) == before and loads(ix) == 5
    report = build_index(corpus, ix, FakeEmbedder())
    assert report.up_to_date and report.embedded == 0


def test_versions_are_unique_and_old_ones_pruned_after_the_switch(built: tuple[Path, Path]) -> None:
    corpus, ix = built
    names = [current_version(ix).name]  # type: ignore[union-attr]
    for _ in range(3):
        names.append(build_index(corpus, ix, FakeEmbedder(), rebuild=True).version)
    assert len(set(names)) == 4
    kept = sorted(p.name for p in ix.iterdir() if p.name.startswith("v-"))
    assert kept == sorted(names[-2:])  # the live one and the one before


def test_dead_builds_temporary_folders_are_removed(built: tuple[Path, Path]) -> None:
    corpus, ix = built
    junk = ix / ".v-0123456789ab.tmp-999999"
    junk.mkdir()
    (junk / "vectors.npy").write_bytes(b"\0" * 1_000_000)
    report = build_index(corpus, ix, FakeEmbedder(), rebuild=True)
    assert not junk.exists() and any("did not finish" in w for w in report.warnings)


@pytest.mark.parametrize("name", ["dense.faiss", "vectors.npy", "docs.jsonl", "targets.json"])
def test_plain_index_repairs_a_damaged_file(built: tuple[Path, Path], name: str) -> None:
    corpus, ix = built
    live = current_version(ix)
    assert live is not None
    data = bytearray((live / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (live / name).write_bytes(bytes(data))
    with pytest.raises(IndexMismatchError, match=name):
        loads(ix)
    report = build_index(corpus, ix, FakeEmbedder())
    assert not report.up_to_date and any("damaged" in w and name in w for w in report.warnings)
    assert report.embedded == (report.n_chunks if name == "vectors.npy" else 0)  # intact vectors are reused
    assert loads(ix) == 5


def test_a_manifest_without_checksums_is_refused_and_rebuilt(built: tuple[Path, Path]) -> None:
    corpus, ix = built
    live = current_version(ix)
    assert live is not None
    man = json.loads((live / "manifest.json").read_text())
    man["checksums"] = {}
    (live / "manifest.json").write_text(json.dumps(man))
    data = bytearray((live / "dense.faiss").read_bytes())
    data[-5] ^= 0x01
    (live / "dense.faiss").write_bytes(bytes(data))
    with pytest.raises(IndexMismatchError, match="no checksums"):
        loads(ix)
    report = build_index(corpus, ix, FakeEmbedder())
    assert not report.up_to_date and report.embedded == report.n_chunks  # nothing unvouched is reused
    assert loads(ix) == 5


def _make_read_only(folder: Path) -> bool:
    """chmod for a normal user; root writes through modes, so the folder is made immutable."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def test_read_only_index_folder_is_one_line_before_any_embedding(built: tuple[Path, Path]) -> None:
    corpus, ix = built
    (corpus / "new.txt").write_text("新增的文件：杭州的人工智能計劃。", encoding="utf-8")
    if not _make_read_only(ix):
        pytest.skip("cannot make a folder read-only here")
    try:
        proc = start(corpus, ix, POLICYQA_FAULT_AT="embedded")
        _, err = proc.communicate(timeout=120)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(ix)], check=True)
        ix.chmod(0o755)
    assert proc.returncode == 2 and err.count("\n") == 1, err  # 70 would mean it got to embedding
    assert ("Permission denied" in err or "Operation not permitted" in err) and str(ix) in err
    assert loads(ix) == 5


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs needs root")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_full_disk_is_refused_before_embedding_and_the_index_kept(small_disk: Path, tmp_path: Path) -> None:
    corpus, ix = tmp_path / "corpus", small_disk / "ix"
    shutil.copytree(PROJECT_ROOT / "docs_corpus", corpus)
    build_index(corpus, ix, FakeEmbedder())
    # about 1 MB of new text: its offset maps and chunks need more than the disk has left
    (corpus / "big.txt").write_text("深圳市人工智能產業發展報告第一部分。" * 60_000, encoding="utf-8")
    proc = start(corpus, ix, POLICYQA_FAULT_AT="embedded")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2 and err.count("\n") == 1 and "not enough free space" in err, err
    assert not leftovers(ix) and loads(ix) == 5


def test_a_write_that_fails_midway_is_one_line_and_leaves_no_temporary_folder(built: tuple[Path, Path]) -> None:
    # a file size limit makes the write fail like a full disk does, in a real process
    corpus, ix = built
    (corpus / "new.txt").write_text("新增的文件：杭州的人工智能計劃。", encoding="utf-8")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    proc = subprocess.Popen([sys.executable, "-B", "-c", BUILD, str(corpus), str(ix)], cwd=PROJECT_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and err.count("\n") == 1 and "index build stopped" in err, err
    assert not leftovers(ix) and loads(ix) == 5
    assert build_index(corpus, ix, FakeEmbedder()).n_docs == 6


def test_too_little_free_space_is_refused_before_embedding(built: tuple[Path, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, ix = built
    (corpus / "new.txt").write_text("新增的文件：杭州的人工智能計劃。", encoding="utf-8")
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=1000))

    class Counting(FakeEmbedder):
        passages = 0

        def embed_batch(self, texts, kind):  # type: ignore[no-untyped-def]
            if kind == "passage":
                Counting.passages += len(texts)
            return super().embed_batch(texts, kind)

    with pytest.raises(IndexWriteError, match=r"not enough free space .* MB are free"):
        build_index(corpus, ix, Counting())
    assert Counting.passages == 0 and not leftovers(ix) and loads(ix) == 5


def test_progress_is_reported_while_embedding(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    report = build_index(PROJECT_ROOT / "docs_corpus", tmp_path / "ix", FakeEmbedder(),
                         progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (report.embedded, report.embedded) and report.embedded == report.n_chunks
