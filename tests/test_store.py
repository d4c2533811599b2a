"""Oracle test: FAISS exact search equals NumPy brute force on seeded random data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.store import FaissStore, NumpyStore


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
