"""Retrieval at scale: the real corpus, then synthetic corpora of recombined real sentences.

    python bench/bench_scale.py [--sizes 10000,100000] [--hnsw-min 100000] [--repeats 1]

For each size: build time, warm hybrid search latency (p50/p95, uncached query embedding),
peak RSS, index size on disk. Synthetic passages get random unit vectors (dim 384) unless
--embed-max covers them (e5 at the measured throughput is projected instead); BM25 is built
with the real tokenizer over the synthetic texts. From --hnsw-min passages up, an approximate
FAISS index (HNSW) is compared with exact search: recall@10 against Flat and latency.
Prints Markdown tables and writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from benchlib import (
    ROOT,
    Synthetic,
    TimedEmbedder,
    command,
    dir_bytes,
    hybrid_from_parts,
    int_list,
    machine,
    pct,
    positive_int,
    random_unit_vectors,
    real_chunks,
    real_sentences,
    reset_peak_rss,
    rss_mb,
    versions,
    write_result,
)

CANONICAL = (10_000, 100_000, 1_000_000)


def recall_target(v: str) -> float:
    x = float(v)
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {x}")
    return x


def latencies(index, queries: list[str], repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeats):
        for q in queries:
            t0 = time.perf_counter()
            index.search(q, 5)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def save_bytes(index, vectors) -> int:  # type: ignore[no-untyped-def]
    """Bytes of the on-disk parts a saved index has: dense.faiss, vectors.npy, bm25, chunks.jsonl."""
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        index.dense.save(d / "dense.faiss")
        np.save(d / "vectors.npy", vectors, allow_pickle=False)
        index.bm25.save(d)
        with open(d / "chunks.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in index.chunks)
        return dir_bytes(d)


def hnsw_row(index, vectors, qvecs, queries, args) -> dict:  # type: ignore[no-untyped-def]
    import faiss

    from rag.store import FaissStore

    t0 = time.perf_counter()
    h = faiss.IndexHNSWFlat(vectors.shape[1], args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    h.hnsw.efConstruction = args.ef_construction
    h.add(vectors)
    build_s = time.perf_counter() - t0
    flat = index.dense.index
    t0 = time.perf_counter()
    _, exact = flat.search(qvecs, 10)
    flat_ms = (time.perf_counter() - t0) * 1000 / len(qvecs)
    sweep = []
    for ef in args.ef:
        h.hnsw.efSearch = ef
        hits = 0
        t0 = time.perf_counter()
        for i in range(len(qvecs)):  # one query at a time, as the app searches
            _, ids = h.search(qvecs[i:i + 1], 10)
            hits += len(set(exact[i].tolist()) & set(ids[0].tolist()))
        ms = (time.perf_counter() - t0) * 1000 / len(qvecs)
        sweep.append({"ef": ef, "recall@10": hits / (10 * len(qvecs)), "dense_ms": ms})
    chosen = next((s for s in sweep if s["recall@10"] >= args.target_recall), sweep[-1])
    h.hnsw.efSearch = chosen["ef"]
    exact_store = index.dense
    index.dense = FaissStore(h)
    lat = latencies(index, queries, args.repeats)
    index.dense = exact_store
    with tempfile.TemporaryDirectory() as tmp:
        faiss.write_index(h, str(Path(tmp) / "hnsw.faiss"))
        size = dir_bytes(Path(tmp))
    return {"m": args.hnsw_m, "ef_construction": args.ef_construction, "build_s": round(build_s, 1),
            "sweep": [{**s, "recall@10": round(s["recall@10"], 3), "dense_ms": round(s["dense_ms"], 2)} for s in sweep],
            "ef_search": chosen["ef"], "recall@10": round(chosen["recall@10"], 3),
            "flat_dense_ms": round(flat_ms, 2), "hnsw_dense_ms": round(chosen["dense_ms"], 2),
            "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(pct(lat, 95), 1), "bytes": size}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int_list(100, 2_000_000), default=[10_000, 100_000],
                    help="synthetic corpus sizes in passages (1000000 works: BM25 build takes minutes)")
    ap.add_argument("--repeats", type=positive_int, default=1, help="passes over the question set per size")
    ap.add_argument("--hnsw-min", type=positive_int, default=100_000, help="sizes from which HNSW is compared")
    ap.add_argument("--hnsw-m", type=positive_int, default=32)
    ap.add_argument("--ef-construction", type=positive_int, default=40)
    ap.add_argument("--ef", type=int_list(1, 4096), default=[16, 32, 64, 128, 256], help="efSearch values swept")
    ap.add_argument("--target-recall", type=recall_target, default=0.95, help="smallest efSearch reaching this")
    ap.add_argument("--full-tokenize-max", type=int, default=10_000,
                    help="up to this size every passage is tokenized; above, per-sentence tokens are joined")
    ap.add_argument("--embed-max", type=int, default=0, help="synthetic sizes up to this get real e5 vectors")
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not args.questions.is_file():
        ap.error(f"question file not found: {args.questions}")

    from rag.runtime import set_threads

    set_threads(2)
    import numpy as np

    from rag.chains import condense
    from rag.embeddings import E5Embedder
    from rag.evaluate import load_questions
    from rag.index import HybridIndex, build_index
    from rag.settings import Settings

    settings = Settings.from_env()
    questions = load_questions(args.questions)
    queries = [condense(q.question, q.history) for q in questions]
    emb = TimedEmbedder(E5Embedder(settings.embed_path, threads=2, cache_size=0))
    emb.inner.warm_up()
    rows = []

    reset_peak_rss()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = build_index(settings.corpus_dir, Path(tmp), emb, chunk_size=220, overlap=1)
        build_s = time.perf_counter() - t0
        index = HybridIndex.load(Path(tmp), emb)
        lat = latencies(index, queries, args.repeats)
        rows.append({"corpus": "real", "passages": report.n_chunks, "vectors": "e5", "tokens": "jieba on every passage",
                     "build_s": round(build_s - emb.passage_s, 1), "e5_s": round(emb.passage_s, 1),
                     "e5_projected": False, "p50_ms": round(statistics.median(lat), 1),
                     "p95_ms": round(pct(lat, 95), 1), "peak_rss_mb": round(rss_mb("self", "VmHWM")),
                     "index_bytes": dir_bytes(Path(tmp)), "hnsw": None})
    e5_rate = emb.passages / emb.passage_s
    qvecs = np.vstack([emb.embed_batch([q], "query") for q in queries])
    docs, _ = real_chunks()
    sentences = real_sentences(docs)
    for n in args.sizes:
        del index
        reset_peak_rss()
        t0 = time.perf_counter()
        syn = Synthetic(sentences, n, seed=args.seed)
        chunks = syn.chunks()
        synth_s = time.perf_counter() - t0
        toks, tok_s, how = syn.tokens(full=n <= args.full_tokenize_max)
        if n <= args.embed_max:
            e0 = emb.passage_s
            vectors = emb.embed_batch([c.text for c in chunks], "passage")
            e5_s, kind, projected = emb.passage_s - e0, "e5", False
        else:
            vectors = random_unit_vectors(n, 384, args.seed)
            e5_s, kind, projected = n / e5_rate, "random unit (dim 384)", True
        index, parts = hybrid_from_parts(chunks, vectors, toks, emb)
        del toks
        lat = latencies(index, queries, args.repeats)
        row = {"corpus": "synthetic", "passages": n, "vectors": kind, "tokens": how, "synth_s": round(synth_s, 1),
               "tokenize_s": round(tok_s, 1), "bm25_build_s": round(parts["bm25_build_s"], 1),
               "faiss_add_s": round(parts["faiss_add_s"], 2),
               "build_s": round(tok_s + parts["bm25_build_s"] + parts["faiss_add_s"], 1),
               "e5_s": round(e5_s, 1), "e5_projected": projected,
               "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(pct(lat, 95), 1)}
        row["index_bytes"] = save_bytes(index, vectors)
        row["hnsw"] = hnsw_row(index, vectors, qvecs, queries, args) if n >= args.hnsw_min else None
        row["peak_rss_mb"] = round(rss_mb("self", "VmHWM"))
        rows.append(row)
        del vectors, chunks, syn
        print(f"done {n}: {json.dumps({k: v for k, v in row.items() if k != 'hnsw'})}", file=sys.stderr, flush=True)

    full = [r for r in rows if r["corpus"] == "synthetic" and r["tokens"].startswith("jieba on every")]
    last = rows[-1]

    def projected_build(n: int) -> int | None:  # full jieba tokenization + BM25 build, scaled linearly
        if not full or last["corpus"] != "synthetic":
            return None
        f = full[-1]
        return round(n * (f["tokenize_s"] / f["passages"] + last["bm25_build_s"] / last["passages"]))

    not_run = [{"passages": n, "projected_e5_s": round(n / e5_rate), "projected_bm25_s": projected_build(n)}
               for n in CANONICAL if n not in args.sizes]
    result = {"machine": machine(), "command": command(),
              "versions": versions("faiss-cpu", "torch", "sentence-transformers", "jieba", "numpy", "scipy"),
              "e5_passages_per_s": round(e5_rate, 1), "queries_per_size": len(queries) * args.repeats,
              "notes": ["latency = HybridIndex.search(q, 5): e5 query embedding (uncached) + FAISS + BM25 + RRF",
                        "synthetic vectors are random unit vectors unless 'vectors' says e5; e5 time then projected "
                        "from the measured throughput; HNSW recall on random vectors is a pessimistic case",
                        "build_s excludes e5 embedding (column e5_s); real corpus build includes chunking and saving",
                        "peak RSS is the process peak during that size (VmHWM reset per size), model included"],
              "rows": rows, "not_run": not_run}
    out = write_result("scale.json", result)
    m = result["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, {m['mem_gb']} GB; e5 {e5_rate:.1f} passages/s; "
          f"{len(queries) * args.repeats} queries per size; command: {result['command']}")
    print("\n| corpus | passages | vectors | BM25 tokens | build excl. e5 (s) | e5 embed (s) | p50 (ms) | p95 (ms) | "
          "peak RSS (MB) | index on disk (MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        e5 = f"{r['e5_s']:.0f} (projected)" if r["e5_projected"] else f"{r['e5_s']}"
        print(f"| {r['corpus']} | {r['passages']:,} | {r['vectors']} | {r['tokens']} | {r['build_s']} | {e5} | "
              f"{r['p50_ms']} | {r['p95_ms']} | {r['peak_rss_mb']:,} | {r['index_bytes'] / 2**20:.1f} |")
    for nr in not_run:
        bm = f"~{nr['projected_bm25_s']} (linear projection)" if nr["projected_bm25_s"] else "?"
        print(f"| synthetic | {nr['passages']:,} | not run in this invocation (add it to --sizes) | | {bm} | "
              f"{nr['projected_e5_s']} (projected) | – | – | – | – |")
    hn = [r for r in rows if r.get("hnsw")]
    if hn:
        print(f"\nApproximate index: IndexHNSWFlat(384, {args.hnsw_m}), efConstruction {args.ef_construction}; "
              f"smallest efSearch with recall@10 >= {args.target_recall} against exact (Flat) search")
        print("\n| passages | efSearch | recall@10 vs Flat | Flat dense (ms/q) | HNSW dense (ms/q) | hybrid p50 / p95 "
              "Flat (ms) | hybrid p50 / p95 HNSW (ms) | HNSW build (s) | HNSW on disk (MB) | sweep ef:recall |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in hn:
            h = r["hnsw"]
            sweep = ", ".join(f"{s['ef']}:{s['recall@10']:.2f}" for s in h["sweep"])
            print(f"| {r['passages']:,} | {h['ef_search']} | {h['recall@10']:.3f} | {h['flat_dense_ms']} | "
                  f"{h['hnsw_dense_ms']} | {r['p50_ms']} / {r['p95_ms']} | {h['p50_ms']} / {h['p95_ms']} | "
                  f"{h['build_s']} | {h['bytes'] / 2**20:.1f} | {sweep} |")
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
