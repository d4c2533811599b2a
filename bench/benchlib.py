"""Shared helpers of the bench scripts: machine facts, percentiles, memory, synthetic corpora."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "mem_gb": mem_gb, "python": platform.python_version()}


def versions(*dists: str) -> dict[str, str]:
    out = {}
    for d in dists:
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            out[d] = "not installed"
    return out


def command() -> str:
    return " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def git_state() -> dict:
    """HEAD and the files under rag/ that differ from it (what a result was measured on)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    return {"head": git("rev-parse", "--short", "HEAD").strip(),
            "rag_uncommitted": [ln[3:] for ln in git("status", "--porcelain", "--", "rag").splitlines() if ln.strip()]}


def positive_int(v: str) -> int:
    n = int(v)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def int_list(lo: int, hi: int):  # type: ignore[no-untyped-def]
    def parse(v: str) -> list[int]:
        try:
            out = [int(x) for x in v.split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {v!r}") from None
        if not out or any(not lo <= x <= hi for x in out):
            raise argparse.ArgumentTypeError(f"values must be between {lo} and {hi}, got {v!r}")
        return out

    return parse


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))] if s else float("nan")


def latency_ms(lat: list[float], digits: int = 1, mean: bool = False) -> dict:
    """p50 (the median), p95 (``pct``), optionally the mean, and n of latencies in ms."""
    return {"p50_ms": round(statistics.median(lat), digits), "p95_ms": round(pct(lat, 95), digits),
            **({"mean_ms": round(statistics.fmean(lat), digits)} if mean else {}), "n": len(lat)}


def timed(fn, queries) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds of ``fn(q)`` for each query, in order."""
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """Resident memory (VmRSS) or its peak (VmHWM) of a process, in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so a later peak belongs to one step."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / name
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def real_chunks(chunk_size: int = 220, overlap: int = 1):  # type: ignore[no-untyped-def]
    from rag.ingest.chunking import chunk_corpus
    from rag.ingest.corpus import load_corpus

    docs, _ = load_corpus(ROOT / "docs_corpus")
    return docs, chunk_corpus(docs, chunk_size, overlap)


def real_sentences(docs) -> list[str]:  # type: ignore[no-untyped-def]
    from rag.ingest.chunking import split_sentences

    out = []
    for d in docs:
        for s in split_sentences(d.text):
            t = d.text[s.start:s.end].strip()
            if len(t) >= 4:
                out.append(t)
    return out


class Synthetic:
    """n passages made by recombining random sentences of the real corpus (~target chars each).

    ``plans[i]`` lists the sentence indices of passage i, so tokens can be assembled from
    per-sentence tokens when tokenizing every passage afresh would not fit the time budget.
    """

    def __init__(self, sentences: list[str], n: int, seed: int = 0, target: int = 180) -> None:
        rng = random.Random(seed)
        self.sentences = sentences
        self.plans: list[tuple[int, ...]] = []
        for _ in range(n):
            plan: list[int] = []
            length = 0
            while length < target or not plan:
                j = rng.randrange(len(sentences))
                plan.append(j)
                length += len(sentences[j])
            self.plans.append(tuple(plan))

    def texts(self) -> list[str]:
        return ["".join(self.sentences[j] for j in p) for p in self.plans]

    def chunks(self):  # type: ignore[no-untyped-def]
        from rag.types import Chunk

        out = []
        for i, t in enumerate(self.texts()):
            out.append(Chunk(chunk_id=f"syn-{i}", doc_id=f"syn-doc-{i // 50}", text=t, start=0, end=len(t),
                             raw_start=0, raw_end=len(t)))
        return out

    def mean_vectors(self, sentence_vectors):  # type: ignore[no-untyped-def]
        """Each passage's vector: the normalised mean of its sentences' e5 vectors (an approximation
        of embedding the passage, which at 16 passages/s would take hours at 100k)."""
        import numpy as np

        out = np.empty((len(self.plans), sentence_vectors.shape[1]), dtype=np.float32)
        step = 50_000
        for a in range(0, len(self.plans), step):
            plans = self.plans[a:a + step]
            flat = np.fromiter((j for p in plans for j in p), dtype=np.int64)
            starts = np.cumsum([0] + [len(p) for p in plans[:-1]])
            v = np.add.reduceat(sentence_vectors[flat], starts, axis=0)
            out[a:a + len(v)] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return out

    def tokens(self, full: bool) -> tuple[list[list[str]], float, str]:
        """Token lists, seconds, and how: every text tokenized, or per-sentence tokens joined."""
        from rag.retrieval.bm25 import tokenize

        t0 = time.perf_counter()
        if full:
            toks = [tokenize(t) for t in self.texts()]
            return toks, time.perf_counter() - t0, "jieba on every passage"
        per = [tokenize(s) for s in self.sentences]
        toks = [[t for j in p for t in per[j]] for p in self.plans]
        return toks, time.perf_counter() - t0, "jieba per sentence, joined"


