"""Names an answer gives must be in a quote it cites, in any script or English form."""

from __future__ import annotations

import pytest

from rag.answer.names import english_names, unsupported_names

FOUNDER = "梁文鋒從廣東湛江,去杭州求學,創立了DeepSeek;"
PLAN = "一、《深圳市加快打造人工智能先鋒城市行動計劃(2025-2026年)》:到2026年全市人工智能企業數量超3000家"


@pytest.mark.parametrize(("answer", "missing"), [
    ("Wang Tao founded DeepSeek [1].", ["Wang Tao"]),  # the quote names another founder
    ("It was founded by Wang Tao [1].", ["Wang Tao"]),
    ("汪滔创立了DeepSeek。[1]", ["汪滔"]),
    ("Liang Wenfeng founded DeepSeek in Hangzhou [1].", []),  # pinyin and the gazetteer's English
    ("梁文锋在杭州创立了DeepSeek。[1]", []),  # Simplified against a Traditional quote
    # the language the source is in is no name; a name after it still is
    ("The source, in Chinese, names Liang Wenfeng (梁文鋒) and Guangdong (廣東) [1].", []),
    ("The source, in Chinese, names Wang Tao [1].", ["Wang Tao"]),
])
def test_a_person_the_quote_does_not_name_is_found(answer: str, missing: list[str]) -> None:
    assert unsupported_names(answer, [FOUNDER]) == missing


def test_a_place_is_checked_by_its_english_name_and_a_title_by_its_words() -> None:
    assert unsupported_names("Futian District's cap is 3 million yuan [1].", [PLAN]) == ["Futian District"]
    assert unsupported_names("Nanshan District's cap is 3 million yuan [1].", ["南山区对企业最高补贴300万元"]) == []
    assert unsupported_names("More than 3000, set by the Action Plan for Building an AI Pioneer City [1].", [PLAN]) == []


def test_sentence_openers_months_and_quotes_are_not_names() -> None:
    assert english_names("The source gives 3,000 by December 2026 [1]. It says: 「Wang Tao」 [1].") == []


def test_a_name_the_question_gives_may_be_restated() -> None:
    # that the evidence is about Shanghai was checked when it was chosen; "Wang Tao" was not asked
    assert unsupported_names("上海的补贴上限是500万元。[1]", ["补贴上限500万元"], "上海的补贴上限是多少？") == []
    assert unsupported_names("Wang Tao founded DeepSeek [1].", [FOUNDER], "Who founded DeepSeek?") == ["Wang Tao"]
