"""The document a cited sentence belongs to, for "which plan...?" questions."""

from __future__ import annotations

import pytest

from rag.generators.documents import asks_which_document, named_document
from rag.types import Evidence, GenerationRequest

SENTENCE = "打造集聚500家企业的人工智能产业集群。"


def request(title: str, context: str, text: str = SENTENCE) -> GenerationRequest:
    ev = Evidence("doc", "doc-c1", 0, len(text), text, 0.9, 1)
    return GenerationRequest(question="Which district's plan aims for a cluster of 500 companies?", language="en",
                             evidence=(ev,), titles=(title,), contexts=(context,))


def test_a_sentence_of_a_plan_belongs_to_that_plan_not_to_one_its_preamble_cites() -> None:
    cited = "根据《某省加快建设人工智能创新高地实施方案(2023—2025年)》，制定本计划。"
    assert named_document(request("某区促进人工智能创新发展三年行动计划(2024-2026年)", cited), 1) == (
        "《某区促进人工智能创新发展三年行动计划》")  # its dates left out: figures come only from quotes
    # an article about plans: the title its paragraph names
    assert named_document(request("两天连出三份方案：某市拼了", cited), 1) == "《某省加快建设人工智能创新高地实施方案》"
    # a title in the sentence itself comes first
    own = "《某市人工智能终端行动计划》提出打造产业集群。"
    assert named_document(request("某区促进人工智能创新发展三年行动计划", cited, own), 1) == "《某市人工智能终端行动计划》"
    assert asks_which_document("Which plan sets the target?")


@pytest.mark.parametrize(("question", "asks"), [
    ("Which Shenzhen policy document contains the goal?", True),
    ("Which district's AI plan aims for a cluster of 1,000 companies?", True),
    ("哪个行动计划提出了这个目标？", True),
    ("依据的是哪份文件？", True),
    ("What computing-power scale does the city aim to reach by 2027 under its AI plan?", False),
    ("What is the document number of the province's implementation opinions?", False),
    ("成都的算力券政策由哪個部門負責落實？", False),
    ("哪个省份排第一？", False),
])
def test_which_document_questions(question: str, asks: bool) -> None:
    assert asks_which_document(question) is asks
