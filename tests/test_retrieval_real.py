"""The real e5 model and the real FAISS + BM25 index: the right passage for each language."""

from __future__ import annotations

import pytest

from rag.eval.evaluate import contains_gold
from rag.index import HybridIndex

pytestmark = pytest.mark.slow

CASES = [
    ("en", "How many AI companies does Shenzhen aim to have by 2026?", "3000"),
    ("en", "How much did Shandong's industrial profits grow in 2023?", "24.4%"),
    ("en", "How many unicorns did Beijing have at the end of 2024?", "115"),
    ("zh-Hans", "深圳人工智能终端产品产量到2026年要突破多少？", "1.5亿台"),
    ("zh-Hans", "忻城县糯玉米种植面积有多大？", "9.5万亩"),
    ("zh-Hant", "到2024年底深圳人工智能產業規模達到多少？", "3600億元"),
    ("zh-Hant", "深圳具身智能機器人行動計劃要求相關企業超過多少家？", "1200家"),
]


@pytest.mark.parametrize(("lang", "question", "answer"), CASES)
def test_right_passage_in_top_5(real_index: HybridIndex, lang: str, question: str, answer: str) -> None:
    hits = real_index.search(question, 5)
    assert any(contains_gold(h.chunk.text, [answer]) for h in hits), [h.chunk.text[:40] for h in hits]


def test_traditional_and_simplified_queries_agree(real_index: HybridIndex) -> None:
    a = real_index.search("深圳人工智能企业数量目标", 3)
    b = real_index.search("深圳人工智能企業數量目標", 3)
    assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b]
