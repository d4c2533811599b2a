"""kill -9 during an index build leaves the previous index loadable and correct."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rag.index import HybridIndex, build_index, current_version
from rag.retrieval.embeddings import FakeEmbedder
from rag.settings import PROJECT_ROOT

SLOW_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from rag.retrieval.embeddings import FakeEmbedder
    from rag.index import build_index

    class Slow(FakeEmbedder):
        def embed_batch(self, texts, kind):
            print("embedding", flush=True)
            time.sleep(30)
            return super().embed_batch(texts, kind)

    build_index(Path(sys.argv[1]), Path(sys.argv[2]), Slow(), rebuild=True)
    """
)


def test_kill_9_mid_build_keeps_the_previous_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "docs_corpus", corpus)
    index_dir = tmp_path / "ix"
    build_index(corpus, index_dir, FakeEmbedder())
    before = current_version(index_dir)
    (corpus / "new.txt").write_text("新增的文件：杭州的人工智能計劃。", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, str(corpus), str(index_dir)],
        stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.stdout.readline().strip() != "embedding":
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert current_version(index_dir) == before
    ix = HybridIndex.load(index_dir, FakeEmbedder())  # checksums verified on load
    assert len(ix.docs) == 5 and ix.search("人工智能終端產品產量", 1)
    # the next build cleans up and succeeds
    report = build_index(corpus, index_dir, FakeEmbedder())
    assert report.n_docs == 6 and not [p for p in index_dir.iterdir() if ".tmp-" in p.name]
