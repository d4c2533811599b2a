"""What a question asks about (place, year, measure, a figure) and which sentences cannot answer it."""

from __future__ import annotations

import pytest

from rag.answer.focus import Focus
from rag.answer.measure import asked_measure
from rag.answer.quantities import has_quantity, years_named


def off(question: str, sentence: str, lang: str = "zh-Hans", latest: str = "", context: str = "") -> str:
    return Focus.of(question, lang, latest).off_topic(sentence, context)


def test_years_named_includes_plan_periods() -> None:
    assert years_named("《深圳市具身智能机器人行动计划(2025-2027年)》") == {2025, 2026, 2027}
    assert years_named("超2000家企业") == set()


def test_figures_in_words_count_as_quantities() -> None:
    assert has_quantity("累计培育上千家瞪羚企业") and has_quantity("总量居全国城市第一")
    assert not has_quantity("2024年,深圳打造人工智能先锋城市")


@pytest.mark.parametrize(("question", "lang", "measure", "unit"), [
    ("深圳2024年人形機器人產量是多少台？", "zh-Hant", ("产量",), "台"),
    ("山東2024年工業利潤增長了多少？", "zh-Hant", ("利润",), ""),
    ("宇树科技最新一轮融资后估值是多少？", "zh-Hans", ("估值",), ""),
    ("深圳人工智能终端产业到2026年的规模目标是多少？", "zh-Hans", ("规模",), ""),
    ("What was Shenzhen's GDP in 2024?", "en", ("地区生产总值",), ""),
])
def test_asked_measure(question: str, lang: str, measure: tuple[str, ...], unit: str) -> None:
    got, got_unit = asked_measure(question, lang)
    assert got and got[-1][: len(measure)] == measure and got_unit == unit


def test_a_sentence_about_another_place_cannot_answer() -> None:
    assert off("杭州2024年人工智能产业规模是多少？", "到2024年底,深圳人工智能产业规模达3600亿元").startswith("about")
    assert off("深圳2024年人工智能产业规模是多少？", "到2024年底,深圳人工智能产业规模达3600亿元") == ""


def test_a_sentence_about_another_year_cannot_answer() -> None:
    assert off("山東2024年工業利潤增長了多少？", "2023年山东工业利润增长24.4%", "zh-Hant") == "about 2023"
    assert off("到2026年深圳具身智能机器人企业有多少家？", "《行动计划(2025-2027年)》提出企业超过1200家") == ""


def test_a_follow_up_asks_for_its_own_year() -> None:
    focus = Focus.of("深圳AI先锋城市行动计划2026年的企业数量目标是多少？ 2027年呢？", "zh-Hans", "2027年呢？")
    assert focus.years == {2027} and focus.quantity


def test_the_quantity_asked_about_must_be_stated() -> None:
    q = "深圳2024年本地生產總值（GDP）是多少？"
    assert off(q, "2024年,深圳进出口总额4.5万亿元", "zh-Hant").startswith("nothing about")
    assert off(q, "2024年深圳地区生产总值3.68万亿元", "zh-Hant") == ""
    # the same measure in other words: 增加值 / 增长值
    assert off("山东2023年规模以上工业增加值增长了多少？", "2023年,山东省规模以上工业增长值增长7.1%") == ""


def test_a_count_must_be_a_figure_in_the_asked_unit() -> None:
    q = "深圳2024年人形機器人產量是多少台？"
    assert off(q, "2024年,工业机器人产品产量增长31.8%", "zh-Hant") == "states no figure"  # a growth rate
    assert off(q, "2024年,工业机器人产品产量达2.5万套", "zh-Hant") == "no count in 台"
    assert off(q, "2024年,深圳人形机器人产量达1万台", "zh-Hant") == ""
    assert off("How many Nvidia chips did DeepSeek use to train its model?",
               "DeepSeek到底用了多少英伟达的芯片才训练出来", "en") == "states no figure"


def test_the_place_or_year_asked_about_must_appear_around_the_sentence() -> None:
    q = "山东省目前有多少家人工智能企业？"
    sentence = "到2026年,全市人工智能企业数量超3000家"
    assert off(q, sentence, context="深圳市加快打造人工智能先锋城市。" + sentence).startswith("nothing about")
    assert off(q, sentence, context="山东省人工智能产业。" + sentence) == ""


