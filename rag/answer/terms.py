"""Question terms: a question -> idf-weighted terms in the matching form, and a text's share of them.

Enters: a question, its language and the index's BM25 (for idf). Leaves: ``Term`` (alternative
forms, weight, kind), ``question_terms`` and ``coverage`` (the idf-weighted share of the terms a
text contains). Chinese questions give their content words (``content_words``: jieba words less
the stopwords and question-framing words of ``rag.text.stopwords``) with their English; English
questions give the glossary's Chinese renderings and the Latin words the corpus uses; both give
their figures and years.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rag.retrieval.bm25 import BM25, load_jieba
from rag.text import stopwords
from rag.text.dictionary import chinese_for, english_for
from rag.text.figures import extract
from rag.text.glossary import load_glossary
from rag.text.places import named_places, search_terms
from rag.text.textnorm import normalize

_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9+.&'-]*")

# words that frame an English question rather than name what it is about
_EN_FRAME = re.compile(r"\b(targets?|goals?|aims?|aiming|plans?|planned|set|sets|figures?|numbers?|amount)\b", re.I)


@dataclass(frozen=True)
class Term:
    """One thing a question asks about, in any of its forms, with its idf weight."""

    alternatives: tuple[str, ...]  # matching forms (Simplified, lower-case)
    weight: float
    kind: str = "word"  # word | figure | year


def content_words(text: str) -> list[str]:
    """The question's words that say what it is about: jieba words of the matching form, less
    stopwords, question-framing words, punctuation, plain figures and single Latin characters."""
    norm = normalize(text).lower()
    out = []
    for tok in load_jieba().lcut(norm):
        tok = tok.strip()
        if not tok or tok in stopwords.QUESTION or not re.search(r"[\w\u4e00-\u9fff]", tok):
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
        framed = _EN_FRAME.sub(" ", question)
        groups = load_glossary().expand_groups(framed, with_english=True)
        for group in groups:
            add(tuple(normalize(g).lower() for g in group))
        # the words no glossary phrase covers (function words aside), with the dictionary's Chinese:
        # a Chinese passage is matched by 企业 for "firm", never by "would"
        latin = {w.lower().strip(".'") for w in _LATIN.findall(question)}
        for w in load_glossary().uncovered(framed):
            if w not in latin or w in stopwords.ENGLISH:
                continue
            chinese = chinese_for(w) if w.isalpha() and len(w) > 2 and not named_places(w) else ()
            if chinese or bm25.idf(w) is not None:
                add((w, *chinese))
    else:
        def add_zh(word: str) -> None:
            # with its English (glossary phrase, dictionary senses, place name), so an English passage can answer too
            english = english_for([word]) + search_terms(word, lang)
            add((word, *english))

        for word in content_words(question):
            if bm25.idf(word) is not None:
                add_zh(word)
                continue
            parts = [p for p in load_jieba().lcut_for_search(word) if len(p) > 1 and bm25.idf(p) is not None]
            if parts and len(word) > 2:
                for p in parts:
                    add_zh(p)
            else:
                add_zh(word)
    return terms


def is_setting(term: Term) -> bool:
    """A year or a place: what a document as a whole is about, so its title or date may state it
    for every sentence in it ("Zhuhai's 2025 measures")."""
    return term.kind == "year" or bool(named_places(term.alternatives[0]))


def coverage(terms: list[Term], text_norm: str, setting_norm: str = "") -> float:
    """Weighted share of the terms present; neighbouring question terms that appear side by
    side ("人工智能" + "企业" as 人工智能企业) count a second time, so a sentence about the asked
    quantity beats one that merely mentions its words. A year or place the text lacks counts when
    ``setting_norm`` (its document's title and date) states it."""
    words = [t for t in terms if t.kind == "word"]
    pairs = list(itertools.pairwise(words))
    total = sum(t.weight for t in terms) + sum(0.5 * (a.weight + b.weight) for a, b in pairs)
    if total <= 0:
        return 0.0
    got = sum(t.weight for t in terms if any(x in text_norm for x in t.alternatives)
              or (setting_norm and is_setting(t) and any(x in setting_norm for x in t.alternatives)))
    got += sum(
        0.5 * (a.weight + b.weight)
        for a, b in pairs
        if any(x + y in text_norm for x in a.alternatives for y in b.alternatives)
    )
    return got / total

