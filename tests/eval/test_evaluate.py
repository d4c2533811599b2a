from __future__ import annotations

import time
from pathlib import Path

from rag.eval.evaluate import Question, contains_gold, evaluate_answers, evaluate_retrieval, load_questions
from rag.index import HybridIndex
from rag.settings import PROJECT_ROOT
from rag.types import Answer, Citation


def test_gold_matching_ignores_script_width_grouping_and_spaces() -> None:
    assert contains_gold("產業規模達8000億元以上", ["8000亿元"])
    assert contains_gold("超 3000 家", ["3,000"])
    assert not contains_gold("超2000家", ["3000"])


def test_lines_with_only_id_and_question_are_accepted(tmp_path: Path, fake_index: HybridIndex) -> None:
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "a", "question": "深圳人工智能企業數量"}\n\n{"id": "b", "question": "How many?"}\n',
                 encoding="utf-8")
    qs = load_questions(f)
    report = evaluate_retrieval(qs, lambda q: fake_index.search(q, 5), time.perf_counter)
    assert [r["id"] for r in report.rows] == ["a", "b"]
    assert set(report.rows[0]) == {"id", "question", "lang", "retrieved", "latency_ms"}
    assert "all" not in report.metrics  # no gold, no accuracy


def test_question_set_meets_its_coverage_rules() -> None:
    qs = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl")
    langs = [q.lang for q in qs]
    assert len(qs) >= 60
    assert langs.count("en") >= 20 and langs.count("zh-Hans") >= 20 and langs.count("zh-Hant") >= 15
    assert sum(1 for q in qs if q.answerable is False) >= 8
    docs = {p.stem for p in (PROJECT_ROOT / "docs_corpus").glob("*.txt")}
    assert docs <= {s for q in qs for s in q.sources}


def test_each_answer_row_says_whether_it_was_right_and_grounded() -> None:
    quote = "到2026年，深圳人工智能企业数量超过3000家。"
    cite = Citation(n=1, doc_id="plan", title="t", publisher="p", published="2025-01-01", chunk_id="c",
                    start=0, end=len(quote), quote=quote)
    questions = [
        Question("right", "深圳到2026年人工智能企业目标？", answers=("3000",), sources=("plan",), answerable=True),
        Question("wrong-source", "同上", answers=("3000",), sources=("other",), answerable=True),
        Question("wrong", "同上？", answers=("4000",), sources=("plan",), answerable=True),
        Question("unanswerable", "深圳2040年的目标？", answerable=False),
    ]
    replies = {
        "right": Answer("q", "超过3000家 [1]", (cite,), False, "zh-Hans", "extractive"),
        "wrong-source": Answer("q", "超过3000家 [1]", (cite,), False, "zh-Hans", "extractive"),
        "wrong": Answer("q", "超过3000家 [1]", (cite,), False, "zh-Hans", "extractive"),
        "unanswerable": Answer("q", "资料库中没有这个问题的答案。", (), True, "zh-Hans", "extractive"),
    }
    report = evaluate_answers(questions, lambda q: replies[q.id], time.perf_counter)
    rows = {r["id"]: r for r in report.rows}
    assert (rows["right"]["correct"], rows["right"]["grounded"]) == (True, True)
    assert (rows["wrong-source"]["correct"], rows["wrong-source"]["grounded"]) == (True, False)
    assert (rows["wrong"]["correct"], rows["wrong"]["grounded"]) == (False, False)
    assert rows["unanswerable"]["correct"] is True and "grounded" not in rows["unanswerable"]
    assert report.metrics["grounded_accuracy"] == 1 / 3
