"""Evidence selection: the sentences of the retrieved passages that carry the answer.

A question becomes weighted terms (Chinese words, or for English the glossary's Chinese
renderings, plus figures and years). A sentence's support is the idf-weighted share of the
terms it contains, blended with its passage's share: so "Hangzhou's 2026 target" is not
supported by a sentence about Shenzhen's 2026 target, and a term the corpus never uses
(GDP of a year it does not cover, a city it does not mention) counts fully against.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rag.bm25 import BM25, STOPWORDS, _jieba
from rag.chunking import split_sentences
from rag.figures import extract
from rag.glossary import load_glossary
from rag.textnorm import normalize
from rag.types import Document, Evidence, Hit

_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9+.&'-]*")
_QUESTION_WORDS = frozenset(
    "多少 哪些 哪个 哪 什么 几 几家 如何 怎样 怎么 是否 为何 为什么 吗 呢 请问 请 告诉 介绍 一下 提到 提出 "
    "说 讲 分别 有 有多少 是 的 了 和 与 及 在 到 对 中 其 把 被 据 根据 文章 报道 资料 哪一年 何时 多大 多高".split()
)


# words that frame an English question rather than name what it is about
_EN_FRAME = re.compile(r"\b(targets?|goals?|aims?|aiming|plans?|planned|set|sets|figures?|numbers?|amount)\b", re.I)


@dataclass(frozen=True)
class Term:
    alternatives: tuple[str, ...]  # matching forms (Simplified, lower-case)
    weight: float
    kind: str = "word"  # word | figure | year


def _content_words(text: str) -> list[str]:
    norm = normalize(text).lower()
    out = []
    for tok in _jieba().lcut(norm):
        tok = tok.strip()
        if not tok or tok in STOPWORDS or tok in _QUESTION_WORDS or not re.search(r"[\w\u4e00-\u9fff]", tok):
            continue
        if re.fullmatch(r"[\d.,%]+", tok):
            continue  # figures are handled separately
        if len(tok) == 1 and not re.match(r"[\u4e00-\u9fff]", tok):
            continue
        out.append(tok)
    return out




def question_terms(question: str, lang: str, bm25: BM25) -> list[Term]:
    """Weighted terms of a question, in the matching form."""
    terms: list[Term] = []
    seen: set[str] = set()

    def add(alts: tuple[str, ...], kind: str = "word") -> None:
        alts = tuple(dict.fromkeys(a for a in alts if a))
        if not alts or alts[0] in seen:
            return
        seen.update(alts)
        idfs = [bm25.idf(a) for a in alts]
        known = [x for x in idfs if x is not None]
        weight = max(known) if known else bm25.max_idf
        if kind != "word":
            weight = max(weight, 0.8 * bm25.max_idf)  # an asked-for year or figure matters
        terms.append(Term(alts, weight, kind))

    for fig in extract(question):
        digits = fig.surface.rstrip("年")
        add((digits,) if fig.kind == "year" else (normalize(fig.surface),), "year" if fig.kind == "year" else "figure")
    if lang == "en":
        groups = load_glossary().expand_groups(_EN_FRAME.sub(" ", question))
        for group in groups:
            add(tuple(normalize(g).lower() for g in group))
        for word in _LATIN.findall(question):
            w = word.lower().strip(".'")
            if w not in STOPWORDS and bm25.idf(w) is not None:
                add((w,))
    else:
        for word in _content_words(question):
            if bm25.idf(word) is not None:
                add((word,))
                continue
            parts = [p for p in _jieba().lcut_for_search(word) if len(p) > 1 and bm25.idf(p) is not None]
            if parts and len(word) > 2:
                for p in parts:
                    add((p,))
            else:
                add((word,))
    return terms


def coverage(terms: list[Term], text_norm: str) -> float:
    """Weighted share of the terms present; neighbouring question terms that appear side by
    side ("人工智能" + "企业" as 人工智能企业) count a second time, so a sentence about the asked
    quantity beats one that merely mentions its words."""
    words = [t for t in terms if t.kind == "word"]
    pairs = list(itertools.pairwise(words))
    total = sum(t.weight for t in terms) + sum(0.5 * (a.weight + b.weight) for a, b in pairs)
    if total <= 0:
        return 0.0
    got = sum(t.weight for t in terms if any(x in text_norm for x in t.alternatives))
    got += sum(
        0.5 * (a.weight + b.weight)
        for a, b in pairs
        if any(x + y in text_norm for x in a.alternatives for y in b.alternatives)
    )
    return got / total


def select_evidence(
    question: str,
    lang: str,
    hits: list[Hit],
    docs: dict[str, Document],
    bm25: BM25,
    *,
    limit: int = 4,
) -> tuple[list[Evidence], list[Term]]:
    """Best sentences across the hits, highest support first (duplicates removed)."""
    terms = question_terms(question, lang, bm25)
    found: dict[tuple[str, int], Evidence] = {}
    for hit in hits:
        c = hit.chunk
        doc = docs.get(c.doc_id)
        if doc is None:
            continue
        chunk_cov = coverage(terms, normalize(c.text).lower())
        for span in split_sentences(doc.text, c.start, c.end):
            text = doc.text[span.start : span.end].strip()
            if len(text) < 6:
                continue
            sent_cov = coverage(terms, normalize(text).lower())
            score = 0.75 * sent_cov + 0.25 * chunk_cov - 0.005 * hit.rank
            key = (c.doc_id, span.start)
            if key not in found or found[key].score < score:
                found[key] = Evidence(c.doc_id, c.chunk_id, span.start, span.end, text, round(score, 4), hit.rank)
    ranked = sorted(found.values(), key=lambda e: (-e.score, e.rank, e.start))
    return ranked[:limit], terms


def _entities(question: str, lang: str) -> list[str]:
    """Named entities (places, organisations, people) the question names, in matching form."""
    gloss = load_glossary()
    if lang == "en":
        names = [k for k, _ in gloss.english_names_index()]
        groups = gloss.expand_groups(question)
        return [normalize(g[0]) for g in groups if any(normalize(x) in names for x in g)]
    qn = normalize(question)
    found = [normalize(zh) for zh, _ in gloss.english_names(qn)]
    return [f for i, f in enumerate(found) if not any(f in other for j, other in enumerate(found) if j != i)]


def missing_focus(question: str, lang: str, evidence: list[Evidence], docs: dict[str, Document],
                  window: int = 300) -> str | None:
    """Why the evidence cannot be about what was asked, or None.

    The question names a place, organisation or person that no evidence sentence's
    surroundings mention (Guangzhou, Hangzhou's own plan), or asks about years none of them
    mention (targets for 2030): then the corpus does not say, however well the rest matches.
    """
    if not evidence:
        return "no evidence"
    contexts = []
    for ev in evidence:
        doc = docs[ev.doc_id]
        ctx = doc.text[max(0, ev.start - window) : ev.end + window] + doc.meta.title + doc.meta.publisher
        contexts.append(normalize(ctx).lower())
    for ent in _entities(question, lang):
        if not any(ent.lower() in c for c in contexts):
            return f"nothing about {ent}"
    years = [f.surface.rstrip("年") for f in extract(question) if f.kind == "year"]
    if years and not any(y in c for y in years for c in contexts):
        return f"nothing for {', '.join(years)}"
    return None
