"""Which numbers in a sentence are figures for the targets table, with their value, unit and qualifier.

Enters: a sentence in matching form (``normalize_keep_length``: Simplified, half-width, as long as
the original), so an index found here is also an index into the original sentence. Leaves: ``Fig``
spans. Units, magnitudes and qualifier words come from the lexicon (``rag.text.lexicon``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rag.targets.titles import TITLE
from rag.text.lexicon import alternation, is_currency, magnitudes, qualifier_words, unit_words

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?(?:\+\d+)*"


@cache
def figure_pattern() -> re.Pattern[str]:
    """A number with an optional range, approximation (20余), magnitude and unit."""
    approx, mag = alternation(qualifier_words("approx")), alternation(magnitudes(chinese=True))
    return re.compile(
        rf"(?<![\d.A-Za-z+/])(?<!\d,)(?P<num>{_NUM})(?:(?P<dash>[-~～—–至到])(?P<num2>\d+(?:\.\d+)?))?"
        rf"(?P<a1>{approx})?(?P<mag>{mag})?(?P<a2>{approx})?(?P<unit>{alternation(unit_words('target'))})?"
    )


@cache
def _post() -> re.Pattern[str]:
    return re.compile(alternation(qualifier_words("post")))


@dataclass(frozen=True)
class Fig:
    """One figure in a sentence: [start, end) is ``value_text``; qualifier words sit outside it."""

    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    post_end: int  # end of the figure with a trailing 以上/左右...
    value_max: float | None = None


def _num(s: str) -> float:
    return float(sum(float(p.replace(",", "")) for p in s.split("+")))


def _is_year(v: float, unit: str, mag: str | None) -> bool:
    return not mag and unit in ("", "年") and v.is_integer() and 1900 <= v <= 2100


def _masked(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(a <= pos < b for a, b in spans)


def _quoted_label(n: str, s: int, e: int) -> bool:
    """Is [s, e) inside a short quoted name (「90%」, “1小时产业圈”)?"""
    opened = max(n.rfind("「", 0, s), n.rfind("“", 0, s))
    closed = max(n.rfind("」", 0, s), n.rfind("”", 0, s))
    if opened < 0 or closed > opened or s - opened > 4:
        return False
    end = min((i for i in (n.find("」", e), n.find("”", e)) if i >= 0), default=-1)
    return 0 <= end - e <= 8


def find_figures(n: str) -> list[Fig]:
    """Figures of a normalised sentence. Dates, years, list numbers, phone numbers, ordinals, codes
    (5G), fractions, numbers in titles or quoted as labels, horizons (未来2-3年) and descriptors
    (10亿元以上项目) are not figures."""
    titles = [(m.start(), m.end()) for m in TITLE.finditer(n)]
    convs = [(m.start(), m.end()) for m in re.finditer(r"[(（](?:约|合|折合|相当于)[^)）]*[)）]", n)]
    mags, pre_words, durations = magnitudes(chinese=True), qualifier_words("pre"), unit_words("duration")
    out: list[Fig] = []
    for m in figure_pattern().finditer(n):
        s, e = m.start(), m.end()
        unit, mag = m.group("unit") or "", m.group("mag")
        v = _num(m.group("num"))
        nxt, prv = n[e : e + 1], n[s - 1 : s] if s else ""
        if _masked(titles, s) or _masked(convs, s) or prv in ("第", "/") or nxt in ("/", ":"):
            continue
        if (
            re.match(r"[A-Za-z]", nxt)
            or (not unit and nxt in ("月", "日", "号"))
            or ("+" in m.group("num") and not unit)
        ):
            continue
        if _is_year(v, unit, mag) or (not unit and not mag):
            continue  # a year, a year range, or a bare number (list item, phone, code)
        if len(re.sub(r"\D", "", m.group("num").split(".")[0])) >= 7 and not mag and unit != "元":
            continue
        if re.search(r"(?:电话|热线|传真|tel)[:：\s]*$", n[max(0, s - 8) : s], re.IGNORECASE):
            continue
        if _quoted_label(n, s, e):
            continue  # 「90%」, “1小时产业圈”: a name, not a figure
        if unit in durations and (re.search(r"(?:未来|今后|近)$", n[:s]) or re.match(r"[前后来内]", nxt)):
            continue  # 未来2-3年, 40年前: a time reference
        if unit == "年" and m.group("num2") and _is_year(float(m.group("num2")), unit, mag):
            continue
        post = _post().match(n, e)
        post_end = post.end() if post else e
        if (is_currency(unit) or not unit) and re.match(r"(?:的)?(?:企业|项目|级)", n[post_end:]):
            continue  # 10亿元以上项目: describes the things counted
        mult = mags[mag] if mag else 1.0
        pre = next((q for q in pre_words if n[:s].endswith(q)), "")
        approx = m.group("a1") or m.group("a2") or ""
        postq = post.group() if post else ""
        qual = "…".join(
            q for q in (pre if not (pre in ("达", "达到") and (postq or approx)) else "", approx or postq) if q
        )
        v2 = float(m.group("num2")) * mult if m.group("num2") else None
        if m.group("dash") and v2 is None:
            continue
        out.append(Fig(s, e, v * mult, unit, qual, post_end, v2))
    return out
