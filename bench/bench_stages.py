"""Where the time of one ``HybridIndex.search`` goes, stage by stage, on the real corpus.

    python bench/bench_stages.py [--repeats 2] [--query-encoder onnx|torch]

Stages (``HybridIndex.search(..., timings=)``): normalise (language, Simplified matching form),
tokenise (e5 tokenizer; part of encode on the torch path), encode (query vector), faiss, jieba
(BM25 tokens, glossary terms for English), bm25, fusion, hits. Uncached query vectors; every
question of eval/questions.jsonl ``--repeats`` times. Prints Markdown and writes
bench/results/stages-<encoder>.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib as bl


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=bl.positive_int, default=2)
    ap.add_argument("--query-encoder", choices=["onnx", "torch"], default="onnx")
    args = ap.parse_args()

    from rag.runtime import set_threads

    set_threads(2)
    from rag.answer.conversation import condense
    from rag.eval.evaluate import load_questions
    from rag.index import HybridIndex, build_index
    from rag.retrieval.embeddings import E5Embedder
    from rag.settings import Settings

    settings = Settings.from_env()
    emb = E5Embedder(settings.embed_path, threads=settings.threads, cache_size=0, query_encoder=args.query_encoder)
    queries = [condense(q.question, q.history) for q in load_questions(bl.ROOT / "eval" / "questions.jsonl")]
    stages: dict[str, list[float]] = {}
    totals: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        build_index(settings.corpus_dir, Path(tmp), emb, chunk_size=settings.chunk_size, overlap=settings.chunk_overlap)
        index = HybridIndex.load(Path(tmp), emb)
        for q in ("深圳", "Shenzhen AI", "人工智能企業"):
            index.search(q, 5)
        for _ in range(args.repeats):
            for q in queries:
                t: dict[str, float] = {}
                t0 = time.perf_counter()
                index.search(q, 5, timings=t)
                totals.append((time.perf_counter() - t0) * 1000)
                for name, ms in t.items():
                    stages.setdefault(name, []).append(ms)
    whole = statistics.median(totals)
    rows = {n: {"p50_ms": round(statistics.median(v), 3), "p95_ms": round(bl.pct(v, 95), 3),
                "mean_ms": round(statistics.fmean(v), 3)} for n, v in stages.items()}
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result = {"machine": bl.machine(), "uptime": uptime, "command": bl.command(),
              "query_encoder": emb.active_query_encoder, "searches": len(totals),
              "search_p50_ms": round(whole, 2), "search_p95_ms": round(bl.pct(totals, 95), 2), "stages": rows}
    out = bl.write_result(f"stages-{args.query_encoder}.json", result)
    print(f"machine: {result['machine']}\nuptime: {uptime}\ncommand: {result['command']}")
    print(f"query encoder {emb.active_query_encoder}; {len(totals)} searches; whole search p50 {whole:.2f} ms, "
          f"p95 {result['search_p95_ms']} ms")
    print("\n| stage | p50 (ms) | p95 (ms) | mean (ms) |\n|---|---|---|---|")
    for n, r in rows.items():
        print(f"| {n} | {r['p50_ms']} | {r['p95_ms']} | {r['mean_ms']} |")
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
