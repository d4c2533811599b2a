"""policy-qa's chain against a naive RAG with the same local model, on the same questions.

    python bench/bench_naive_rag.py [--questions FILE ...] [--corpus-extra DIR ...] [--limit N]

The peer is the textbook pipeline: the question's e5 vector, the top 5 passages from the same
FAISS index, all five in one prompt ("answer from the passages, cite them as [n], say so when
they do not answer"), the local model's reply shown as it is, its [n] markers as citations.
Ours is ``QAChain`` with the default settings and the same local model. Both are scored by
``rag.eval.evaluate`` (grounded accuracy, abstention, false abstention, unsupported figures) plus
readability of English answers: a sentence, no "「fragment」: value" lists, at most 15% CJK
outside quotes and parentheses. Prints a Markdown table; writes bench/results/naive-rag.json.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import benchlib as bl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = ("Answer the question using only the passages below. Cite the passage numbers like [1]. "
          "If the passages do not contain the answer, say: The corpus does not say.\n\n{passages}\n\n"
          "Question: {question}\nAnswer:")
_QUOTED = re.compile(r"「[^「」]*」|“[^“”]*”|\"[^\"]*\"|《[^《》]*》|\([^()]*\)|（[^（）]*）")  # quotes, titles, brackets
_FRAGMENTS = re.compile(r"「[^」]{1,30}」\s*[:：]")


def readable_english(text: str) -> bool:
    """A sentence a reader can quote: no fragment list, little Chinese outside quotes."""
    outside, before = text, ""
    while outside != before:  # innermost first: a quote may hold a quote (「…「AI新十大建設」…」)
        before, outside = outside, _QUOTED.sub("", outside)
    letters = [c for c in outside if c.isalpha()]
    cjk = sum(1 for c in letters if "\u4e00" <= c <= "\u9fff")
    return bool(letters) and cjk <= 0.15 * len(letters) and not _FRAGMENTS.search(text) and bool(
        re.search(r"[A-Za-z]{3,}.*[.!?]", outside, re.S))


def naive_answer(index, generator, question: str):  # type: ignore[no-untyped-def]
    """Top-5 dense passages, one prompt, the model's reply as the answer."""
    from rag.answer.messages import ABSTAIN_TEXT
    from rag.answer.verify import verify
    from rag.retrieval.embeddings import embed_query_staged
    from rag.text.textnorm import detect_language, normalize
    from rag.types import Answer, Citation, Verification

    t0 = time.perf_counter()
    _, ids = index.dense.search(embed_query_staged(index.embedder, normalize(question)), 5)
    chunks = [index.chunks[int(i)] for i in ids[0] if i >= 0]
    passages = "\n".join(f"[{n}] {c.text}" for n, c in enumerate(chunks, 1))
    messages = [{"role": "user", "content": PROMPT.format(passages=passages, question=question)}]
    first: float | None = None
    text = ""
    for piece in generator.stream(messages, max_tokens=200):
        first = first if first is not None else (time.perf_counter() - t0) * 1000
        text += piece
    lang = detect_language(question)
    cited = sorted({int(m) for m in re.findall(r"\[(\d)\]", text) if 1 <= int(m) <= len(chunks)})
    citations = tuple(Citation(n=n, doc_id=chunks[n - 1].doc_id, title="", publisher="", published="",
                               chunk_id=chunks[n - 1].chunk_id, start=0, end=0, quote=chunks[n - 1].text,
                               passage=chunks[n - 1].text) for n in cited)
    abstained = "does not say" in text.lower() or "没有" in text[:12] or not text.strip()
    check = verify(text, list(citations), question) if citations else Verification(ok=not re.search(r"\d", text))
    timings = {"total_ms": (time.perf_counter() - t0) * 1000, **({"first_token_ms": first} if first else {})}
    return Answer(question=question, text=ABSTAIN_TEXT[lang] if abstained else text, citations=citations,
                  abstained=abstained, language=lang, generator="naive-rag", verification=check, timings=timings)


def score(name: str, questions, ask) -> dict:  # type: ignore[no-untyped-def]
    from rag.eval.evaluate import evaluate_answers

    report = evaluate_answers(questions, ask, time.perf_counter)
    english = [r for r in report.rows if r["lang"] == "en" and not r["abstained"]]
    m = dict(report.metrics)
    m["readable_english"] = sum(readable_english(r["answer"]) for r in english) / max(1, len(english))
    print(f"{name}: {len(questions)} questions", file=sys.stderr)
    return m


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, action="append")
    parser.add_argument("--corpus-extra", type=Path, action="append", default=[])
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    from rag.eval.evaluate import load_questions
    from rag.generators.local import LocalGenerator
    from rag.runtime import make_chain
    from rag.settings import Settings

    settings = Settings.from_env()
    if args.corpus_extra:
        from rag.eval.heldout import eval_folders
        from rag.index import build_index
        from rag.runtime import make_embedder

        corpus, index_dir = eval_folders(settings.cache_dir, settings.corpus_dir, args.corpus_extra)
        build_index(corpus, index_dir, make_embedder(settings))
        settings = settings.replace(corpus_dir=corpus, index_dir=index_dir)
    files = args.questions or [ROOT / "eval" / "heldout" / "questions.jsonl"]
    questions = [q for f in files for q in load_questions(f)]
    questions = questions[: args.limit] if args.limit else questions
    chain = make_chain(settings, "local")
    chain.generator.chat.load()  # both run on this one loaded model
    raw = LocalGenerator(settings)
    rows = {
        "policy-qa": score("policy-qa", questions, lambda q: chain.ask(q.question, q.history)),
        "naive RAG": score("naive RAG", questions, lambda q: naive_answer(chain.index, raw, q.question)),
    }
    keys = [("grounded_accuracy", "grounded accuracy"), ("abstention_accuracy", "abstention"),
            ("false_abstention", "false abstention"), ("readable_english", "readable English answers"),
            ("unsupported_figure_answers", "answers with an unsupported figure"),
            ("latency_p50_ms", "latency p50 (ms)"), ("first_token_p50_ms", "first token p50 (ms)")]
    print("| | " + " | ".join(rows) + " |\n|---|" + "---|" * len(rows))
    for key, label in keys:
        print(f"| {label} | " + " | ".join(f"{m.get(key, float('nan')):.2f}" if "ms" not in key else
                                          f"{m.get(key, float('nan')):.0f}" for m in rows.values()) + " |")
    bl.write_result("naive-rag.json", {"machine": bl.machine(), "command": bl.command(),
                                  "questions": [str(f) for f in files], "n": len(questions), "results": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
