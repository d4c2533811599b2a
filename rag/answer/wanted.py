"""What kind of answer a question wants, where a sentence shows it: an organisation, a person or a date.

"Who presented the figures?" is answered by a sentence that names someone, not by the headline
that states the figures; "when was it issued?" by one that gives a day; "which department is
responsible?" by one that names a bureau. The interrogative words are in
``data/question_words.tsv``; a personal name is jieba's part-of-speech tag ``nr`` (a Chinese
sentence) or a capitalised two-word name (an English one); an organisation is jieba's ``nt`` or a
word ending in a government body's generic word (局, 委员会, 厅; Bureau, Commission); a date is a
day of a month in either language.

Enters: a question, or a sentence and the kind asked for. Leaves: ``wanted_kind``, ``gives`` and ``answers_for``.
"""

from __future__ import annotations

import calendar
import re
from functools import cache
from pathlib import Path

from rag.retrieval.bm25 import load_jieba
from rag.text.lexicon import rows
from rag.text.textnorm import cjk_count, normalize

KINDS = ("organisation", "person", "date")
_DATA = Path(__file__).parent / "data"
_MONTHS = "|".join(m for m in (*calendar.month_name[1:], *calendar.month_abbr[1:]))
_DATE = re.compile(
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|(?:19|20)\d{2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|"
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\s+(?:{_MONTHS})\b",
    re.I,
)
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]+(?:-[a-z]+)? [A-Z][a-z]+(?:-[a-z]+)?\b")
# the generic word a government body's name ends in (市数据局, 经信委, 产业技术司; Data Bureau)
_BODY_ZH = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:委员会|办公室|办公厅|管理局|局|委|厅|署|司|部门)(?![\u4e00-\u9fff]{0,1}[长员])")
_BYLINE = re.compile(r"(?:记者|通讯员|编辑|撰稿)[\u4e00-\u9fff]{2,4}")
# the words that say which body answers for a measure: (责任单位:市数据局), 由市经信局负责
_RESPONSIBLE = re.compile(r"(?:责任|牵头|主管|负责|承办|实施)(?:单位|部门|机构)|负责|\bresponsib", re.I)
_BODY_EN = re.compile(r"\b(?:Bureau|Commission|Department|Ministry|Office|Committee|Administration|Agency|Council)\b")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for kind, pattern in rows("question_words", 2, folder=_DATA):
        if kind not in KINDS:
            raise ValueError(f"question_words.tsv: unknown kind {kind!r} (valid: {', '.join(KINDS)})")
        out.append((kind, re.compile(pattern.strip(), re.I)))
    return tuple(out)


def wanted_kind(question: str) -> str:
    """"organisation", "person", "date" or "" (a figure, a name of a thing, or anything else)."""
    text = normalize(question).lower()
    return next((kind for kind, pattern in _patterns() if pattern.search(text)), "")


def answers_for(sentence: str, kind: str) -> bool:
    """Does ``sentence`` say who answers for something ((责任单位:市数据局), "is responsible for"),
    the best way to show an organisation asked about? False for other kinds."""
    return kind == "organisation" and bool(_RESPONSIBLE.search(normalize(sentence)))


def gives(sentence: str, kind: str) -> bool:
    """Does ``sentence`` show an answer of ``kind``? True for any sentence when ``kind`` is ""."""
    if kind == "date":
        return bool(_DATE.search(normalize(sentence)))
    if kind == "organisation":
        if cjk_count(sentence) < 2:
            return bool(_BODY_EN.search(sentence))
        return bool(_BODY_ZH.search(normalize(sentence))) or any(flag == "nt" for _, flag in _tagged(normalize(sentence)))
    if kind == "person":
        if cjk_count(sentence) < 2:
            return bool(_LATIN_NAME.search(sentence))
        # a byline's reporter (〔记者林菁桦／台北报导〕) is not who the sentence is about
        return any(flag == "nr" and 2 <= len(word) <= 4 for word, flag in _tagged(_BYLINE.sub("", normalize(sentence))))
    return True


def _tagged(text: str) -> list[tuple[str, str]]:
    """jieba's (word, part-of-speech tag) pairs of a text in matching form."""
    load_jieba()
    import jieba.posseg

    return [(w, f) for w, f in jieba.posseg.cut(text)]