def test_a_district_asked_about_is_not_answered_by_another_district_of_its_city() -> None:
    q = "How many AI companies does Beijing's Haidian District aim to gather by 2026?"
    sentence = "到2026年,集聚50家人工智能企业。"
    assert off(q, sentence, "en", context="北京市朝阳区人工智能三年行动计划。" + sentence).startswith("nothing about")
    assert off(q, sentence, "en", context="北京市海淀区人工智能三年行动计划。" + sentence) == ""


def test_follow_ups_keep_or_replace_the_measure_asked_before() -> None:
    before = "截至2024年底深圳有多少家人工智能企业？"
    same = Focus.of(before + " 那2023年度白皮书里的数字是多少？", "zh-Hans", "那2023年度白皮书里的数字是多少？")
    assert same.measure[0][0] == "企业" and "enterprise" in same.measure[0] and same.count and same.years == {2023}
    own = Focus.of("截至2024年底北京有多少家獨角獸企業？ 總估值呢？", "zh-Hant", "總估值呢？")
    assert own.measure == (("估值",),) and not own.count
    new = Focus.of("忻城县糯玉米种植面积有多大？ 那蚕桑产业在全国排第几？", "zh-Hans", "那蚕桑产业在全国排第几？")
    assert new.measure == ()


def test_a_ratio_question_is_answered_by_a_percentage() -> None:
    focus = Focus.of("漳州的算力券按不超过合同金额的多少比例给予支持？", "zh-Hans")
    assert focus.off_topic("按不超过合同金额的50%,给予最高200万元支持。") == ""


def test_a_districts_figure_does_not_answer_for_its_city() -> None:
    baoan = "2024年上半年，深圳工业重镇宝安区人工智能产业集群产值同比增长7.6%，已集聚人工智能企业超400家。"
    assert Focus.of("深圳有多少家人工智能企业？", "zh-Hans").off_topic(baoan) == "about 宝安区"
    assert Focus.of("How many AI companies does Shenzhen have?", "en").off_topic(baoan) == "about 宝安区"
    assert Focus.of("宝安区有多少家人工智能企业？", "zh-Hans").off_topic(baoan) == ""


def test_a_count_of_a_kind_of_company_needs_that_kind_named() -> None:
    q = "广州目前有多少家软件企业？"
    assert off(q, "2023年广州新培育省级制造业领航型企业106家") == "nothing about 软件"
    assert off(q, "广州已汇聚软件企业2600余家") == ""
    # a measure word jieba glues to the next word (家链) is cut off: 链主 is the kind counted
    assert off("苏州要培育多少家链主企业？", "培育链主企业10家") == ""
    assert off("苏州要培育多少家链主企业？", "培育专精特新企业50家").startswith("nothing about 链主")
    # the kind in Latin letters or in words: AI is 人工智能
    assert off("杭州要推出多少款AI终端产品？", "推出50款以上爆款人工智能终端产品") == ""


def test_an_amount_asked_in_chinese_is_stated_in_yuan_by_an_english_source() -> None:
    english = "Pilot projects shall receive financial support up to 15 million yuan according to their investment."
    assert off("试点项目最高可获得多少资金支持？", english) == ""


@pytest.mark.parametrize(("sentence", "bounded"), [
    ("每家算力需求方每年累計可領取最高500萬元算力券。", True),
    ("按照不超过市级支持资金30%比例予以建设主体补助。", True),
    ("每案補助上限為新台幣2,000萬元。", True),
    ("Projects shall be offered financial support up to 20 million yuan.", True),
    ("The Budget announced an allocation of $3 billion for the scheme.", False),
    ("对新获批的国家绿色数据中心给予100万元一次性奖励。", False),
    ("本次也新增提供每家達42萬元的補助。", True),  # what each recipient gets
])
def test_states_ceiling(sentence: str, bounded: bool) -> None:
    from rag.answer.quantities import states_ceiling

    assert states_ceiling(sentence) is bounded


