"""Recall of a held-out targets gold file: what counts as finding a line."""

from __future__ import annotations

import json
from pathlib import Path

from rag.eval.targets import score_found
from rag.targets.rows import TargetRow

QUOTE = "累计培育300个以上人工智能典型应用场景,给予最高200万元奖励。"


def _row(value_text: str, kind: str, value: float) -> TargetRow:
    return TargetRow(doc_id="d", start=0, end=len(QUOTE), quote=QUOTE, metric="m", metric_en="", value=value,
                     value_text=value_text, unit="个", qualifier="", kind=kind, year=2026, as_of="", scope="",
                     plan="", group="")


def _gold(tmp_path: Path, *lines: dict) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    return path


def test_a_bound_word_copied_into_the_gold_value_still_matches_the_row(tmp_path: Path) -> None:
    gold = _gold(tmp_path, {"doc_id": "d", "value_text": "300个以上", "kind": "target"},
                 {"doc_id": "d", "value_text": "最高200万元", "kind": "cap"})
    got = score_found([_row("300个", "target", 300), _row("200万元", "cap", 2e6)], gold)
    assert got["found"] == 1.0 and not got["missed"]


def test_a_different_figure_or_kind_is_not_found(tmp_path: Path) -> None:
    gold = _gold(tmp_path, {"doc_id": "d", "value_text": "300个以上", "kind": "target"},
                 {"doc_id": "d", "value_text": "200万元", "kind": "cap"})
    got = score_found([_row("30", "target", 30), _row("200万元", "target", 2e6)], gold)
    assert got["found"] == 0.0
    assert [m["value_text"] for m in got["missed"]] == ["300个以上"]
    assert got["wrong_kind"] == [{"doc_id": "d", "value_text": "200万元", "kind": "cap", "got": "target"}]
