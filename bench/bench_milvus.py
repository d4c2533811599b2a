"""FAISS (in process) vs Milvus Lite (a server on 127.0.0.1) for the index's search side.

    python bench/bench_milvus.py [--sizes 0,100000] [--procs 1,2,4] [--uri http://HOST:PORT]
    python bench/bench_milvus.py --sizes 1000000      # optional; over 5 minutes here

Size 0 is the real corpus; n adds n synthetic passages of recombined real sentences (vectors:
normalised mean of their sentences' e5 vectors, as in bench_scale.py). For each size: build time
(FAISS + BM25 arrays; Milvus insert + flush + HNSW/BM25 index + load), p50/p95 search latency of
the hybrid the product runs (dense top-30 + BM25 top-30, fused by RRF; query vectors precomputed)
and of Milvus's server-side ``hybrid_search`` with ``RRFRanker(60)``, dense recall@10 against
exact NumPy search, and RSS (this process for FAISS, the server for Milvus). Then throughput with
1, 2 and 4 app processes searching one Milvus at once. Without --uri a ``milvus-lite server`` is
started in a temporary folder. Writes bench/results/milvus.json (rows of other sizes are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    RESULTS,
    ROOT,
    Synthetic,
    command,
    machine,
    pct,
    real_chunks,
    real_sentences,
    rss_mb,
    sentence_vectors,
    timed,
    versions,
    write_result,
)

DEPTH = 30


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = str(Path(sys.executable).parent / "milvus-lite")
    proc = subprocess.Popen([exe, "server", "--data-dir", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"http://127.0.0.1:{port}"
    from pymilvus import MilvusClient

    for _ in range(300):
        try:
            MilvusClient(uri, timeout=2).list_collections(timeout=2)
            return proc, uri
        except Exception:
            time.sleep(0.2)
    raise SystemExit("milvus-lite server did not start")


def server_rss_mb(proc: subprocess.Popen) -> float:
    """RSS of the server process and its children."""
    total = rss_mb(proc.pid)
    try:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        kids = []
    return total + sum(rss_mb(k) for k in kids)


def corpus(n: int, embedder):  # type: ignore[no-untyped-def]
    import numpy as np

    from rag.retrieval.bm25 import tokenize
    from rag.text.textnorm import normalize

    docs, chunks = real_chunks()
    vecs = embedder.embed_batch([normalize(c.text) for c in chunks], "passage")
    toks = [tokenize(c.text) for c in chunks]
    if n:
        syn = Synthetic(real_sentences(docs), n)
        sv = sentence_vectors(embedder, syn.sentences)
        chunks = chunks + syn.chunks()
        vecs = np.vstack([vecs, syn.mean_vectors(sv)])
        toks = toks + syn.tokens(full=False)[0]
    return docs, chunks, vecs, toks


def one_size(n: int, uri: str, server: subprocess.Popen | None, embedder, qtexts: list[str], qvecs) -> dict:  # type: ignore[no-untyped-def]
    import numpy as np

    from rag.index import HybridIndex
    from rag.retrieval.bm25 import BM25
    from rag.retrieval.fusion import fuse
    from rag.retrieval.milvus_store import MilvusSpec, MilvusStore, write_version
    from rag.retrieval.store import FaissStore, NumpyStore

    docs, chunks, vecs, toks = corpus(n, embedder)
    qtoks = [HybridIndex.sparse_tokens(q, "en" if q.isascii() else "zh-Hans") for q in qtexts]
    row: dict = {"passages": len(chunks)}
    rss0 = rss_mb()
    t0 = time.perf_counter()
    fstore, bm25 = FaissStore.build(vecs), BM25.build(toks)
    row["faiss"] = {"build_s": round(time.perf_counter() - t0, 2), "kind": fstore.kind,
                    "rss_added_mb": round(rss_mb() - rss0, 1)}
    spec = MilvusSpec(uri, timeout_s=600)
    config = {"model": {"name": embedder.name}, "text_normalisation": "bench", "pipeline": "bench"}
    rss_before = server_rss_mb(server) if server else None
    t0 = time.perf_counter()
    entry = write_version(spec, f"v-bench-{len(chunks)}", chunks, vecs, toks, {d.doc_id: d for d in docs}, config)
    mstore = MilvusStore.open(spec, {"store": entry, "config": config})
    row["milvus"] = {"build_s": round(time.perf_counter() - t0, 2),
                     "server_rss_mb": round(server_rss_mb(server), 1) if server else None,
                     "server_rss_before_mb": round(rss_before, 1) if rss_before is not None else None}
    pairs = list(zip(qvecs, qtoks, strict=True))

    def hybrid(store, terms):  # type: ignore[no-untyped-def]
        def run(p):  # type: ignore[no-untyped-def]
            s, i = store.search(p[0][None, :], DEPTH)
            return fuse([(int(a), float(b)) for a, b in zip(i[0], s[0], strict=True) if a >= 0], terms.top(p[1], DEPTH))
        return run

    for _ in range(2):  # warm both
        hybrid(fstore, bm25)(pairs[0]), hybrid(mstore, mstore)(pairs[0])
    for name, fn in (("faiss", hybrid(fstore, bm25)), ("milvus", hybrid(mstore, mstore)),
                     ("milvus_server_rrf", lambda p: mstore.hybrid(p[0], p[1], 10, depth=DEPTH))):
        lat = timed(fn, pairs)
        row.setdefault(name, {}).update({"p50_ms": round(pct(lat, 50), 2), "p95_ms": round(pct(lat, 95), 2)})
    _, exact = NumpyStore(vecs).search(qvecs, 10)
    for name, store in (("faiss", fstore), ("milvus", mstore)):
        _, ids = store.search(qvecs, 10)
        row[name]["recall@10"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in
                                                      zip(exact.tolist(), ids.tolist(), strict=True)])), 3)
    row["collection"] = entry["collection"]
    return row


def throughput(uri: str, collection: str, qfile: Path, procs: list[int], per_proc: int) -> dict:
    out = {}
    for p in procs:
        t0 = time.perf_counter()
        runs = [subprocess.Popen([sys.executable, __file__, "--worker", uri, collection, str(qfile), str(per_proc)],
                                 stdout=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
                for _ in range(p)]
        reports = [r.communicate()[0].split() for r in runs]
        done, busy = sum(int(n) for n, _ in reports), max(float(s) for _, s in reports)
        # searching time only (process start and model-free imports are left out)
        out[str(p)] = {"queries": done, "search_s": round(busy, 2), "qps": round(done / busy, 1),
                       "wall_s_with_start": round(time.perf_counter() - t0, 2)}
    return out


def worker(uri: str, collection: str, qfile: str, n: int) -> None:
    """One app process: n hybrid searches (dense + BM25 on the server, fused here)."""
    import numpy as np

    from rag.retrieval.fusion import fuse
    from rag.retrieval.milvus_store import MilvusSpec, MilvusStore

    data = json.loads(Path(qfile).read_text(encoding="utf-8"))
    qv, qt = np.asarray(data["vectors"], dtype=np.float32), data["tokens"]
    store = MilvusStore.open(MilvusSpec(uri, 600), {"store": {"collection": collection}, "config": data["config"]})
    t0 = time.perf_counter()
    for i in range(n):
        s, ids = store.search(qv[i % len(qv)][None, :], DEPTH)
        fuse([(int(a), float(b)) for a, b in zip(ids[0], s[0], strict=True) if a >= 0], store.top(qt[i % len(qt)], DEPTH))
    print(n, time.perf_counter() - t0)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:5], int(sys.argv[5]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0,100000", help="synthetic passages added to the real corpus; 0: real only")
    ap.add_argument("--procs", default="1,2,4")
    ap.add_argument("--per-proc", type=int, default=200)
    ap.add_argument("--uri", default="")
    args = ap.parse_args()
    from rag.eval.evaluate import load_questions
    from rag.index import HybridIndex
    from rag.retrieval.embeddings import E5Embedder
    from rag.settings import Settings
    from rag.text.textnorm import normalize

    print(os.popen("uptime").read().strip(), "(machine shared with other work)")
    embedder = E5Embedder(Settings.from_env().embed_path)
    qtexts = [q.question for q in load_questions(ROOT / "eval" / "questions.jsonl")]
    qvecs = embedder.embed_batch([normalize(q) for q in qtexts], "query")
    tmp = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    server, uri = (None, args.uri) if args.uri else start_server(tmp / "data")
    old = RESULTS / "milvus.json"
    result = json.loads(old.read_text(encoding="utf-8")) if old.is_file() else {}
    rows = {r["passages"]: r for r in result.get("rows", [])}
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            t0 = time.perf_counter()
            row = one_size(n, uri, server, embedder, qtexts, qvecs)
            qfile = tmp / "queries.json"
            qtoks = [HybridIndex.sparse_tokens(q, "en" if q.isascii() else "zh-Hans") for q in qtexts]
            qfile.write_text(json.dumps({"vectors": qvecs.tolist(), "tokens": qtoks, "config": {
                "model": {"name": embedder.name}, "text_normalisation": "bench", "pipeline": "bench"}}), encoding="utf-8")
            row["milvus_throughput"] = throughput(uri, row["collection"], qfile,
                                                  [int(p) for p in args.procs.split(",")], args.per_proc)
            row["bench_s"] = round(time.perf_counter() - t0, 1)
            print(json.dumps(row))
            rows[row["passages"]] = row
            result = {"machine": machine(), "uptime": os.popen("uptime").read().strip(), "command": command(),
                      "versions": versions("faiss-cpu", "pymilvus", "milvus-lite"),
                      "rows": sorted(rows.values(), key=lambda r: r["passages"])}
            print("wrote", write_result("milvus.json", result))  # after every size: a later one may not finish
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
