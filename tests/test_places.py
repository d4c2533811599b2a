"""Place names in questions and sentences, and when a sentence is about another place."""

from __future__ import annotations

import pytest

from rag.places import about_other_place, lineage, named_places


@pytest.mark.parametrize(("text", "places"), [
    ("杭州2024年人工智能产业规模是多少？", {"杭州"}),
    ("杭州2024年人工智慧產業規模是多少？", {"杭州"}),
    ("What targets has Hangzhou's government set?", {"杭州"}),
    ("宝安区聚集了多少家人工智能企业", {"宝安"}),
    ("广东省长王伟中在深圳考察", {"广东", "深圳"}),
    ("到2026年全市人工智能企业数量超3000家", set()),
])
def test_named_places(text: str, places: set[str]) -> None:
    assert named_places(text) == places


def test_a_district_belongs_to_its_city_and_province() -> None:
    assert lineage("宝安") == ["宝安", "深圳", "广东"]


@pytest.mark.parametrize(("asked", "sentence", "other"), [
    ({"杭州"}, {"深圳"}, True),  # Shenzhen's figure does not answer for Hangzhou
    ({"深圳"}, {"广东"}, True),  # nor does the province's for the city
    ({"深圳"}, {"宝安"}, False),  # a district's figure is the city's
    ({"深圳"}, {"深圳", "杭州"}, False),  # a comparison names both
    ({"深圳"}, set(), False),  # a sentence naming no place may still be about it
    (set(), {"深圳"}, False),
])
def test_about_other_place(asked: set[str], sentence: set[str], other: bool) -> None:
    assert about_other_place(asked, sentence) is other
