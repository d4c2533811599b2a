"""Requests outside the product's purpose get a short decline; questions about the texts do not
(real e5 vectors, the fitted scope model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answer.scope import DECLINE_TEXT, fit, load_scope
from rag.chains import QAChain
from rag.generators.extractive import ExtractiveGenerator
from rag.retrieval.embeddings import FakeEmbedder
from rag.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scope(e5, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return load_scope(e5, tmp_path_factory.mktemp("scope-cache"))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_held_out_requests_are_declined_and_held_out_questions_are_not(scope) -> None:  # type: ignore[no-untyped-def]
    outside = [r["question"] for r in _lines(PROJECT_ROOT / "eval" / "scope" / "heldout.jsonl")]
    inside = [r["question"] for r in _lines(PROJECT_ROOT / "eval" / "heldout" / "questions.jsonl")]
    declined = [q for q in outside if scope.probability(q) < 0.5]
    wrongly = [q for q in inside if scope.probability(q) < 0.5]
    assert len(declined) >= 0.9 * len(outside), sorted(set(outside) - set(declined))
    assert not wrongly


@pytest.mark.parametrize(("question", "lang"), [
    ("Write me a sonnet about the harbour at night", "en"),
    ("帮我写一首关于春节的诗", "zh-Hans"),
    ("旺角有咩好食嘅車仔麵？", "zh-Hant"),
])
def test_a_request_outside_the_purpose_gets_a_short_decline_in_its_language(
        real_index, scope, question: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    chain = QAChain(real_index, ExtractiveGenerator(), abstain_threshold=0.1, scope=scope)
    answer = chain.ask(question)
    assert answer.abstained and answer.generator == "scope" and not answer.citations and not answer.related
    assert answer.text == DECLINE_TEXT[lang]


def test_a_question_about_the_texts_is_answered_as_before(real_index, scope) -> None:  # type: ignore[no-untyped-def]
    chain = QAChain(real_index, ExtractiveGenerator(), abstain_threshold=0.1, scope=scope)
    answer = chain.ask("How many AI companies does Shenzhen aim to have by 2026?")
    assert not answer.abstained and "3,000" in answer.text and answer.citations


def test_no_scope_model_for_an_embedder_it_was_not_fitted_on(tmp_path: Path) -> None:
    assert load_scope(FakeEmbedder(), tmp_path) is None


def test_the_fit_separates_what_it_is_given() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1, 0.3, (20, 4)), rng.normal(-1, 0.3, (20, 4))])
    y = np.array([1.0] * 20 + [0.0] * 20)
    w, b = fit(x, y)
    assert ((x @ w + b > 0) == (y == 1)).all()
