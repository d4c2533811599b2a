"""Sentence-aware chunking for Chinese and Latin text, with offsets and content-hash ids."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.types import Chunk, Document

# Sentence ends: Chinese and Latin terminal marks, then any closing quotes or brackets.
_END = re.compile(r"([。！？!?；;…]+|\.(?=\s|$))[”」』\"'）)】]*")
_SOFT = re.compile(r"[，,、：:]")
HARD_MAX_CHARS = 480  # e5 reads 512 tokens; one token per unit (below) is the worst case here
# Sizes are counted in units: a Chinese character is one, a Latin letter or space 0.3, since e5's
# tokenizer reads an English word of ~5 letters as ~1.3 tokens and a Chinese character as ~0.7-1.
# So an English chunk holds about as much as a Chinese one (220 units: ~700 letters, ~120 words).
LATIN_UNIT = 0.3
_LATIN_CHARS = re.compile(r"[A-Za-z ]")


class Lengths:
    """Unit lengths of spans of one text, by prefix sums."""

    def __init__(self, text: str) -> None:
        acc, total = [0.0], 0.0
        for ch in text:
            total += LATIN_UNIT if _LATIN_CHARS.match(ch) else 1.0
            acc.append(total)
        self.prefix = acc

    def of(self, start: int, end: int) -> float:
        return self.prefix[end] - self.prefix[start]

    def reach(self, start: int, limit: float) -> int:
        """The furthest end such that ``of(start, end) <= limit`` (at least ``start + 1``)."""
        end = bisect.bisect_right(self.prefix, self.prefix[start] + limit) - 1
        return max(start + 1, min(end, len(self.prefix) - 1))


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of ``text[start:end]``; line breaks always end a sentence."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    pos = start
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p0, p1 = start + para.start(), start + para.end()
        pos = p0
        for m in _END.finditer(text, p0, p1):
            if m.end() > pos:
                spans.append(Span(pos, m.end()))
                pos = m.end()
                while pos < p1 and text[pos] == " ":
                    pos += 1
        if pos < p1:
            spans.append(Span(pos, p1))
    return [s for s in spans if text[s.start : s.end].strip()]


def _split_long(text: str, span: Span, limit: int, lengths: Lengths) -> list[Span]:
    """Cut an over-long sentence at clause marks (or hard at ``limit`` units)."""
    out: list[Span] = []
    s = span.start
    while lengths.of(s, span.end) > limit:
        width = lengths.reach(s, limit) - s
        window = text[s : s + width]
        cut = max((m.end() for m in _SOFT.finditer(window)), default=0)
        if cut < width // 3:
            # no clause mark: cut at the last space if there is one (never inside an English word)
            space = window.rfind(" ")
            cut = space + 1 if space >= width // 3 else width
        out.append(Span(s, s + cut))
        s += cut
    out.append(Span(s, span.end))
    return out


def chunk_id(doc_id: str, start: int, end: int, text: str) -> str:
    """A stable id from content and position: re-indexing the same text gives the same id."""
    h = hashlib.sha256(f"{doc_id}\x1f{start}\x1f{end}\x1f{text}".encode()).hexdigest()
    return h[:16]


def chunk_document(doc: Document, size: int = 220, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences into chunks of about ``size`` characters.

    A heading starts a new chunk; the last ``overlap`` sentences of a chunk are repeated at
    the start of the next so that a fact split across the boundary is still whole somewhere.
    """
    limit = min(size, HARD_MAX_CHARS)
    text = doc.text
    heading_starts = [h[0] for h in doc.headings]
    sections: list[tuple[int, int]] = []
    bounds = [0] + [h for h in heading_starts if h > 0] + [len(text)]
    heading_len = {h[0]: len(h[1]) for h in doc.headings}
    a = 0
    for b in bounds[1:]:
        # a heading with (almost) nothing under it joins the next section instead of
        # becoming a tiny chunk that matches every query
        if b - a <= heading_len.get(a, 0) + 12 and b < len(text):
            continue
        if b > a:
            sections.append((a, b))
        a = b
    chunks: list[Chunk] = []
    lengths = Lengths(text)
    for a, b in sections:
        sents: list[Span] = []
        for s in split_sentences(text, a, b):
            sents.extend(_split_long(text, s, limit, lengths) if lengths.of(s.start, s.end) > limit else [s])
        for group in _pack(sents, limit, overlap, lengths):
            start, end = group[0].start, group[-1].end
            body = text[start:end]
            raw_start, raw_end = doc.raw_span(start, end)
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(doc.doc_id, start, end, body),
                    doc_id=doc.doc_id,
                    text=body,
                    start=start,
                    end=end,
                    raw_start=raw_start,
                    raw_end=raw_end,
                    section=section_of(doc, next((x.start for x in group if x.start not in heading_len), start)),
                    ordinal=len(chunks),
                )
            )
    return chunks


def _pack(sents: list[Span], limit: int, overlap: int, lengths: Lengths) -> Iterable[list[Span]]:
    i = 0
    while i < len(sents):
        group = [sents[i]]
        j = i + 1
        while j < len(sents) and lengths.of(group[0].start, sents[j].end) <= limit:
            group.append(sents[j])
            j += 1
        yield group
        if j >= len(sents):
            break
        # step back `overlap` sentences, but always move forward
        i = max(j - overlap, i + 1)


def section_of(doc: Document, offset: int) -> str:
    """The heading a cleaned-text offset sits under, else the document title."""
    starts = [h[0] for h in doc.headings]
    k = bisect.bisect_right(starts, offset) - 1
    return doc.headings[k][1] if k >= 0 else doc.meta.title


def chunk_corpus(docs: Iterable[Document], size: int = 220, overlap: int = 1) -> list[Chunk]:
    out: list[Chunk] = []
    for doc in docs:
        out.extend(chunk_document(doc, size, overlap))
    return out
