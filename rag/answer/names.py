"""Names an answer gives (people, organisations, places) that none of its cited quotes gives.

Enters: an answer and the quotes it cites. Leaves: the names found in the answer but in no
quote, in any of the quote's forms: its own words (Simplified, Traditional, English), the
glossary's English for the entities it names, the English names of the places it names, and
its characters' pinyin, so "Liang Wenfeng" is found in 梁文鋒 and "Wang Tao" is not.

English answers: capitalised words and runs of them (Liang Wenfeng, DeepSeek, iFlytek), leaving
out a sentence's first word, month and day names and all-capital abbreviations (AI, RMB).
Chinese answers: the words jieba tags as a person, organisation or place name.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from functools import lru_cache

from rag.text.textnorm import normalize

_NAME_RUN = re.compile(r"\b[A-Z][a-z]+[A-Z]?[a-z]*(?:[ -][A-Z][a-z]+)*\b|\b[a-z][A-Z][a-zA-Z]+\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n|\[\d+\]\s*|[「“\"(（]\s*)$")
_CALENDAR = frozenset(w.lower() for w in (*calendar.month_name[1:], *calendar.day_name))
_CHINESE_NAME_TAGS = ("nr", "nt", "ns")


@lru_cache(maxsize=512)
def _forms(quote: str) -> str:
    """Everything a quote may be written as, lower-case and without spaces or hyphens."""
    from pypinyin import lazy_pinyin

    from rag.text.glossary import load_glossary
    from rag.text.places import named_places, place

    parts = [quote, normalize(quote)]
    parts += [en for _, en in load_glossary().english_names(quote)]
    for name in named_places(quote):
        found = place(name)
        parts += list(found.english) if found else []
    parts.append("".join(lazy_pinyin(normalize(quote))))
    return re.sub(r"[\s\-']+", "", " ".join(parts)).lower()


def english_names(answer: str) -> list[str]:
    """Capitalised names in an English answer, outside quotes 「…」; a sentence's first word
    counts only inside a run of capitalised words, and English function words never."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    # quotes, titles, and the language a quote is in ("The source, in Chinese, names ..."): not names
    text = re.sub(r"「[^」]*」|《[^》]*》|\bin (?:Chinese|English)\b", lambda m: " " * len(m.group()), answer)
    out = []
    for m in _NAME_RUN.finditer(text):
        words = m.group().split()
        if len(words) == 1 and _SENTENCE_START.search(text[: m.start()]):
            continue  # "The", "According", "Shenzhen" opening a sentence: capitalised anyway
        words = [w for w in words if w.lower() not in _CALENDAR and w.lower() not in ENGLISH_STOP_WORDS]
        if words:
            out.append(" ".join(words))
    return out


def _supported(name: str, forms: str, quotes: Sequence[str]) -> bool:
    """In a quote's forms, or every part the glossary or the gazetteer knows found in a quote
    ("Pioneer City" in 先锋城市, "Futian District" in 福田区)."""
    from rag.text.glossary import load_glossary
    from rag.text.places import named_places

    if re.sub(r"[\s\-']+", "", normalize(name)).lower() in forms:
        return True
    text = "".join(normalize(q) for q in quotes)
    places = named_places(name)
    if places:
        return places <= named_places(text) or all(p in text for p in places)
    groups = load_glossary().expand_groups(name)
    return bool(groups) and all(any(normalize(f) in text for f in g) for g in groups)


def chinese_names(answer: str) -> list[str]:
    from jieba import posseg

    text = re.sub(r"「[^」]*」|《[^》]*》|\[\d+\]", " ", normalize(answer))
    return [w for w, tag in posseg.lcut(text) if tag in _CHINESE_NAME_TAGS and len(w) >= 2]


def unsupported_names(answer: str, quotes: Sequence[str], question: str = "") -> list[str]:
    """The answer's names that no quote gives in any form. A name the question gives may be
    restated ("上海的模型券…" answered "上海的模型券…500万元"): that the evidence is about it was
    checked when the evidence was chosen (rag.answer.evidence); "Wang Tao" answering "Who founded
    DeepSeek?" is not in the question, so it is checked."""
    if not quotes:
        return []
    forms = "".join(_forms(q) for q in (*quotes, question) if q)
    cjk = sum(1 for ch in answer if "\u4e00" <= ch <= "\u9fff")
    names = chinese_names(answer) if cjk > len(answer) / 4 else english_names(answer)
    missing = [n for n in names if not _supported(n, forms, quotes)]
    return list(dict.fromkeys(missing))
