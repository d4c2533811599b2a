"""Vector stores behind one protocol: FAISS (exact inner product) and a NumPy oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class VectorStore(Protocol):
    """Inner-product search over unit vectors."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids), each of shape (n_queries, k); ids are -1 where fewer exist."""
        ...


class FaissStore:
    """FAISS ``IndexFlatIP``: exact search, which stays fast at this corpus size."""

    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> FaissStore:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, self.size)) if self.size else 1
        scores, ids = self.index.search(q, k)
        return scores, ids

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        import faiss

        return cls(faiss.read_index(str(path)))


class NumpyStore:
    """Brute force with NumPy: the oracle FAISS is tested against."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.atleast_2d(queries).astype(np.float32)
        sims = q @ self.vectors.T
        k = min(k, self.vectors.shape[0])
        ids = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sims, ids, axis=1), ids
