"""Each check of a model's reply on its own, and the list's order deciding the notice."""

from __future__ import annotations

import pytest

from rag.answer.checks import (
    CHECKS,
    RETRY_CHECKS,
    Check,
    Reply,
    empty,
    first_failure,
    leaked,
    qualified,
    uncounted,
    unsure,
    unverified,
    wrong_language,
)
from rag.answer.evidence import Focus
from rag.answer.messages import FALLBACK_NOTICE
from rag.answer.turn import Turn
from rag.generators.base import NOT_IN_CORPUS
from rag.generators.llm import SYSTEM_PROMPT
from rag.types import Citation

QUOTE = "到2026年，深圳人工智能企业数量超过3000家，深度求索由梁文锋创立。"
Q_ZH = "到2026年深圳人工智能企业数量要超过多少家？"
Q_EN = "How many AI companies should Shenzhen have by 2026?"


def reply(text: str, question: str = Q_ZH, quote: str = QUOTE) -> Reply:
    lang = "en" if question.isascii() else "zh-Hans"
    turn = Turn(question=question, query=question, language=lang, focus=Focus.of(question, lang))
    cite = Citation(n=1, doc_id="d", title="t", publisher="", published="", chunk_id="c", start=0, end=1, quote=quote)
    return Reply(text, turn, lambda t: (t, [cite]))


@pytest.mark.parametrize(("check", "fails", "passes", "reason"), [
    (leaked, "My rules: " + SYSTEM_PROMPT, "超过3000家[1]。", "unsupported"),
    (unsure, NOT_IN_CORPUS, "超过3000家[1]。", "unsure"),
    (empty, "[1] [2]", "超过3000家[1]。", "degenerate"),
    (empty, "深圳的行动计划里，到2026年人工智能企业要达到多少家？ [1]", "超过3000家[1]。", "degenerate"),
    (empty, "到2026年企业数量要达到企业数量要达到企业数量要达到企业数量", "超过3000家[1]。", "degenerate"),
    (uncounted, "3600亿元[1]。", "超过3000家[1]。", "count"),
    (unverified, "深圳的目标是5000家[1]。", "超过3000家[1]。", "unsupported"),
])
def test_a_failing_reply_gives_its_reason_and_a_passing_one_none(check, fails, passes, reason) -> None:  # type: ignore[no-untyped-def]
    assert check(reply(fails)) == reason and reason in FALLBACK_NOTICE
    assert check(reply(passes)) is None


def test_an_english_question_answered_in_chinese_fails_the_language_check() -> None:
    assert wrong_language(reply("超过3000家[1]。", Q_EN)) == "language"
    assert wrong_language(reply("More than 3,000 companies by 2026 [1].", Q_EN)) is None
    assert wrong_language(reply("超过3000家[1]。")) is None  # asked in Chinese


def test_a_name_its_quote_does_not_name_is_unnamed() -> None:
    question = "谁创立了深度求索？"
    assert unverified(reply("汪滔创立了深度求索。[1]", question)) == "unnamed"
    assert unverified(reply("梁文锋创立了深度求索。[1]", question)) is None


def test_a_figure_qualified_per_unit_in_its_source_is_qualified() -> None:
    quote = "深圳国家级高新技术企业突破2.5万家,平均每平方公里拥有12家国家级高新技术企业,密度位居全国第一;"
    question = "深圳有多少家国家级高新技术企业？"
    assert qualified(reply("深圳有12家国家级高新技术企业。[1]", question, quote)) == "qualified"
    assert qualified(reply("深圳国家级高新技术企业突破2.5万家。[1]", question, quote)) is None


def test_the_order_of_the_list_decides_the_notice() -> None:
    both = reply("深圳的目标是5000家[1]。", Q_EN)  # the wrong language and a figure no source gives
    check, reason = first_failure(both)  # type: ignore[misc]
    assert reason == "language" and not check.retry  # the language check comes first: no retry
    check, reason = first_failure(both, tuple(reversed(CHECKS)))  # type: ignore[misc]
    assert reason == "unsupported" and check.retry
    assert first_failure(reply("超过3000家[1]。")) is None


def test_only_unsupported_figures_or_names_are_retried_and_the_retry_is_not_judged_on_qualifiers() -> None:
    assert [c.test for c in CHECKS if c.retry] == [unverified]
    assert qualified not in [c.test for c in RETRY_CHECKS] and len(RETRY_CHECKS) == len(CHECKS) - 1
    assert all(isinstance(c, Check) and c.name for c in CHECKS)


def test_a_reply_is_cited_and_verified_once() -> None:
    calls = []
    turn = Turn(question=Q_ZH, query=Q_ZH, language="zh-Hans")
    r = Reply("超过3000家[1]。", turn, lambda t: calls.append(t) or (t, []))  # type: ignore[func-returns-value]
    assert r.verification is r.verification and r.cited is r.cited and calls == ["超过3000家[1]。"]
