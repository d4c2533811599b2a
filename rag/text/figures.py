"""Figures in text: numbers with their magnitude words and units, in Chinese or English.

Every figure gets a canonical value so that 3,000 = 3000, 8000億元 = 8000亿元 =
"800 billion yuan", and "150 million" = 1.5亿. Used to verify answers and to build the
targets table. Units and magnitude words come from the lexicon (``data/units.tsv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from rag.text.lexicon import alternation, magnitudes, number_words, numerals, unit_words
from rag.text.textnorm import normalize

_MAG_ZH = magnitudes(chinese=True)
_MAG_EN = magnitudes(chinese=False)
UNITS_ZH = alternation(unit_words("figure"))
_NUM = r"\d+(?:[.,]\d+)*"
# a unit led by a magnitude word whose rest is no unit (兆瓦: megawatts) is one unit; 万辆 is 万 and 辆
_ONE_UNIT = [u for u in unit_words("figure") for m in _MAG_ZH
             if u.startswith(m) and u != m and u[len(m):] not in unit_words("figure")]
_MAG_GROUP = (rf"(?!{alternation(_ONE_UNIT)})" if _ONE_UNIT else "") + f"(?:{alternation(_MAG_ZH)})"
_ZH = re.compile(rf"(?P<num>{_NUM})\s*(?P<mag>{_MAG_GROUP})?\s*(?P<pct>%|％)?(?P<unit>{UNITS_ZH})?")
# 百亿元: a bare numeral before a magnitude of ten thousand or more
_ZH_IMPLIED = re.compile(
    rf"(?<![\d.])(?P<num>[{''.join(numerals())}])(?P<mag>{alternation(w for w, v in _MAG_ZH.items() if v >= 1e4)})"
    rf"(?P<unit>{alternation(unit_words('implied'))})?"
)
# units a number in Chinese numerals may carry: not lengths of time (一年, 三天 are durations)
_NUMERAL_UNITS = alternation(u for u in unit_words("figure") if u not in unit_words("duration"))
# k and bn only as whole words (5k, 2bn), not the start of another word
_EN_MAG = "|".join(re.escape(w) + (r"\b" if len(w) <= 2 else "") for w in sorted(_MAG_EN, key=len, reverse=True))
_EN = re.compile(rf"(?P<num>{_NUM})\s*(?P<mag>{_EN_MAG})?\s*(?P<pct>%|percent|per cent)?", re.IGNORECASE)
_MARKER = re.compile(r"\[\d{1,2}\]")
# 一成 .. 九成: tenths (降一成 = 10%), not the 成 of 成为 / 完成 / 一成不变
_TENTH = {**{c: float(i) for i, c in enumerate("一二三四五六七八九", 1)}, "两": 2.0}
_TENTHS = re.compile(r"(?<![\d一二两三四五六七八九十百千万亿第])([一二两三四五六七八九])成(?![为了功本果员长立熟交不])")
# 2月10日至11日, 5月底, and a day on its own (30日宣布: the 30th), not a span of days (30日内)
_DATE = re.compile(r"(\d{1,2})月(\d{1,2})日(?:至(\d{1,2})日)?|(\d{1,2})月(?:底|末|份)?|(?<![\d.,])(\d{1,2})日(?![内以之前后起])")


@dataclass(frozen=True)
class Figure:
    surface: str
    value: float
    kind: str  # "year", "date", "percent" or "number"
    unit: str = ""
    start: int = 0
    end: int = 0

    def matches(self, other: Figure) -> bool:
        if self.kind == "percent" or other.kind == "percent":
            return self.kind == other.kind and _close(self.value, other.value)
        return _close(self.value, other.value)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@cache
def _numerals() -> tuple[re.Pattern[str], Any]:
    """Numbers written in Chinese numerals (两千亿元, 三千家, 一百亿元), read by ``cn2an``: the
    pattern of a run of its digits and units, and the converter (imported on first use)."""
    import cn2an

    reader = cn2an.Cn2An()
    run = f"[{reader.all_num}{reader.all_unit}]+"
    return re.compile(rf"(?<![第\d.{reader.all_num}{reader.all_unit}])(?P<num>{run})(?P<unit>{_NUMERAL_UNITS})?"), reader


def chinese_numeral(run: str, unit: str) -> float | None:
    """The value of a run of Chinese numerals when it is a figure, else None. A run must read as
    one number and either carry a unit or a magnitude of ten thousand or more (两千亿, 三千家,
    一百亿元); a lone digit counts only before a unit and from two up (三家, 两个: not 一个);
    a run with no digit but its units (千万, 百亿) is left to the implied-magnitude rule."""
    reader = _numerals()[1]
    if not any(c in reader.all_num for c in run) or (len(run) == 1 and not unit) or (len(run) > 1 and not any(c in reader.all_unit for c in run)):
        return None
    if not unit and not any(m in run for m in ("万", "亿")):
        return None
    try:
        value = float(reader.cn2an(run, "normal"))
    except ValueError:  # 十四五, 一二三: not one number
        return None
    return value if len(run) > 1 or value >= 2 else None


def _to_float(num: str) -> float | None:
    clean = num.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", num) else num
    try:
        return float(clean)
    except ValueError:
        return None


# at the start of a line, or of a quote of one (an answer quoting 「2.对落地…」)
_ENUMERATOR = re.compile(r"(?:^|\n|「)[ \t]*(\d{1,2})[.．、](?!\d)")


@cache
def _number_word() -> re.Pattern[str]:
    """An English number word before the word it counts: "form six bases", "ten thousand people" (not
    "six-year", "sixth")."""
    return re.compile(rf"(?<![\w-])(?P<num>{alternation(number_words())})(?:\s+(?P<mag>{_EN_MAG}))?(?=\s+[\"“'(]?[A-Za-z])",
                      re.I)


def extract(text: str) -> list[Figure]:
    """All figures in ``text`` (Chinese or English), with citation markers like [1] ignored.

    The text is normalised (half-width, Simplified) first; spans index the normalised
    text, which has the same length as the input for these characters.
    """
    norm = _MARKER.sub(lambda m: " " * len(m.group()), normalize_keep_length(text))
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []
    # "3.加快AI大模型建设", "1. Supporting…": the number of a list item, not a quantity
    taken += [(m.start(1), m.end(1)) for m in _ENUMERATOR.finditer(norm)]
    for m in _DATE.finditer(norm):  # 2月10日至11日: parts of a date, not quantities
        for g in range(1, 6):
            if m.group(g):
                out.append(Figure(m.group(g), float(m.group(g)), "date", "", m.start(g), m.end(g)))
        taken.append((m.start(), m.end()))
    for m in _TENTHS.finditer(norm):  # 降一成, 八成以上: tenths, a share
        out.append(Figure(m.group(), 10.0 * _TENTH[m.group(1)], "percent", "%", m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in _numerals()[0].finditer(norm):
        numeral = chinese_numeral(m.group("num"), m.group("unit") or "")
        if numeral is not None and not any(a <= m.start() < e for a, e in taken):
            out.append(Figure(m.group(), numeral, "number", m.group("unit") or "", m.start(), m.end()))
            taken.append((m.start(), m.end()))
    for m in _ZH_IMPLIED.finditer(norm):
        if any(a <= m.start() < e for a, e in taken):
            continue
        value = numerals()[m.group("num")] * _MAG_ZH[m.group("mag")]
        out.append(Figure(m.group(), value, "number", m.group("unit") or "", m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in _number_word().finditer(norm):  # six "ten thousand person R&D bases": 6
        value = number_words()[m.group("num").lower()] * (_MAG_EN[m.group("mag").lower()] if m.group("mag") else 1.0)
        out.append(Figure(m.group(), value, "number", "", m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in _ZH.finditer(norm):
        if any(a <= m.start() < b for a, b in taken):
            continue
        v = _to_float(m.group("num"))
        if v is None:
            continue
        mag = m.group("mag")
        en = _EN.match(norm, m.start())
        en_mag = en.group("mag") if en else None
        en_pct = en.group("pct") if en else None
        if en and (en_mag or en_pct) and not mag and not m.group("pct"):
            mult = _MAG_EN[en_mag.lower()] if en_mag else 1.0
            kind = "percent" if en_pct else "number"
            out.append(Figure(en.group().strip(), v * mult, kind, "%" if en_pct else "", en.start(), en.end()))
            continue
        unit = m.group("unit") or ""
        left, right = norm[m.start() - 1 : m.start()], norm[m.end("num") : m.end("num") + 1]
        if not (mag or unit or m.group("pct")) and (re.match(r"[A-Za-z]", left + " ") or re.match(r"[A-Za-z]", right)):
            continue  # part of a name, not a quantity: 5G, FP16, A100
        if m.group("pct"):
            kind = "percent"
        elif not mag and not unit.strip("年") and 1900 <= v <= 2100 and float(v).is_integer():
            kind = "year"
        elif unit == "年" and 1900 <= v <= 2100:
            kind = "year"
        else:
            kind = "number"
        value = v * (_MAG_ZH[mag] if mag else 1.0)
        out.append(Figure(m.group().strip(), value, kind, "%" if m.group("pct") else unit, m.start(), m.end()))
    return sorted(out, key=lambda f: f.start)


def normalize_keep_length(text: str) -> str:
    """Normalisation that keeps every character in place (NFKC can change lengths)."""
    out = normalize(text)
    return out if len(out) == len(text) else normalize_chars(text)


def normalize_chars(text: str) -> str:
    return "".join(normalize(c)[:1] or c for c in text)

