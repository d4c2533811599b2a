from __future__ import annotations

import pytest

from rag.text.lexicon import (
    ABOUT,
    AT_LEAST,
    AT_MOST,
    PARTIAL_QUALIFIERS,
    alternation,
    answer_english,
    bound,
    direction_english,
    english_qualifier,
    is_currency,
    magnitudes,
    nearest_bound,
    numerals,
    qualifier_words,
    qualifiers,
    support_role,
    unit_english,
    unit_words,
)


@pytest.mark.parametrize(("before", "after", "direction"), [
    ("上限不超过", "", AT_MOST),  # never read as 超过
    ("给予最高", "", AT_MOST),
    ("financial support up to", "", AT_MOST),
    ("企业数量超过", "", AT_LEAST),
    ("", "以上", AT_LEAST),
    ("", "以内", AT_MOST),
    ("规模达", "", ""),
])
def test_bound_direction(before: str, after: str, direction: str) -> None:
    assert bound(before, after) == direction


def test_nearest_bound_in_a_clause_and_support_roles() -> None:
    assert nearest_bound("按不超过合同金额的") == AT_MOST
    assert support_role("每年总额不超过1000万元的算力券") == {"budget", "support"}
    assert support_role("产业规模突破1000亿元") == set()


def test_the_qualifier_table_is_well_formed() -> None:
    known = {"answer", "table", "written", "written_zh", "pre", "trail", "post", "approx", "partial", "base"}
    for q in qualifiers():
        assert q.direction in ("", AT_MOST, AT_LEAST, ABOUT) and q.side in ("", "before", "after"), q
        assert q.uses <= known, q
    words = [q.word for q in qualifiers()]
    assert len(words) == len(set(words))


def test_english_wording_of_qualifiers() -> None:
    assert [english_qualifier(w) for w in ("力争", "以上", "累計", "達", "不超过")] == [
        "aiming for", "at least", "a cumulative", "reaching", ""]
    assert [answer_english(w) for w in ("力争", "以上", "达到", "余")] == ["a goal of", "or more", "", "over"]
    assert [direction_english(d) for d in (AT_MOST, AT_LEAST, ABOUT, "")] == ["up to", "more than", "about", ""]
    assert PARTIAL_QUALIFIERS == ("每", "平均", "人均", "其中")
    assert qualifier_words("answer", "after") == ("以上", "余", "餘", "多")
    assert qualifier_words("pre")[0] == "不超过"  # longest first: never read as 超过


def test_units_and_magnitudes() -> None:
    assert magnitudes(chinese=True) == {"万亿": 1e12, "亿": 1e8, "兆": 1e12, "万": 1e4, "千": 1e3}
    assert list(magnitudes(chinese=False, use="written")) == ["trillion", "billion", "million"]
    assert numerals() == {"十": 10.0, "百": 100.0, "千": 1000.0}
    assert [unit_english(u) for u in ("亿元", "亿台", "万辆", "家", "平方千米")] == [
        "yuan", "units", "vehicles", "", "km²"]
    assert unit_english("EFlops") == "EFLOPS"  # a Latin unit in any case
    assert is_currency("亿元") and is_currency("人民币") and not is_currency("家")
    assert unit_words("duration") == ("个月", "小时", "分钟", "年", "周", "天")
    assert alternation(["个", "个百分点", "个月"]) == "个百分点|个月|个"


def test_zhao_is_a_trillion_but_megawatts_stay_a_unit() -> None:
    from rag.text.figures import extract

    assert [(f.value, f.unit) for f in extract("2028年創造約7兆元產值")][-1] == (7e12, "元")
    assert [(f.value, f.unit) for f in extract("建成100兆瓦光伏")] == [(100.0, "兆瓦")]
    assert [(f.value, f.unit) for f in extract("新增100万辆")] == [(1e6, "辆")]


def test_a_unit_is_named_by_the_longest_word_it_ends_with() -> None:
    from rag.generators.english import english_number
    from rag.text.figures import extract

    def english(text: str) -> str:
        return english_number(next(f for f in extract(text) if f.kind != "year"))

    assert english("融资5亿美元") == "500 million US dollars"  # not "yuan": 美元 is not 元
    assert english("基金规模10亿港元") == "1 billion HK dollars"
    assert english("面积30平方公里") == "30 km²"
    assert english("规模3600亿元人民币") == "360 billion yuan"


def test_money_written_before_an_english_number() -> None:
    from rag.text.lexicon import currency_before, is_currency

    assert currency_before("an allocation of $") == ("$", 1)
    assert currency_before("up to HK$ ") == ("HK$", 4)
    assert currency_before("a subsidy of RMB ") == ("RMB", 4)
    assert currency_before("FIRMB ") == ("", 0)  # inside another word
    assert currency_before("a total of ") == ("", 0)
    assert is_currency("HK$") and is_currency("RMB")
