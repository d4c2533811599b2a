"""Which figure of a sentence answers the question, and whether another source gives it otherwise.

Enters: a ``GenerationRequest`` (its terms, the measure asked for, whether it counts things) and its
evidence. Leaves: the best-fitting figure of a sentence with its score, and the evidence of another
document that gives the same quantity a different value (a disagreement to show, not hide).
"""

from __future__ import annotations

import re
from functools import cache

from rag.generators.english import clause_before
from rag.text.figures import Figure, extract
from rag.text.lexicon import bound, is_currency, nearest_bound, support_role, unit_after, unit_words
from rag.text.textnorm import normalize
from rag.types import Evidence, GenerationRequest


def _measure_fit(text: str, request: GenerationRequest, unit: str) -> int:
    """10 for each measure asked that ``text`` names; an amount of money (资金, answered in 元) is met
    by the figure's own unit, not by a yuan figure before it (20 million yuan ($2.83 million))."""
    return sum(10 for group in request.measure
               if (is_currency(unit) if any(is_currency(f) for f in group) else any(f in text for f in group)))


def _share_fit(before: str, request: GenerationRequest) -> int:
    """-15 for a scheme's total (每年总额不超过1000万元) when the question asks what one recipient gets
    (one applicant, 单个企业), and for one recipient's sum when it asks for the total; +10
    for a sum the words before it give to each recipient (每家…最高500万元) when that is asked."""
    asked = support_role(normalize(request.question).lower())
    said = support_role(before.lower())
    if "recipient" in asked and "budget" not in asked and "budget" in said and "recipient" not in said:
        return -15
    if "budget" in asked and "recipient" not in asked and "recipient" in said and "budget" not in said:
        return -15
    return 10 if "recipient" in asked and "recipient" in said else 0


def figure_fit(ev: Evidence, fig: Figure, request: GenerationRequest) -> int:
    """How well a figure answers the question: the question's words and the asked measure around
    it; a "how many" question is not answered by a percentage or an amount of money."""
    before = normalize(clause_before(ev.text, fig.start))
    # (an English source's unit follows the number as a word: 350 billion yuan)
    unit = fig.unit or unit_after(ev.text[fig.end :])
    measured = _measure_fit(before, request, unit)
    # the words after a figure up to its clause's end name it (8000万元模型券); the next clause is another's
    rest = re.split(r"[，,。；;：:、]", ev.text[fig.end :])[0]
    if request.count:  # what is counted follows the number: 3000家企业, 5 industrial parks
        after = normalize(rest[:40]).lower()
        measured = max(measured, _measure_fit(after, request, unit))
    else:
        after = normalize(rest[:12])
    clause = before + normalize(ev.text[fig.start : fig.end]) + after
    fit = sum(1 for t in request.terms if not t.isdigit() and t in clause) * 10 + measured + _share_fit(before, request)
    if _ASKS_SIZE.search(request.question) and not request.count:
        # a size asked for ("how big is the sector"): its 规模, not the count of its firms beside it
        fit += 10 if any(w in before.lower() for w in _SIZE_WORDS) else -15 if fig.unit in unit_words("count") else 0
    if fig.kind == "percent" and _ASKS_AMOUNT.search(request.question) and not _ASKS_SHARE.search(request.question):
        fit -= 10  # a cap on a grant asked for: the sum (每年最高200万元), not the rate beside it
    if request.count and (fig.kind == "percent" or is_currency(unit)):
        fit -= 15
    if any(fig.matches(q) for q in _asked_figures(request.question)):
        fit -= 50  # "robots with more than 50 joints": the question's condition, not its answer
    return fit


