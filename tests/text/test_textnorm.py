from __future__ import annotations

import pytest

from rag.text.textnorm import detect_language, normalize, to_script


def test_normalize_meets_traditional_fullwidth_and_grouped_digits() -> None:
    assert normalize("超３,０００家，8000億元") == normalize("超3000家,8000亿元")
    assert "3000" in normalize("3,000 companies")
    assert normalize("1,920.5") == "1920.5"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("How many AI companies will Shenzhen have by 2026?", "en"),
        ("深圳到2026年人工智能企业数量目标是多少？", "zh-Hans"),
        ("深圳到2026年人工智能企業數量目標是多少？", "zh-Hant"),
        ("What does 深度求索 do?", "en"),
        ("DeepSeek 是哪個城市的公司？", "zh-Hant"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_to_script_round_trip() -> None:
    assert to_script("人工智能终端产品产量", "zh-Hant") == "人工智能終端產品產量"
    assert to_script("人工智能終端產品產量", "zh-Hans") == "人工智能终端产品产量"
    assert to_script("unchanged", "en") == "unchanged"


def test_hong_kong_robot_matches_the_mainland_word() -> None:
    from rag.text.textnorm import normalize

    assert normalize("深圳目前擁有機械人相關企業5.11萬家") == "深圳目前拥有机器人相关企业5.11万家"
