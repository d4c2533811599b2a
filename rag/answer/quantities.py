"""Years and figures a text states, as the evidence checks need them.

Enters: a sentence or passage. Leaves: ``years_named`` (the years it names, a period's years
included, a plan title's years only when nothing else names a year), ``asked_years`` (a question's:
one year named alone beats a period), ``horizon_before`` (the year
a sentence naming none inherits from its paragraph) and ``has_quantity`` (whether
it states a figure other than a year: 3000家, 35%, 上千家, 第一) and ``states_ceiling`` (whether a
figure in it is bounded from above: 最高500万元, 不超过30%, up to 20 million yuan) and ``states_change``
(whether it states a change: 增长7.1%, 比上年新增, grew by).
"""

from __future__ import annotations

import re

from rag.generators.english import clause_before
from rag.text.figures import extract, normalize_keep_length
from rag.text.lexicon import AT_MOST, bound, is_currency, nearest_bound, support_role
from rag.text.textnorm import normalize

_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*[-—–~至到]\s*((?:19|20)\d{2})")
_TITLE = re.compile(r"《[^《》]*》")
_NAME_QUOTED = re.compile(r"[“「\"][^“”「」\"]{1,20}[”」\"]")
_CHINESE_QUANTITY = re.compile(r"[一二两三四五六七八九十百千万亿]+[家个台项条位所座款名倍成]|第[一二三四五六七八九十]|首位|[上数][百千万]")


def years_named(text: str) -> set[int]:
    """Years a text names, with every year inside a period such as (2025-2026年). The years of
    a plan's title (《…(2025-2026年)》) count only when the text names no other year: its
    "2026年…达8000亿元" is about 2026, not 2025. A number in a quoted name (“智造2040”) is no year."""
    text = _NAME_QUOTED.sub(lambda m: m.group() if "年" in m.group() else " ", text)  # “智造2040” is a name
    outside = _TITLE.sub(" ", text)
    if outside != text and _years(outside):
        return _years(outside)
    return _years(text)


def year_span_free(text: str) -> str:
    """``text`` with its periods (2025-2027, 2025—2027) blanked: a plan's span is not a year it states."""
    return _YEAR_RANGE.sub(lambda m: " " * len(m.group()), text)


def asked_years(question: str) -> set[int]:
    """The years a question asks about: a year it names on its own beats a period it names, which
    is then a plan's span ("by 2026, under its 2025-2027 plan" asks about 2026)."""
    years = years_named(question)
    alone = years_named(year_span_free(normalize(question)))
    return alone if alone and alone < years else years


# a horizon a later sentence of the paragraph inherits: 到2027年, 至2030年, by 2027, by the end of 2030
_HORIZON = re.compile(r"(?:到|至)\s*((?:19|20)\d{2})\s*年|\bby (?:the end of |end-)?((?:19|20)\d{2})\b", re.I)


def horizon_before(lead: str) -> int | None:
    """The year a sentence that names none is for: the last horizon (到2027年, by 2030) stated
    before it in its paragraph. "到2028年…900亿元。建成…12个" is 12 for 2028, not for 2030."""
    found = list(_HORIZON.finditer(normalize(lead)))
    return int(found[-1].group(1) or found[-1].group(2)) if found else None


def _years(text: str) -> set[int]:
    years = {int(f.surface[:4]) for f in extract(text) if f.kind == "year"}
    for a, b in _YEAR_RANGE.findall(normalize(text)):
        if int(a) <= int(b) <= int(a) + 30:
            years.update(range(int(a), int(b) + 1))
    return years


def has_quantity(text: str, count: bool = False) -> bool:
    """Does a sentence state a figure other than a year or a date (3000家, 35%, 上千家, 第一)?
    With ``count``, a number of things: a percentage is not an answer to "how many"."""
    kinds = ("number",) if count else ("number", "percent")
    return any(f.kind in kinds for f in extract(text)) or bool(_CHINESE_QUANTITY.search(normalize(text)))


def states_ceiling(text: str) -> bool:
    """Is a figure of the sentence bounded from above in its clause (最高500万元, 按不超过投资额的
    30%, 补助上限为2000万元, 100万元封顶, up to 20 million yuan), or a sum given to each recipient
    (每家达42万元)? A cap asked for is answered by one."""
    norm = normalize_keep_length(text)
    for f in extract(text):
        if f.kind in ("year", "date"):
            continue
        before = clause_before(norm, f.start)
        if nearest_bound(before) == AT_MOST or bound("", norm[f.end : f.end + 4]) == AT_MOST:
            return True
        if is_currency(f.unit) and "recipient" in support_role(before.lower()):
            return True  # 每家达42万元的补助: the sum each recipient gets is its ceiling
    return False


_CHANGE = re.compile(r"增长|增加|提高|提升|新增|同比|比上年|较上年|翻番|\b(?:grow|grew|growth|increase[sd]?|rose|risen|up from)\b", re.I)


def states_change(text: str) -> bool:
    """Does the sentence state a change (增长7.1%, 比上年新增300家, grew by 20%)? "比去年多了多少"
    is not answered by a sentence that gives only this year's count."""
    return bool(_CHANGE.search(normalize(text)))
