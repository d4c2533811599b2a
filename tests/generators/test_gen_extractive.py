"""The extractive answer: which figure it states, and that a disagreement is shown, not hidden."""

from __future__ import annotations

from rag.answer.evidence import Focus
from rag.generators.extractive import ExtractiveGenerator, english_sentence
from rag.types import Evidence, GenerationRequest

RUMOUR = "据统计，深圳目前有10万家人工智能企业。"
REPORT = "到2024年底，深圳人工智能产业规模达3600亿元，人工智能企业超2800家。"
CHINA = "截至2024年3月，中国共有人工智能企业4500家。"


def ev(doc: str, text: str, score: float) -> Evidence:
    return Evidence(doc_id=doc, chunk_id=doc + "-c", start=0, end=len(text), text=text, score=score, rank=1)


def request(question: str, *evidence: Evidence, lang: str = "zh-Hans") -> GenerationRequest:
    focus = Focus.of(question, "en" if lang == "en" else "zh-Hans")
    terms = ("深圳", "人工智能", "企业", "ai")
    return GenerationRequest(question=question, language=lang, evidence=evidence, terms=terms,
                             measure=focus.measure, count=focus.count)


def answer(req: GenerationRequest) -> str:
    return "".join(ExtractiveGenerator().generate(req))


def test_a_figure_one_source_gives_is_shown_beside_the_source_that_disagrees() -> None:
    # the other report scores far below the margin that keeps runners-up, and is shown all the same
    text = answer(request("深圳有多少家人工智能企业？", ev("rumour", RUMOUR, 0.87), ev("report", REPORT, 0.60)))
    assert "10万家" in text and "2800家" in text and "另一来源的数字不同" in text
    assert text.index("10万家") < text.index("另一来源") < text.index("2800家")


def test_a_figure_for_another_place_is_no_disagreement() -> None:
    text = answer(request("深圳有多少家人工智能企业？", ev("rumour", RUMOUR, 0.87), ev("china", CHINA, 0.60)))
    assert "10万家" in text and "4500" not in text and "另一来源" not in text


def test_a_figure_two_sources_agree_on_needs_no_other() -> None:
    again = "深圳人工智能企业约10万家。"
    text = answer(request("深圳有多少家人工智能企业？", ev("a", RUMOUR, 0.87), ev("b", again, 0.86),
                          ev("report", REPORT, 0.60)))
    assert "另一来源" not in text and "2800" not in text


def test_an_english_how_many_question_is_answered_with_a_count_not_a_sum_of_money() -> None:
    req = request("How many AI companies does Shenzhen have?", ev("report", REPORT, 0.8), lang="en")
    text = english_sentence(req, [(1, req.evidence[0])])
    assert text.startswith("The source gives more than 2,800") and "360 billion" not in text.split("It says")[0]


def test_a_stretch_goal_is_not_given_the_bound_of_the_figure_before_it() -> None:
    goal = "全市人工智能终端产业规模达8000亿元以上、力争1万亿元。"
    req = request("What is the stretch goal for the AI terminal industry?", ev("plan", goal, 0.8), lang="en")
    text = english_sentence(req, [(1, req.evidence[0])])
    assert "a goal of 1 trillion yuan" in text and "more than 1 trillion" not in text


def test_an_approximate_count_reads_over_n() -> None:
    text = "人工智能是北京独角兽企业数量最多的产业领域，达20余家。"
    req = request("How many AI unicorns does Beijing have?", ev("list", text, 0.8), lang="en")
    assert english_sentence(req, [(1, req.evidence[0])]).startswith("The source gives over 20 ")


def test_english_numbers_and_the_other_source_sentence() -> None:
    from rag.generators.english import another_source, english_number
    from rag.text.figures import extract

    assert [english_number(f) for f in extract("8000億元、1.5億台、3000家、20%")] == [
        "800 billion yuan", "150 million units", "3,000", "20%"]
    other = ev("report", REPORT, 0.6)
    assert another_source(2, other, "more than 2,800") == f" Another source gives more than 2,800 [2]: 「{REPORT}」 [2]."
    assert another_source(2, other) == f" Another source gives [2]: 「{REPORT}」 [2]."


