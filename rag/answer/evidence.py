"""Evidence selection: the sentences of the retrieved passages that carry the answer.

A question becomes weighted terms (Chinese words, or for English the glossary's Chinese
renderings, plus figures and years). A sentence's support is the idf-weighted share of the
terms it contains, blended with its passage's share: so "Hangzhou's 2026 target" is not
supported by a sentence about Shenzhen's 2026 target, and a term the corpus never uses
(GDP of a year it does not cover, a city it does not mention) counts fully against.

Enters: a question, the retrieved hits, their documents and the BM25 (for the terms' idf).
Leaves: ``select_evidence``: the best sentences with their support, and the question's terms.
The parts live beside it: ``rag.answer.terms`` (question terms and coverage), ``rag.answer.focus``
(what a sentence must be about), ``rag.answer.measure`` and ``rag.answer.quantities``.
"""

from __future__ import annotations

from rag.answer.focus import Focus
from rag.answer.guard import is_planted_instruction
from rag.answer.quantities import year_span_free, years_named
from rag.answer.terms import Term, coverage, question_terms
from rag.answer.wanted import answers_for, gives
from rag.ingest.chunking import split_sentences
from rag.retrieval.bm25 import BM25
from rag.text.textnorm import normalize
from rag.types import Document, Evidence, Hit

# what other modules take from here (rag.chains, rag.generators.extractive)
__all__ = ["Focus", "Term", "select_evidence", "years_named"]


def select_evidence(
    question: str,
    lang: str,
    hits: list[Hit],
    docs: dict[str, Document],
    bm25: BM25,
    *,
    limit: int = 4,
    latest: str = "",
    window: int = 300,
    focus: Focus | None = None,
) -> tuple[list[Evidence], list[Term]]:
    """Best sentences across the hits, highest support first (duplicates removed).

    Sentences about another place or year, or without a figure when one is asked for, are
    kept only when nothing else is found, marked ``off_topic``."""
    terms = question_terms(question, lang, bm25)
    focus = focus or Focus.of(question, lang, latest)
    found: dict[tuple[str, int], Evidence] = {}
    for hit in hits:
        c = hit.chunk
        doc = docs.get(c.doc_id)
        if doc is None:
            continue
        # its title's and date's years and places hold for every sentence; a period's end year does not
        setting = year_span_free(normalize(" ".join((doc.meta.title, doc.meta.published or "", c.section))).lower())
        chunk_cov = coverage(terms, normalize(c.text).lower(), setting)
        # whole sentences: one the chunk's edge cuts is read to its end (its figure may lie past the edge)
        lo, hi = doc.text.rfind("\n", 0, c.start) + 1, doc.text.find("\n", c.end)
        spans = split_sentences(doc.text, lo, len(doc.text) if hi < 0 else hi)
        for span in (sp for sp in spans if sp.end > c.start and sp.start < c.end):
            text = doc.text[span.start : span.end].strip()
            if len(text) < 6 or is_planted_instruction(text):  # text addressing the assistant is no evidence
                continue
            sent_cov = coverage(terms, normalize(text).lower(), setting)
            score = 0.75 * sent_cov + 0.25 * chunk_cov - 0.005 * hit.rank
            key = (c.doc_id, span.start)
            if key not in found or found[key].score < score:
                # "今年1月" in a 2025 article is 2025: the publication date is context too
                around = " ".join((doc.text[max(0, span.start - window) : span.end + window], doc.meta.title,
                                   doc.meta.publisher, doc.meta.published or ""))
                lead = doc.text[doc.text.rfind("\n", 0, span.start) + 1 : span.start]
                found[key] = Evidence(c.doc_id, c.chunk_id, span.start, span.end, text, round(score, 4), hit.rank,
                                      focus.off_topic(text, around, lead, doc.text))
    ranked = sorted(found.values(), key=lambda e: (-e.score, e.rank, e.start))
    on_topic = [e for e in ranked if not e.off_topic]
    chosen = (on_topic or ranked)[:limit]
    if focus.kind and on_topic:  # "who...?": the sentences naming someone first (a name jieba misses still answers)
        pool = on_topic[: 3 * limit]  # a (责任单位:…) line scores below the sentences of its article
        giving = sorted((e for e in pool if gives(e.text, focus.kind)), key=lambda e: not answers_for(e.text, focus.kind))
        best = chosen[0]
        chosen = [*giving, *(e for e in chosen if e not in giving)][:limit]
        if best not in chosen:  # the best-supported sentence stays, whatever it names
            chosen[-1] = best
    return chosen, terms
