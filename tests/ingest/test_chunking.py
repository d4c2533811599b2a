from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.chunking import HARD_MAX_CHARS, Lengths, chunk_corpus, chunk_document, split_sentences
from rag.ingest.corpus import load_corpus
from rag.types import Document

CLOSERS = "。！？!?；;…”」』\"）)】"


def test_chinese_sentences_split_after_closing_quotes() -> None:
    text = "他說：「留在這裡。」然後離開了！還有呢？最後一句"
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == ["他說：「留在這裡。」", "然後離開了！", "還有呢？", "最後一句"]


def test_latin_sentences_split() -> None:
    text = "Shenzhen set targets. It wants 3.5 times more. Done"
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "Shenzhen set targets.", "It wants 3.5 times more.", "Done"]


def test_chunk_ids_are_stable_and_offsets_point_into_the_file(corpus_docs: dict[str, Document]) -> None:
    docs = list(corpus_docs.values())
    a = chunk_corpus(docs, 220, 1)
    b = chunk_corpus(load_corpus(Path(docs[0].path).parent)[0], 220, 1)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert len({c.chunk_id for c in a}) == len(a)
    for c in a:
        d = corpus_docs[c.doc_id]
        assert d.text[c.start : c.end] == c.text
        # every character of the chunk is the file's character inside the cited span
        for i in range(c.start, c.end):
            off = d.offsets[i]
            assert c.raw_start <= off < c.raw_end
            assert d.raw[off] == d.text[i] or d.text[i].isspace()


@pytest.mark.parametrize("size", [150, 220, 350])
def test_chunks_respect_size_and_end_on_sentence_boundaries(corpus_docs: dict[str, Document], size: int) -> None:
    for d in corpus_docs.values():
        for c in chunk_document(d, size, 1):
            assert Lengths(c.text).of(0, len(c.text)) <= min(size, HARD_MAX_CHARS)
            end_ok = c.text[-1] in CLOSERS or c.end == len(d.text) or d.text[c.end] == "\n"
            assert end_ok or len(c.text) >= size // 3, c.text[-20:]


def test_every_chunk_sits_under_a_section(corpus_docs: dict[str, Document]) -> None:
    chunks = chunk_document(corpus_docs["special-report-2024-shenzhen-ai-pioneer-city"], 220, 1)
    sections = {c.section for c in chunks}
    assert "2023年山东工业利润增长24.4%" in sections
    shandong = [c for c in chunks if "山东省规模以上工业增长值" in c.text]
    assert shandong and shandong[0].section == "2023年山东工业利润增长24.4%"


@pytest.mark.slow
def test_every_chunk_fits_the_e5_window_with_its_prefix(corpus_docs: dict[str, Document], e5_dir: Path) -> None:
    from tokenizers import Tokenizer

    from rag.text.textnorm import normalize

    tok = Tokenizer.from_file(str(e5_dir / "tokenizer.json"))
    chunks = chunk_corpus(corpus_docs.values(), 220, 1)
    lengths = [len(tok.encode("passage: " + normalize(c.text)).ids) for c in chunks]
    assert max(lengths) <= 512


def test_english_chunks_hold_whole_sentences_and_words() -> None:
    """An English page is chunked by its own measure: ~220 units are several sentences, never a cut word."""
    from rag.ingest.cleaning import clean
    from rag.types import DocMeta

    raw = " ".join(f"Sentence number {i} says that the district will grant up to {i} million yuan to firms." for i in range(40))
    cl = clean(raw)
    doc = Document(meta=DocMeta(doc_id="en", title="t", script="en"), path="en.txt", raw=raw, text=cl.text,
                   offsets=cl.offsets, headings=cl.headings)
    chunks = chunk_document(doc, 220, 1)
    assert all(c.text.rstrip().endswith(".") for c in chunks[:-1])
    assert min(len(c.text) for c in chunks[:-1]) > 300  # several sentences, not a 220-letter fragment

