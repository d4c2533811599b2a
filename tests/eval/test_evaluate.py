from __future__ import annotations

import time
from pathlib import Path

from rag.eval.evaluate import contains_gold, evaluate_retrieval, load_questions
from rag.index import HybridIndex
from rag.settings import PROJECT_ROOT


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
