"""Vector stores behind one protocol: FAISS (exact, or HNSW for large corpora), Milvus
(``rag.retrieval.milvus_store``, chosen by ``POLICYQA_STORE=milvus``) and a NumPy oracle."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from rag.retrieval.milvus_store import MilvusSpec

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


@runtime_checkable
class TextSearch(Protocol):
    """Term search (BM25) over the same rows; ``BM25`` itself and the Milvus store have it."""

    def top(self, query_tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(row, score) best first; only the order is relied on."""
        ...


@dataclass(frozen=True)
class StoreSpec:
    """Where a version's vectors are searched: ``faiss`` (a file in the version folder) or
    ``milvus`` (a collection on the server at ``milvus_uri``; token from ``POLICYQA_MILVUS_TOKEN``)."""

    kind: str = "faiss"
    milvus_uri: str = "http://127.0.0.1:19530"
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Any) -> StoreSpec:
        return cls(settings.store, settings.milvus_uri, settings.milvus_timeout_s)

    @classmethod
    def from_env(cls) -> StoreSpec:
        """Only the store's own variables, validated as settings are."""
        from rag.settings import Settings

        env = {k: os.environ[k] for k in ("POLICYQA_STORE", "POLICYQA_MILVUS_URI", "POLICYQA_MILVUS_TIMEOUT_S")
               if os.environ.get(k)}
        return cls.from_settings(Settings.from_env(env))

    def ready(self) -> StoreSpec:
        """Fail now, before minutes of embedding, when the Milvus server cannot be reached."""
        if self.kind == "milvus":
            from rag.retrieval.milvus_store import ping

            ping(self.milvus())
        return self

    def milvus(self) -> MilvusSpec:
        from rag.retrieval.milvus_store import MilvusSpec

        return MilvusSpec(self.milvus_uri, self.timeout_s)


def same_store(manifest: dict | None, spec: StoreSpec) -> bool:
    """Was the version of ``manifest`` written to the store ``spec`` asks for?"""
    return (manifest or {}).get("store", {}).get("kind", "faiss") == spec.kind


def write_dense(spec: StoreSpec, folder: Path, version: str, vectors: np.ndarray, chunks: Sequence[Any],
                docs: Sequence[Any], config: dict) -> dict:
    """Write the searchable side of a version; returns the manifest's ``store`` entry.

    For Milvus the collection is complete and loaded when this returns; when it fails, the
    half-written version folder is removed and the error raised, so ``CURRENT`` is not switched."""
    if spec.kind != "milvus":
        FaissStore.build(vectors).save(folder / "dense.faiss")
        return {"kind": "faiss"}
    from rag.retrieval.bm25 import passage_tokens
    from rag.retrieval.milvus_store import write_version

    try:
        tokens = passage_tokens(chunks, docs)  # the matching form BM25 ranks by, as in FAISS mode
        return write_version(spec.milvus(), version, chunks, vectors, tokens, {d.doc_id: d for d in docs}, config)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def open_dense(folder: Path, manifest: dict, spec: StoreSpec) -> Any:
    """The dense store of a loaded version: its FAISS file, or the Milvus collection it names."""
    if manifest.get("store", {}).get("kind", "faiss") == "milvus":
        from rag.retrieval.milvus_store import MilvusSpec, MilvusStore

        # POLICYQA_MILVUS_URI when given (a server moved), else the address the build wrote to
        uri = spec.milvus_uri if spec.kind == "milvus" else manifest["store"].get("uri", spec.milvus_uri)
        return MilvusStore.open(MilvusSpec(uri, spec.timeout_s), manifest)
    if spec.kind == "milvus":
        from rag.errors import IndexMismatchError

        raise IndexMismatchError("POLICYQA_STORE=milvus but the index was built for FAISS; build it with: "
                                 "POLICYQA_STORE=milvus python -m rag index")
    return FaissStore.load(folder / "dense.faiss")


def prune_store(spec: StoreSpec, index_dir: Path, keep_versions: set[str]) -> None:
    """Drop Milvus collections of versions no longer kept (best effort)."""
    if spec.kind != "milvus":
        return
    import json

    from rag.retrieval.milvus_store import prune

    keep = set()
    for v in keep_versions:
        try:
            keep.add(json.loads((index_dir / v / "manifest.json").read_text(encoding="utf-8"))["store"]["collection"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    if keep:
        prune(spec.milvus(), keep)


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
        index: faiss.Index
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
            params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]  # not in faiss's stubs
                efSearch=max(int(self.index.hnsw.efSearch), k))
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
