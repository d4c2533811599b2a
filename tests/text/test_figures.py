from __future__ import annotations

import pytest

from rag.text.figures import extract


def values(text: str) -> list[tuple[float, str]]:
    return [(f.value, f.kind) for f in extract(text)]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("超3,000家", "超3000家"),
        ("8000億元", "8000亿元"),
        ("800 billion yuan", "8000亿元"),
        ("150 million units", "1.5億台"),
        ("1 trillion yuan", "1萬億元"),
        ("20 percent", "20%"),
        ("35,000", "3.5萬家"),
    ],
)
def test_equal_figures_in_any_notation(a: str, b: str) -> None:
    assert values(a) == values(b)


def test_years_citation_markers_and_implied_magnitudes() -> None:
    figs = extract("到2026年[1]，估值過百億企業10家以上")
    assert [(f.value, f.kind) for f in figs] == [(2026.0, "year"), (1e10, "number"), (10.0, "number")]


def test_no_figures_in_plain_text() -> None:
    assert extract("深圳加速打造人工智能先锋城市") == []


def test_numbers_in_chinese_numerals_get_their_value() -> None:
    # 兩千億元 is 200 billion, not the 100 billion of its last two characters
    assert [(f.value, f.unit) for f in extract("人工智能產業規模超兩千億元")] == [(2e11, "元")]
    assert [(f.value, f.unit) for f in extract("三千家企业")] == [(3000.0, "家")]
    assert [f.value for f in extract("設立一百億元的基金")] == [1e10]
    assert [f.value for f in extract("两家公司")] == [2.0]
    assert extract("两千亿元")[0].matches(extract("2000亿元")[0])


def test_chinese_numerals_that_are_not_figures_stay_words() -> None:
    for text in ("一个平台", "万物互联", "十四五规划", "第一家", "一带一路", "三大产业", "连续三年"):
        assert extract(text) == [], text


def test_a_list_items_number_is_not_a_figure() -> None:
    from rag.text.figures import extract

    assert extract("3.加快AI大模型建设。") == []
    assert [f.surface for f in extract("12、发放6亿元算力券")] == ["6亿元"]
    assert [f.surface for f in extract("3.5亿元")] == ["3.5亿元"]


def test_a_day_of_the_month_on_its_own_is_a_date_not_a_quantity() -> None:
    assert [(f.surface, f.kind) for f in extract("經濟部產業技術司30日宣布啟動,每案補助最高3,000萬元")] == [
        ("30", "date"), ("3,000万元", "number")]
    assert [f.kind for f in extract("30日内完成审批")] == ["number"]  # a span of days


def test_english_number_words_that_count_something_are_figures() -> None:
    got = [(f.surface, f.value) for f in extract('form six "ten thousand person R&D bases" and two million units')]
    assert got == [("six", 6.0), ("ten thousand", 1e4), ("two million", 2e6)]
    assert extract("a six-year plan, the sixth plan, one of them") == []


def test_a_number_glued_to_latin_letters_is_part_of_a_name() -> None:
    assert [f.surface for f in extract("5G基站20.2万个,A100芯片,算力规模(FP16)突破3500PFlops")] == ["20.2万个", "3500PFlops"]
    assert [f.kind for f in extract("in 2024 the zone had model 2")] == ["year", "number"]


def test_a_list_items_number_inside_a_quote_is_not_a_figure() -> None:
    assert [f.surface for f in extract("It says: 「2.对落地大模型给予最高5000万元补助」")] == ["5000万元"]


def test_tenths_are_a_share_and_taiwanese_measure_words_are_units() -> None:
    got = [(f.surface, f.value, f.kind) for f in extract("盼能使成本降一成,八成以上企业,完成一成不变")]
    assert got == [("一成", 10.0, "percent"), ("八成", 80.0, "percent")]
    assert [(f.surface, f.unit) for f in extract("希望能有20案成案,須擴散8間以上的應用企業")] == [("20案", "案"), ("8间", "间")]
