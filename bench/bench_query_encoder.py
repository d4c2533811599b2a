"""Query encoders side by side: latency, cosine to float32 query vectors, hit@1/hit@5.

    python bench/bench_query_encoder.py [--repeats 2] [--sets eval,devset]

Encoders: torch float32 (sentence-transformers), torch int8 (dynamic quantisation of the linear
layers), and the int8 ONNX graph of ``rag.tools.e5onnx`` on ONNX Runtime with 1 and 2 threads. Every
encoder embeds every question of each set (e5 ``query: `` prefix, text normalised as the index
does) ``--repeats`` times; latency is per single query, uncached. Retrieval quality is
``HybridIndex.search`` with that encoder over the same passages (float32), on eval/questions.jsonl
over docs_corpus, and on the held-out devset over docs_corpus plus its 8 documents. Prints Markdown
and writes bench/results/query-encoder.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib as bl

DEVSET = Path("/work/shared/devset")


def devset_corpus(dest: Path) -> Path:
    """docs_corpus plus the devset documents, manifests joined (docs_corpus itself is untouched)."""
    corpus = dest / "corpus"
    shutil.copytree(bl.ROOT / "docs_corpus", corpus)
    for f in (DEVSET / "corpus").glob("*.txt"):
        shutil.copy(f, corpus / f.name)
    ours = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    theirs = json.loads((DEVSET / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    (corpus / "manifest.json").write_text(json.dumps(ours + theirs, ensure_ascii=False), encoding="utf-8")
    return corpus


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=bl.positive_int, default=2)
    ap.add_argument("--sets", default="eval,devset", help="comma list of: eval, devset")
    args = ap.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    if not sets or any(s not in ("eval", "devset") for s in sets):
        ap.error(f"--sets must list eval and/or devset, got {args.sets!r}")

    from rag.runtime import set_threads

    set_threads(2)
    import numpy as np

    from rag.eval.evaluate import evaluate_retrieval, load_questions
    from rag.index import HybridIndex, build_index
    from rag.retrieval.embeddings import E5Embedder
    from rag.retrieval.onnx_query import OnnxQueryEncoder
    from rag.settings import Settings
    from rag.text import textnorm

    settings = Settings.from_env()
    base = E5Embedder(settings.embed_path, threads=settings.threads, cache_size=0, int8_queries=False,
                      query_encoder="torch")
    torch_int8 = E5Embedder(settings.embed_path, threads=settings.threads, cache_size=0, query_encoder="torch")
    onnx1 = OnnxQueryEncoder(settings.embed_path, threads=1)
    onnx2 = OnnxQueryEncoder(settings.embed_path, threads=2)
    encoders = {
        "torch-float32": lambda t: base.embed_batch([t], "query")[0],
        "torch-int8": lambda t: torch_int8.embed_batch([t], "query")[0],
        "onnx-int8 (1 thread)": lambda t: onnx1.encode(f"query: {t}"),
        "onnx-int8 (2 threads)": lambda t: onnx2.encode(f"query: {t}"),
    }
    files = {"eval": bl.ROOT / "eval" / "questions.jsonl", "devset": DEVSET / "questions.jsonl"}
    rows: dict[str, dict] = {name: {} for name in encoders}
    with tempfile.TemporaryDirectory() as tmp:
        for set_name in sets:
            questions = load_questions(files[set_name])
            corpus = settings.corpus_dir if set_name == "eval" else devset_corpus(Path(tmp) / set_name)
            texts = [textnorm.normalize(q.question) for q in questions]
            for enc in encoders.values():
                enc("warm up")
            ref = np.stack([encoders["torch-float32"](t) for t in texts])
            folder = Path(tmp) / f"index-{set_name}"
            build_index(corpus, folder, base, chunk_size=settings.chunk_size, overlap=settings.chunk_overlap)
            for name, enc in encoders.items():
                lat, vecs = [], []
                for _ in range(args.repeats):
                    vecs = []
                    for t in texts:
                        t0 = time.perf_counter()
                        vecs.append(enc(t))
                        lat.append((time.perf_counter() - t0) * 1000)
                cos = (np.stack(vecs) * ref).sum(1)

                class One:
                    name, dim = base.name, base.dim

                    def embed_batch(self, batch, kind, enc=enc):  # type: ignore[no-untyped-def]
                        return np.stack([enc(x) for x in batch]) if kind == "query" else base.embed_batch(batch, kind)

                index = HybridIndex.load(folder, One())  # type: ignore[arg-type]
                m = evaluate_retrieval(questions, lambda q, ix=index: ix.search(q, 5), time.perf_counter).metrics
                rows[name][set_name] = {
                    "p50_ms": round(statistics.median(lat), 2), "p95_ms": round(bl.pct(lat, 95), 2), "n": len(lat),
                    "cos_min": round(float(cos.min()), 4), "cos_mean": round(float(cos.mean()), 4),
                    "hit@1": round(m["all"]["hit@1"], 3), "hit@5": round(m["all"]["hit@5"], 3),
                    "n_gold": m["all"]["n"],
                }
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result = {"machine": bl.machine(), "uptime": uptime, "command": bl.command(),
              "versions": bl.versions("onnxruntime", "torch", "sentence-transformers", "tokenizers"),
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "rows": rows}
    out = bl.write_result("query-encoder.json", result)
    print(f"machine: {result['machine']}\nuptime: {uptime}\ncommand: {result['command']}")
    for set_name in sets:
        print(f"\n{set_name}: | encoder | p50 (ms) | p95 (ms) | cos min | cos mean | hit@1 | hit@5 |")
        print("|---|---|---|---|---|---|---|")
        for name, r in rows.items():
            s = r[set_name]
            print(f"| {name} | {s['p50_ms']} | {s['p95_ms']} | {s['cos_min']} | {s['cos_mean']} | "
                  f"{s['hit@1']:.3f} | {s['hit@5']:.3f} |")
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