def random_unit_vectors(n: int, dim: int = 384, seed: int = 0):  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for a in range(0, n, step):
        v = rng.standard_normal((min(step, n - a), dim), dtype=np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[a:a + len(v)] = v
    return out


def sentence_vectors(embedder, sentences: list[str]):  # type: ignore[no-untyped-def]
    """e5 passage vectors of the real sentences (normalised text, as the index embeds), cached on
    disk by model and sentence list so that every bench run reuses them."""
    import hashlib

    import numpy as np

    from rag.text.textnorm import normalize

    key = hashlib.sha256(json.dumps([embedder.name, sentences], ensure_ascii=False).encode()).hexdigest()[:16]
    cache = Path.home() / ".cache" / "policy-qa" / "bench" / f"sentence-vectors-{key}.npy"
    if cache.is_file():
        return np.load(cache, allow_pickle=False)
    vecs = embedder.embed_batch([normalize(s) for s in sentences], "passage")
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npy")
    np.save(tmp, vecs, allow_pickle=False)
    tmp.replace(cache)
    return vecs


def hybrid_from_parts(chunks, vectors, token_lists, embedder, hnsw_min: int | None = None):  # type: ignore[no-untyped-def]
    """A HybridIndex over given chunks, vectors and BM25 tokens, without touching disk.

    The dense store is what the product builds for this many vectors unless ``hnsw_min`` says otherwise.
    """
    from rag.index import HybridIndex
    from rag.retrieval.bm25 import BM25
    from rag.retrieval.store import HNSW_MIN_PASSAGES, FaissStore

    t0 = time.perf_counter()
    dense = FaissStore.build(vectors, hnsw_min=hnsw_min or HNSW_MIN_PASSAGES)
    t1 = time.perf_counter()
    bm25 = BM25.build(token_lists)
    t2 = time.perf_counter()
    index = HybridIndex(Path("."), {}, chunks, {}, dense, bm25, embedder)
    return index, {"faiss_add_s": t1 - t0, "bm25_build_s": t2 - t1}


class TimedEmbedder:
    """Wraps an embedder and adds up the passages it embeds, their characters and seconds (throughput
    for projections). With ``memo`` it remembers passage vectors by text and embeds each text once."""

    def __init__(self, inner, memo: bool = False) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.memo: dict | None = {} if memo else None
        self.passages = 0
        self.chars = 0
        self.passage_s = 0.0

    def _timed(self, texts):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        out = self.inner.embed_batch(texts, "passage")
        self.passage_s += time.perf_counter() - t0
        self.passages += len(texts)
        self.chars += sum(len(t) for t in texts)
        return out

    def embed_batch(self, texts, kind):  # type: ignore[no-untyped-def]
        if kind != "passage":
            return self.inner.embed_batch(texts, kind)
        if self.memo is None:
            return self._timed(texts)
        import numpy as np

        todo = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if todo:
            self.memo.update(zip(todo, self._timed(todo), strict=True))
        return np.stack([self.memo[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
