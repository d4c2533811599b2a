"""Citations: an answer's [n] markers tied to the evidence sentences they stand for.

In: an answer's text with markers that number the turn's evidence (``[1]`` is its first
sentence), and the index the evidence came from. Out: the text with its markers renumbered
1..n in order of use and one ``Citation`` per marker (title, publisher, date, the original
file's offsets and the quote); for a model's answer on a lone figure, the source that gives the
quantity otherwise is added after it; a which-document answer's title gets the sentence that
states it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from rag.answer.turn import Turn
from rag.answer.verify import verify
from rag.generators.extractive import disagreement, disagreement_note
from rag.ingest.chunking import split_sentences
from rag.text.figures import normalize_keep_length
from rag.text.textnorm import normalize, to_script
from rag.types import Citation, Evidence, GenerationRequest, Verification

if TYPE_CHECKING:
    from rag.index import HybridIndex

MARKER = re.compile(r"\[(\d{1,2})\]")


def cite(text: str, turn: Turn, index: HybridIndex) -> tuple[str, list[Citation]]:
    """Renumber the answer's markers 1..n and build a citation for each."""
    text = text.strip()
    if turn.language in ("zh-Hans", "zh-Hant"):
        text = to_script(text, turn.language)
    used = [int(m) for m in MARKER.findall(text) if 1 <= int(m) <= len(turn.evidence)]
    if not used and turn.evidence and text:
        text += " [1]"
        used = [1]
    order = list(dict.fromkeys(used))
    renumber = {old: new for new, old in enumerate(order, 1)}

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"[{renumber[n]}]" if n in renumber else ""

    text = MARKER.sub(sub, text)
    citations = [citation(renumber[old], turn.evidence[old - 1], index) for old in order]
    return text, citations


def citation(n: int, ev: Evidence, index: HybridIndex) -> Citation:
    """Citation ``n`` of an evidence sentence, with its span in the original file."""
    doc = index.docs[ev.doc_id]
    raw_start, raw_end = doc.raw_span(ev.start, ev.end)
    chunk = index.chunk_by_id.get(ev.chunk_id)
    return Citation(
        n=n, doc_id=ev.doc_id, title=doc.meta.title, publisher=doc.meta.publisher, published=doc.meta.published,
        chunk_id=ev.chunk_id, start=raw_start, end=raw_end, quote=ev.text,
        passage=chunk.text if chunk else "",
    )


_LEAD_TITLE = re.compile(r"\s*《([^》]{4,80})》")


def cite_title(text: str, citations: list[Citation], index: HybridIndex) -> tuple[str, list[Citation]]:
    """A which-document answer that opens with its document's 《title》, which the cited sentence
    does not state: the sentence of that document that does is cited for the title, as [1]."""
    m = _LEAD_TITLE.match(text)
    if not m or not citations:
        return text, citations
    # its core, without the brackets (年份, 征求意见稿) the document may write between its words
    title = re.sub(r"[(（][^)）]*[)）]", "", normalize(m.group(1)))
    if any(title in normalize(c.quote) for c in citations):
        return text, citations
    doc = index.docs[citations[0].doc_id]
    at = normalize_keep_length(doc.text).find(title)
    span = next((sp for sp in split_sentences(doc.text) if sp.start <= at < sp.end), None) if at >= 0 else None
    if span is None:
        return text, citations
    chunk = next((c for c in index.chunks if c.doc_id == doc.doc_id and c.start <= span.start < c.end), None)
    raw_start, raw_end = doc.raw_span(span.start, span.end)
    first = Citation(n=1, doc_id=doc.doc_id, title=doc.meta.title, publisher=doc.meta.publisher,
                     published=doc.meta.published, chunk_id=chunk.chunk_id if chunk else "", start=raw_start,
                     end=raw_end, quote=doc.text[span.start : span.end].strip(), passage=chunk.text if chunk else "")
    shifted = MARKER.sub(lambda k: f"[{int(k.group(1)) + 1}]", text)
    rest = re.sub(r"^\s*\[\d{1,2}\]", "", shifted[m.end() :])  # "《title》 [2]: …" -> "《title》 [1]: …"
    space = " " if rest != shifted[m.end() :] and text[m.end() : m.end() + 1] == " " else ""
    return shifted[: m.end()] + f"{space}[1]" + rest, [first, *(replace(c, n=c.n + 1) for c in citations)]


def with_disagreement(text: str, citations: list[Citation], check: Verification, request: GenerationRequest,
                      turn: Turn, index: HybridIndex) -> tuple[str, list[Citation], Verification]:
    """A model's answer resting on a figure one source gives, while another source gives the
    quantity otherwise, gets that source after it (as the extractive answer shows it)."""
    other = disagreement(request)
    if other is None or any(c.quote == other[1].text for c in citations):
        return text, citations, check
    cited = {c.quote for c in citations}
    if request.evidence[0].text not in cited:
        return text, citations, check  # the model did not answer from the lone figure
    n = len(citations) + 1  # the answer's markers are renumbered 1..n already
    text += disagreement_note(request, (n, other[1]))
    new_citations = [*citations, citation(n, other[1], index)]
    return text, new_citations, verify(text, new_citations, turn.query)