HUBEI = "By 2027, cultivate 5 10 billion level industrial parks with an industrial scale of 350 billion yuan."
LINGANG = "Projects that make breakthroughs shall be offered financial support up to 20 million yuan ($2.83 million)."


def zh_request(question: str, text: str, lang: str = "zh-Hans", terms: tuple[str, ...] = ()) -> GenerationRequest:
    focus = Focus.of(question, lang)
    return GenerationRequest(question=question, language=lang, evidence=(ev("en-doc", text, 0.9),), terms=terms,
                             measure=focus.measure, count=focus.count, quantity=focus.quantity, unit=focus.unit)


def test_a_chinese_question_on_an_english_source_gets_a_chinese_sentence_with_the_figure_written_in_chinese() -> None:
    text = answer(zh_request("湖北到2027年人工智能产业规模要达到多少？", HUBEI, terms=("industrial scale", "2027")))
    assert text.startswith("来源（英文）给出的是3500亿元[1]。")
    assert "「" + HUBEI + "」[1]" in text  # the English source quoted as it stands


def test_an_english_up_to_is_written_as_a_chinese_ceiling_in_the_askers_script() -> None:
    text = answer(zh_request("臨港對突破項目最高給予多少資金支持？", LINGANG, "zh-Hant", terms=("financial support",)))
    assert text.startswith("來源（英文）給出的是最高2000萬元[1]")


def test_an_amount_of_money_is_the_figure_in_yuan_not_the_dollar_sum_after_it() -> None:
    source = ("Pilot projects shall receive financial support up to 15 million yuan ($2.1 million) "
              "according to their investment.")
    text = answer(zh_request("试点项目最高可获得多少资金支持？", source, terms=("financial support",)))
    assert text.startswith("来源（英文）给出的是最高1500万元[1]")


def test_a_chinese_question_that_asks_no_figure_gets_the_english_quote_in_a_chinese_sentence() -> None:
    text = answer(zh_request("湖北要培育什么样的产业园？", HUBEI, terms=("industrial",)))
    assert text == "来源为英文，原文：「" + HUBEI + "」[1]"


def test_an_english_who_question_gets_a_sentence_naming_the_people_and_places_in_english() -> None:
    from rag.generators.english import english_quote

    text = english_quote((1, ev("doc", "梁文鋒從廣東湛江,去杭州求學,創立了DeepSeek;", 0.9)))
    assert text.startswith("The source, in Chinese, names Liang Wenfeng (梁文鋒)")
    assert text.endswith("It says: 「梁文鋒從廣東湛江,去杭州求學,創立了DeepSeek;」 [1].")


def test_an_english_figure_list_leaves_out_labels_it_cannot_name_in_english() -> None:
    from rag.generators.english import english_lead

    text = english_lead([(1, ev("doc", "服務機械人產量增長25.8%,要集聚10家企業。", 0.9))])
    assert "service robot" in text and "「" not in text


def test_a_how_many_question_takes_the_count_the_counted_noun_follows_not_a_sum_of_money() -> None:
    from rag.generators.figure_fit import best_figure

    q = "How many industrial parks at the 10-billion-yuan level does Hubei plan to cultivate by 2027?"
    focus = Focus.of(q, "en")
    req = GenerationRequest(question=q, language="en", evidence=(ev("en-doc", HUBEI, 0.9),),
                            terms=("industrial parks", "cultivate", "level"), measure=focus.measure, count=focus.count)
    best = best_figure(req.evidence[0], req)
    assert best is not None and best[1].value == 5


def test_an_english_figure_from_an_english_source_keeps_its_unit_and_bound() -> None:
    from rag.generators.english import figure_phrase
    from rag.text.figures import extract

    e = ev("en-doc", LINGANG, 0.9)
    assert figure_phrase(e, extract(LINGANG)[0]) == "up to 20 million yuan"


def test_a_which_question_without_a_figure_asks_for_a_name_one_with_a_figure_for_it_confirmed() -> None:
    from rag.generators.extractive import asks_for_number

    assert not asks_for_number("Which fund manager has Hong Kong appointed to run its new fund?")
    assert asks_for_number("Which plan sets a 2026 goal of more than 150 million AI devices?")
    assert asks_for_number("How large is the fund Hong Kong plans to launch?")


