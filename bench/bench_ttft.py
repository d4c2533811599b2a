"""Time to first token of the local model, with and without the warm system-prompt KV cache.

    python bench/bench_ttft.py [--model qwen2.5-coder-0.5b] [--questions 12]

The prompts are the app's own (``build_messages``: the fixed system prompt, three evidence
sentences from the real corpus, the question) for the first questions of eval/questions.jsonl.
Three cases, interleaved prompt by prompt so that a shared machine's load falls on all alike:
  cold        KV cache emptied before each question: the system prompt is read every time
              (the first question after the model loads, before this change)
  warm-load   KV cache emptied, then ``load()`` with the system prompt kept warm, as the UI does
              at start-up: the first question after the model loads, now
  series      the next question right after a warm-load one (llama.cpp's prefix match reuses
              the system turn of the previous prompt), as in a running app
Prints Markdown and writes bench/results/ttft-<model>.json.
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
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--questions", type=bl.positive_int, default=12)
    args = ap.parse_args()

    from rag.runtime import set_threads
    from rag.settings import LOCAL_MODELS, Settings

    if args.model not in LOCAL_MODELS:
        ap.error(f"--model must be one of {', '.join(LOCAL_MODELS)}, got {args.model!r}")
    settings = Settings.from_env(local_model=args.model)
    set_threads(settings.threads)
    if not settings.llm_path.is_file():
        raise SystemExit(f"bench_ttft: {settings.llm_path} not found; assemble it first (make setup / make models-large)")

    from rag.eval.evaluate import load_questions
    from rag.generators.llm import SYSTEM_PROMPT, build_messages
    from rag.generators.local import LocalGenerator
    from rag.index import HybridIndex, build_index
    from rag.retrieval.embeddings import FakeEmbedder
    from rag.text.textnorm import detect_language
    from rag.types import Evidence, GenerationRequest

    questions = [q for q in load_questions(bl.ROOT / "eval" / "questions.jsonl") if not q.history][: args.questions]
    with tempfile.TemporaryDirectory() as tmp:  # evidence only shapes the prompt: BM25 + a hash embedder suffice
        build_index(settings.corpus_dir, Path(tmp), FakeEmbedder())
        index = HybridIndex.load(Path(tmp), FakeEmbedder())
        prompts = []
        for q in questions:
            hits = index.search(q.question, 3)
            ev = tuple(Evidence(h.chunk.doc_id, h.chunk.chunk_id, 0, 0, h.chunk.text, 1.0, h.rank) for h in hits)
            prompts.append(build_messages(GenerationRequest(q.question, q.lang or detect_language(q.question), ev)))
    gen = LocalGenerator(settings)
    llm = gen.load()

    def ttft(messages: list) -> float:
        t0 = time.perf_counter()
        stream = gen.stream(messages, max_tokens=8)
        next(stream, None)
        ms = (time.perf_counter() - t0) * 1000
        stream.close()
        return ms

    def chatml(messages: list) -> str:
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)

    n_prompt = [len(llm.tokenize(chatml(m).encode(), add_bos=False, special=True)) for m in prompts]
    ttft(prompts[0])  # first decode warms llama.cpp's buffers
    cases: dict[str, list[float]] = {"cold": [], "warm-load": [], "series": []}
    for i, m in enumerate(prompts):
        gen.system_prompt = None
        llm.reset()
        cases["cold"].append(ttft(m))
        gen.keep_warm(SYSTEM_PROMPT)
        llm.reset()
        gen.load()
        cases["warm-load"].append(ttft(m))
        cases["series"].append(ttft(prompts[(i + 1) % len(prompts)]))
    rows = {k: {"p50_ms": round(statistics.median(v)), "p95_ms": round(bl.pct(v, 95)), "n": len(v)}
            for k, v in cases.items()}
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    system_tokens = len(llm.tokenize(SYSTEM_PROMPT.encode(), add_bos=False, special=True))
    result = {"machine": bl.machine(), "uptime": uptime, "command": bl.command(), "model": args.model,
              "threads": settings.threads, "system_prompt_tokens": system_tokens,
              "prompt_tokens_p50": statistics.median(n_prompt), "rows": rows,
              "versions": bl.versions("llama-cpp-python")}
    out = bl.write_result(f"ttft-{args.model}.json", result)
    print(f"machine: {result['machine']}\nuptime: {uptime}\ncommand: {result['command']}")
    print(f"model {args.model}, {settings.threads} threads; system prompt {system_tokens} tokens; "
          f"whole prompt p50 ~{statistics.median(n_prompt)} tokens")
    print("\n| case | prompts | TTFT p50 (ms) | TTFT p95 (ms) |\n|---|---|---|---|")
    for k, r in rows.items():
        print(f"| {k} | {r['n']} | {r['p50_ms']} | {r['p95_ms']} |")
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
