"""The answer to "what are the targets?" read off the index's targets table.

In: a prepared turn (query, language, focus) and the index with its targets table. Out: an
``Answer`` with one clause and one citation per target row of the place and year asked
about, or None when the question asks for one figure, the table has no such rows (or too
many) or the clauses do not verify; the chain then answers from passages.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answer.deadline import ms_since
from rag.answer.evidence import Focus
from rag.answer.turn import Turn
from rag.answer.verify import verify
from rag.errors import PolicyQAError
from rag.text import lexicon
from rag.text.places import about_other_place, named_places
from rag.text.textnorm import to_script
from rag.types import Answer, Citation

if TYPE_CHECKING:
    from rag.index import HybridIndex
    from rag.targets.table import TargetRow

# "What are Shenzhen's targets for 2027?", "深圳2027年的目標有哪些？": asks for the list
_LIST_TARGETS = re.compile(
    r"\b(what|which|list)\b[^?]*\b(targets|goals)\b|\b(targets|goals) (for|of|in)\b|"
    r"(目标|目標|指标|指標)(有|是)?(哪些|什么|甚麼|什麼)|(哪些|什么|甚麼|什麼)(目标|目標|指标|指標)",
    re.I,
)



def from_table(turn: Turn, index: HybridIndex) -> Answer | None:
    """ "What are Shenzhen's targets for 2027?": one line and one citation per table row."""
    from rag.targets.table import answer_from_table

    if not _LIST_TARGETS.search(turn.query):
        return None  # a question about one figure is better answered by its own sentence
    try:
        rows = answer_from_table(turn.query, index.targets)
    except PolicyQAError:
        return None  # an index built without a table still answers from passages
    # "Hangzhou's targets" are not Shenzhen's; "2027年呢？" asks for 2027, not the year before
    focus = turn.focus or Focus.of(turn.query, turn.language, turn.latest)
    rows = [r for r in rows or () if not about_other_place(set(focus.places), named_places(r.scope))
            and (not focus.years or r.year in focus.years)]
    if not rows or len(rows) > 15:
        return None
    citations, parts = [], []
    for n, row in enumerate(rows, 1):
        doc = index.docs[row.doc_id]
        citations.append(Citation(
            n=n, doc_id=row.doc_id, title=doc.meta.title, publisher=doc.meta.publisher,
            published=doc.meta.published, chunk_id="", start=row.start, end=row.end, quote=row.quote,
        ))
        parts.append(table_line(row, turn.language, n))
    sep = "; " if turn.language == "en" else "；"
    lead = {"en": "From the targets table: ", "zh-Hans": "目标一览：", "zh-Hant": "目標一覽："}[turn.language]
    text = lead + sep.join(parts) + ("." if turn.language == "en" else "。")
    if turn.language != "en":
        text = to_script(text, turn.language)
    check = verify(text, citations, turn.query)
    if not check.ok:
        return None
    return Answer(
        question=turn.question, text=text, citations=tuple(citations), abstained=False, language=turn.language,
        generator="targets-table", verification=check, hits=turn.hits,
        timings={**turn.timings, "total_ms": ms_since(turn.started)}, support=turn.support,
    )


def table_line(row: TargetRow, language: str, n: int) -> str:
    """One target row as a clause: metric, qualifier, value, year, plan and its marker."""
    from rag.generators.english import english_number
    from rag.text.figures import Figure

    plan = row.plan.strip("《》") if row.plan else ""
    if language == "en":
        fig = Figure(row.value_text, row.value, "percent" if row.unit == "%" else "number", row.unit)
        qual = lexicon.english_qualifier(row.qualifier)
        figure = f"{qual + ' ' if qual else ''}{english_number(fig)} by {row.year}"
        if row.metric_en:
            return f"{row.metric_en}: {figure}" + (f" (《{plan}》)" if plan else "") + f" [{n}]"
        # no English for the metric: the figure first, the source's own words for it in brackets
        return f"{figure} ({row.metric}" + (f", 《{plan}》" if plan else "") + f") [{n}]"
    src = f"（《{plan}》）" if plan else ""
    qual = "" if row.qualifier in row.value_text else row.qualifier
    before, after = ("", qual) if qual in lexicon.qualifier_words("answer", "after") else (qual, "")
    return f"{row.year}年{row.metric}{before}{row.value_text}{after}{src}[{n}]"
