"""End to end with the real index: extractive always; the local LLM where it is installed."""

from __future__ import annotations

import pytest

from rag.chains import QAChain
from rag.eval.evaluate import answer_language, contains_gold
from rag.generators.extractive import ExtractiveGenerator
from rag.index import HybridIndex
from rag.settings import Settings

pytestmark = pytest.mark.slow

CASES = [
    ("en", "How many AI companies does Shenzhen aim to have by 2026?", "3000"),
    ("zh-Hans", "深圳人工智能终端产品产量到2026年要突破多少？", "1.5亿"),
    ("zh-Hant", "到2024年底深圳人工智能產業規模達到多少？", "3600億"),
]


@pytest.mark.parametrize(("lang", "question", "answer"), CASES)
def test_extractive_answers_in_the_askers_language_with_verified_figures(
    real_index: HybridIndex, lang: str, question: str, answer: str
) -> None:
    a = QAChain(real_index, ExtractiveGenerator(), abstain_threshold=0.12).ask(question)
    assert not a.abstained and a.verification.ok
    assert contains_gold(a.text, [answer]) and a.citations
    assert answer_language(a.text) == lang


def test_extractive_abstains_on_a_question_the_corpus_does_not_answer(real_index: HybridIndex) -> None:
    a = QAChain(real_index, ExtractiveGenerator(), abstain_threshold=0.12).ask("深圳为2030年定了哪些人工智能发展目标？")
    assert a.abstained and a.related


def test_a_which_plan_answer_cites_the_sentence_that_names_the_plan(real_index: HybridIndex) -> None:
    a = QAChain(real_index, ExtractiveGenerator(), abstain_threshold=0.12).ask(
        "Which plan sets the target of 3,000 AI companies?")
    title = a.text[a.text.index("《") + 1 : a.text.index("》")]
    assert a.verification.ok and a.text.split("》")[1].lstrip().startswith("[1]")
    assert title in a.citations[0].quote and any("3000" in c.quote for c in a.citations[1:])


@pytest.fixture(scope="module")
def local_generator(settings: Settings):  # type: ignore[no-untyped-def]
    from rag.runtime import local_available

    if not local_available(settings):
        pytest.skip(f"local model not installed at {settings.llm_path}: run `make setup`")
    from rag.generators.llm import LLMAnswerGenerator
    from rag.generators.local import LocalGenerator

    return LLMAnswerGenerator(LocalGenerator(settings))


@pytest.mark.llm
@pytest.mark.parametrize(("lang", "question", "answer"), CASES)
def test_local_llm_answers_are_verified_and_in_the_askers_script(
    real_index: HybridIndex, local_generator, lang: str, question: str, answer: str  # type: ignore[no-untyped-def]
) -> None:
    a = QAChain(real_index, local_generator, abstain_threshold=0.12).ask(question)
    assert not a.abstained
    assert a.verification.ok  # a wrong figure never reaches the user: retry, then extractive
    assert a.citations and all(c.quote for c in a.citations)
    if lang != "en":
        assert answer_language(a.text) == lang
