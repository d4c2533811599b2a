"""What kind of answer a question wants, where a sentence shows it: a person or a date.

"Who presented the figures?" is answered by a sentence that names someone, not by the headline
that states the figures; "when was it issued?" by one that gives a day. The interrogative
words are in ``data/question_words.tsv``; a personal name is jieba's part-of-speech tag ``nr``
(a Chinese sentence) or a capitalised two-word name (an English one); a date is a day of a
month in either language.

Enters: a question, or a sentence and the kind asked for. Leaves: ``wanted_kind`` and ``gives``.
"""

from __future__ import annotations

import calendar
import re
from functools import cache
from pathlib import Path

from rag.retrieval.bm25 import load_jieba
from rag.text.lexicon import rows
from rag.text.textnorm import cjk_count, normalize

KINDS = ("person", "date")
_DATA = Path(__file__).parent / "data"
_MONTHS = "|".join(m for m in (*calendar.month_name[1:], *calendar.month_abbr[1:]))
_DATE = re.compile(
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|(?:19|20)\d{2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|"
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\s+(?:{_MONTHS})\b",
    re.I,
)
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]+(?:-[a-z]+)? [A-Z][a-z]+(?:-[a-z]+)?\b")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for kind, pattern in rows("question_words", 2, folder=_DATA):
        if kind not in KINDS:
            raise ValueError(f"question_words.tsv: unknown kind {kind!r} (valid: {', '.join(KINDS)})")
        out.append((kind, re.compile(pattern.strip(), re.I)))
    return tuple(out)


def wanted_kind(question: str) -> str:
    """"person", "date" or "" (a figure, a name of a thing, or anything else)."""
    text = normalize(question).lower()
    return next((kind for kind, pattern in _patterns() if pattern.search(text)), "")


def gives(sentence: str, kind: str) -> bool:
    """Does ``sentence`` show an answer of ``kind``? True for any sentence when ``kind`` is ""."""
    if kind == "date":
        return bool(_DATE.search(normalize(sentence)))
    if kind == "person":
        if cjk_count(sentence) < 2:
            return bool(_LATIN_NAME.search(sentence))
        load_jieba()
        import jieba.posseg

        return any(flag == "nr" and 2 <= len(word) <= 4
                   for word, flag in jieba.posseg.cut(normalize(sentence)))
    return True
