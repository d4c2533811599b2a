"""A question that asks for a person or a date is answered first by a sentence that gives one."""

from __future__ import annotations

import pytest

from rag.answer.evidence import select_evidence
from rag.answer.wanted import gives, wanted_kind
from rag.retrieval.bm25 import BM25, tokenize
from rag.types import Chunk, DocMeta, Document, Hit


@pytest.mark.parametrize(("question", "kind"), [
    ("Who announced the figures at the forum?", "person"),
    ("Which official presented the plan?", "person"),
    ("在论坛上公布数据的官员是谁？", "person"),
    ("發佈會上由哪位副市長介紹？", "person"),
    ("What date is on the notice?", "date"),
    ("通知是哪一天印发的？", "date"),
    ("When will the plan reach its target?", ""),  # a year answers "when" as often as a day
    ("How many companies does Suzhou have?", ""),
])
def test_the_kind_of_answer_asked_for(question: str, kind: str) -> None:
    assert wanted_kind(question) == kind


def test_what_shows_a_person_or_a_date() -> None:
    assert gives("市科技局副局长王建国在会上介绍", "person")
    assert not gives("我国人工智能核心产业规模达5000亿元", "person")
    assert not gives("〔記者林菁樺／台北報導〕經濟部於今日啟動輔導團", "person")  # a byline's reporter
    assert gives("The plan was presented by Zhang Wei, the deputy mayor.", "person")
    assert gives("2025年7月28日", "date") and gives("issued on July 28, 2025", "date")
    assert not gives("到2027年产业规模突破1000亿元", "date")
    assert gives("any sentence", "")


def test_who_questions_get_the_sentence_naming_someone_first() -> None:
    text = ("全市人工智能核心产业规模达到800亿元,企业超过1200家。"
            "市科技局副局长王建国在发布会上介绍了上述人工智能产业数据。")
    doc = Document(DocMeta("d", "某市人工智能产业发布会"), "d.txt", text, text, tuple(range(len(text))))
    chunk = Chunk("c0", "d", text, 0, len(text), 0, len(text))
    bm25 = BM25.build([tokenize(text)])
    hit = Hit(chunk=chunk, score=1.0, rank=1)
    question = "全市人工智能核心产业规模和企业数量是谁介绍的？"
    evidence, _ = select_evidence(question, "zh-Hans", [hit], {"d": doc}, bm25)
    assert "王建国" in evidence[0].text
    # without asking for a person, the sentence that covers more of the question leads
    evidence, _ = select_evidence("人工智能产业规模达到多少？", "zh-Hans", [hit], {"d": doc}, bm25)
    assert "800亿元" in evidence[0].text


def test_the_preference_reorders_the_best_sentences_and_drops_none_of_them() -> None:
    text = ("全市人工智能核心产业规模达到800亿元,企业超过1200家。"
            "王建国出席了活动。")
    doc = Document(DocMeta("d", "某市人工智能产业发布会"), "d.txt", text, text, tuple(range(len(text))))
    chunk = Chunk("c0", "d", text, 0, len(text), 0, len(text))
    hit = Hit(chunk=chunk, score=1.0, rank=1)
    evidence, _ = select_evidence("全市人工智能核心产业规模和企业数量是谁介绍的？", "zh-Hans", [hit], {"d": doc},
                                  BM25.build([tokenize(text)]), limit=1)
    assert "800亿元" in evidence[0].text  # the best-supported sentence is kept, though it names no one


def test_which_department_questions_get_the_line_naming_the_responsible_body() -> None:
    assert wanted_kind("成都的算力券政策由哪個部門負責落實？") == "organisation"
    assert wanted_kind("Which bureau is responsible for the vouchers?") == "organisation"
    assert gives("(责任单位:市数据局、各领域行业主管部门)", "organisation")
    assert gives("The Municipal Data Bureau will review the applications.", "organisation")
    assert not gives("加大多元数据资源供给,促进数据集开放共享。", "organisation")
    assert not gives("技术司长郭肇中表示", "organisation")  # a title, not a body
    text = ("一、支持高质量数据集建设\n加大多元数据资源供给,促进高质量数据集开放共享和交易。"
            "对高质量数据集建设主体,给予最高200万元奖励。对数据集交易平台给予最高100万元支持。"
            "对数据集标注基地给予最高50万元支持。\n(责任单位:市数据局)")
    doc = Document(DocMeta("d", "某市若干措施"), "d.txt", text, text, tuple(range(len(text))))
    hit = Hit(chunk=Chunk("c0", "d", text, 0, len(text), 0, len(text)), score=1.0, rank=1)
    evidence, _ = select_evidence("支持高质量数据集建设一条的责任单位是哪个部门？", "zh-Hans", [hit], {"d": doc},
                                  BM25.build([tokenize(text)]), limit=3)
    assert evidence[0].text == "(责任单位:市数据局)"
