"""Chinese answers from sources written in English: a Chinese sentence first, the English quoted.

A Chinese question answered by an English passage (an official English page, a translated
plan) gets the figure that fits the question written the Chinese way (350 billion yuan ->
3500亿元, 20 million yuan -> 2000万元), then the source's own words in quotes; without a
figure, a Chinese sentence that says the source is in English and quotes it. Nothing is
translated beyond the figure and its unit, since no translation model is available.

Enters: the request and the chosen evidence. Leaves: ``is_english``, ``chinese_number`` and
``chinese_answer``.
"""

from __future__ import annotations

from rag.generators.english import clause_before
from rag.generators.figure_fit import figure_fit
from rag.text.figures import extract
from rag.text.lexicon import bound, direction_chinese, magnitudes, unit_after
from rag.text.textnorm import cjk_share, to_script
from rag.types import Evidence, GenerationRequest

_FIGURE = "来源（英文）给出的是{figure}[{n}]。原文：「{quote}」[{n}]"
_QUOTE = "来源为英文，原文：「{quote}」[{n}]"


def is_english(text: str) -> bool:
    """Mostly Latin script: fewer Chinese characters than a tenth of the text."""
    return bool(text) and cjk_share(text) < 0.1


def chinese_number(value: float) -> str:
    """A number as Chinese writes it: 3500亿, 2000万, 1500, 2.5万亿 (the largest magnitude that leaves
    at least 1, without long decimals)."""
    for word, mult in magnitudes(chinese=True).items():
        if mult < 1e4:  # 千 is not written after digits (1500, not 1.5千)
            continue
        q = value / mult
        if q >= 1 and abs(round(q, 2) - q) < 1e-9 * max(1.0, q):
            return f"{q:g}{word}" if q < 1e6 else f"{q:.0f}{word}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _figure(request: GenerationRequest, ev: Evidence) -> str:
    """The figure that answers the question, in Chinese with its bound and unit; "" for none."""
    if not request.quantity:
        return ""
    best: tuple[int, str] | None = None
    for fig in extract(ev.text):
        if fig.kind in ("year", "date"):
            continue
        unit = "" if fig.kind == "percent" else (fig.unit or unit_after(ev.text[fig.end :]))
        fit = figure_fit(ev, fig, request)
        if not unit and request.count and fig.kind != "percent":
            unit = request.unit  # 多少家: the count in the measure word asked in
        written = fig.surface.replace(" ", "") if fig.kind == "percent" else chinese_number(fig.value) + unit
        bounded = direction_chinese(bound(clause_before(ev.text, fig.start))) + written
        if fit > 0 and (best is None or fit > best[0]):
            best = (fit, bounded)
    return best[1] if best else ""


def chinese_answer(request: GenerationRequest, n: int, ev: Evidence, *, first: bool = True) -> str:
    """The Chinese sentence for an English source, in the asker's script (``first``: the answer's
    lead; later sources are quoted without repeating the frame)."""
    figure = _figure(request, ev) if first else ""
    if figure:
        frame = _FIGURE.format(figure=figure, n=n, quote="\x00")
    elif first:
        frame = _QUOTE.format(quote="\x00", n=n)
    else:
        frame = "「\x00」[" + str(n) + "]"
    # the frame in the asker's script; the English quote as it stands
    return to_script(frame, request.language).replace("\x00", ev.text)
