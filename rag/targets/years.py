"""The year a figure is for, and whether it is a target or a reported statistic.

Enters: a sentence in matching form and the document's year. Leaves: ``YearRef`` (到2026年 is a
horizon, 截至2024年底 a date of report), the document's year, and the kind a year makes a figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.targets.titles import TITLE

YEAR = re.compile(
    r"(?P<pre>截止到|截至|截止|到|至)?(?P<y>(?:19|20)\d{2})年(?:度)?(?P<part>底|末|上半年|下半年|全年|以来)?"
    r"(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日|(?P<mend>底|末))?)?"
)
_TITLE_YEARS = re.compile(r"[(（]\d{4}(?:\s*[-—–~至]\s*\d{4})?年?度?[)）]")
TITLE_YEAR = re.compile(r"[(（](\d{4})年?度?[)）]")
_PAST = re.compile(r"截至|截止|已|显示|统计|去年|过去|同比")
_FUTURE = re.compile(r"力争|目标|(?<!行动)(?<!规划)计划|届时|预计|争取|将要|将会|将于|未来")


@dataclass(frozen=True)
class YearRef:
    start: int
    end: int
    year: int
    as_of: str
    mode: str  # "to" (到2026年), "asof" (截至 / 年底 / a month), "plain"


def year_refs(n: str, doc_year: int) -> list[YearRef]:
    """Year expressions outside titles and plan-title brackets, plus 今年/去年 relative to the document."""
    masked = TITLE.sub(lambda m: " " * len(m.group()), n)
    masked = _TITLE_YEARS.sub(lambda m: " " * len(m.group()), masked)
    refs = []
    for m in YEAR.finditer(masked):
        y, part, mo = int(m.group("y")), m.group("part") or "", m.group("m")
        as_of = f"{y}-{int(mo):02d}" + (f"-{int(m.group('d')):02d}" if m.group("d") else "") if mo else str(y)
        if part in ("底", "末"):
            as_of = f"{y}-end"
        elif part in ("上半年", "下半年"):
            as_of = f"{y}-H{1 if part == '上半年' else 2}"
        pre = m.group("pre") or ""
        mode = "asof" if pre.startswith("截") or part in ("底", "末", "上半年", "下半年") or mo else "plain"
        if pre in ("到", "至") and not mo and part not in ("上半年", "下半年"):
            mode = "to" if y >= doc_year else "asof"  # 到2024年底 in a 2025 text is a report
        refs.append(YearRef(m.start(), m.end(), y, as_of, mode))
    for m in re.finditer(r"今年|去年|过去的?一年", masked):
        y = doc_year if m.group() == "今年" else doc_year - 1
        refs.append(YearRef(m.start(), m.end(), y, str(y), "plain"))
    return sorted(refs, key=lambda r: r.start)


def document_year(published: str, text: str) -> int:
    """The manifest date's year; without one, the latest year the text reports (not 到2026年), else 0."""
    m = re.search(r"(?:19|20)\d{2}", published)
    if m:
        return int(m.group())
    said = [int(r.group("y")) for r in YEAR.finditer(text) if r.group("pre") not in ("到", "至")]
    return max(said, default=0)


def infer_kind(ref: YearRef | None, n: str, doc_year: int, plan: bool = False) -> str:
    """Target for plans and goals (到2026年, 力争, 目标, a future year), statistic for what is reported.
    In a plan itself (``plan``: its title names a plan or measures), a figure with no past marker is
    what the plan sets out to do (建成1个…, 部署10个以上…)."""
    if ref is not None:
        if ref.mode == "to":
            return "target"
        if plan and ref.year >= doc_year and not _PAST.search(n):
            return "target"  # the plan's own date (中山市…2025年2月21日印发) reports nothing
        if ref.mode == "asof" or ref.year < doc_year:
            return "statistic"
        if ref.year > doc_year:
            return "target"
    if _PAST.search(n):
        return "statistic"
    return "target" if _FUTURE.search(n) or plan else "statistic"
