"""Where a figure comes from: the 《title》 of a plan or report, or a 据...统计 source, in a sentence.

Enters: a sentence in matching form (``normalize_keep_length``). Leaves: spans of the titles that
name a plan, report or list, and the patterns for sources and for words that point back to a plan
named earlier (按照计划, 届时).
"""

from __future__ import annotations

import re

TITLE = re.compile(r"《[^《》]{2,80}》")
_PLAN_WORDS = r"计划|规划|方案|意见|办法|措施|纲要|政策"  # what a government sets out to do
_DOC_TITLE = re.compile(_PLAN_WORDS + r"|白皮书|报告|名单|条例|通知|观察|清单|榜单")
_PLAN_TITLE_END = re.compile(r"(?:" + _PLAN_WORDS + r")$")
_BRACKETED = re.compile(r"[(（][^)）]*[)）]")
_SENTENCE_MARKS = re.compile(r"[：:，,！!？?]")


def is_plan_title(title: str) -> bool:
    """Is this the title of a plan or measures document itself ("廊坊市促进人工智能产业发展若干措施",
    "...三年行动计划(2024-2026年)"), not of an article about one ("两天连出“三方案四计划”")? An
    official title is a noun phrase that ends in its genre word, without sentence punctuation."""
    t = _BRACKETED.sub("", title).strip()
    return bool(_PLAN_TITLE_END.search(t)) and not _SENTENCE_MARKS.search(t)
SOURCE = re.compile(
    r"(?:另据|根据|(?<![数证依占])据)(?P<name>[^，,。；;：:]{2,20})(?:统计|报道|显示|数据|介绍|发布|公布)(?=[，,。：:；;]|$)"
)
ANAPHORA = re.compile(r"^.{0,4}(?:按照计划|根据计划|计划明确|具体目标|届时|上述|该计划)")


def doc_titles(n: str) -> list[tuple[int, int]]:
    """Spans of 《...》 titles that name a plan, report or list (not a film or a book)."""
    return [(m.start(), m.end()) for m in TITLE.finditer(n) if _DOC_TITLE.search(m.group())]


def nearest(items: list[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    """The last span starting before ``pos``, else the first one."""
    before = [t for t in items if t[0] < pos]
    return before[-1] if before else (items[0] if items else None)
