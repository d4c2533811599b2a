"""Oracle test: FAISS exact search equals NumPy brute force on seeded random data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.retrieval.store import FaissStore, NumpyStore


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_faiss_topk_equals_numpy_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(1234)
    base, queries = _unit(rng, 2000, 384), _unit(rng, 25, 384)
    f_scores, f_ids = FaissStore.build(base).search(queries, 10)
    n_scores, n_ids = NumpyStore(base).search(queries, 10)
    assert (f_ids == n_ids).all()
    assert np.allclose(f_scores, n_scores, atol=1e-5)
    store = FaissStore.build(base)
    store.save(tmp_path / "x.faiss")
    again = FaissStore.load(tmp_path / "x.faiss")
    assert (again.search(queries, 10)[1] == n_ids).all()


def _clustered(rng: np.random.Generator, n: int, d: int, centres: int) -> np.ndarray:
    """Unit vectors around a few centres, varying in few directions, as text embeddings do
    (uniformly random ones are the worst case for any approximate index)."""
    c = _unit(rng, centres, d)
    basis = _unit(rng, 8, d)
    x = c[rng.integers(0, centres, n)] + 0.3 * rng.standard_normal((n, 8)).astype(np.float32) @ basis
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_small_store_is_exact_and_large_store_is_hnsw() -> None:
    rng = np.random.default_rng(7)
    base = _unit(rng, 300, 32)
    assert FaissStore.build(base).kind == "flat"
    assert FaissStore.build(base, hnsw_min=300).kind == "hnsw"
    assert FaissStore.build(base, hnsw_min=301).kind == "flat"


def test_hnsw_recall_at_10_against_numpy_on_clustered_vectors(tmp_path: Path) -> None:
    rng = np.random.default_rng(42)
    base = _clustered(rng, 5000, 64, 50)
    queries = _clustered(rng, 100, 64, 50)
    _, exact = NumpyStore(base).search(queries, 10)
    store = FaissStore.build(base, hnsw_min=1000)
    assert store.kind == "hnsw"
    _, ids = store.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact.tolist(), ids.tolist(), strict=True)])
    assert recall >= 0.95
    store.save(tmp_path / "h.faiss")
    again = FaissStore.load(tmp_path / "h.faiss")
    assert again.kind == "hnsw" and again.index.hnsw.efSearch == store.index.hnsw.efSearch
    assert (again.search(queries, 10)[1] == ids).all()


def test_hnsw_returns_k_results_when_k_exceeds_ef_search() -> None:
    rng = np.random.default_rng(3)
    store = FaissStore.build(_unit(rng, 2000, 16), hnsw_min=1, ef_search=4)
    _, ids = store.search(_unit(rng, 5, 16), 40)
    assert ids.shape == (5, 40) and (ids >= 0).all()


def test_build_refuses_nonsense_parameters() -> None:
    import pytest

    with pytest.raises(ValueError, match="hnsw_min"):
        FaissStore.build(np.zeros((3, 4), dtype=np.float32), hnsw_min=0)
