"""Build the long-lived parts from settings once: embedder, index (and later the chain)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.index import HybridIndex
from rag.retrieval.embeddings import E5Embedder, Embedder
from rag.retrieval.store import StoreSpec
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.chains import QAChain
    from rag.generators.base import AnswerGenerator


def set_threads(n: int) -> None:
    """Thread counts must be set before torch/numpy start their pools."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    # idle OpenMP threads spin-wait by default: under load (a UI serving, an LLM decoding)
    # that cost 10-40x in query latency, measured
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's per-thread malloc arenas for a long-running server.

    A web server answers from a pool of worker threads; by default glibc gives each thread
    its own arena, and memory freed in one is not reused by another, so RSS creeps up under
    concurrent chats. Returns whether the cap was applied (False off glibc)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_arena_max = -8  # from <malloc.h>
    return bool(mallopt(m_arena_max, arenas))


@lru_cache(maxsize=4)
def _embedder(path: str, threads: int, int8_queries: bool, query_encoder: str = "onnx") -> E5Embedder:
    from pathlib import Path

    return E5Embedder(Path(path), threads=threads, int8_queries=int8_queries, query_encoder=query_encoder)


def make_embedder(settings: Settings) -> Embedder:
    """The e5 embedder for these settings (cached: one model per process)."""
    return _embedder(str(settings.embed_path), settings.threads, settings.int8_queries, settings.query_encoder)


def open_index(settings: Settings, embedder: Embedder | None = None) -> HybridIndex:
    return HybridIndex.load(
        settings.index_dir,
        embedder or make_embedder(settings),
        chunk_size=settings.chunk_size,
        overlap=settings.chunk_overlap,
        rrf_k=settings.rrf_k,
        store=StoreSpec.from_settings(settings),
    )


def make_generator(settings: Settings, name: str | None = None) -> AnswerGenerator:
    """The answer generator by name: local, openai, extractive, or auto (local when installed)."""
    from rag.errors import ConfigError
    from rag.generators.extractive import ExtractiveGenerator
    from rag.generators.llm import LLMAnswerGenerator

    name = name or settings.generator
    if name == "auto":
        name = "local" if local_available(settings) else "extractive"
    if name == "extractive":
        return ExtractiveGenerator()
    if name == "local":
        from rag.generators.local import LocalGenerator

        return LLMAnswerGenerator(LocalGenerator(settings))
    if name == "openai":
        from rag.generators.pool import shared_pool

        # one server or several (comma-separated): a failed one sits out a cool-down either way
        return LLMAnswerGenerator(shared_pool(settings))
    raise ConfigError(f"generator must be one of local, openai, extractive, auto; got {name!r}")


def local_available(settings: Settings) -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None and settings.llm_path.is_file()


def make_chain(settings: Settings, generator: str | None = None) -> QAChain:
    from rag.answer.scope import load_scope
    from rag.chains import QAChain

    index = open_index(settings)
    scope = load_scope(index.embedder, settings.cache_dir) if settings.scope_threshold > 0 else None
    return QAChain(
        index,
        make_generator(settings, generator),
        top_k=settings.top_k,
        abstain_threshold=settings.abstain_threshold,
        max_question_chars=settings.max_question_chars,
        time_budget_s=settings.llm_timeout_s,
        scope=scope,
        scope_threshold=settings.scope_threshold,
    )
