"""Property tests: arbitrary Unicode never crashes cleaning, chunking or normalisation, and
offsets always map back to the exact original text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.chunking import chunk_document, split_sentences
from rag.ingest.cleaning import clean
from rag.text.figures import extract
from rag.text.textnorm import detect_language, normalize
from rag.types import DocMeta, Document

# text that looks like the corpus: CJK, punctuation, digits, Latin, line breaks, markup-ish bits
ALPHABET = st.sampled_from(
    list("深圳人工智能企業数量超家年月日。！？；：，、「」“”《》()（）#•▶◀□ \n\t\u3000.,%0123456789abcXYZ-")
)
corpus_like = st.text(alphabet=ALPHABET, max_size=400)
anything = st.text(max_size=300)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(raw: str) -> None:
    c = clean(raw)
    assert len(c.text) == len(c.offsets)
    for ch, off in zip(c.text, c.offsets, strict=True):
        assert 0 <= off < len(raw)
        assert raw[off] == ch or (ch.isspace() and raw[off].isspace())
    for start, heading in c.headings:
        assert c.text[start : start + len(heading)].replace(" ", "") == heading.replace(" ", "")[: len(heading)] or heading


@FAST
@given(corpus_like)
def test_cleaning_offsets_map_back_on_corpus_like_text(raw: str) -> None:
    _check(raw)


@FAST
@given(anything)
def test_cleaning_never_crashes_on_any_unicode(raw: str) -> None:
    _check(raw)


@FAST
@given(corpus_like, st.sampled_from([50, 120, 220]), st.integers(0, 2))
def test_chunks_cover_cleaned_text_and_map_into_the_file(raw: str, size: int, overlap: int) -> None:
    c = clean(raw)
    doc = Document(DocMeta("d", "t"), "d.txt", raw, c.text, c.offsets, c.headings)
    chunks = chunk_document(doc, size, overlap)
    for ch in chunks:
        assert doc.text[ch.start : ch.end] == ch.text and len(ch.text) <= size
        assert 0 <= ch.raw_start < ch.raw_end <= len(raw)
    covered = set()
    for ch in chunks:
        covered.update(range(ch.start, ch.end))
    content = {i for i, x in enumerate(c.text) if not x.isspace()}
    assert content <= covered


@FAST
@given(anything)
def test_normalisation_sentences_figures_and_language_never_crash(text: str) -> None:
    normalize(text)
    for s in split_sentences(text):
        assert 0 <= s.start < s.end <= len(text)
    extract(text)
    assert detect_language(text) in ("en", "zh-Hans", "zh-Hant")
