"""Vector stores behind one protocol: FAISS (exact, or HNSW for large corpora) and a NumPy oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

# Below this many vectors the store is exact (IndexFlatIP); from it up, HNSW. Measured with
# bench/bench_scale.py on 2 cores (e5 vectors of the question set as queries): exact search costs
# about 0.13-0.15 ms per 1,000 passages (1.3 ms at 10k, 15 ms at 100k, 127 ms at 1M); HNSW at
# efSearch 256 takes 1.6 ms with recall@10 0.99 at 100k and 2.6 ms with 0.95 at 1M. From 50k
# passages exact search would spend over 7 ms of a 50 ms budget, so HNSW starts there.
HNSW_MIN_PASSAGES = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 256


@runtime_checkable
class VectorStore(Protocol):
    """Inner-product search over unit vectors."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids), each of shape (n_queries, k); ids are -1 where fewer exist."""
        ...


class FaissStore:
    """A FAISS index: ``IndexFlatIP`` (exact) below ``hnsw_min`` vectors, ``IndexHNSWFlat`` from it up.

    Either kind is saved and loaded with ``faiss.write_index`` / ``read_index``; HNSW keeps
    its efSearch in the file.
    """

    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray, *, hnsw_min: int = HNSW_MIN_PASSAGES, m: int = HNSW_M,
              ef_construction: int = HNSW_EF_CONSTRUCTION, ef_search: int = HNSW_EF_SEARCH) -> FaissStore:
        """Index unit vectors for inner-product search.

        Args:
            vectors: (n, dim) array, rows of unit length.
            hnsw_min: from this many vectors up the index is HNSW (approximate), else exact.
            m, ef_construction, ef_search: HNSW graph degree and beam widths (build, search).

        Raises:
            ValueError: when a parameter is out of range.
        """
        import faiss

        if hnsw_min < 1 or m < 2 or ef_construction < 1 or ef_search < 1:
            raise ValueError(f"hnsw_min and ef_* must be at least 1 and m at least 2, got hnsw_min={hnsw_min}, "
                             f"m={m}, ef_construction={ef_construction}, ef_search={ef_search}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors) >= hnsw_min:
            index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            index.hnsw.efSearch = ef_search
        else:
            index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def kind(self) -> str:
        """``flat`` (exact) or ``hnsw`` (approximate)."""
        return "hnsw" if hasattr(self.index, "hnsw") else "flat"

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, self.size)) if self.size else 1
        if self.kind == "hnsw":
            import faiss

            # the beam must be at least k wide, or HNSW returns fewer than k results
            params = faiss.SearchParametersHNSW(efSearch=max(int(self.index.hnsw.efSearch), k))
            return self.index.search(q, k, params=params)
        return self.index.search(q, k)

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
