"""The word tables of figures, loaded from ``data/``: qualifiers, units and magnitudes, support words.

Enters: a word, or the words around a figure. Leaves: what the tables say of them.

- ``qualifiers.tsv``, the qualifier lexicon: the direction of the bound a word puts on a figure
  (最高/不超过/以内/up to = at most; 超过/以上/more than = at least), where it stands, how English
  answers and the targets table word it, and which rule reads it (``qualifier_words``).
- ``units.tsv``: units (元, 家, %...) and magnitudes (万, 亿, billion) with their English.
- ``support.tsv``: whether a clause is about support (补贴, subsidy) or a budget (总额).
- ``scopes.tsv`` (read by ``rag.targets.scopes``): the places the targets table reports on.

Words are matched longest first, so 不超过 is never read as 超过.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
AT_MOST, AT_LEAST, ABOUT = "at_most", "at_least", "about"


def rows(name: str, width: int, folder: Path = DATA) -> list[tuple[str, ...]]:
    """``<folder>/<name>.tsv`` (``rag/text/data`` by default) as rows of ``width`` cells ("-" and
    missing cells are ""); # starts a comment."""
    out = []
    for line in (folder / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            cells = [*line.split("\t"), *[""] * width][:width]
            out.append(tuple("" if c == "-" else c for c in cells))
    return out


@cache
def table(name: str) -> dict[str, str]:
    """``data/<name>.tsv`` as {word: value} from its first two cells."""
    return {word: value for word, value in rows(name, 2)}


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first (so 个百分点 is tried before 个); a Latin unit
    in any case (100EFlops is EFLOPS)."""
    return "|".join(f"(?i:{re.escape(w)})" if w.isascii() and w.isalpha() and len(w) > 2 else re.escape(w)
                    for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class Qualifier:
    """One row of ``qualifiers.tsv`` (its header says what each cell means)."""

    word: str
    direction: str
    side: str
    answer_en: str
    table_en: str
    uses: frozenset[str]


@cache
def qualifiers() -> tuple[Qualifier, ...]:
    return tuple(Qualifier(w, d, s, a, t, frozenset(u.split())) for w, d, s, a, t, u in rows("qualifiers", 6))


@cache
def qualifier_words(use: str, side: str = "") -> tuple[str, ...]:
    """The words a rule reads (``use`` as in the uses cell, "" for any; optionally only one side),
    longest first."""
    words = [q.word for q in qualifiers() if (not use or use in q.uses) and (not side or q.side == side)]
    return tuple(sorted(words, key=len, reverse=True))


@cache
def _answer_en() -> dict[str, str]:
    return {q.word: q.answer_en for q in qualifiers() if "answer" in q.uses}


def answer_english(word: str) -> str:
    """A qualifier as an extractive answer's figure phrase words it (超过 -> more than; 达到 -> "")."""
    return _answer_en()[word]


@cache
def _table_en() -> dict[str, str]:
    return {q.word: q.table_en for q in qualifiers() if "table" in q.uses}


def english_qualifier(word: str) -> str:
    """A targets row's qualifier in a table line's English (力争 -> aiming for), "" for any other."""
    return _table_en().get(word, "")


@cache
def _written() -> dict[str, str]:
    return {q.direction: q.word for q in qualifiers() if "written" in q.uses}


def direction_english(direction: str) -> str:
    """How an answer states a bound: at_most -> up to, at_least -> more than, about -> about; "" for none."""
    return _written().get(direction, "")


@cache
def _written_zh() -> dict[str, str]:
    return {q.direction: q.word for q in qualifiers() if "written_zh" in q.uses}


def direction_chinese(direction: str) -> str:
    """How a Chinese answer states a bound: at_most -> 最高, at_least -> 超过, about -> 约; "" for none."""
    return _written_zh().get(direction, "")


PARTIAL_QUALIFIERS: tuple[str, ...] = tuple(q.word for q in qualifiers() if "partial" in q.uses)


@cache
def _directions() -> dict[str, str]:
    return {q.word: q.direction for q in qualifiers() if q.direction}


@cache
def _pattern(name: str, anchor: str) -> re.Pattern[str]:
    alt = alternation(_directions() if name == "qualifiers" else table(name))
    return re.compile(f"(?:{alt})$" if anchor == "end" else f"^(?:{alt})" if anchor == "start" else alt, re.I)


def bound(before: str, after: str = "") -> str:
    """at_most / at_least / about for the words just before (or just after) a figure; "" for none."""
    m = _pattern("qualifiers", "end").search(before.rstrip().lower()) or _pattern("qualifiers", "start").search(after.lower())
    return _directions()[m.group().lower()] if m else ""


def bound_word(before: str) -> str:
    """The bound word that ends ``before`` as written there ("up to" of "support up to "), "" for none."""
    text = before.rstrip()
    m = _pattern("qualifiers", "end").search(text.lower())
    return text[m.start() :] if m else ""


def nearest_bound(clause_before: str) -> str:
    """The bound of the last bound word in the clause before a figure (不超过合同金额的50%: at most)."""
    hits = list(_pattern("qualifiers", "any").finditer(clause_before.lower()))
    return _directions()[hits[-1].group().lower()] if hits else ""


def support_role(text: str) -> set[str]:
    """{"support", "budget", "fund", "recipient"} as far as ``text`` uses those words."""
    return {table("support")[m.group().lower()] for m in _pattern("support", "any").finditer(text.lower())}


# roles that name the same kind of money: a sum put aside is a budget whether it is called 预算 or 经费
_ROLE_FAMILIES = ({"support"}, {"budget", "fund"})


@cache
def same_money(word: str) -> tuple[str, ...]:
    """The support table's words for the same kind of money as a general word of it: every support
    word for 补贴 (资助, 奖励, 算力券, grant), every budget or fund word for 经费 (预算, 基金); empty
    for an instrument (语料券 is not 模型券) and for other words."""
    general = {w: role for w, role, mark in rows("support", 3) if mark == "general"}
    family = next((f for f in _ROLE_FAMILIES if general.get(word.lower(), "") in f), set())
    return tuple(w for w, role in table("support").items() if role in family)


@dataclass(frozen=True)
class Unit:
    """One row of ``units.tsv`` (its header says what each cell means)."""

    word: str
    kind: str
    value: float
    english: str
    uses: frozenset[str]


@cache
def units() -> tuple[Unit, ...]:
    return tuple(Unit(w, k, float(v or 0), e, frozenset(u.split())) for w, k, v, e, u in rows("units", 5))


def _chinese(word: str) -> bool:
    return bool(re.match(r"[\u4e00-\u9fff]", word))


@cache
def unit_words(use: str) -> tuple[str, ...]:
    """The units a rule reads (``use`` as in the uses cell), longest first."""
    return tuple(sorted((u.word for u in units() if u.kind == "unit" and use in u.uses), key=len, reverse=True))


@cache
def magnitudes(chinese: bool, use: str = "read") -> dict[str, float]:
    """{magnitude word: multiplier}, Chinese (万 -> 1e4) or English (billion -> 1e9), largest first."""
    found = [u for u in units() if u.kind == "magnitude" and use in u.uses and _chinese(u.word) == chinese]
    return {u.word: u.value for u in sorted(found, key=lambda u: -u.value)}


@cache
def numerals() -> dict[str, float]:
    """{十: 10, 百: 100, 千: 1000}: a bare numeral before a magnitude (百亿)."""
    return {u.word: u.value for u in units() if u.kind == "numeral"}


@cache
def number_words() -> dict[str, float]:
    """{six: 6, twenty: 20, ...}: English number words that count what follows them."""
    return {u.word: u.value for u in units() if u.kind == "word"}


def unit_english(unit: str) -> str:
    """The English of the longest unit word ``unit`` ends with (美元 -> US dollars, not the 元 of
    yuan; 平方公里 -> km², not the 公里 of km), "" for none."""
    found = [u for u in units() if u.english and unit.lower().endswith(u.word.lower())]  # EFlops is EFLOPS
    return max(found, key=lambda u: len(u.word)).english if found else ""


def unit_after(english_text: str) -> str:
    """The unit an English figure is followed by, as its Chinese word ("yuan (..." -> 元, "US dollars"
    -> 美元), "" for none."""
    head = english_text.lstrip().lower()
    found = [u for u in units() if u.english and re.match(re.escape(u.english.lower()) + r"\b", head)]
    return max(found, key=lambda u: len(u.english)).word if found else ""


def currency_before(english_text: str) -> tuple[str, int]:
    """The money symbol an English figure follows ("... of HK$" -> HK$) and how many characters it
    takes with the space after it; ("", 0) for none."""
    head = english_text.rstrip()
    for word in unit_words("prefix"):
        if head.endswith(word) and not (head[: -len(word)][-1:].isalpha() and word[0].isalpha()):
            return word, len(english_text) - len(head) + len(word)
    return "", 0


def is_currency(unit: str) -> bool:
    """Is ``unit`` money (元, 亿元, 美元...)?"""
    return any(unit.endswith(c) for c in unit_words("currency"))