_ASKS_SIZE = re.compile(r"\bhow (?:large|big)\b|多大|規模|规模", re.I)
_SIZE_WORDS = ("规模", "scale", "size")
_ASKS_AMOUNT = re.compile(r"\bhow much\b|\bcaps?\b|ceiling|maximum|上限|封顶|多少钱|多少万|金额|资金|資金", re.I)
_ASKS_SHARE = re.compile(r"比例|比重|占比|百分之|几成|幾成|per ?cent|percentage|\bshare\b|proportion|\brate\b|%", re.I)
_CONFIRMS = re.compile(r"^\W*(?:is|are|was|were|does|do|did|has|have|will|can|could)\b|是否|是不是|吗[？?]?\s*$", re.I)


@cache
def _asked_figures(question: str) -> tuple[Figure, ...]:
    """The bounded figures a question states as a condition (not years), except where it quotes the
    figure to ask which document sets it or to have it confirmed ("Does the city aim for over
    500 firms?", "是否…500家以上")."""
    from rag.generators.documents import asks_which_document

    if asks_which_document(question) or _CONFIRMS.search(question):
        return ()
    norm = normalize(question).lower()
    # a bounded figure ("with more than 50 joints", 超过百台设备) is a condition
    return tuple(f for f in extract(question) if f.kind not in ("year", "date")
                 and (nearest_bound(clause_before(norm, f.start)) or bound("", norm[f.end : f.end + 3])))


def best_figure(ev: Evidence, request: GenerationRequest) -> tuple[int, Figure] | None:
    """The figure of ``ev`` (not a year or date) that fits the question best, with its fit."""
    best: tuple[int, Figure] | None = None
    for fig in extract(ev.text):
        if fig.kind in ("year", "date"):
            continue
        fit = figure_fit(ev, fig, request)
        if best is None or fit > best[0]:
            best = (fit, fig)
    return best


def disagrees(request: GenerationRequest, first: tuple[int, Evidence], other: tuple[int, Evidence]) -> bool:
    """Does ``other``, from another document, give the quantity ``first`` answers with a
    different value (same kind and unit, fitting the question as well)?"""
    if first[1].doc_id == other[1].doc_id or other[1].off_topic:
        return False
    a, b = best_figure(first[1], request), best_figure(other[1], request)
    if a is None or b is None or a[0] <= 0:
        return False
    from rag.answer.evidence import years_named
    from rag.text.places import named_places

    def measured(ev: Evidence, fig: Figure) -> int:
        return _measure_fit(normalize(clause_before(ev.text, fig.start)), request, fig.unit or unit_after(ev.text[fig.end :]))

    (fit_a, fig_a), (fit_b, fig_b) = a, b
    first_years = years_named(first[1].text)
    return (fig_b.kind == fig_a.kind and fig_b.unit == fig_a.unit and not _same_rounded(fig_a, fig_b)
            and fit_b >= fit_a - 10 and measured(other[1], fig_b) >= measured(first[1], fig_a)
            # the same subject: the same places; the same time, unless the first gives none
            and named_places(other[1].text) == named_places(first[1].text)
            and (not first_years or years_named(other[1].text) == first_years)
            and not any(f.matches(fig_a) for f in extract(other[1].text)))


def _same_rounded(a: Figure, b: Figure) -> bool:
    """The same figure, one of them rounded (2236.61亿元 and 2236.6亿元): within 0.1% of each other."""
    return a.matches(b) or abs(a.value - b.value) <= 1e-3 * max(abs(a.value), abs(b.value))


def _corroborated(request: GenerationRequest, first: Evidence) -> bool:
    """Does another document among the evidence give the figure ``first`` answers with?"""
    best = best_figure(first, request)
    return best is not None and any(
        ev.doc_id != first.doc_id and any(f.matches(best[1]) for f in extract(ev.text)) for ev in request.evidence)


def disagreement(request: GenerationRequest) -> tuple[int, Evidence] | None:
    """The source that gives the quantity of the best sentence otherwise, when no other document
    gives that sentence's figure: shown beside it, however much lower it scores."""
    items = list(enumerate(request.evidence, 1))
    if not items or _corroborated(request, items[0][1]):
        return None
    return next((item for item in items[1:] if disagrees(request, items[0], item)), None)
