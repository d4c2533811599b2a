"""Plot retrieval latency against corpus size, ours and the peer, from the bench JSON results.

    python bench/plot_latency.py [--scale bench/results/scale.json] [--peer bench/results/peer.json]
                                 [--out docs/latency-vs-size.png]

Lines are p50, the bars above each point reach p95. Needs matplotlib (Agg backend).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import benchlib as bl


def load(path: Path, what: str) -> dict | None:
    if not path.is_file():
        print(f"plot_latency: {what} results not found at {path}; skipping them", file=sys.stderr)
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def series(ax, xs, p50, p95, label, style) -> None:  # type: ignore[no-untyped-def]
    if not xs:
        return
    up = [max(0.0, b - a) for a, b in zip(p50, p95, strict=True)]
    ax.errorbar(xs, p50, yerr=[[0] * len(xs), up], fmt=style, capsize=3, label=label)
    for x, y in zip(xs, p50, strict=True):
        ax.annotate(f"{y:g}", (x, y), textcoords="offset points", xytext=(6, -10), fontsize=7)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=Path, default=bl.RESULTS / "scale.json")
    ap.add_argument("--peer", type=Path, default=bl.RESULTS / "peer.json")
    ap.add_argument("--out", type=Path, default=bl.ROOT / "docs" / "latency-vs-size.png")
    args = ap.parse_args()
    if args.out.suffix.lower() != ".png":
        ap.error(f"--out must be a .png file, got {args.out}")
    scale, peer = load(args.scale, "scale"), load(args.peer, "peer")
    if not scale and not peer:
        ap.error("neither result file exists: run bench/bench_scale.py and bench/bench_peer.py first")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    notes = []
    if scale:
        rows = sorted(scale["rows"], key=lambda r: r["passages"])
        series(ax, [r["passages"] for r in rows], [r["p50_ms"] for r in rows], [r["p95_ms"] for r in rows],
               "ours, FAISS Flat (exact) + BM25", "o-")
        hn = [r for r in rows if r.get("hnsw")]
        series(ax, [r["passages"] for r in hn], [r["hnsw"]["p50_ms"] for r in hn], [r["hnsw"]["p95_ms"] for r in hn],
               "ours, FAISS HNSW + BM25 (recall@10 " + ", ".join(f"{r['hnsw']['recall@10']:.2f}" for r in hn) + ")",
               "s--")
        notes.append(f"bench_scale: {scale['machine']['cores']} cores, {scale['machine']['cpu']}")
    if peer:
        rows = sorted(peer["rows"], key=lambda r: r["passages"])
        series(ax, [r["passages"] for r in rows], [r["peer"]["p50_ms"] for r in rows],
               [r["peer"]["p95_ms"] for r in rows], "peer: Chatchat-style EnsembleRetriever (BM25 rebuilt per query)",
               "^-")
        if not scale:
            series(ax, [r["passages"] for r in rows], [r["ours"]["p50_ms"] for r in rows],
                   [r["ours"]["p95_ms"] for r in rows], "ours (bench_peer)", "o-")
        notes.append("peer timed on " + ", ".join(f"{r['queries']} q at {r['passages']:,}" for r in rows))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (passages; above the real corpus: synthetic, mean-of-sentence e5 vectors)")
    ax.set_ylabel("retrieval latency per query, ms (p50; bar to p95)")
    ax.set_title("policy-qa retrieval latency vs corpus size (top-5, e5 query embedding included)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.text(0.01, 0.01, "; ".join(notes), fontsize=7, alpha=0.7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
