"""Word tables shared by figures, evidence, answers and the targets table, loaded from ``data/``.

- ``bound(before, after)``: the direction of the bound the words around a figure put on it
  (最高/不超过/以内/up to = at most; 超过/以上/more than = at least), longest word first, so
  不超过 is never read as 超过.
- ``support_role(text)``: whether a clause is about support (补贴, subsidy) or a budget (总额).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
AT_MOST, AT_LEAST, ABOUT = "at_most", "at_least", "about"


@cache
def table(name: str) -> dict[str, str]:
    """``data/<name>.tsv`` as {word: value}; comment lines start with #."""
    out: dict[str, str] = {}
    for line in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, value = line.split("\t")[:2]
            out[word] = value
    return out


@cache
def _pattern(name: str, anchor: str) -> re.Pattern[str]:
    words = sorted(table(name), key=len, reverse=True)
    alt = "|".join(re.escape(w) for w in words)
    return re.compile(f"(?:{alt})$" if anchor == "end" else f"^(?:{alt})" if anchor == "start" else alt, re.I)


def bound(before: str, after: str = "") -> str:
    """at_most / at_least / about for the words just before (or just after) a figure; "" for none."""
    m = _pattern("bounds", "end").search(before.rstrip().lower()) or _pattern("bounds", "start").search(after.lower())
    return table("bounds")[m.group().lower()] if m else ""


def nearest_bound(clause_before: str) -> str:
    """The bound of the last bound word in the clause before a figure (不超过合同金额的50%: at most)."""
    hits = list(_pattern("bounds", "any").finditer(clause_before.lower()))
    return table("bounds")[hits[-1].group().lower()] if hits else ""


def support_role(text: str) -> set[str]:
    """{"support", "budget"} as far as ``text`` uses those words."""
    return {table("support")[m.group().lower()] for m in _pattern("support", "any").finditer(text.lower())}
