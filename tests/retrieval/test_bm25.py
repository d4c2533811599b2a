from __future__ import annotations

from rag.retrieval.bm25 import BM25, tokenize

PASSAGES = [
    "到2026年全市人工智能企业数量超3000家,独角兽企业超10家。",  # Simplified
    "人工智能終端產品產量突破1.5億台。",  # Traditional
    "2023年山东省规模以上工业增长值增长7.1%。",
]


def _index() -> BM25:
    return BM25.build([tokenize(p) for p in PASSAGES])


def test_traditional_query_finds_simplified_passage() -> None:
    assert _index().top(tokenize("人工智能企業數量"), 1)[0][0] == 0


def test_simplified_query_finds_traditional_passage() -> None:
    assert _index().top(tokenize("终端产品产量"), 1)[0][0] == 1


def test_grouped_digits_and_fullwidth_match() -> None:
    assert _index().top(tokenize("３,０００家"), 1)[0][0] == 0


def test_english_punctuation_and_spaces_are_not_tokens() -> None:
    toks = tokenize("How many AI companies, by 2026 ?")
    assert " " not in toks and "," not in toks and "?" not in toks
    assert "2026" in toks


def test_no_match_returns_nothing() -> None:
    assert _index().top(tokenize("量子计算机"), 3) == []


def test_a_passage_is_also_matched_by_its_documents_title() -> None:
    from rag.retrieval.bm25 import passage_tokens
    from rag.types import Chunk, DocMeta, Document

    text = "政府计划推出规模达一百亿元的产业引导基金。"
    doc = Document(DocMeta("budget", "财政预算案2026"), "budget.txt", text, text, tuple(range(len(text))))
    other = Document(DocMeta("plan", "某市产业行动计划"), "plan.txt", text, text, tuple(range(len(text))))
    chunks = [Chunk("b", "plan", text, 0, len(text), 0, len(text)), Chunk("a", "budget", text, 0, len(text), 0, len(text))]
    index = BM25.build(passage_tokens(chunks, [doc, other]))
    assert index.top(tokenize("预算 基金"), 2)[0][0] == 1  # the same words: the budget's title decides
