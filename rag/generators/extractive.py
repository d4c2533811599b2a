"""The extractive answer: no LLM, the best evidence sentences themselves.

Chinese questions get the sentences converted to the asker's script. English questions get a
lead sentence built from the figures the sentences state ("The sources give: more than 3000
(家) by 2026 [1]"), with the Chinese label of each figure in quotes, since no translation
model is available; the full quotes sit beside the answer as citations.

Enters: a ``GenerationRequest``. Leaves: the answer's text pieces. The English wording is in
``rag.generators.english``, the choice of figure and of a disagreeing source in
``rag.generators.figure_fit``, document titles in ``rag.generators.documents``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.generators.chinese import chinese_answer, is_english
from rag.generators.documents import asks_which_document as asks_which_document
from rag.generators.documents import named_document
from rag.generators.english import another_source, english_lead, english_quote, figure_phrase
from rag.generators.english import english_number as english_number
from rag.generators.figure_fit import best_figure, disagrees
from rag.generators.figure_fit import disagreement as disagreement
from rag.text.figures import extract
from rag.text.textnorm import normalize, to_script
from rag.types import Evidence, GenerationRequest

# asks_which_document, disagreement and english_number are imported from here by rag.chains and rag.answer
_NUMERIC_Q = re.compile(
    r"\bhow (many|much|large|big|fast|far|high|long)\b|\bwhat (share|percentage|proportion|rate|number|amount|"
    r"value|size|scale|targets?|goals?|figures?)\b|\b(percent|percentage|growth|rate|targets?|goals?|figures?|"
    r"valuation|revenue|output|scale|size|capacity|volume|cap|ceiling|maximum|most|limit|share|subsid\w*|budget|fund)\b|%",
    re.I,
)
_LIST_Q = re.compile(r"\b(targets|goals|figures|numbers)\b", re.I)
DIFFERS_ZH = {"zh-Hans": "另一来源的数字不同：", "zh-Hant": "另一來源的數字不同："}


def english_sentence(request: GenerationRequest, chosen: list[tuple[int, Evidence]]) -> str:
    """One English sentence with the figure that best fits the question, its bound, what it
    measures and its year, then the source sentence in quotes; a different figure from another
    source follows as its own sentence, so a disagreement is shown, not hidden."""
    scored = [(b[0] - order, n, ev, b[1]) for order, (n, ev) in enumerate(chosen)
              if (b := best_figure(ev, request)) is not None]
    if not scored:
        return english_quote(chosen[0])
    scored.sort(key=lambda t: -t[0])
    _, n, ev, fig = scored[0]
    out = f"The source gives {figure_phrase(ev, fig)} [{n}]. It says: 「{ev.text}」 [{n}]."
    shown = {fig.value}
    for fit, m, other, ofig in scored[1:3]:
        if m != n and ofig.kind == fig.kind and ofig.value not in shown and (
                fit >= scored[0][0] - 10 or disagrees(request, (n, ev), (m, other))):
            shown.add(ofig.value)
            out += another_source(m, other, figure_phrase(other, ofig), same=other.doc_id == ev.doc_id)
    return out


def disagreement_note(request: GenerationRequest, item: tuple[int, Evidence]) -> str:
    """The other source as a sentence of its own, after an answer that does not cite it."""
    n, ev = item
    if request.language == "en":
        best = best_figure(ev, request)
        return another_source(n, ev, figure_phrase(ev, best[1]) if best else "")
    return DIFFERS_ZH[request.language] + to_script(ev.text, request.language) + f"[{n}]"


_ASKS_WHO = re.compile(r"^\W*(?:and\s+)?(?:who|whom|whose|which)\b(?![^?]*\bhow (?:many|much)\b)", re.I)


def asks_for_number(question: str) -> bool:
    """Does an English question ask for a quantity (so a list of figures answers it)? "Which fund
    manager..." asks for a name, whatever words follow, unless it quotes a figure to confirm."""
    return bool(_NUMERIC_Q.search(question)) and not (_ASKS_WHO.search(question) and not re.search(r"\d", question))


class ExtractiveGenerator:
    """Answers with the evidence itself; never invents text beyond labels and qualifiers."""

    name = "extractive"

    def __init__(self, max_sentences: int = 3, margin: float = 0.15) -> None:
        self.max_sentences = max_sentences
        self.margin = margin

    def choose(self, request: GenerationRequest) -> list[tuple[int, Evidence]]:
        """The top sentence, plus close runners-up from other sources or with other figures.

        Keeping a runner-up from another document is what surfaces conflicting figures
        (1,920 in the 2023 white paper, over 2,800 at end of 2024) instead of one of them.
        """
        items = list(enumerate(request.evidence, 1))
        if not items:
            return []
        best = items[0][1].score
        chosen = [items[0]]
        values = {f.value for f in extract(items[0][1].text) if f.kind != "year"}
        for n, ev in items[1:]:
            if len(chosen) >= self.max_sentences or ev.score < best - self.margin:
                continue
            if any(normalize(ev.text) == normalize(c.text) for _, c in chosen):
                continue
            new = {f.value for f in extract(ev.text) if f.kind != "year"}
            if values and not new - values:
                continue  # the same figures again, from another report: adds nothing to read
            values |= new
            chosen.append((n, ev))
        if len({ev.doc_id for _, ev in chosen}) == 1:
            other = disagreement(request)
            if other is not None and other not in chosen:
                chosen.append(other)
        return chosen

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        chosen = self.choose(request)
        if not chosen:
            return
        plan = named_document(request, chosen[0][0]) if asks_which_document(request.question) else ""
        if plan:
            yield (f"{plan} [{chosen[0][0]}]: " if request.language == "en" else f"{to_script(plan, request.language)}：")
        if request.language == "en":
            if not asks_for_number(request.question):
                yield english_quote(chosen[0])
            elif _LIST_Q.search(request.question):
                yield english_lead(chosen)  # "what targets...": every figure, each with its citation
            else:
                yield english_sentence(request, chosen)
            return
        for i, (n, ev) in enumerate(chosen):
            if i and disagrees(request, chosen[0], (n, ev)):
                yield DIFFERS_ZH[request.language]
            if is_english(ev.text):  # a Chinese sentence first, the English source quoted
                yield chinese_answer(request, n, ev, first=not any(is_english(c.text) for _, c in chosen[:i]))
            else:
                yield to_script(ev.text, request.language) + f"[{n}]"
