"""Score retrieval (and answers) on a question set.

Matching of gold strings is done on the matching form with whitespace removed, so a gold
"8000亿元" meets "8000億元" in a Traditional passage and "3,000" meets "3000".
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import PolicyQAError
from rag.text.textnorm import answer_language, detect_language, normalize
from rag.types import Answer, Hit

_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str | None = None
    answers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    answerable: bool | None = None
    history: tuple[dict, ...] = ()
    tags: tuple[str, ...] = ()
    scope: str = ""  # "out": a request outside the product's purpose, to be declined


def squash(text: str) -> str:
    return _WS.sub("", normalize(text)).lower()


def contains_gold(text: str, answers: Iterable[str]) -> bool:
    t = squash(text)
    return any(squash(a) and squash(a) in t for a in answers)


def load_questions(path: Path) -> list[Question]:
    """Read a JSONL question file; lines need only ``id`` and ``question``."""
    path = Path(path)
    if not path.exists():
        raise PolicyQAError(f"question file not found: {path}")
    out: list[Question] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            out.append(
                Question(
                    id=str(r["id"]),
                    question=str(r["question"]),
                    lang=r.get("lang"),
                    answers=tuple(r.get("answers") or ()),
                    sources=tuple(r.get("sources") or ()),
                    answerable=r.get("answerable"),
                    history=tuple(r.get("history") or ()),
                    tags=tuple(r.get("tags") or ()),
                    scope=str(r.get("scope") or ""),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise PolicyQAError(f"{path}:{n}: each line must be a JSON object with 'id' and 'question' ({exc})") from None
    return out


def is_hit(hit: Hit, q: Question) -> bool:
    return hit.chunk.doc_id in q.sources and contains_gold(hit.chunk.text, q.answers)


@dataclass
class RetrievalReport:
    rows: list[dict] = field(default_factory=list)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)


def evaluate_retrieval(
    questions: Sequence[Question],
    search: Callable[[str], list[Hit]],
    timer: Callable[[], float],
) -> RetrievalReport:
    """Run ``search`` on every question; hit@1/3/5 and MRR over answerable gold questions.

    A follow-up is searched as the chain searches it: joined to the previous question.
    """
    from rag.answer.conversation import condense

    report = RetrievalReport()
    ranks: dict[str, list[int | None]] = {}
    latencies: list[float] = []
    for q in questions:
        t0 = timer()
        hits = search(condense(q.question, q.history))
        ms = (timer() - t0) * 1000
        latencies.append(ms)
        lang = q.lang or detect_language(q.question)
        report.rows.append({
            "id": q.id, "question": q.question, "lang": lang,
            "retrieved": [
                {"doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "score": round(h.score, 6), "text": h.chunk.text}
                for h in hits
            ],
            "latency_ms": round(ms, 2),
        })
        if q.answerable and q.answers and q.sources:
            rank = next((h.rank for h in hits if is_hit(h, q)), None)
            ranks.setdefault("all", []).append(rank)
            ranks.setdefault(lang, []).append(rank)
    for group, rs in ranks.items():
        n = len(rs)
        report.metrics[group] = {
            "n": n,
            "hit@1": sum(1 for r in rs if r is not None and r <= 1) / n,
            "hit@3": sum(1 for r in rs if r is not None and r <= 3) / n,
            "hit@5": sum(1 for r in rs if r is not None and r <= 5) / n,
            "mrr": sum(1 / r for r in rs if r is not None) / n,
        }
    if latencies:
        report.metrics["latency_ms"] = {"p50": statistics.median(latencies), "p95": _pct(latencies, 95), "n": len(latencies)}
    return report


def _pct(values: Sequence[float], p: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def format_metrics(metrics: dict[str, dict[str, float]]) -> str:
    lines = ["| group | n | hit@1 | hit@3 | hit@5 | MRR |", "|---|---|---|---|---|---|"]
    for group in ("all", "en", "zh-Hans", "zh-Hant"):
        m = metrics.get(group)
        if m:
            lines.append(
                f"| {group} | {int(m['n'])} | {m['hit@1']:.2f} | {m['hit@3']:.2f} | {m['hit@5']:.2f} | {m['mrr']:.2f} |"
            )
    lat = metrics.get("latency_ms")
    if lat:
        lines.append(f"\nretrieval latency: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms over {int(lat['n'])} queries")
    return "\n".join(lines)


@dataclass
class AnswerReport:
    rows: list[dict] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    supports: list[tuple[float, bool | None, bool]] = field(default_factory=list)  # (support, answerable, correct)


def evaluate_answers(questions: Sequence[Question], ask: Callable[[Question], Answer],
                     timer: Callable[[], float]) -> AnswerReport:
    """Ask every question; score answers, grounding, abstention, language and latency."""
    report = AnswerReport()
    n_ans = correct = grounded = abst_ok = n_unans = false_abst = lang_ok = n_lang = 0
    cite_total = cite_good = unsupported = n_out = declined = n_in = false_declines = 0
    latencies: list[float] = []
    first_tokens: list[float] = []
    for q in questions:
        t0 = timer()
        a = ask(q)
        ms = (timer() - t0) * 1000
        latencies.append(ms)
        if "first_token_ms" in a.timings:
            first_tokens.append(a.timings["first_token_ms"])
        lang = q.lang or detect_language(q.question)
        row: dict = {
            "id": q.id, "question": q.question, "lang": lang, "answer": a.text, "abstained": a.abstained,
            "generator": a.generator, "verified": a.verification.ok, "notice": a.notice,
            "citations": [{"n": c.n, "doc_id": c.doc_id, "chunk_id": c.chunk_id, "start": c.start, "end": c.end,
                           "text": c.quote} for c in a.citations],
            "retrieved": [{"doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "score": round(h.score, 6),
                           "text": h.chunk.text} for h in a.hits],
            "latency_ms": round(ms, 1),
        }
        report.rows.append(row)
        if not a.verification.ok:
            unsupported += 1
        n_lang += 1
        lang_ok += (a.language == lang) and (a.abstained or answer_language(a.text) == lang)
        if q.scope == "out":
            n_out += 1
            declined += a.generator == "scope" and not a.citations
            continue
        n_in += 1
        false_declines += a.generator == "scope"
        if q.answerable is None:
            continue
        is_correct = False
        if q.answerable:
            n_ans += 1
            if a.abstained:
                false_abst += 1
            else:
                is_correct = contains_gold(a.text, q.answers)
                correct += is_correct
                is_grounded = is_correct and any(
                    c.doc_id in q.sources and contains_gold(c.quote + c.passage, q.answers) for c in a.citations
                )
                grounded += is_grounded
                row["grounded"] = is_grounded
                cite_total += len(a.citations)
                cite_good += sum(1 for c in a.citations if c.doc_id in q.sources)
        else:
            n_unans += 1
            abst_ok += a.abstained
            is_correct = a.abstained
        row["correct"] = is_correct  # right answer (answerable) or abstained (unanswerable)
        report.supports.append((a.support, q.answerable, is_correct))
    m = report.metrics
    if n_ans:
        m.update(answer_accuracy=correct / n_ans, grounded_accuracy=grounded / n_ans, false_abstention=false_abst / n_ans)
    if n_unans:
        m["abstention_accuracy"] = abst_ok / n_unans
    if cite_total:
        m["citation_precision"] = cite_good / cite_total
    if n_out:
        m["declined_out_of_scope"] = declined / n_out
    if n_in:
        m["false_declines"] = false_declines / n_in
    m["language_match"] = lang_ok / n_lang if n_lang else 0.0
    m["unsupported_figure_answers"] = float(unsupported)
    m["questions"] = float(len(questions))
    if latencies:
        m["latency_p50_ms"] = statistics.median(latencies)
        m["latency_p95_ms"] = _pct(latencies, 95)
    if first_tokens:
        m["first_token_p50_ms"] = statistics.median(first_tokens)
    return report


def calibrate(supports: Sequence[tuple[float, bool | None, bool]], max_false_abstention: float = 0.05) -> list[dict]:
    """For each candidate threshold: abstention accuracy and false abstention it would give.

    Run with the threshold at 0 (nothing abstains on support), so every answer is produced.
    """
    rows = []
    answerable = [s for s in supports if s[1]]
    unanswerable = [s for s in supports if s[1] is False]
    for t in sorted({round(x / 100, 2) for x in range(2, 62, 2)}):
        fa = sum(1 for s in answerable if s[0] < t) / max(1, len(answerable))
        aa = sum(1 for s in unanswerable if s[0] < t) / max(1, len(unanswerable))
        lost = sum(1 for s in answerable if s[0] < t and s[2]) / max(1, len(answerable))
        rows.append({"threshold": t, "abstention_accuracy": aa, "false_abstention": fa, "correct_lost": lost,
                     "ok": fa <= max_false_abstention})
    return rows


def format_answer_metrics(m: dict[str, float]) -> str:
    keys = [("grounded_accuracy", "grounded accuracy"), ("answer_accuracy", "answer accuracy"),
            ("citation_precision", "citation precision"), ("abstention_accuracy", "abstention accuracy"),
            ("false_abstention", "false abstention"), ("declined_out_of_scope", "out-of-scope requests declined"),
            ("false_declines", "in-scope questions declined"), ("language_match", "language match")]
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {label} | {m[k]:.2f} |" for k, label in keys if k in m]
    lines.append(f"| answers with an unsupported figure or name | {int(m.get('unsupported_figure_answers', 0))} |")
    if "latency_p50_ms" in m:
        lines.append(f"| latency p50 / p95 | {m['latency_p50_ms']:.0f} / {m['latency_p95_ms']:.0f} ms |")
    if "first_token_p50_ms" in m:
        lines.append(f"| time to first token p50 | {m['first_token_p50_ms']:.0f} ms |")
    return "\n".join(lines)
