"""Place names in questions and sentences, and when a sentence is about another place."""

from __future__ import annotations

import pytest

from rag.text.places import about_other_place, lineage, named_places


@pytest.mark.parametrize(("text", "places"), [
    ("杭州2024年人工智能产业规模是多少？", {"杭州"}),
    ("杭州2024年人工智慧產業規模是多少？", {"杭州"}),
    ("What targets has Hangzhou's government set?", {"杭州"}),
    ("宝安区聚集了多少家人工智能企业", {"宝安区"}),
    ("广东省长王伟中在深圳考察", {"广东", "深圳"}),
    ("到2026年全市人工智能企业数量超3000家", set()),
])
def test_named_places(text: str, places: set[str]) -> None:
    assert named_places(text) == places


def test_a_district_belongs_to_its_city_and_province() -> None:
    assert lineage("宝安区") == ["宝安区", "深圳", "广东"]
    assert lineage("坪山") == ["坪山", "深圳", "广东"]  # jieba knows 坪山 as a place: its bare name counts


@pytest.mark.parametrize(("asked", "sentence", "other"), [
    ({"杭州"}, {"深圳"}, True),  # Shenzhen's figure does not answer for Hangzhou
    ({"深圳"}, {"广东"}, True),  # nor does the province's for the city
    ({"深圳"}, {"宝安区"}, False),  # a district's figure is the city's
    ({"深圳"}, {"深圳", "杭州"}, False),  # a comparison names both
    ({"深圳"}, set(), False),  # a sentence naming no place may still be about it
    (set(), {"深圳"}, False),
])
def test_about_other_place(asked: set[str], sentence: set[str], other: bool) -> None:
    assert about_other_place(asked, sentence) is other


def test_gazetteer_covers_places_outside_the_corpus_in_both_languages() -> None:
    # cpca's full table of divisions with pinyin names, not a list written from the corpus
    from rag.text.places import named_places

    assert named_places("嘉兴市推动人工智能") == {"嘉兴"} == named_places("What does Jiaxing aim for?")
    assert named_places("石景山区对智算中心") == named_places("Shijingshan District's measures")
    assert lineage(next(iter(named_places("石景山区"))))[-1] == "北京"
    assert "临港新片区" in named_places("Lin-gang Special Area")


def test_common_words_and_person_names_are_not_places() -> None:
    from rag.text.places import named_places

    assert named_places("向全县中小微企业投放惠农贷") == set()
    assert named_places("光明的前景") == set()
    assert named_places("鼓励在区内新建、改建智算中心") == set()  # 新建区 is a district; 新建 a common word
    assert named_places("DeepSeek founder Liang Wenfeng") == set()


def test_search_terms_cross_languages() -> None:
    from rag.text.places import search_terms

    assert "嘉兴" in search_terms("What is Jiaxing's target?", "en")
    assert "lingang" in search_terms("临港新片区的支持", "zh-Hans")


def test_a_lower_case_division_word_still_makes_a_district_name() -> None:
    assert named_places("What housing subsidy does Shijingshan district offer?") == {"石景山区"}
    assert named_places("Shenzhen plans a new district") == {"深圳"}
