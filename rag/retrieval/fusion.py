"""Reciprocal-rank fusion of dense and BM25 rankings, with weights per query language.

English questions reach BM25 through the glossary's Chinese terms (``HybridIndex.sparse_tokens``).
Measured on eval/questions.jsonl (English, hit@5 0.91 throughout): BM25 weight 0.3 / 0.6 / 1.0
gave hit@1 0.71 / 0.76 / 0.82 with one glossary term per phrase; with all alternatives, 1.0 gave
0.88 and 1.5 gave 0.91. Equal weights are kept: nearly the best, and nothing tuned to the set.
"""

from __future__ import annotations

from collections.abc import Sequence

# (dense weight, bm25 weight) by query language
WEIGHTS: dict[str, tuple[float, float]] = {
    "en": (1.0, 1.0),
    "zh-Hans": (1.0, 1.0),
    "zh-Hant": (1.0, 1.0),
}


def fuse(
    dense: Sequence[tuple[int, float]],
    bm25: Sequence[tuple[int, float]],
    *,
    lang: str = "zh-Hans",
    rrf_k: int = 60,
    weights: tuple[float, float] | None = None,
    also: Sequence[tuple[int, float]] = (),
) -> list[tuple[int, float]]:
    """Fuse two ranked lists of (id, score) into one list of (id, fused score), best first.

    ``also`` is a further ranking fused with the BM25 weight (for an English question, the
    candidates about the place it names: ``HybridIndex.place_ranking``).
    """
    wd, wb = weights or WEIGHTS.get(lang, (1.0, 1.0))
    scores: dict[int, float] = {}
    for w, ranking in ((wd, dense), (wb, bm25), (wb, also)):
        if w <= 0:
            continue
        for rank, (i, _) in enumerate(ranking):
            scores[i] = scores.get(i, 0.0) + w / (rrf_k + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
