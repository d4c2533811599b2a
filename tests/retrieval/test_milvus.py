"""The Milvus store against a real ``milvus-lite server`` on 127.0.0.1, over the network protocol."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexMismatchError
from rag.index import HybridIndex, build_index, current_version
from rag.retrieval.bm25 import BM25
from rag.retrieval.embeddings import FakeEmbedder
from rag.retrieval.store import FaissStore, NumpyStore, StoreSpec
from rag.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "docs_corpus"
pytestmark = pytest.mark.skipif(importlib.util.find_spec("pymilvus") is None or shutil.which(
    "milvus-lite", path=str(Path(sys.executable).parent)) is None, reason='needs pip install -e ".[milvus]"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MilvusServer:
    """``milvus-lite server`` as a subprocess on a free loopback port; can be killed and restarted."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port = data_dir, free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> MilvusServer:
        exe = str(Path(sys.executable).parent / "milvus-lite")
        log = (self.data_dir.parent / f"{self.data_dir.name}.log").open("ab")
        self.proc = subprocess.Popen([exe, "server", "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"milvus-lite server exited with {self.proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                from pymilvus import MilvusClient

                MilvusClient(self.uri, timeout=5).list_collections(timeout=5)  # serving, not only listening
                break
            except Exception:
                if time.monotonic() > deadline:
                    pytest.fail("milvus-lite server did not open its port within 60 s")
                time.sleep(0.1)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def milvus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    data = tmp_path_factory.mktemp("milvus") / "data"
    data.mkdir()
    server = MilvusServer(data).start()
    yield server
    server.stop()


@pytest.fixture()
def own_milvus(tmp_path: Path) -> Iterator[MilvusServer]:
    """A server of this test alone, for the tests that kill it."""
    (tmp_path / "mdata").mkdir()
    server = MilvusServer(tmp_path / "mdata").start()
    yield server
    server.stop()


def spec(server: MilvusServer) -> StoreSpec:
    return StoreSpec("milvus", server.uri, 10.0)


@pytest.fixture(scope="module")
def fake_pair(milvus: MilvusServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[HybridIndex, HybridIndex]:
    """The real corpus indexed twice with the hash embedder: FAISS and Milvus."""
    emb = FakeEmbedder()
    f_dir, m_dir = tmp_path_factory.mktemp("faiss-ix"), tmp_path_factory.mktemp("milvus-ix")
    build_index(CORPUS, f_dir, emb, store=StoreSpec())
    build_index(CORPUS, m_dir, emb, store=spec(milvus))
    return HybridIndex.load(f_dir, emb, store=StoreSpec()), HybridIndex.load(m_dir, emb, store=spec(milvus))


def test_milvus_version_is_a_complete_collection_named_in_the_manifest(fake_pair, milvus) -> None:
    faiss_ix, milvus_ix = fake_pair
    man = milvus_ix.manifest
    assert man["store"]["kind"] == "milvus" and man["store"]["uri"] == milvus.uri
    assert man["store"]["collection"].startswith("policyqa_v_")
    assert not (milvus_ix.path / "dense.faiss").exists() and (milvus_ix.path / "vectors.npy").exists()
    assert milvus_ix.dense.size == len(milvus_ix.chunks) == len(faiss_ix.chunks)
    assert milvus_ix.stats()["chunks"] == faiss_ix.stats()["chunks"]


QUERIES = ["深圳人工智能企业数量目标", "杭州机器人产业", "How many AI companies will Shenzhen have by 2026?",
           "算力规模", "深圳與杭州的人工智能政策比較"]


def test_search_matches_faiss_on_the_real_corpus(fake_pair) -> None:
    faiss_ix, milvus_ix = fake_pair
    for q in QUERIES:
        f = [h.chunk.chunk_id for h in faiss_ix.search(q, 5)]
        m = [h.chunk.chunk_id for h in milvus_ix.search(q, 5)]
        assert len(set(f) & set(m)) >= 4, q  # server BM25 (jieba, per-segment IDF) may swap one


def test_server_side_hybrid_with_metadata_filters(fake_pair) -> None:
    _, ix = fake_pair
    doc = next(iter(ix.docs.values()))
    qv = ix.embedder.embed_batch(["人工智能"], "query")[0]
    tokens = ix.sparse_tokens("人工智能", "zh-Hans")
    rows = ix.dense.hybrid(qv, tokens, 10, doc_ids=[doc.doc_id])
    assert rows and {ix.chunks[r].doc_id for r, _ in rows} == {doc.doc_id}
    dates = sorted({d.meta.published for d in ix.docs.values() if d.meta.published})
    late = ix.dense.hybrid(qv, tokens, 10, date_from=dates[-1])
    assert late and all(ix.docs[ix.chunks[r].doc_id].meta.published >= dates[-1] for r, _ in late)
    everything = ix.dense.hybrid(qv, tokens, 10)
    assert [s for _, s in everything] == sorted((s for _, s in everything), reverse=True)


class VectorStoreContract:
    """Every dense store (FAISS flat and HNSW, Milvus): top-k by inner product equals NumPy brute force."""

    def make(self, vectors: np.ndarray, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def test_topk_equals_brute_force(self, request: pytest.FixtureRequest) -> None:
        rng = np.random.default_rng(5)
        base = rng.standard_normal((300, 16)).astype(np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        queries = base[:10] + 0.1 * rng.standard_normal((10, 16)).astype(np.float32)
        _, want = NumpyStore(base).search(queries, 5)
        scores, got = self.make(base, request).search(queries, 5)
        assert got.shape == (10, 5) and (got == want).all()
        assert (np.diff(scores, axis=1) <= 1e-6).all()


class TestFaissContract(VectorStoreContract):
    def make(self, vectors, request):  # type: ignore[no-untyped-def]
        return FaissStore.build(vectors)


class TestFaissHnswContract(VectorStoreContract):
    def make(self, vectors, request):  # type: ignore[no-untyped-def]
        store = FaissStore.build(vectors, hnsw_min=1)
        assert store.kind == "hnsw"
        return store


class TestMilvusContract(VectorStoreContract):
    def make(self, vectors, request):  # type: ignore[no-untyped-def]
        from rag.retrieval.milvus_store import MilvusSpec, MilvusStore, write_version
        from rag.types import Chunk

        server = request.getfixturevalue("milvus")
        chunks = [Chunk(f"c{i}", "d", "x", 0, 1, 0, 1) for i in range(len(vectors))]
        config = {"model": {"name": "random"}, "text_normalisation": "none", "pipeline": "test"}
        ms = MilvusSpec(server.uri)
        entry = write_version(ms, f"v-contract-{request.node.name[-6:]}", chunks, vectors,
                              [["x"]] * len(chunks), {}, config)
        return MilvusStore.open(ms, {"store": entry, "config": config})


TEXTS = [["深圳", "人工智能", "企业"], ["杭州", "人工智能", "算力"], ["深圳", "机器人"], ["杭州", "数据"],
         ["深圳", "人工智能", "人工智能", "终端"], ["北京", "量子"]]


class TextSearchContract:
    """Every term search: rows holding the query's terms come first, rows holding none never come."""

    def make(self, tokens: list[list[str]], request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def test_rows_with_the_terms_first_and_none_without(self, request: pytest.FixtureRequest) -> None:
        search = self.make(TEXTS, request)
        got = [row for row, _ in search.top(["深圳", "人工智能"], 10)]
        assert set(got) == {0, 1, 2, 4}  # every row with either term, no other
        assert set(got[:2]) == {0, 4}  # the two with both terms first
        scores = [s for _, s in search.top(["深圳", "人工智能"], 10)]
        assert scores == sorted(scores, reverse=True)

    def test_k_bounds_the_results_and_an_unknown_term_finds_nothing(self, request: pytest.FixtureRequest) -> None:
        search = self.make(TEXTS, request)
        assert len(search.top(["人工智能"], 2)) == 2
        assert search.top(["火星"], 5) == []


class TestBM25TextContract(TextSearchContract):
    def make(self, tokens, request):  # type: ignore[no-untyped-def]
        return BM25.build(tokens)


class TestMilvusTextContract(TextSearchContract):
    def make(self, tokens, request):  # type: ignore[no-untyped-def]
        from rag.retrieval.milvus_store import MilvusSpec, MilvusStore, write_version
        from rag.types import Chunk

        server = request.getfixturevalue("milvus")
        rng = np.random.default_rng(3)
        vectors = rng.standard_normal((len(tokens), 16)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = [Chunk(f"t{i}", "d", "x", 0, 1, 0, 1) for i in range(len(tokens))]
        config = {"model": {"name": "random"}, "text_normalisation": "none", "pipeline": "test-text"}
        ms = MilvusSpec(server.uri)
        entry = write_version(ms, f"v-text-{request.node.name[-6:]}", chunks, vectors, tokens, {}, config)
        return MilvusStore.open(ms, {"store": entry, "config": config})


def test_incremental_rebuild_reuses_vectors_and_keeps_the_previous_collection(milvus, tmp_path: Path) -> None:
    from pymilvus import MilvusClient

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    emb, ix_dir = FakeEmbedder(), tmp_path / "ix"
    first = build_index(corpus, ix_dir, emb, store=spec(milvus))
    assert build_index(corpus, ix_dir, emb, store=spec(milvus)).up_to_date
    name = sorted(p.name for p in corpus.glob("*.txt"))[0]
    text = (corpus / name).read_text(encoding="utf-8")
    cut = text.index("。", len(text) // 2) + 1  # inside the article: the cleaner keeps it
    (corpus / name).write_text(text[:cut] + "深圳新增量子计算测试段落。" + text[cut:], encoding="utf-8")
    second = build_index(corpus, ix_dir, emb, store=spec(milvus))
    assert second.version != first.version and 0 < second.embedded <= 15 and second.reused >= first.n_chunks - 15
    ix = HybridIndex.load(ix_dir, emb, store=spec(milvus))
    assert any("量子计算" in h.chunk.text for h in ix.search("量子计算", 3))
    third = build_index(corpus, ix_dir, emb, rebuild=True, store=spec(milvus))
    names = set(MilvusClient(milvus.uri).list_collections())
    coll = {v: "policyqa_" + v.replace("-", "_") for v in (first.version, second.version, third.version)}
    assert coll[third.version] in names and coll[second.version] in names  # a running app may still read it
    assert coll[first.version] not in names


def test_collection_written_by_another_normaliser_is_refused(milvus, tmp_path: Path) -> None:
    from pymilvus import MilvusClient

    emb = FakeEmbedder()
    build_index(CORPUS, tmp_path, emb, store=spec(milvus))
    man = json.loads((current_version(tmp_path) / "manifest.json").read_text(encoding="utf-8"))
    client = MilvusClient(milvus.uri)
    props = client.describe_collection(man["store"]["collection"])["properties"]
    other = {**json.loads(props["policyqa.config"]), "text_normalisation": "NFC-only"}
    client.alter_collection_properties(man["store"]["collection"], properties={"policyqa.config": json.dumps(other)})
    with pytest.raises(IndexMismatchError, match=r"another text_normalisation.*POLICYQA_STORE=milvus python -m rag"):
        HybridIndex.load(tmp_path, emb, store=spec(milvus))


def test_faiss_index_asked_for_as_milvus_names_the_build_command(milvus, tmp_path: Path) -> None:
    emb = FakeEmbedder()
    build_index(CORPUS, tmp_path, emb, store=StoreSpec())
    with pytest.raises(IndexMismatchError, match=r"built for FAISS.*POLICYQA_STORE=milvus python -m rag index"):
        HybridIndex.load(tmp_path, emb, store=spec(milvus))


@pytest.mark.slow
def test_hit_at_5_with_milvus_within_002_of_faiss(real_index, e5, milvus, tmp_path: Path) -> None:
    from rag.eval.evaluate import evaluate_retrieval, load_questions

    questions = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl")
    build_index(CORPUS, tmp_path, e5, chunk_size=real_index.manifest["config"]["chunker"]["size"],
                overlap=real_index.manifest["config"]["chunker"]["overlap_sentences"], store=spec(milvus))
    on_milvus = HybridIndex.load(tmp_path, e5, store=spec(milvus))
    f = evaluate_retrieval(questions, lambda q: real_index.search(q, 5), time.perf_counter)
    m = evaluate_retrieval(questions, lambda q: on_milvus.search(q, 5), time.perf_counter)
    hit5 = {name: r.metrics["all"]["hit@5"] for name, r in (("faiss", f), ("milvus", m))}
    assert abs(hit5["faiss"] - hit5["milvus"]) <= 0.02, hit5