def test_what_one_recipient_gets_is_not_the_schemes_total_nor_the_other_way_round() -> None:
    total = ev("m", "建立算力券信息管理平台,每年总额不超过1000万元的算力券,用于落户企业。", 0.8)
    each = ev("m", "每个单位每年最高享受100万元算力券。", 0.7)
    req = request("What is the most a single organisation can receive in computing-power vouchers per year?",
                  total, each, lang="en")
    got = english_sentence(req, [(1, total), (2, each)])
    assert got.startswith("The source gives up to 1 million yuan [2]")
    assert "The same document also gives" in got or "10 million" not in got
    req = request("每年发放的算力券总额上限是多少？", each, total)
    from rag.generators.figure_fit import best_figure
    assert best_figure(total, req)[0] > best_figure(each, req)[0]


def test_a_question_asking_for_a_ceiling_names_no_measure() -> None:
    from rag.answer.measure import asked_measure

    assert asked_measure("In Langfang, what is the most a single organisation can receive in vouchers?", "en") == ((), "")


def test_a_traditional_not_more_than_is_a_ceiling_not_more_than() -> None:
    from rag.generators.english import figure_phrase
    from rag.text.figures import extract

    text = "鼓勵優質算力普惠供給,每年發放不超過1億元算力券,企業數量超過3000家。"
    e = ev("d", text, 0.5)
    phrases = [figure_phrase(e, f) for f in extract(text) if f.kind == "number"]
    assert phrases[0].startswith("up to 100 million yuan") and phrases[1].startswith("more than 3,000")


def test_the_form_a_sum_is_paid_in_is_the_measure_asked_about() -> None:
    from rag.answer.measure import asked_measure

    measure, _ = asked_measure("How much does the city pay out in corpus vouchers for buying training data?", "en")
    assert measure and "语料券" in measure[0]


def test_a_bounded_figure_the_question_states_is_its_condition_not_its_answer() -> None:
    text = "对落地参数量超过千亿的自研大模型,按照研发费用的20%给予牵头研发企业补助最高5000万元。"
    req = request("How much can a company get for landing a large model with more than 100 billion parameters?",
                  ev("m", text, 0.8), lang="en")
    assert english_sentence(req, [(1, req.evidence[0])]).startswith("The source gives up to 50 million yuan")
    # a figure quoted to be confirmed is still the answer
    plan = ev("p", "到2026年,全市人工智能企业数量超3000家,独角兽企业超10家。", 0.8)
    req = request("Does Shenzhen aim for more than 3,000 AI companies by 2026?", plan, lang="en")
    assert english_sentence(req, [(1, plan)]).startswith("The source gives more than 3,000")


def test_a_ceiling_asked_for_is_the_sum_each_recipient_gets_not_the_pool_or_the_rate() -> None:
    from rag.generators.figure_fit import best_figure

    text = "设立最高8000万元模型券,对企业租用智算资源的,按不超过实际费用40%给予每年最高200万元资助。"
    req = request("What is the annual cap on voucher support for each company?", ev("m", text, 0.8), lang="en")
    best = best_figure(req.evidence[0], req)
    assert best is not None and best[1].surface == "200万元"


def test_a_size_asked_for_is_a_scale_not_a_count_of_firms() -> None:
    from rag.generators.figure_fit import best_figure

    text = "到2028年,关联产业规模达到900亿元以上,机器人产业集群相关企业超过1500家。"
    req = request("How big should the robot-related sector be by 2028?", ev("m", text, 0.8), lang="en")
    best = best_figure(req.evidence[0], req)
    assert best is not None and best[1].surface == "900亿元"


def test_the_same_figure_rounded_is_no_disagreement() -> None:
    a = ev("a", "2024年,深圳全社会研发投入1834.57亿元。", 0.9)
    b = ev("b", "2024年深圳全社会研发投入1834.6亿元。", 0.8)
    text = answer(request("深圳2024年研发投入是多少？", a, b))
    assert "另一来源" not in text
