"""English wording of the figures in a Chinese sentence, for answers given without a translation model.

Enters: an evidence sentence and a figure in it (``rag.text.figures``). Leaves: English phrases such
as "more than 3,000 for artificial intelligence company by 2026" or "800 billion yuan": the number
with its magnitude and unit, the qualifier or bound around it, the glossary's English for what it
measures (else the Chinese label in 「」) and the year it is for. The words come from the lexicon.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.text.figures import Figure, extract, normalize_keep_length
from rag.text.lexicon import (
    alternation,
    answer_english,
    bound,
    direction_english,
    magnitudes,
    nearest_bound,
    qualifier_words,
    unit_after,
    unit_english,
)
from rag.text.textnorm import normalize
from rag.types import Evidence

_LABEL = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,14}$")
_YEAR_BY = re.compile(r"(到|至|截至|截止|力争|力爭)\s*(\d{4})\s*年(底|末)?")
# 按不超过合同金额的 -> 合同金额: the base a rate is taken of, without its bound and particles
_PER_BASE = re.compile(rf"^(?:按照|按)(?:{alternation(qualifier_words('base'))})?|的$")
_CLAUSE_END = re.compile(r"[，,。；;：:！？!?]")


def qualifier(text: str, fig: Figure) -> tuple[str, str]:
    """The English of the qualifier words just before and just after a figure (超3000家 -> more than)."""
    before = normalize_keep_length(text[max(0, fig.start - 4) : fig.start])
    after = normalize_keep_length(text[fig.end : fig.end + 2])
    # the longest qualifier word decides: 不超过 is not the 超过 it ends with
    word = next((w for w in qualifier_words("", "before") if before.endswith(w)), "")
    pre = answer_english(word) if word in qualifier_words("answer", "before") else ""
    post = next((answer_english(w) for w in qualifier_words("answer", "after") if after.startswith(w)), "")
    if post == "over" and not pre:  # 20余家: "over 20", not "20 over"
        return post, ""
    return pre, post


def label(text: str, fig: Figure) -> str:
    """The Chinese words right before a figure, without its qualifier: what it measures."""
    head = re.split(r"[，,。；;：:、（）()「」“”《》\s]", text[: fig.start])[-1]
    for w in qualifier_words("answer", "before"):
        if head.endswith(w):
            head = head[: -len(w)]
            break
    m = _LABEL.search(head)
    return m.group() if m else ""


def clean_label(label: str) -> str:
    return re.sub(r"^(年|月|日|底|全市|全县|全省|深圳|深圳市)+", "", label)


def year_phrase(text: str) -> str:
    """"by 2026", "as of 2024", "at the end of 2024" from the sentence's year words."""
    m = _YEAR_BY.search(normalize(text))
    if not m:
        return ""
    if m.group(3):
        return "at the end of " + m.group(2)
    return ("as of " if m.group(1) in ("截至", "截止") else "by ") + m.group(2)


def english_number(fig: Figure) -> str:
    """3000家 -> "3,000"; 8000億元 -> "800 billion yuan"; 1.5億台 -> "150 million units"."""
    if fig.kind == "percent":
        return f"{fig.value:g}%"
    v = fig.value
    for word, size in magnitudes(chinese=False, use="written").items():
        if v >= size:
            text = f"{v / size:,.6g} {word}"
            break
    else:
        text = f"{v:,.6g}" if not float(v).is_integer() else f"{int(v):,}"
    unit = unit_english(fig.unit)
    return f"{text} {unit}" if unit else text


def clause_before(text: str, start: int) -> str:
    """The words of ``text`` from the last clause break before ``start``."""
    cut = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    return text[cut:start]


def figure_phrase(ev: Evidence, fig: Figure) -> str:
    """"more than 3,000 for artificial intelligence company number by 2026": bound, number, what, year."""
    from rag.text.glossary import load_glossary

    before = clause_before(ev.text, fig.start)
    # only the words since the figure before it: in 8000亿元以上、力争1万亿元, 以上 bounds 8000亿元
    prior = max((f.end for f in extract(ev.text) if f.end <= fig.start), default=0)
    if prior > fig.start - len(before):
        before = ev.text[prior : fig.start].lstrip("".join(qualifier_words("answer", "after")))
    before, after = normalize_keep_length(before), normalize_keep_length(ev.text[fig.end : fig.end + 2])
    direction = direction_english(bound(before[-4:], after) or nearest_bound(before))  # 不超過 as 不超过
    pre, post = qualifier(ev.text, fig)
    if not fig.unit and fig.kind == "number":  # an English source names the unit after the number
        fig = replace(fig, unit=unit_after(ev.text[fig.end :]))
    raw_label = label(ev.text, fig) or ""
    base = _PER_BASE.sub("", clean_label(raw_label))
    # a label the glossary cannot put in English is left out: the quote that follows says what is measured
    name = (load_glossary().to_english(base) if base else None) or ""
    if name and fig.kind == "percent" and _PER_BASE.match(raw_label):
        name = f"the share of {name}"  # 按合同金额的50%: 50% of the contract amount
    year = year_phrase(ev.text)
    figure = " ".join(x for x in (direction or pre, english_number(fig), post if not direction else "") if x)
    return figure + (f" for {name}" if name else "") + (f" {year}" if year else "")


def another_source(n: int, ev: Evidence, phrase: str = "", same: bool = False) -> str:
    """The sentence that shows a second source's figure beside the answer's (or, ``same``, another
    figure of the answer's own document)."""
    lead = "The same document also gives" if same else "Another source gives"
    return f" {lead}{' ' + phrase if phrase else ''} [{n}]: 「{ev.text}」 [{n}]."


def english_lead(evidence: list[tuple[int, Evidence]], max_figures: int = 10) -> str:
    """A sentence of figures with qualifiers, labels and citation markers."""
    from rag.text.glossary import load_glossary

    gloss = load_glossary()
    named: list[str] = []  # figures whose label has an English name
    unnamed: list[str] = []  # the rest, shown only when no figure has one
    seen: set[tuple[str, float]] = set()
    for n, ev in evidence:
        text = ev.text
        year = year_phrase(text)
        for fig in extract(text):
            if fig.kind in ("year", "date") or len(named) >= max_figures:
                continue
            pre, post = qualifier(text, fig)
            what = clean_label(label(text, fig))
            english = gloss.to_english(what) if what else None
            name = english or (f"「{what}」" if what else "")
            if (name, fig.value) in seen:
                continue
            seen.add((name, fig.value))
            phrase = " ".join(x for x in (name + ":" if name else "", pre, english_number(fig), post) if x)
            (named if english else unnamed).append(f"{phrase}{' ' + year if year else ''} [{n}]")
    parts = named or unnamed[:max_figures]
    if not parts:
        n, ev = evidence[0]
        return f"The closest source passage says: 「{ev.text}」 [{n}]."
    return "The sources give: " + "; ".join(parts) + "."


def english_quote(item: tuple[int, Evidence]) -> str:
    """For who/which/where/when questions: an English sentence naming the people, organisations and
    places the source names (in English, the original beside), then the sentence itself."""
    from rag.generators.chinese import is_english
    from rag.text.glossary import load_glossary

    n, ev = item
    if is_english(ev.text):
        return f"The source says: 「{ev.text}」 [{n}]."
    names = [f"{en} ({zh})" for zh, en in load_glossary().english_names(ev.text)[:6]]
    if not names:
        return f"The source, in Chinese, says: 「{ev.text}」 [{n}]."
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"The source, in Chinese, names {listed} [{n}]. It says: 「{ev.text}」 [{n}]."