@pytest.mark.parametrize("question", [
    "香港资助计划对每个项目的资助金额上限是多少港元?",
    "What is the cap on the city's computing-power vouchers per enterprise?",
    "What is the most a single company can claim in vouchers a year?",
])
def test_a_cap_asked_for_is_not_answered_by_an_unbounded_sum(question: str) -> None:
    lang = "en" if question.isascii() else "zh-Hans"
    focus = Focus.of(question, lang)
    assert focus.ceiling and focus.quantity
    assert focus.off_topic("The Budget announced an allocation of $3 billion for the scheme.") == "states no ceiling"
    assert focus.off_topic("每家企业每年最高可领取500万元算力券。") == ""


def test_a_superlative_is_not_a_cap() -> None:
    assert not Focus.of("Which city has the most AI companies?", "en").ceiling
    assert not Focus.of("哪个区的企业最多？", "zh-Hans").ceiling


def test_a_change_asked_for_is_not_answered_by_a_level() -> None:
    focus = Focus.of("大会上提到的企业数量,比前一年增加了多少家？", "zh-Hans")
    assert focus.change
    assert focus.off_topic("核心产业规模达到5000亿元,企业数量超过4400家。") == "states no change"
    assert focus.off_topic("企业数量比上年新增300家。") == ""
    assert not Focus.of("企业数量有多少家？", "zh-Hans").change


def test_a_sentence_naming_no_year_is_for_the_horizon_its_paragraph_set() -> None:
    q = "到2030年全市要建成多少个行业数据平台？"
    focus = Focus.of(q, "zh-Hans")
    sentence = "建成行业数据平台12个。"
    assert focus.off_topic(sentence, lead="到2028年,全市核心产业规模达到900亿元。") == "about 2028"
    assert focus.off_topic(sentence, lead="到2028年,规模达到900亿元。到2030年,规模达到1500亿元。") == ""
    en = Focus.of("What share of firms should use AI agents by 2029?", "en")
    lead = "By 2029, the industry will exceed 80 billion yuan. "
    assert en.off_topic("The share of firms using AI agents will exceed 60%.", "By 2026 the plan starts.", lead) == ""


def test_a_number_inside_a_quoted_name_is_no_year() -> None:
    assert years_named("“智造2040”每年支持项目15个以上") == set()
    assert years_named("“2027年行动”要求培育企业50家") == {2027}


def test_a_programme_the_question_quotes_must_be_named_by_the_document() -> None:
    focus = Focus.of("「雲端服務研發補助計畫」每案補助上限是多少？", "zh-Hant")
    sentence = "每案補助上限為新臺幣1,500萬元。"
    other = "數位部推出「智慧零售導入計畫」。" + sentence
    assert focus.off_topic(sentence, document=other).startswith("nothing about")
    assert focus.off_topic(sentence, document="數位部推出「雲端服務研發補助計畫」。" + sentence) == ""
    # an English page cannot be matched letter by letter against a Chinese name
    assert focus.off_topic("Each project may receive up to NT$15 million.", document="The cloud service grant " * 20) == ""


def test_what_figure_or_amount_asks_for_a_quantity() -> None:
    assert Focus.of("What computing-power figure does the plan set for 2031?", "en").quantity
    assert off("What computing-power figure does the plan set for 2031?",
               "By 2031 the province will enter a new stage of development.", "en") == "states no figure"


def test_a_near_form_keeps_the_first_and_last_character() -> None:
    from rag.answer.measure import mentions

    assert mentions("工业增长值增长7.1%", "增加值")
    assert not mentions("对数据标注业务量给予补助", "数据券")
    assert not mentions("发放标注券", "语料券")


def test_the_measure_before_how_large_is_asked_for() -> None:
    got, _ = asked_measure("到2028年全市产业基金要做到多大规模?", "zh-Hans")
    assert got and got[0][0] == "基金"


def test_a_measure_with_no_known_english_form_is_not_held_against_an_english_sentence() -> None:
    q = "到2029年智能终端的普及率要超过多少？"
    assert off(q, "By 2029, the penetration rate of intelligent terminals will exceed 80%.") == ""
    assert off(q, "到2029年,智能终端出货量超过80%。").startswith("nothing about")
