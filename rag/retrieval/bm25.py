"""BM25 over jieba tokens of the matching form (Simplified, half-width, digits ungrouped).

The term weights are precomputed into a sparse matrix once at index time, so a query costs
one column slice and a sum: nothing is rebuilt per query. Saved as plain arrays (no pickle).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from scipy import sparse

from rag.text import stopwords
from rag.text.textnorm import normalize

_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff%]", re.UNICODE)


@lru_cache(maxsize=1)
def load_jieba() -> ModuleType:
    """The jieba module, initialised once and quiet (its dictionary loads on first use)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens of the normalised text, lower-cased, without stopwords and punctuation."""
    norm = normalize(text).lower()
    toks = load_jieba().lcut_for_search(norm)
    return [t for t in (t.strip() for t in toks) if t and _TOKEN_OK.search(t) and t not in stopwords.SEARCH]


def passage_tokens(chunks: Sequence[Any], docs: Sequence[Any]) -> list[list[str]]:
    """What BM25 matches each chunk by: its own words and its document's title, since a passage
    often leaves the subject its title names unsaid (a budget article's fund paragraph never
    says "budget")."""
    titles = {d.meta.doc_id: tokenize(d.meta.title) for d in docs}
    return [tokenize(c.text) + titles.get(c.doc_id, []) for c in chunks]


class BM25:
    """Okapi BM25 with a precomputed (documents x terms) weight matrix."""

    def __init__(self, vocab: dict[str, int], weights: sparse.csc_matrix, k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab = vocab
        self.weights = weights
        self.k1 = k1
        self.b = b

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> BM25:
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(token_lists), dtype=np.float32)
        for r, toks in enumerate(token_lists):
            lengths[r] = len(toks)
            for term, tf in Counter(toks).items():
                c = vocab.setdefault(term, len(vocab))
                rows.append(r)
                cols.append(c)
                tfs.append(tf)
        n = len(token_lists)
        avgdl = float(lengths.mean()) if n else 0.0
        rows_a = np.asarray(rows, dtype=np.int64)
        cols_a = np.asarray(cols, dtype=np.int64)
        tf_a = np.asarray(tfs, dtype=np.float32)
        df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1.0 - b + b * lengths[rows_a] / max(avgdl, 1e-9))
        w = idf[cols_a] * tf_a * (k1 + 1.0) / (tf_a + norm)
        mat = sparse.csc_matrix((w.astype(np.float32), (rows_a, cols_a)), shape=(n, len(vocab)))
        return cls(vocab, mat, k1, b)

    def idf(self, term: str) -> float | None:
        """Inverse document frequency of a term, or None when the corpus never has it."""
        col = self.vocab.get(term)
        if col is None:
            return None
        df = int(self.weights.indptr[col + 1] - self.weights.indptr[col])
        n = self.size
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    @property
    def max_idf(self) -> float:
        n = self.size
        return math.log(1.0 + (n - 0.5) / 1.5)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        ids = [self.vocab[t] for t in query_tokens if t in self.vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        counts = Counter(ids)
        cols = np.fromiter(counts.keys(), dtype=np.int64)
        mult = np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self.weights[:, cols] @ mult).ravel().astype(np.float32)

    def top(self, query_tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        s = self.scores(query_tokens)
        if k >= len(s):
            order = np.argsort(-s, kind="stable")
        else:
            part = np.argpartition(-s, k)[:k]
            order = part[np.argsort(-s[part], kind="stable")]
        return [(int(i), float(s[i])) for i in order[:k] if s[i] > 0]

    def save(self, folder: Path) -> list[str]:
        m = self.weights.tocsc()
        np.savez(
            folder / "bm25.npz",
            data=m.data,
            indices=m.indices,
            indptr=m.indptr,
            shape=np.asarray(m.shape, dtype=np.int64),
        )
        (folder / "bm25_vocab.json").write_text(
            json.dumps({"k1": self.k1, "b": self.b, "vocab": self.vocab}, ensure_ascii=False), encoding="utf-8"
        )
        return ["bm25.npz", "bm25_vocab.json"]

    @classmethod
    def load(cls, folder: Path) -> BM25:
        with np.load(folder / "bm25.npz", allow_pickle=False) as z:
            shape = tuple(int(x) for x in z["shape"])
            mat = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
        meta = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        return cls(meta["vocab"], mat, float(meta["k1"]), float(meta["b"]))


