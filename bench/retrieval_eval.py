"""Scoring an embedder's indexes on question sets, for the bench scripts: build and load an index
(once more if the pipeline changed in between), search by the dense store alone, rounded metric rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def build_and_load(corpus: Path, folder: Path, embedder: Any, settings: Any) -> tuple[list, Any]:
    """(BuildReports, HybridIndex); builds once more (reusing the vectors) if the pipeline code under
    rag/ changed between the build and the load, as it can while someone edits the tree."""
    from rag.errors import IndexMismatchError
    from rag.index import HybridIndex
    from rag.retrieval.build import build_index

    chunking = {"chunk_size": settings.chunk_size, "overlap": settings.chunk_overlap}
    reports = [build_index(corpus, folder, embedder, **chunking)]
    try:
        return reports, HybridIndex.load(folder, embedder, rrf_k=settings.rrf_k, **chunking)
    except IndexMismatchError:
        reports.append(build_index(corpus, folder, embedder, **chunking))
        return reports, HybridIndex.load(folder, embedder, rrf_k=settings.rrf_k, **chunking)


def dense_search(index: Any, k: int = 5) -> Callable[[str], list]:
    """Top-k by the dense store alone, for the query vector the hybrid search would use."""
    from rag.retrieval.embeddings import embed_query
    from rag.text import textnorm
    from rag.types import Hit

    def search(query: str) -> list:
        qv = embed_query(index.embedder, textnorm.normalize(query))
        scores, ids = index.dense.search(qv[None, :], k)
        return [Hit(chunk=index.chunks[int(i)], score=float(s), rank=r + 1, dense_score=float(s))
                for r, (i, s) in enumerate(zip(ids[0], scores[0], strict=True)) if i >= 0]

    return search


def metrics_row(m: dict, langs: Sequence[str]) -> dict:
    out: dict[str, Any] = {lang: {"n": m[lang]["n"], **{k: round(m[lang][k], 3) for k in ("hit@1", "hit@5", "mrr")}}
                           for lang in langs if lang in m}
    if "latency_ms" in m:
        out["search_ms"] = {p: round(m["latency_ms"][p], 2) for p in ("p50", "p95")}
    return out


def score_splits(questions: dict[str, list], indexes: dict, langs: Sequence[str]) -> tuple[dict, dict]:
    """(hybrid, dense_only) metrics rows by split (``indexes`` by split too): ``HybridIndex.search``
    top 5, and the dense store's top 5 for the same query vector."""
    from rag.eval.evaluate import evaluate_retrieval

    hybrid, dense = {}, {}
    for split, qs in questions.items():
        index = indexes[split]
        index.search("warm up", 1)

        def search(q: str, ix: Any = index) -> list:
            return list(ix.search(q, 5))

        hybrid[split] = metrics_row(evaluate_retrieval(qs, search, time.perf_counter).metrics, langs)
        m = evaluate_retrieval(qs, dense_search(index), time.perf_counter).metrics
        m.pop("latency_ms", None)  # query vectors come from the hybrid pass's cache (e5): not a latency
        dense[split] = metrics_row(m, langs)
    return hybrid, dense
