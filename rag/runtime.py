"""Build the long-lived parts from settings once: embedder, index (and later the chain)."""

from __future__ import annotations

import os
from functools import lru_cache

from rag.embeddings import E5Embedder, Embedder
from rag.index import HybridIndex
from rag.settings import Settings


def set_threads(n: int) -> None:
    """Thread counts must be set before torch/numpy start their pools."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@lru_cache(maxsize=4)
def _embedder(path: str, threads: int) -> E5Embedder:
    from pathlib import Path

    return E5Embedder(Path(path), threads=threads)


def make_embedder(settings: Settings) -> Embedder:
    """The e5 embedder for these settings (cached: one model per process)."""
    return _embedder(str(settings.embed_path), settings.threads)


def open_index(settings: Settings, embedder: Embedder | None = None) -> HybridIndex:
    return HybridIndex.load(
        settings.index_dir,
        embedder or make_embedder(settings),
        chunk_size=settings.chunk_size,
        overlap=settings.chunk_overlap,
        rrf_k=settings.rrf_k,
    )
