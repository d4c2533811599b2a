"""Retrieval benchmark on the real corpus: index build time, warm query latency, memory.

    python bench/bench_retrieval.py [--repeats 3] [--chunk-sizes 150,220,350]

Prints a Markdown table and writes bench/results/retrieval.json. With several chunk sizes it
also scores hit@k on eval/questions.jsonl for each (how the default size was chosen).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import machine  # noqa: E402


def positive_int(v: str) -> int:
    n = int(v)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def sizes(v: str) -> list[int]:
    out = [int(x) for x in v.split(",") if x.strip()]
    if not out or any(not 50 <= x <= 1200 for x in out):
        raise argparse.ArgumentTypeError(f"chunk sizes must be between 50 and 1200, got {v!r}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=positive_int, default=3, help="passes over the question set")
    ap.add_argument("--chunk-sizes", type=sizes, default=[220])
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    args = ap.parse_args()

    from rag.runtime import set_threads

    set_threads(2)
    from rag.answer.conversation import condense
    from rag.eval.evaluate import evaluate_retrieval, load_questions
    from rag.index import HybridIndex, build_index
    from rag.retrieval.embeddings import E5Embedder
    from rag.settings import Settings

    settings = Settings.from_env()
    questions = load_questions(args.questions)
    t0 = time.perf_counter()
    # no query cache: every measured query is embedded afresh
    emb = E5Embedder(settings.embed_path, threads=settings.threads, cache_size=0)
    emb.warm_up()
    load_s = time.perf_counter() - t0
    rows = []
    for size in args.chunk_sizes:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            report = build_index(settings.corpus_dir, Path(tmp), emb, chunk_size=size, overlap=settings.chunk_overlap)
            build_s = time.perf_counter() - t0
            disk = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
            index = HybridIndex.load(Path(tmp), emb)
            latencies = []
            for _ in range(args.repeats):
                for q in questions:
                    query = condense(q.question, q.history)
                    t1 = time.perf_counter()
                    index.search(query, 5)
                    latencies.append((time.perf_counter() - t1) * 1000)
            quality = evaluate_retrieval(questions, lambda q, ix=index: ix.search(q, 5), time.perf_counter).metrics
            rows.append({
                "chunk_size": size, "chunks": report.n_chunks, "build_s": round(build_s, 1),
                "build_incl_model_load_s": round(build_s + load_s, 1), "index_bytes": disk,
                "p50_ms": round(statistics.median(latencies), 1),
                "p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1),
                "hit@1": round(quality["all"]["hit@1"], 3), "hit@5": round(quality["all"]["hit@5"], 3),
                "en_hit@5": round(quality.get("en", {}).get("hit@5", 0.0), 3),
                "zh-Hans_hit@5": round(quality.get("zh-Hans", {}).get("hit@5", 0.0), 3),
                "zh-Hant_hit@5": round(quality.get("zh-Hant", {}).get("hit@5", 0.0), 3),
                "mrr": round(quality["all"]["mrr"], 3),
            })
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"machine": machine(), "command": " ".join(sys.argv), "model_load_s": round(load_s, 1),
              "peak_rss_mb": round(peak_mb), "queries_per_setting": len(questions) * args.repeats, "rows": rows}
    out = ROOT / "bench" / "results" / "retrieval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"machine: {result['machine']}; model load {load_s:.1f} s; peak RSS {peak_mb:.0f} MB")
    print("| chunk size | chunks | build (s) | build + model load (s) | p50 (ms) | p95 (ms) | hit@1 | hit@5 | "
          "en hit@5 | 简 hit@5 | 繁 hit@5 | MRR |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['chunk_size']} | {r['chunks']} | {r['build_s']} | {r['build_incl_model_load_s']} | {r['p50_ms']} | "
              f"{r['p95_ms']} | {r['hit@1']:.2f} | {r['hit@5']:.2f} | {r['en_hit@5']:.2f} | {r['zh-Hans_hit@5']:.2f} | "
              f"{r['zh-Hant_hit@5']:.2f} | {r['mrr']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
