"""Retrieval at scale: the real corpus, then synthetic corpora of recombined real sentences.

    python bench/bench_scale.py [--sizes 10000,100000] [--hnsw-min 100000] [--vectors e5-mean|random]
    python bench/bench_scale.py --sizes 1000000 --skip-size       # one size per run; rows are merged

For each size: build time, warm hybrid search latency (p50/p95, uncached query embedding) and
its stages, hit@5 on the question set, peak RSS, index size on disk. A synthetic corpus is the
real chunks plus n passages of recombined real sentences; their vectors are the normalised mean
of the real e5 vectors of their sentences (or random unit vectors), e5 time being projected from
the measured throughput; BM25 uses the real tokenizer. From --hnsw-min passages up, the HNSW
store (FaissStore.build) is compared with exact search: recall@10 against Flat and latency.
Prints Markdown tables and writes bench/results/scale.json (rows of other sizes are kept).
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
    RESULTS,
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
    sentence_vectors,
    versions,
    write_result,
)


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


def hit_at_5(index, questions) -> dict:  # type: ignore[no-untyped-def]
    """hit@5 over answerable questions: strict (a gold chunk of a gold document, as rag eval scores)
    and any passage containing a gold answer (a synthetic passage may repeat the gold sentence)."""
    from rag.answer.conversation import condense
    from rag.eval.evaluate import contains_gold, is_hit

    strict = lenient = n = 0
    for q in questions:
        if not q.answerable or not q.answers:
            continue
        hits = index.search(condense(q.question, q.history), 5)
        n += 1
        strict += any(is_hit(h, q) for h in hits)
        lenient += any(contains_gold(h.chunk.text, q.answers) for h in hits)
    return {"hit@5": round(strict / n, 3), "hit@5_any_passage": round(lenient / n, 3)}


def breakdown(index, queries: list[str], repeats: int) -> dict:  # type: ignore[no-untyped-def]
    """p50 of each stage of HybridIndex.search, timed on its own: query embedding, dense, BM25."""
    import numpy as np

    from rag.text.textnorm import detect_language, normalize

    emb, dense, bm = [], [], []
    for _ in range(repeats):
        for q in queries:
            t0 = time.perf_counter()
            qv = index.embedder.embed_batch([normalize(q)], "query")
            t1 = time.perf_counter()
            index.dense.search(np.asarray(qv), 30)
            t2 = time.perf_counter()
            toks = index.sparse_tokens(q, detect_language(q))
            index.bm25.top(toks, 30)
            t3 = time.perf_counter()
            emb.append((t1 - t0) * 1000)
            dense.append((t2 - t1) * 1000)
            bm.append((t3 - t2) * 1000)
    return {"embed_ms": round(statistics.median(emb), 1), "dense_ms": round(statistics.median(dense), 2),
            "bm25_ms": round(statistics.median(bm), 1)}


def hnsw_row(index, vectors, qvecs, queries, args) -> dict:  # type: ignore[no-untyped-def]
    """Recall@10 of HNSW against the exact store now in ``index``, an efSearch sweep, hybrid latency."""
    import faiss

    from rag.retrieval.store import FaissStore

    flat = index.dense
    t0 = time.perf_counter()
    _, exact = flat.search(qvecs, 10)
    t0 = time.perf_counter()
    for i in range(len(qvecs)):
        flat.search(qvecs[i:i + 1], 10)
    flat_ms = (time.perf_counter() - t0) * 1000 / len(qvecs)
    t0 = time.perf_counter()
    store = FaissStore.build(vectors, hnsw_min=1, m=args.hnsw_m, ef_construction=args.ef_construction)
    build_s = time.perf_counter() - t0
    sweep = []
    for ef in args.ef:
        store.index.hnsw.efSearch = ef
        hits = 0
        t0 = time.perf_counter()
        for i in range(len(qvecs)):  # one query at a time, as the app searches
            _, ids = store.search(qvecs[i:i + 1], 10)
            hits += len(set(exact[i].tolist()) & set(ids[0].tolist()))
        ms = (time.perf_counter() - t0) * 1000 / len(qvecs)
        sweep.append({"ef": ef, "recall@10": hits / (10 * len(qvecs)), "dense_ms": ms})
    chosen = next((s for s in sweep if s["recall@10"] >= args.target_recall), sweep[-1])
    store.index.hnsw.efSearch = chosen["ef"]
    index.dense = store
    lat = latencies(index, queries, args.repeats)
    parts = breakdown(index, queries, 1)
    index.dense = flat
    with tempfile.TemporaryDirectory() as tmp:
        faiss.write_index(store.index, str(Path(tmp) / "hnsw.faiss"))
        size = dir_bytes(Path(tmp))
    del store
    return {"m": args.hnsw_m, "ef_construction": args.ef_construction, "build_s": round(build_s, 1),
            "sweep": [{**s, "recall@10": round(s["recall@10"], 3), "dense_ms": round(s["dense_ms"], 2)} for s in sweep],
            "ef_search": chosen["ef"], "recall@10": round(chosen["recall@10"], 3),
            "flat_dense_ms": round(flat_ms, 2), "hnsw_dense_ms": round(chosen["dense_ms"], 2),
            "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(pct(lat, 95), 1), "parts": parts,
            "bytes": size}


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
    ap.add_argument("--vectors", choices=["e5-mean", "random"], default="e5-mean",
                    help="synthetic vectors: normalised mean of the real e5 vectors of the passage's sentences, "
                         "or random unit vectors")
    ap.add_argument("--validate-mean", type=int, default=100,
                    help="embed this many synthetic passages for real to compare with their mean vectors (0: skip)")
    ap.add_argument("--fresh", action="store_true", help="drop rows of earlier runs from scale.json")
    ap.add_argument("--skip-size", action="store_true", help="do not write the index to disk to measure its size")
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for name in ("full_tokenize_max", "embed_max", "validate_mean"):
        if getattr(args, name) < 0:
            ap.error(f"--{name.replace('_', '-')} must be at least 0, got {getattr(args, name)}")
    if not args.questions.is_file():
        ap.error(f"question file not found: {args.questions}")

    from rag.runtime import set_threads

    set_threads(2)
    import numpy as np

    from rag.answer.conversation import condense
    from rag.eval.evaluate import load_questions
    from rag.index import HybridIndex, build_index
    from rag.retrieval.bm25 import tokenize
    from rag.retrieval.embeddings import E5Embedder
    from rag.settings import Settings
    from rag.text.textnorm import normalize

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
                     "p95_ms": round(pct(lat, 95), 1), "parts": breakdown(index, queries, 1),
                     **hit_at_5(index, questions), "peak_rss_mb": round(rss_mb("self", "VmHWM")),
                     "index_bytes": dir_bytes(Path(tmp)), "hnsw": None})
        real_chunks_ = index.chunks
        real_vecs = index.dense.index.reconstruct_n(0, index.dense.size)
    e5_rate = emb.passages / emb.passage_s
    qvecs = np.vstack([emb.embed_batch([normalize(q)], "query") for q in queries])
    real_toks = [tokenize(c.text) for c in real_chunks_]
    docs, _ = real_chunks()
    sentences = real_sentences(docs)
    sent_vecs = sentence_vectors(emb.inner, sentences) if args.vectors == "e5-mean" else None
    mean_check = None
    if sent_vecs is not None and args.validate_mean:
        probe = Synthetic(sentences, args.validate_mean, seed=args.seed + 1)
        real = emb.inner.embed_batch([normalize(t) for t in probe.texts()], "passage")
        cos = np.sum(real * probe.mean_vectors(sent_vecs), axis=1)
        mean_check = {"passages": args.validate_mean, "cos_mean": round(float(cos.mean()), 3),
                      "cos_min": round(float(cos.min()), 3)}
        print(f"mean-of-sentences vs real e5 passage vectors: {mean_check}", file=sys.stderr, flush=True)
    for n in args.sizes:
        del index
        reset_peak_rss()
        t0 = time.perf_counter()
        syn = Synthetic(sentences, n, seed=args.seed)
        chunks = [*real_chunks_, *syn.chunks()]
        synth_s = time.perf_counter() - t0
        toks, tok_s, how = syn.tokens(full=n <= args.full_tokenize_max)
        toks = [*real_toks, *toks]
        if n <= args.embed_max:
            e0 = emb.passage_s
            vectors = emb.embed_batch([normalize(c.text) for c in chunks[len(real_chunks_):]], "passage")
            e5_s, kind, projected = emb.passage_s - e0, "e5", False
        elif sent_vecs is not None:
            vectors = syn.mean_vectors(sent_vecs)
            e5_s, kind, projected = n / e5_rate, "mean of e5 sentence vectors", True
        else:
            vectors = random_unit_vectors(n, 384, args.seed)
            e5_s, kind, projected = n / e5_rate, "random unit (dim 384)", True
        vectors = np.vstack([real_vecs, vectors])
        index, parts = hybrid_from_parts(chunks, vectors, toks, emb, hnsw_min=2**62)
        del toks
        lat = latencies(index, queries, args.repeats)
        hit5 = hit_at_5(index, questions) if kind != "random unit (dim 384)" else {}
        row = {"corpus": "synthetic", "passages": n, "real_passages_included": len(real_chunks_), "vectors": kind,
               "tokens": how, "synth_s": round(synth_s, 1),
               "tokenize_s": round(tok_s, 1), "bm25_build_s": round(parts["bm25_build_s"], 1),
               "faiss_add_s": round(parts["faiss_add_s"], 2),
               "build_s": round(tok_s + parts["bm25_build_s"] + parts["faiss_add_s"], 1),
               "e5_s": round(e5_s, 1), "e5_projected": projected,
               "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(pct(lat, 95), 1),
               "parts": breakdown(index, queries, 1), **hit5}
        print(f"timed {n}: {json.dumps(row)}", file=sys.stderr, flush=True)
        row["index_bytes"] = save_bytes(index, vectors) if not args.skip_size else None
        row["hnsw"] = hnsw_row(index, vectors, qvecs, queries, args) if n >= args.hnsw_min else None
        row["peak_rss_mb"] = round(rss_mb("self", "VmHWM"))
        rows.append(row)
        del vectors, chunks, syn
        print(f"done {n}: {json.dumps(row)}", file=sys.stderr, flush=True)

    for r in rows:
        r["command"] = command()
    prev = RESULTS / "scale.json"
    if not args.fresh and prev.is_file():  # keep other sizes measured by earlier runs (each row has its command)
        old = json.loads(prev.read_text(encoding="utf-8"))
        mine = {(r["corpus"], r["passages"]) for r in rows}
        keep = [r for r in old.get("rows", []) if (r["corpus"], r["passages"]) not in mine and "command" in r]
        rows = sorted([*keep, *rows], key=lambda r: (r["corpus"] != "real", r["passages"]))
    result = {"machine": machine(), "command": command(),
              "versions": versions("faiss-cpu", "torch", "sentence-transformers", "jieba", "numpy", "scipy"),
              "e5_passages_per_s": round(e5_rate, 1), "queries_per_size": len(queries) * args.repeats,
              "mean_vector_check": mean_check,
              "notes": ["latency = HybridIndex.search(q, 5): e5 query embedding (uncached) + FAISS + BM25 + RRF; "
                        "parts = each stage timed on its own (p50)",
                        "synthetic corpora = n passages recombining real sentences + the real chunks (real e5 "
                        "vectors), so hit@5 on eval/questions.jsonl counts only real gold chunks among distractors",
                        "synthetic vectors 'mean of e5 sentence vectors': every real sentence embedded once with e5, "
                        "a passage gets the normalised mean of its sentences' vectors (an approximation; "
                        "mean_vector_check compares it with real e5 passage vectors); e5 time projected from the "
                        "measured throughput",
                        "BM25 tokens above --full-tokenize-max: each real sentence tokenized once by jieba and the "
                        "token lists joined per passage (valid only because synthetic passages are whole sentences)",
                        "build_s excludes e5 embedding (column e5_s); real corpus build includes chunking and saving",
                        "peak RSS is the process peak during that size (VmHWM reset per size), model included"],
              "rows": rows}
    out = write_result("scale.json", result)
    m = result["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, {m['mem_gb']} GB; e5 {e5_rate:.1f} passages/s; "
          f"{len(queries) * args.repeats} queries per size; command: {result['command']}")
    if mean_check:
        print(f"mean-of-sentence vectors vs real e5 vectors of {mean_check['passages']} synthetic passages: "
              f"cosine mean {mean_check['cos_mean']}, min {mean_check['cos_min']}")
    print("\n| corpus | passages | vectors | build excl. e5 (s) | e5 embed (s) | p50 / p95 (ms) | "
          "embed / dense / BM25 p50 (ms) | hit@5 (gold chunk / any passage with the answer) | peak RSS (MB) | index on disk (MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        e5 = f"{r['e5_s']:.0f} (projected)" if r["e5_projected"] else f"{r['e5_s']}"
        p = r.get("parts") or {}
        parts = f"{p['embed_ms']} / {p['dense_ms']} / {p['bm25_ms']}" if p else "–"
        size = f"{r['index_bytes'] / 2**20:.0f}" if r.get("index_bytes") else "–"
        print(f"| {r['corpus']} | {r['passages']:,} | {r['vectors']} | {r['build_s']} | {e5} | "
              f"{r['p50_ms']} / {r['p95_ms']} | {parts} | {r.get('hit@5', '–')} / {r.get('hit@5_any_passage', '–')} | {r['peak_rss_mb']:,} | {size} |")
    hn = [r for r in rows if r.get("hnsw")]
    if hn:
        print("\nApproximate index: FaissStore.build(hnsw_min=1) = IndexHNSWFlat(384, M), smallest efSearch with "
              f"recall@10 >= {args.target_recall} against exact (Flat) search, e5 vectors of the questions as queries")
        print("\n| passages | vectors | M / efC | efSearch | recall@10 vs Flat | Flat dense (ms/q) | HNSW dense (ms/q) | "
              "hybrid p50 / p95 Flat (ms) | hybrid p50 / p95 HNSW (ms) | HNSW build (s) | sweep ef:recall |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in hn:
            h = r["hnsw"]
            sweep = ", ".join(f"{s['ef']}:{s['recall@10']:.3f}" for s in h["sweep"])
            print(f"| {r['passages']:,} | {r['vectors']} | {h['m']} / {h['ef_construction']} | {h['ef_search']} | "
                  f"{h['recall@10']:.3f} | {h['flat_dense_ms']} | {h['hnsw_dense_ms']} | {r['p50_ms']} / "
                  f"{r['p95_ms']} | {h['p50_ms']} / {h['p95_ms']} | {h['build_s']} | {sweep} |")
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
