"""Throughput: e5 passages/s by batch size, local LLM prompt/generation speed, `ask` latency.

    python bench/bench_throughput.py [--batches 1,16,64] [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b]
                                     [--prompts 5] [--max-tokens 128]
                                     [--ask extractive:119,local:20] [--ask-local-model qwen2.5-coder-0.5b]

Embedding: the real corpus chunks (normalised, as the index embeds them), one pass per batch
size after a warm-up, 2 threads. LLM: each GGUF loaded as rag/generators/local.py loads it
(n_ctx 4096, ChatML, 2 threads); the prompts are the messages the chain really sends for the
first --prompts questions that reach the model (captured by a recording generator); each is run
from an empty KV cache (no prefix reuse) with greedy decoding; llama.cpp's own counters give
prompt tokens/s and generated tokens/s, the wall clock gives time to first token. `ask`:
QAChain.ask end to end on the first N questions of eval/questions.jsonl per generator.
Prints Markdown tables and writes bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import benchlib as bl

GENERATORS = ("extractive", "local", "openai")


def ask_spec(v: str) -> list[tuple[str, int]]:
    out = []
    for part in (p.strip() for p in v.split(",") if p.strip()):
        name, _, n = part.partition(":")
        if name not in GENERATORS:
            raise argparse.ArgumentTypeError(f"generator must be one of {', '.join(GENERATORS)}, got {name!r}")
        try:
            k = int(n) if n else 119
        except ValueError:
            raise argparse.ArgumentTypeError(f"question count must be an integer, got {n!r}") from None
        if k < 1:
            raise argparse.ArgumentTypeError(f"question count must be at least 1, got {k}")
        out.append((name, k))
    if not out:
        raise argparse.ArgumentTypeError("expected generator[:questions],...")
    return out


def model_list(v: str) -> list[str]:
    from rag.tools.llm_models import REGISTRY

    names = [m.strip() for m in v.split(",") if m.strip()]
    bad = [m for m in names if m not in REGISTRY]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"models must be among {', '.join(REGISTRY)}, got {v!r}")
    return names


def embedding_rows(settings, texts: list[str], batches: list[int]) -> list[dict]:  # type: ignore[no-untyped-def]
    from rag.retrieval.embeddings import E5Embedder

    rows = []
    for b in batches:
        emb = E5Embedder(settings.embed_path, threads=2, batch_size=b, cache_size=0)
        emb.embed_batch(texts[:max(b, 2)], "passage")  # load and warm up (2 texts: the batched path)
        t0 = time.perf_counter()
        emb.embed_batch(texts, "passage")  # all texts at once: 2 threads, batches of b
        s = time.perf_counter() - t0
        rows.append({"batch_size": b, "passages": len(texts), "seconds": round(s, 2),
                     "passages_per_s": round(len(texts) / s, 1)})
        print(f"embed batch {b}: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def captured_prompts(settings, questions, n: int) -> list[list[dict]]:  # type: ignore[no-untyped-def]
    """The messages QAChain sends to the model for the first n questions that reach it."""
    from rag.chains import QAChain
    from rag.generators.llm import LLMAnswerGenerator
    from rag.runtime import open_index

    seen: list[list[dict]] = []

    class Recorder:
        name = "recorder"

        def stream(self, messages, **_kw):  # type: ignore[no-untyped-def]
            seen.append([dict(m) for m in messages])
            yield "-"

    chain = QAChain(open_index(settings), LLMAnswerGenerator(Recorder()), top_k=settings.top_k,
                    abstain_threshold=settings.abstain_threshold)
    for q in questions:
        if len(seen) >= n:
            break
        chain.ask(q.question, q.history)
    return seen[:n]


def llm_row(settings, model: str, prompts: list[list[dict]], max_tokens: int) -> dict:  # type: ignore[no-untyped-def]
    import llama_cpp

    from rag.generators.local import LocalGenerator

    gen = LocalGenerator(settings.replace(local_model=model))
    t0 = time.perf_counter()
    llm = gen.load()
    load_s = time.perf_counter() - t0
    llm.create_chat_completion(messages=prompts[0], max_tokens=4, temperature=0.0)  # warm-up
    runs = []
    for msgs in prompts:
        llm.reset()  # empty KV cache: the whole prompt is evaluated
        llama_cpp.llama_perf_context_reset(llm.ctx)
        t0 = time.perf_counter()
        first = None
        for chunk in llm.create_chat_completion(messages=msgs, max_tokens=max_tokens, temperature=0.0, stream=True):
            if first is None and chunk["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - t0
        total = time.perf_counter() - t0
        p = llama_cpp.llama_perf_context(llm.ctx)
        runs.append({"prompt_tokens": p.n_p_eval, "prompt_ms": round(p.t_p_eval_ms), "generated_tokens": p.n_eval,
                     "generate_ms": round(p.t_eval_ms), "ttft_s": round(first if first is not None else total, 2),
                     "total_s": round(total, 2)})
        print(f"{model}: {runs[-1]}", file=sys.stderr, flush=True)
    pt, pm = sum(r["prompt_tokens"] for r in runs), sum(r["prompt_ms"] for r in runs)
    gt, gm = sum(r["generated_tokens"] for r in runs), sum(r["generate_ms"] for r in runs)
    return {"model": model, "load_s": round(load_s, 1), "prompts": len(runs),
            "prompt_tokens_median": statistics.median(r["prompt_tokens"] for r in runs),
            "prompt_tokens_per_s": round(pt / (pm / 1000), 1), "generated_tokens_per_s": round(gt / (gm / 1000), 1),
            "ttft_p50_s": round(statistics.median(r["ttft_s"] for r in runs), 2),
            "ttft_max_s": round(max(r["ttft_s"] for r in runs), 2), "rss_mb_after": round(bl.rss_mb()), "runs": runs}


def ask_row(settings, name: str, questions) -> dict:  # type: ignore[no-untyped-def]
    from rag.runtime import make_chain

    chain = make_chain(settings, name)
    chain.ask(questions[0].question, questions[0].history)  # load models
    lat, notices = [], 0
    for q in questions:
        t0 = time.perf_counter()
        a = chain.ask(q.question, q.history)
        lat.append((time.perf_counter() - t0) * 1000)
        notices += bool(a.notice)
    return {"generator": name, "model": chain.generator.name, "questions": len(questions),
            "p50_ms": round(statistics.median(lat)), "p95_ms": round(bl.pct(lat, 95)), "with_notice": notices}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=bl.int_list(1, 1024), default=[1, 16, 64], help="embedding batch sizes")
    ap.add_argument("--models", type=model_list, default=None, help="local GGUF models (default: all registered)")
    ap.add_argument("--prompts", type=bl.positive_int, default=5, help="RAG prompts timed per model")
    ap.add_argument("--max-tokens", type=bl.positive_int, default=128, help="generated tokens per prompt at most")
    ap.add_argument("--ask", type=ask_spec, default=[("extractive", 119), ("local", 20)],
                    help="generator[:first N questions],... timed end to end with QAChain.ask")
    ap.add_argument("--ask-local-model", type=lambda v: model_list(v)[0], default=None,
                    help="model of the local generator in --ask (default: the settings' local_model)")
    ap.add_argument("--questions", type=Path, default=bl.ROOT / "eval" / "questions.jsonl")
    args = ap.parse_args()
    if not args.questions.is_file():
        ap.error(f"question file not found: {args.questions}")

    from rag.runtime import set_threads

    set_threads(2)
    from rag.eval.evaluate import load_questions
    from rag.settings import Settings
    from rag.text.textnorm import normalize
    from rag.tools.llm_models import REGISTRY

    settings = Settings.from_env()
    questions = load_questions(args.questions)
    models = args.models or list(REGISTRY)
    _, chunks = bl.real_chunks()
    embed = embedding_rows(settings, [normalize(c.text) for c in chunks], args.batches)
    prompts = captured_prompts(settings, questions, args.prompts)
    llm = [llm_row(settings, m, prompts, args.max_tokens) for m in models]
    ask_settings = settings.replace(local_model=args.ask_local_model) if args.ask_local_model else settings
    asks = []
    for name, n in args.ask:
        asks.append(ask_row(ask_settings, name, questions[:n]))
        print(f"ask {name}: {asks[-1]}", file=sys.stderr, flush=True)
    result = {"machine": bl.machine(), "command": bl.command(),
              "versions": bl.versions("torch", "sentence-transformers", "llama_cpp_python", "faiss-cpu"),
              "notes": ["embedding: real corpus chunks, normalised text, E5Embedder(threads=2, batch_size=b)",
                        "LLM: prompts captured from QAChain for the first questions that reach the model; KV cache "
                        "emptied before each (the app reuses the shared prefix, so its first token comes sooner); "
                        "tokens/s from llama.cpp's perf counters; greedy; stops at EOS or --max-tokens",
                        "ask: QAChain.ask wall time per question, after one warm-up question"],
              "embedding": embed, "llm": llm, "ask": asks}
    out = bl.write_result("throughput.json", result)
    m = result["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, {m['mem_gb']} GB; command: {result['command']}")
    print("\n| e5 batch size | passages | seconds | passages/s |\n|---|---|---|---|")
    for r in embed:
        print(f"| {r['batch_size']} | {r['passages']} | {r['seconds']} | {r['passages_per_s']} |")
    print("\n| model | load (s) | prompts | prompt tokens (median) | prompt tokens/s | generated tokens/s | "
          "TTFT p50 / max (s) | process RSS after (MB) |\n|---|---|---|---|---|---|---|---|")
    for r in llm:
        print(f"| {r['model']} | {r['load_s']} | {r['prompts']} | {r['prompt_tokens_median']:.0f} | "
              f"{r['prompt_tokens_per_s']} | {r['generated_tokens_per_s']} | {r['ttft_p50_s']} / {r['ttft_max_s']} | "
              f"{r['rss_mb_after']:,} |")
    print("\n| generator | model | questions | ask p50 (ms) | ask p95 (ms) | answers with a notice |\n|---|---|---|---|---|---|")
    for r in asks:
        print(f"| {r['generator']} | {r['model']} | {r['questions']} | {r['p50_ms']:,} | {r['p95_ms']:,} | "
              f"{r['with_notice']} |")
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
