"""The simplest LangChain RAG retrieval, as its tutorials build it, against ours on the real corpus.

    python bench/bench_peer_dense.py [--k 5]

The peer: a plain ``SentenceTransformer`` of the same e5 folder (float32, e5's ``query: `` /
``passage: `` prefixes) behind LangChain's ``Embeddings`` interface, langchain_community's FAISS
vector store over the same 140 chunks, ``similarity_search(query, k)``. It runs in its own
process with the environment a user has by default (no thread or OpenMP settings of ours), so
its figures are what that pipeline gets out of the box. Ours: ``HybridIndex.search`` as the app
runs it (uncached query embedding). Both are timed on every question of eval/questions.jsonl
after three warm-up queries, and scored for hit@5. Prints a Markdown table and writes
bench/results/peer-dense.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib as bl

PEER = r'''
import json, sys, time, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/bench")
from langchain_community.vectorstores import FAISS
from langchain_core.embeddings import Embeddings
from sentence_transformers import SentenceTransformer
import benchlib as bl
from rag.eval.evaluate import evaluate_retrieval, load_questions
from rag.types import Hit

model = SentenceTransformer(sys.argv[2], device="cpu", local_files_only=True)

class E5(Embeddings):
    def embed_documents(self, texts):
        return model.encode(["passage: " + t for t in texts], normalize_embeddings=True).tolist()
    def embed_query(self, text):
        return model.encode(["query: " + text], normalize_embeddings=True)[0].tolist()

_, chunks = bl.real_chunks()
vs = FAISS.from_texts([c.text for c in chunks], E5(), metadatas=[{"i": i} for i in range(len(chunks))])
k = int(sys.argv[3])
def search(q):
    return [Hit(chunk=chunks[d.metadata["i"]], score=0.0, rank=r + 1) for r, d in enumerate(vs.similarity_search(q, k=k))]
for q in ("深圳", "Shenzhen AI", "人工智能企業"):
    search(q)
rep = evaluate_retrieval(load_questions(sys.argv[4]), search, time.perf_counter)
print(json.dumps({"latency_ms": [r["latency_ms"] for r in rep.rows],
                  "hit@5": {g: m["hit@5"] for g, m in rep.metrics.items() if g != "latency_ms"}}))
'''


def stats(lat: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(lat), 1), "p95_ms": round(bl.pct(lat, 95), 1), "n": len(lat)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=bl.positive_int, default=5)
    ap.add_argument("--questions", type=Path, default=bl.ROOT / "eval" / "questions.jsonl")
    args = ap.parse_args()
    if not args.questions.is_file():
        ap.error(f"question file not found: {args.questions}")
    if args.k > 50:
        ap.error(f"--k must be at most 50, got {args.k}")

    from rag.settings import Settings

    settings = Settings.from_env()
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("OMP_", "MKL_", "OPENBLAS_", "POLICYQA_", "TOKENIZERS_"))}
    clean.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", PEER, str(bl.ROOT), str(settings.embed_path), str(args.k),
                           str(args.questions)], capture_output=True, text=True, env=clean, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"bench_peer_dense: the peer failed:\n{proc.stderr[-2000:]}")
    peer = json.loads(proc.stdout.strip().splitlines()[-1])

    from rag.answer.conversation import condense
    from rag.eval.evaluate import evaluate_retrieval, load_questions
    from rag.index import HybridIndex, build_index
    from rag.retrieval.embeddings import E5Embedder
    from rag.runtime import set_threads

    set_threads(settings.threads)
    emb = E5Embedder(settings.embed_path, threads=settings.threads, cache_size=0,
                     int8_queries=settings.int8_queries, query_encoder=settings.query_encoder)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(settings.corpus_dir, Path(tmp), emb, chunk_size=settings.chunk_size, overlap=settings.chunk_overlap)
        ours = HybridIndex.load(Path(tmp), emb)
        for q in ("深圳", "Shenzhen AI", "人工智能企業"):
            ours.search(q, args.k)
        questions = load_questions(args.questions)
        rep = evaluate_retrieval(questions, lambda q: ours.search(q, args.k), time.perf_counter)
        stages: dict[str, list[float]] = {}
        for q in questions:  # a second pass, timing each stage of the same searches
            t: dict[str, float] = {}
            ours.search(condense(q.question, q.history), args.k, timings=t)
            for name, ms in t.items():
                stages.setdefault(name, []).append(ms)
    rows = {
        "ours": {**stats([r["latency_ms"] for r in rep.rows]),
                 "hit@5": {g: round(m["hit@5"], 3) for g, m in rep.metrics.items() if g != "latency_ms"},
                 "int8_queries": settings.int8_queries, "query_encoder": emb.active_query_encoder,
                 "stages_p50_ms": {n: round(statistics.median(v), 3) for n, v in stages.items()}},
        "peer_dense": {**stats(peer["latency_ms"]), "hit@5": {g: round(v, 3) for g, v in peer["hit@5"].items()}},
    }
    ratio = round(rows["ours"]["p50_ms"] / rows["peer_dense"]["p50_ms"], 2)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result = {"machine": bl.machine(), "uptime": uptime, "command": bl.command(), "ours_over_peer_p50": ratio,
              "versions": bl.versions("langchain-community", "langchain-core", "faiss-cpu", "torch",
                                      "sentence-transformers"),
              "notes": ["peer_dense = SentenceTransformer(e5 folder, float32) behind LangChain Embeddings, "
                        "langchain_community FAISS.from_texts, similarity_search(q, k); own process, default "
                        "environment (no OMP_/MKL_ settings)",
                        "ours = HybridIndex.search as the app runs it: e5 query (uncached), FAISS, BM25, RRF",
                        "both: three warm-up queries, then every question of the set once"],
              "rows": rows}
    out = bl.write_result("peer-dense.json", result)
    m = result["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, {m['mem_gb']} GB; k = {args.k}; command: {result['command']}")
    print("\n| pipeline | queries | p50 (ms) | p95 (ms) | hit@5 all | en | zh-Hans | zh-Hant |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        h = r["hit@5"]
        print(f"| {name} | {r['n']} | {r['p50_ms']} | {r['p95_ms']} | {h.get('all', 0):.3f} | {h.get('en', 0):.3f} | "
              f"{h.get('zh-Hans', 0):.3f} | {h.get('zh-Hant', 0):.3f} |")
    print(f"\nours/peer p50 = {ratio} (query encoder: {emb.active_query_encoder}); uptime: {uptime}")
    print("ours, stage p50 (ms): " + ", ".join(f"{n} {v}" for n, v in rows["ours"]["stages_p50_ms"].items()))
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
