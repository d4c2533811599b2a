"""A Milvus server that dies mid-build or mid-query, a wrong URI, two app processes on one server."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.index import HybridIndex, build_index, current_version
from rag.retrieval.embeddings import FakeEmbedder
from rag.retrieval.milvus_store import MilvusError
from rag.retrieval.store import StoreSpec
from rag.settings import PROJECT_ROOT
from tests.retrieval import test_milvus as tm
from tests.retrieval.test_milvus import CORPUS, free_port, spec

pytestmark = tm.pytestmark
milvus, own_milvus = tm.milvus, tm.own_milvus  # the servers, shared with test_milvus.py

RUN = [sys.executable, "-m", "rag"]


def test_server_killed_mid_build_leaves_the_previous_version_serving(own_milvus, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from pymilvus import MilvusClient

    import rag.retrieval.milvus_store as ms

    emb, ix = FakeEmbedder(), tmp_path / "ix"
    first = build_index(CORPUS, ix, emb, store=spec(own_milvus))
    real_insert, calls = MilvusClient.insert, []

    def insert_then_die(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            own_milvus.kill()  # a real kill -9 of the server between two batches
        return real_insert(self, *args, **kwargs)

    monkeypatch.setattr(ms, "BATCH_ROWS", 40)
    monkeypatch.setattr(MilvusClient, "insert", insert_then_die)
    with pytest.raises(MilvusError, match=r"POLICYQA_MILVUS_URI") as info:
        build_index(CORPUS, ix, emb, rebuild=True, store=spec(own_milvus))
    assert "\n" not in str(info.value) and own_milvus.uri in str(info.value)
    assert current_version(ix).name == first.version
    assert not [p for p in ix.iterdir() if p.name.startswith(".v-")]  # no half-written folder left
    monkeypatch.undo()
    own_milvus.start()  # same data folder and port: load_collection() brings it back
    hits = HybridIndex.load(ix, emb, store=spec(own_milvus)).search("深圳人工智能企业", 3)
    assert len(hits) == 3


def test_server_killed_mid_query_is_one_clear_line(own_milvus, tmp_path: Path) -> None:
    emb = FakeEmbedder()
    build_index(CORPUS, tmp_path, emb, store=spec(own_milvus))
    index = HybridIndex.load(tmp_path, emb, store=spec(own_milvus))
    assert index.search("杭州", 2)
    own_milvus.kill()
    with pytest.raises(MilvusError, match=r"Milvus at http://127\.0\.0\.1:\d+ \(POLICYQA_MILVUS_URI\) failed"):
        index.search("杭州", 2)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_")}
    env.update({"PYTHONPATH": str(PROJECT_ROOT), **extra})
    return env


def test_unreachable_uri_is_one_line_and_leaves_the_local_index(tmp_path: Path) -> None:
    emb = FakeEmbedder()
    build_index(CORPUS, tmp_path, emb, store=StoreSpec())
    before = current_version(tmp_path).name
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MilvusError, match=r"POLICYQA_MILVUS_URI"):
        build_index(CORPUS, tmp_path, emb, store=StoreSpec("milvus", uri, 3.0))
    assert current_version(tmp_path).name == before
    # and through the CLI: exit status 2, one line, no traceback
    proc = subprocess.run([*RUN, "index", "--index", str(tmp_path), "--corpus", str(CORPUS)], capture_output=True,
                          text=True, env=_env(POLICYQA_STORE="milvus", POLICYQA_MILVUS_URI=uri), timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-400:]
    assert proc.stderr.strip().count("\n") == 0 and f"Milvus at {uri} (POLICYQA_MILVUS_URI)" in proc.stderr
    assert current_version(tmp_path).name == before


def test_bad_store_setting_is_refused_with_the_valid_values(tmp_path: Path) -> None:
    proc = subprocess.run([*RUN, "stats"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=_env(POLICYQA_STORE="qdrant"))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "store must be one of faiss, milvus, got 'qdrant'" in proc.stderr


@pytest.mark.slow
def test_two_app_processes_serve_from_one_milvus(milvus, e5, settings, tmp_path: Path) -> None:
    build_index(CORPUS, tmp_path, e5, chunk_size=settings.chunk_size, overlap=settings.chunk_overlap,
                store=spec(milvus))
    env = _env(POLICYQA_STORE="milvus", POLICYQA_MILVUS_URI=milvus.uri, POLICYQA_INDEX_DIR=str(tmp_path))
    env["POLICYQA_CACHE_DIR"] = str(settings.cache_dir)

    def search(q: str) -> subprocess.CompletedProcess:
        return subprocess.run([*RUN, "search", q, "--json"], capture_output=True, text=True, env=env, timeout=600,
                              cwd=tmp_path)

    qs = ["深圳到2026年人工智能企业数量目标是多少？", "杭州的人工智能产业规模"]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(search, qs))
    for q, r in zip(qs, runs, strict=True):
        assert r.returncode == 0, r.stderr[-500:]
        assert r.stdout.count("chunk_id") >= 3, q
