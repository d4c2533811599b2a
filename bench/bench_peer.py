"""Ours against a Langchain-Chatchat-style retrieval pipeline, same chunks, same e5 model.

    python bench/bench_peer.py [--sizes 10000] [--synthetic-queries 3]

The peer is what Langchain-Chatchat's "ensemble" retriever does: on EACH query a LangChain
BM25Retriever is rebuilt from the FAISS docstore (jieba.lcut_for_search as preprocess_func)
and fused with the FAISS vector store's retriever by EnsembleRetriever, weights 0.5/0.5.
The vector store is langchain_community's FAISS (flat, normalize_L2) over an Embeddings
wrapper of the same e5 model (``query: `` / ``passage: `` prefixes). Real corpus: hit@5 of
both on the question set and latency; synthetic corpora (recombined real sentences; vectors,
shared by both, the normalised mean of the e5 vectors of each passage's sentences): latency on
--synthetic-queries questions spread over the set. Ours is what the product builds at that size
(FAISS HNSW from rag.retrieval.store.HNSW_MIN_PASSAGES up).
Prints a Markdown table and writes bench/results/peer.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import benchlib as bl


def peer_parts(emb):  # type: ignore[no-untyped-def]
    import jieba
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.embeddings import Embeddings

    class E5Embeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return emb.embed_batch(texts, "passage").tolist()  # E5Embedder adds "passage: "

        def embed_query(self, text: str) -> list[float]:
            return emb.embed_batch([text], "query")[0].tolist()  # and "query: "

    def search_fn(vs, k: int):  # type: ignore[no-untyped-def]
        def search(query: str) -> list:
            docs = list(vs.docstore._dict.values())  # as Chatchat: rebuilt from the docstore per query
            bm25 = BM25Retriever.from_documents(docs, preprocess_func=jieba.lcut_for_search)
            bm25.k = k
            dense = vs.as_retriever(search_type="similarity", search_kwargs={"k": k})
            return EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5]).invoke(query)[:k]
        return search

    return E5Embeddings(), search_fn


def to_hits(docs, chunks):  # type: ignore[no-untyped-def]
    from rag.types import Hit

    return [Hit(chunk=chunks[d.metadata["i"]], score=0.0, rank=r + 1) for r, d in enumerate(docs)]


def stats(lat: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(lat), 1), "p95_ms": round(bl.pct(lat, 95), 1), "n": len(lat)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=bl.int_list(100, 1_000_000), default=[10_000],
                    help="synthetic sizes after the real corpus (100000: each peer query rebuilds BM25, minutes)")
    ap.add_argument("--synthetic-queries", type=bl.positive_int, default=3,
                    help="questions timed per synthetic size (the peer re-tokenizes the corpus per query)")
    ap.add_argument("--k", type=bl.positive_int, default=5)
    ap.add_argument("--questions", type=Path, default=bl.ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not args.questions.is_file():
        ap.error(f"question file not found: {args.questions}")
    if args.k > 50:
        ap.error(f"--k must be at most 50, got {args.k}")

    from rag.runtime import set_threads

    set_threads(2)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from langchain_community.vectorstores import FAISS

    from rag.answer.conversation import condense
    from rag.eval.evaluate import evaluate_retrieval, load_questions
    from rag.index import HybridIndex, build_index
    from rag.retrieval.embeddings import E5Embedder
    from rag.settings import Settings

    settings = Settings.from_env()
    questions = load_questions(args.questions)
    queries = [condense(q.question, q.history) for q in questions]
    emb = E5Embedder(settings.embed_path, threads=2, cache_size=0)
    emb.warm_up()
    lc_emb, peer_search = peer_parts(emb)
    docs, chunks = bl.real_chunks()
    rows = []

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_index(settings.corpus_dir, Path(tmp), emb, chunk_size=220, overlap=1)
        ours_build = time.perf_counter() - t0
        ours = HybridIndex.load(Path(tmp), emb)
    if [c.chunk_id for c in ours.chunks] != [c.chunk_id for c in chunks]:
        raise SystemExit("bench_peer: the index's chunks differ from chunk_corpus(docs, 220, 1)")
    t0 = time.perf_counter()
    vs = FAISS.from_texts([c.text for c in chunks], lc_emb, metadatas=[{"i": i} for i in range(len(chunks))],
                          normalize_L2=True)
    peer_build = time.perf_counter() - t0
    search = peer_search(vs, args.k)
    rep_ours = evaluate_retrieval(questions, lambda q, ix=ours: ix.search(q, args.k), time.perf_counter)
    rep_peer = evaluate_retrieval(questions, lambda q, s=search: to_hits(s(q), chunks), time.perf_counter)
    lat_o = [r["latency_ms"] for r in rep_ours.rows]
    lat_p = [r["latency_ms"] for r in rep_peer.rows]
    rows.append({"corpus": "real", "passages": len(chunks), "queries": len(queries),
                 "ours": {**stats(lat_o), "build_s": round(ours_build, 1),
                          "hit@5": round(rep_ours.metrics["all"]["hit@5"], 3),
                          "by_lang_hit@5": {g: round(m["hit@5"], 3) for g, m in rep_ours.metrics.items()
                                            if g not in ("all", "latency_ms")}},
                 "peer": {**stats(lat_p), "build_s": round(peer_build, 1),
                          "hit@5": round(rep_peer.metrics["all"]["hit@5"], 3),
                          "by_lang_hit@5": {g: round(m["hit@5"], 3) for g, m in rep_peer.metrics.items()
                                            if g not in ("all", "latency_ms")}}})
    del ours, vs

    sentences = bl.real_sentences(docs)
    sent_vecs = bl.sentence_vectors(emb, sentences) if args.sizes else None
    step = max(1, len(queries) // args.synthetic_queries)
    subset = queries[::step][: args.synthetic_queries]
    for n in args.sizes:
        syn = bl.Synthetic(sentences, n, seed=args.seed)
        schunks = syn.chunks()
        toks, _, _ = syn.tokens(full=n <= 10_000)
        vectors = syn.mean_vectors(sent_vecs)
        t0 = time.perf_counter()
        ours, _ = bl.hybrid_from_parts(schunks, vectors, toks, emb)
        ours_store = ours.dense.kind
        ours_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        vs = FAISS.from_embeddings(list(zip((c.text for c in schunks), vectors.tolist(), strict=True)), lc_emb,
                                   metadatas=[{"i": i} for i in range(n)], normalize_L2=True)
        peer_build = time.perf_counter() - t0
        search = peer_search(vs, args.k)
        lat_o = bl.timed(lambda q, ix=ours: ix.search(q, args.k), subset)
        lat_p = bl.timed(search, subset)
        rows.append({"corpus": "synthetic", "passages": n, "queries": len(subset),
                     "ours": {**stats(lat_o), "build_s": round(ours_build, 1), "hit@5": None, "store": ours_store},
                     "peer": {**stats(lat_p), "build_s": round(peer_build, 1), "hit@5": None}})
        del ours, vs, toks, vectors
        print(f"done {n}", file=sys.stderr, flush=True)
    for r in rows:
        r["ratio_p50"] = round(r["ours"]["p50_ms"] / r["peer"]["p50_ms"], 4)

    result = {"machine": bl.machine(), "command": bl.command(),
              "versions": bl.versions("langchain", "langchain-classic", "langchain-community", "langchain-core",
                                      "rank-bm25", "faiss-cpu", "torch", "sentence-transformers", "jieba"),
              "notes": ["ours = HybridIndex.search (e5 query uncached, FAISS Flat, precomputed BM25, RRF)",
                        "peer = Chatchat-style EnsembleRetriever(BM25Retriever rebuilt per query from the docstore, "
                        "jieba.lcut_for_search; FAISS vector store retriever), weights 0.5/0.5, top k",
                        "real corpus: both embed the same chunks with e5 (ours normalises text first); "
                        "synthetic: both use the same vectors (normalised mean of the e5 vectors of the passage's "
                        "sentences), hit@5 not scored (the peer needs minutes per query); ours' store: see 'store'",
                        "build_s: ours real = build_index incl. e5 + saving; synthetic = FAISS build + BM25 build "
                        "(tokens excluded); peer = FAISS vector store construction"],
              "rows": rows}
    out = bl.write_result("peer.json", result)
    m = result["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, {m['mem_gb']} GB; k = {args.k}; command: {result['command']}")
    print("\n| corpus | passages | queries | ours p50 / p95 (ms) | peer p50 / p95 (ms) | ours/peer p50 | ours hit@5 | "
          "peer hit@5 | ours build (s) | peer build (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        o, p = r["ours"], r["peer"]
        h = (f"{o['hit@5']:.3f} | {p['hit@5']:.3f}" if o["hit@5"] is not None else "– | –")
        print(f"| {r['corpus']} | {r['passages']:,} | {r['queries']} | {o['p50_ms']} / {o['p95_ms']} | "
              f"{p['p50_ms']} / {p['p95_ms']} | {r['ratio_p50']:.3f} | {h} | {o['build_s']} | {p['build_s']} |")
    by_o, by_p = rows[0]["ours"]["by_lang_hit@5"], rows[0]["peer"]["by_lang_hit@5"]
    print("\nhit@5 by question language (real corpus): " + "; ".join(
        f"{g}: ours {by_o[g]:.3f}, peer {by_p.get(g, 0):.3f}" for g in by_o))
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
