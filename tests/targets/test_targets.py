"""The targets-and-figures table: extraction rules, grouping, conflicts, filters, formats, gold score."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from rag.errors import ConfigError, IndexMismatchError, IndexNotFoundError
from rag.eval.targets import score
from rag.ingest.cleaning import clean
from rag.ingest.corpus import load_corpus
from rag.targets.table import (
    TargetRow,
    answer_from_table,
    conflicts,
    extract_targets,
    filter_rows,
    format_rows,
    load_targets,
    parse_rows,
    save_targets,
)
from rag.types import DocMeta, Document

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "targets.jsonl"


def rows_of(text: str, published: str = "2025-03-05", doc_id: str = "t", title: str = "") -> list[TargetRow]:
    """Rows of a one-document corpus built from ``text`` (cleaned the way the corpus is)."""
    c = clean(text)
    meta = DocMeta(doc_id=doc_id, title=title or doc_id, published=published, script="zh-Hans")
    doc = Document(meta, "", text, c.text, c.offsets, c.headings)
    return extract_targets([doc])


def one(text: str, **kw: str) -> TargetRow:
    rows = rows_of(text, **kw)
    assert len(rows) == 1, [r.value_text for r in rows]
    return rows[0]


@pytest.fixture(scope="module")
def rows() -> list[TargetRow]:
    docs, _ = load_corpus(ROOT / "docs_corpus")
    return extract_targets(docs)


# --- rules on small sentences ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value_text", "value", "unit", "qualifier"),
    [
        ("到2026年全市人工智能企业数量超3000家。", "3000家", 3000.0, "家", "超"),
        ("集聚不少于10家现象级人工智能终端企业。", "10家", 10.0, "家", "不少于"),
        ("推出10个以上创新孵化器。", "10个", 10.0, "个", "以上"),
        ("全市人工智能终端产业规模力争1万亿元。", "1万亿元", 1e12, "元", "力争"),
        ("产业规模达8000億元以上。", "8000億元", 8e11, "元", "以上"),
        ("人工智能终端产品产量突破1.5亿台。", "1.5亿台", 1.5e8, "台", "突破"),
        ("中国瞪羚企业数量超过3.5万家。", "3.5万家", 35000.0, "家", "超过"),
        ("深圳已汇聚人工智能企业2600余家。", "2600余家", 2600.0, "家", "余"),
        ("深圳进出口总额4.5萬億元。", "4.5萬億元", 4.5e12, "元", ""),
        ("产业规模年均增长超20%。", "20%", 20.0, "%", "超"),
        ("同比增长约35%。", "35%", 35.0, "%", "约"),
        ("企业数量达3,000家。", "3,000家", 3000.0, "家", "达"),
    ],
)
def test_values_units_and_qualifiers(text: str, value_text: str, value: float, unit: str, qualifier: str) -> None:
    r = one(text)
    assert (r.value_text, r.value, r.unit, r.qualifier) == (value_text, value, unit, qualifier)
    assert r.value_text in r.quote


def test_range_keeps_both_ends() -> None:
    r = one("项目建设周期为2-3年。")
    assert (r.value, r.value_max, r.unit, r.value_text) == (2.0, 3.0, "年", "2-3年")


@pytest.mark.parametrize(
    "text",
    [
        "3月3日，深圳连发四份行动计划。",  # a date
        "2025年开年以来，深圳动作频频。",  # a year alone
        "一、推进场景开放。",  # list numbering in Chinese
        "1. 推进场景开放。",  # list numbering in digits
        "咨询电话：0755-88886666。",  # a phone number
        "联系电话13800138000。",  # a mobile number
        "《深圳市加快打造人工智能先锋城市行动计划(2025-2026年)》发布。",  # plan-title years
        "计划期限为(2025-2026年)。",  # a bare plan-period bracket
        "未来2-3年深圳将快速发展。",  # a horizon, not a quantity
        "华为发布5G和5.5G技术。",  # codes
        "深圳6个「90%」经验做法。",  # 90% quoted as a name (6个 is a figure, 90% is not)
        "新引进10亿元以上项目。",  # a threshold describing the projects
    ],
)
def test_not_figures(text: str) -> None:
    assert [r.value_text for r in rows_of(text) if r.value_text != "6个"] == []


def test_photo_captions_give_no_rows() -> None:
    text = "深圳发布新政策。\n\n未来2-3年深圳将建成100家孵化器。央视新闻资料图\n\n深圳人工智能企业超2800家。\n"
    assert [r.value_text for r in rows_of(text)] == ["2800家"]


def test_kind_and_year_inference() -> None:
    target = one("到2026年，全市人工智能企业数量超3000家。")
    assert (target.kind, target.year, target.year_from) == ("target", 2026, "sentence")
    past = one("到2024年底，深圳人工智能企业超2800家。")
    assert (past.kind, past.year, past.as_of) == ("statistic", 2024, "2024-end")
    asof = one("截至2024年3月，中国共有独角兽企业369家。")
    assert (asof.kind, asof.year, asof.as_of) == ("statistic", 2024, "2024-03")
    undated = one("深圳已汇聚人工智能企业2600余家。", published="2025-03-05")
    assert (undated.kind, undated.year, undated.year_from, undated.as_of) == (
        "statistic",
        2025,
        "document",
        "2025-03-05",
    )
    aim = one("全市人工智能终端产业规模力争1万亿元。")
    assert aim.kind == "target"


def test_in_a_plan_itself_an_undated_figure_is_a_target_in_an_article_a_statistic() -> None:
    text = "中山市人民政府2025年2月21日印发。建成1个城市人工智能赋能中心,部署10个以上行业应用模型。"
    plan = rows_of(text, published="2025-02-21", title="中山市推进“人工智能+”产业创新发展的若干政策措施")
    assert [(r.value_text, r.kind) for r in plan] == [("1个", "target"), ("10个", "target")]
    article = rows_of(text, published="2025-02-21", title="深圳最近似乎有点“急”:两天连出“三方案四计划”")
    assert {r.kind for r in article} == {"statistic"}
    past = rows_of("截至2024年底,全市已建成1个赋能中心。", title="廊坊市促进人工智能产业发展若干措施")
    assert [r.kind for r in past] == ["statistic"]


def test_eflops_is_a_unit_in_any_case() -> None:
    assert one("到2026年,智能算力规模达到100EFlops。").unit.upper() == "EFLOPS"


def test_year_and_plan_carried_by_anaphora() -> None:
    text = (
        "《深圳市加快推进人工智能终端产业发展行动计划(2025-2026年)》提出，到2026年，产业核心竞争力进一步增强。\n"
        "届时，深圳要集聚不少于10家现象级人工智能终端企业。\n"
    )
    r = one(text)
    assert (r.kind, r.year, r.year_from) == ("target", 2026, "context")
    assert r.plan == "《深圳市加快推进人工智能终端产业发展行动计划(2025-2026年)》"
    assert r.metric == "现象级人工智能终端企业"


def test_a_nationwide_phrase_does_not_make_later_sentences_national() -> None:
    text = "近日,成都市发布若干政策。\n打造全国人工智能产业发展新高地。\n每家企业每年最高可领取500万元算力券。"
    row = one(text, title="成都市若干政策")
    assert row.scope == "Chengdu"


def test_scope_from_sentence_then_context() -> None:
    got = rows_of("截至2024年3月，中国共有独角兽企业369家，排名前列的城市有：北京114家，上海63家，深圳32家。")
    assert [(r.scope, r.value_text, r.metric) for r in got] == [
        ("China", "369家", "独角兽企业"),
        ("Beijing", "114家", "独角兽企业"),
        ("Shanghai", "63家", "独角兽企业"),
        ("Shenzhen", "32家", "独角兽企业"),
    ]
    carried = rows_of("深圳发布行动计划。\n按照计划，到2026年，全市人工智能企业数量超3000家。\n")
    assert carried[0].scope == "Shenzhen"


def test_metric_english_from_glossary() -> None:
    r = one("到2026年全市人工智能终端产品产量突破1.5亿台。")
    assert r.metric == "人工智能终端产品产量"
    assert r.metric_en == "ai terminal product output"


# --- the real corpus -------------------------------------------------------------------------


def test_every_row_quotes_its_figure_verbatim(rows: list[TargetRow]) -> None:
    docs, _ = load_corpus(ROOT / "docs_corpus")
    raw = {d.doc_id: d.raw for d in docs}
    assert len(rows) > 150
    for r in rows:
        assert r.value_text in r.quote, r
        assert r.value_text in re.sub(r"\s", "", raw[r.doc_id][r.start : r.end]), r  # OCR line breaks aside


def test_ai_company_count_is_one_group_across_documents(rows: list[TargetRow]) -> None:
    group = "Shenzhen/人工智能企业/n"
    got = {(r.doc_id.split("-")[0], r.value, r.year, r.kind) for r in rows if r.group == group}
    assert ("special", 1920.0, 2023, "statistic") in got  # the 2023 white paper
    assert ("yicai", 2600.0, 2025, "statistic") in got
    assert ("zhengjieju", 2800.0, 2024, "statistic") in got  # end of 2024
    assert ("hkcna", 3000.0, 2026, "target") in got and ("yicai", 3000.0, 2026, "target") in got
    baoan = [r for r in rows if r.value_text == "400家"]
    assert baoan and all(r.scope == "Bao'an (Shenzhen)" and r.group != group for r in baoan)  # a district


def test_conflict_flagged_between_sources(rows: list[TargetRow]) -> None:
    found = {(c.group, c.year, c.kind): c for c in conflicts(rows)}
    beijing = found[("Beijing/独角兽企业/n", 2024, "statistic")]
    assert {r.value_text for r in beijing.rows} == {"114家", "115家"}
    assert {r.doc_id.split("-")[0] for r in beijing.rows} == {"yicai", "takungpao"}
    # rounding (2236.61 vs 2236.6亿元) and the same pair of targets in two sources are not conflicts
    assert not any(k[0] in ("Shenzhen/研发投入/元", "Shenzhen/人工智能终端产业规模/元") for k in found)


def test_conflicts_on_constructed_rows() -> None:
    a = one("截至2024年底，深圳人工智能企业超2800家。", doc_id="a")
    b = one("截至2024年底，深圳人工智能企业超2900家。", doc_id="b")
    c = one("截至2024年底，深圳人工智能企业超2800家。", doc_id="c")
    assert [x.group for x in conflicts([a, b])] == [a.group]
    assert conflicts([a, c]) == []


def test_an_undated_figure_is_compared_with_the_dated_ones() -> None:
    a = one("截至2024年底，深圳人工智能企业超2800家。", doc_id="a")
    lone = replace(one("截至2024年底，深圳人工智能企业达10万家。", doc_id="x"), year=0)
    assert lone.group == a.group
    found = conflicts([a, lone])
    assert len(found) == 1 and {r.doc_id for r in found[0].rows} == {"a", "x"}


# --- filters, formats, persistence -------------------------------------------------------------


def test_filters(rows: list[TargetRow]) -> None:
    shenzhen_2027 = filter_rows(rows, scope="Shenzhen", year=2027, kind="target")
    assert len(shenzhen_2027) == 14 and all(r.year == 2027 for r in shenzhen_2027)
    assert filter_rows(rows, scope="深圳") == filter_rows(rows, scope="shenzhen")
    assert {r.scope for r in filter_rows(rows, scope="Shenzhen")} == {"Shenzhen", "Bao'an (Shenzhen)"}
    assert filter_rows(rows, year="2026") == filter_rows(rows, year=2026)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"year": "26"}, "expected 4 digits; years in the table: 2023, 2024, 2025, 2026, 2027"),
        ({"year": 2030}, "years in the table: 2023"),
        ({"scope": "Mars"}, "valid: Bao'an (Shenzhen); Beijing; China;"),
        ({"kind": "goal"}, "valid: target, statistic"),
    ],
)
def test_filter_errors_list_valid_values(rows: list[TargetRow], kw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=r"valid|years in the table") as err:
        filter_rows(rows, **kw)  # type: ignore[arg-type]
    assert message in str(err.value) and "\n" not in str(err.value)


def test_formats_round_trip(rows: list[TargetRow]) -> None:
    assert parse_rows(format_rows(rows, "csv"), "csv") == rows
    assert parse_rows(format_rows(rows, "json"), "json") == rows
    table = format_rows(filter_rows(rows, scope="Shenzhen", year=2026), "table")
    assert table.startswith("| scope | kind | year |") and "3000家" in table
    with pytest.raises(ConfigError, match="valid: table, csv, json"):
        format_rows(rows, "xml")


def test_save_and_load(tmp_path: Path, rows: list[TargetRow]) -> None:
    name = save_targets(rows, tmp_path)
    assert name == "targets.json" and json.loads((tmp_path / name).read_text("utf-8"))["rows"]
    assert load_targets(tmp_path) == rows
    with pytest.raises(IndexNotFoundError, match="--rebuild"):
        load_targets(tmp_path / "missing")
    (tmp_path / name).write_text('{"format": "policy-qa-targets", "version": 1, "rows": [{"x": 1}]}', "utf-8")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        load_targets(tmp_path)


# --- the chain's shortcut -------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["What are Shenzhen's targets for 2027?", "深圳2027年的目標有哪些？"])
def test_answer_from_table_2027(rows: list[TargetRow], question: str) -> None:
    got = answer_from_table(question, rows)
    assert got is not None
    assert {r.value_text for r in got} == {"10家", "20家", "50個", "1000億元", "1200家", "1000家", "80家"}
    assert all(r.kind == "target" and r.year == 2027 and r.scope == "Shenzhen" for r in got)
    assert len({(r.group, r.value) for r in got}) == len(got)  # one row (one citation) per target


def test_answer_from_table_narrows_and_declines(rows: list[TargetRow]) -> None:
    got = answer_from_table("深圳人工智能终端产品产量目标是多少？", rows)
    assert got is not None and [r.value for r in got] == [1.5e8]
    assert answer_from_table("What is Shenzhen's AI industry size?", rows) is None  # not a target question
    assert answer_from_table("What are the targets?", rows) is None  # no year, no scope
    assert answer_from_table("What are Shenzhen's targets for 2030?", rows) is None


# --- the hand-made gold file ---------------------------------------------------------------------


def test_gold_score_meets_targets(rows: list[TargetRow]) -> None:
    result = score(rows, GOLD)
    assert result["gold"] == 32
    assert result["recall"] >= 0.90, result["missed"]
    assert result["precision"] >= 0.90, result["spurious"]
    assert result["verbatim_ok"]


@pytest.mark.parametrize(("sentence", "value_text", "kind"), [
    ("对租用智能算力的企业,按不超过合同金额的50%,给予最高200万元支持。", "50%", "rate"),
    ("对租用智能算力的企业,按不超过合同金额的50%,给予最高200万元支持。", "200万元", "cap"),
    ("承担平台建设的主体可获得一次性补助,补助金额为建设投资额的10%,上限1000万元。", "1000万元", "cap"),
    ("建立算力券平台,每年总额不超过1000万元的算力券,用于落户企业。", "1000万元", "budget"),
    # every item of a list shares its first item's bound
    ("对获得一、二、三等奖的企业,分别给予最高200万元、100万元、50万元奖励。", "100万元", "cap"),
    ("对获得一、二、三等奖的企业,分别给予最高200万元、100万元、50万元奖励。", "50万元", "cap"),
    ("对非牵头类项目,给予联合共建主体参与建设投入的40%,最高500万元支持。", "40%", "rate"),
    ("对新获批的国家绿色数据中心给予100万元一次性奖励。", "100万元", "cap"),  # a fixed award per recipient
    ("该计划由业者主动提案,现匡列5亿元经费。", "5亿元", "budget"),  # a fund word after the sum
])
def test_subsidy_caps_rates_and_budgets_are_their_own_kinds(sentence: str, value_text: str, kind: str) -> None:
    from rag.ingest.cleaning import clean
    from rag.targets.table import extract_targets
    from rag.types import DocMeta, Document

    cl = clean(sentence)
    doc = Document(meta=DocMeta(doc_id="d", title="某市若干措施", published="2025-01-01", script="zh-Hans"),
                   path="d.txt", raw=sentence, text=cl.text, offsets=cl.offsets, headings=cl.headings)
    rows = [r for r in extract_targets([doc]) if r.value_text == value_text]
    assert rows and rows[0].kind == kind


def test_an_english_table_line_without_an_english_metric_puts_the_figure_first(rows: list[TargetRow]) -> None:
    from rag.answer.table_answer import table_line

    got = answer_from_table("What are Shenzhen's targets for 2027?", rows) or []
    lines = [table_line(r, "en", n) for n, r in enumerate(got, 1)]
    assert lines and all("「" not in line and not line.startswith("(") for line in lines)
    assert all(re.search(r"\b(?:by|at least|more than|up to)\b", line) for line in lines)


def test_an_english_page_gives_caps_rates_budgets_and_targets() -> None:
    text = ("Several Measures for Supporting AI in the Harbour Zone\n\n"
            "Projects that make breakthroughs shall be offered financial support up to 15 million yuan (US$2 million) "
            "according to their investment.\n\n"
            "Enterprises renting computing power get a subsidy of no more than 40% of the rent.\n\n"
            "By 2027, the industry will exceed 80 billion yuan.\n\n"
            "In 2024 the zone's AI output was 12 billion yuan.")
    got = {r.value_text: r for r in rows_of(text, published="2025-06-01", title="Several Measures for Supporting AI")}
    cap = got["15 million yuan"]
    assert (cap.kind, cap.value, cap.unit, cap.qualifier, cap.metric) == ("cap", 15e6, "元", "up to", "financial support cap")
    assert got["40%"].kind == "rate" and got["40%"].value == 40.0
    assert (got["80 billion yuan"].kind, got["80 billion yuan"].year) == ("target", 2027)
    assert got["12 billion yuan"].kind == "statistic"
    assert not any("2 million" in v for v in got)  # the same sum converted, in brackets
    assert all(r.value_text in r.quote for r in got.values())


def test_an_english_page_reads_money_written_before_the_number_and_skips_its_headline() -> None:
    text = ("Harbour Zone Launches $3 Billion AI Subsidy Scheme\n\n"
            "Harbour Zone Launches $3 Billion AI Subsidy Scheme\n\n"
            "The 2024-25 Budget announced an allocation of $3 billion for a three-year Subsidy Scheme.\n\n"
            "Each enterprise may receive a subsidy of up to RMB 6 million a year.")
    got = rows_of(text, published="2024-10-07", title="AI Subsidy Scheme opens for application")
    assert [(r.value_text, r.kind, r.value) for r in got] == [("$3 billion", "budget", 3e9), ("RMB 6 million", "cap", 6e6)]


def test_an_english_sentence_naming_no_year_takes_its_paragraphs_horizon_and_capacities_are_rows() -> None:
    text = ("Harbour Province AI Plan\n\n"
            "By 2028, the industry will exceed 90 billion yuan and computing power will reach 6.5 EFLOPS. "
            "The share of firms using AI agents will exceed 70%.\n\n"
            "In 2024, 40% of firms used AI.")
    got = {r.value_text: r for r in rows_of(text, published="2025-06-01", title="Harbour Province AI Plan")}
    assert (got["70%"].kind, got["70%"].year) == ("target", 2028)
    assert (got["6.5 EFLOPS"].kind, got["6.5 EFLOPS"].year) == ("target", 2028)
    assert got["40%"].kind == "statistic"  # its own paragraph, a past year


@pytest.mark.parametrize(("text", "value_text", "kind", "metric"), [
    ("每个单位每年最高享受100万元算力券。", "100万元", "cap", "每个单位每年算力券上限"),
    ("前三年按年运营实际总投入的20%给予资金补助,年度最高300万元。", "300万元", "cap", "资金补助年度上限"),
    ("每年总额不超过1000万元的算力券,用于企业。", "1000万元", "budget", "每年算力券总额"),
    ("按照不超过合同金额的30%给予租金补贴。", "30%", "rate", "租金补贴比例"),
    ("對企業給予最高200萬元資金支持。", "200萬元", "cap", "資金支持上限"),  # in the source's script
])
def test_a_support_rows_label_says_what_it_bounds(text: str, value_text: str, kind: str, metric: str) -> None:
    script = "zh-Hant" if "萬" in text else "zh-Hans"
    c = clean(text)
    doc = Document(DocMeta(doc_id="m", title="某市若干措施", published="2025-03-05", script=script), "", text, c.text,
                   c.offsets, c.headings)
    row = next(r for r in extract_targets([doc]) if r.value_text == value_text)
    assert (row.kind, row.metric) == (kind, metric)
