"""The extractive answer: no LLM, the best evidence sentences themselves.

Chinese questions get the sentences converted to the asker's script. English questions get a
lead sentence built from the figures the sentences state ("The sources give: more than 3000
(家) by 2026 [1]"), with the Chinese label of each figure in quotes, since no translation
model is available; the full quotes sit beside the answer as citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.text.figures import Figure, extract
from rag.text.lexicon import ABOUT, AT_LEAST, AT_MOST, bound, nearest_bound
from rag.text.textnorm import normalize, to_script
from rag.types import Evidence, GenerationRequest

_BEFORE = [
    ("不少于", "at least"), ("不少於", "at least"), ("不低于", "at least"), ("不低於", "at least"),
    ("力争", "a goal of"), ("力爭", "a goal of"), ("超过", "more than"), ("超過", "more than"),
    ("突破", "over"), ("超", "more than"), ("逾", "over"), ("近", "nearly"), ("约", "about"), ("約", "about"),
    ("达到", ""), ("達到", ""), ("达", ""), ("達", ""), ("增长", "growth of"),  # 达3600亿元: the value itself
    ("增長", "growth of"), ("提升", "an increase of"), ("过", "over"), ("過", "over"),
]
_AFTER = [("以上", "or more"), ("余", "over"), ("餘", "over"), ("多", "over")]
_LABEL = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,14}$")
_YEAR_BY = re.compile(r"(到|至|截至|截止|力争|力爭)\s*(\d{4})\s*年(底|末)?")


def _qualifier(text: str, fig: Figure) -> tuple[str, str]:
    before = text[max(0, fig.start - 3) : fig.start]
    after = text[fig.end : fig.end + 2]
    pre = next((en for zh, en in _BEFORE if before.endswith(zh)), "")
    post = next((en for zh, en in _AFTER if after.startswith(zh)), "")
    if post == "over" and not pre:  # 20余家: "over 20", not "20 over"
        return post, ""
    return pre, post


def _label(text: str, fig: Figure) -> str:
    head = re.split(r"[，,。；;：:、（）()「」“”《》\s]", text[: fig.start])[-1]
    for zh, _ in _BEFORE:
        if head.endswith(zh):
            head = head[: -len(zh)]
            break
    m = _LABEL.search(head)
    return m.group() if m else ""


def _year_phrase(text: str) -> str:
    m = _YEAR_BY.search(normalize(text))
    if not m:
        return ""
    if m.group(3):
        return "at the end of " + m.group(2)
    return ("as of " if m.group(1) in ("截至", "截止") else "by ") + m.group(2)


_CURRENCY = {"元": "yuan", "美元": "US dollars", "港元": "HK dollars", "人民币": "yuan"}
_COUNTERS = {"台": "units", "辆": "vehicles", "輛": "vehicles", "吨": "tonnes", "噸": "tonnes", "亩": "mu", "畝": "mu",
             "户": "households", "戶": "households", "公里": "km", "平方公里": "km²", "平方千米": "km²", "倍": "times"}


def english_number(fig: Figure) -> str:
    """3000家 -> "3,000"; 8000億元 -> "800 billion yuan"; 1.5億台 -> "150 million units"."""
    if fig.kind == "percent":
        return f"{fig.value:g}%"
    v = fig.value
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if v >= size:
            text = f"{v / size:,.6g} {word}"
            break
    else:
        text = f"{v:,.6g}" if not float(v).is_integer() else f"{int(v):,}"
    unit = fig.unit
    for zh, en in {**_CURRENCY, **_COUNTERS}.items():
        if unit.endswith(zh):
            return f"{text} {en}"
    return text


def _clean_label(label: str) -> str:
    return re.sub(r"^(年|月|日|底|全市|全县|全省|深圳|深圳市)+", "", label)


def english_lead(evidence: list[tuple[int, Evidence]], max_figures: int = 10) -> str:
    """A sentence of figures with qualifiers, labels and citation markers."""
    from rag.text.glossary import load_glossary

    gloss = load_glossary()
    parts: list[str] = []
    seen: set[tuple[str, float]] = set()
    for n, ev in evidence:
        text = ev.text
        year = _year_phrase(text)
        for fig in extract(text):
            if fig.kind in ("year", "date") or len(parts) >= max_figures:
                continue
            pre, post = _qualifier(text, fig)
            label = _clean_label(_label(text, fig))
            english = gloss.to_english(label) if label else None
            name = english or (f"「{label}」" if label else "")
            if (name, fig.value) in seen:
                continue
            seen.add((name, fig.value))
            phrase = " ".join(x for x in (name + ":" if name else "", pre, english_number(fig), post) if x)
            parts.append(f"{phrase}{' ' + year if year else ''} [{n}]")
    if not parts:
        n, ev = evidence[0]
        return f"The closest source passage says: 「{ev.text}」 [{n}]"
    return "The sources give: " + "; ".join(parts) + "."


_NUMERIC_Q = re.compile(
    r"\bhow (many|much|large|big|fast|far|high|long)\b|\bwhat (share|percentage|proportion|rate|number|amount|"
    r"value|size|scale|targets?|goals?|figures?)\b|\b(percent|percentage|growth|rate|targets?|goals?|figures?|"
    r"valuation|revenue|output|scale|size|cap|ceiling|maximum|most|limit|share|subsid\w*|budget|fund)\b|%",
    re.I,
)


# 按不超过合同金额的 -> 合同金额: the base a rate is taken of, without its bound and particles
_PER_BASE = re.compile(r"^(?:按照|按)(?:不超过|不超過|不高于|最高)?|的$")
_LIST_Q = re.compile(r"\b(targets|goals|figures|numbers)\b", re.I)
_DIRECTION_EN = {AT_MOST: "up to", AT_LEAST: "more than", ABOUT: "about"}
_CLAUSE_END = re.compile(r"[，,。；;：:！？!?]")


def _clause_before(text: str, start: int) -> str:
    cut = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    return text[cut:start]


def _figure_phrase(ev: Evidence, fig: Figure) -> str:
    """"more than 3,000 for artificial intelligence company number by 2026": bound, number, what, year."""
    from rag.text.glossary import load_glossary

    before = _clause_before(ev.text, fig.start)
    # only the words since the figure before it: in 8000亿元以上、力争1万亿元, 以上 bounds 8000亿元
    prior = max((f.end for f in extract(ev.text) if f.end <= fig.start), default=0)
    if prior > fig.start - len(before):
        before = ev.text[prior:fig.start].lstrip("以上余餘多")
    direction = _DIRECTION_EN.get(bound(before[-4:], ev.text[fig.end : fig.end + 2]) or nearest_bound(before), "")
    pre, post = _qualifier(ev.text, fig)
    raw_label = _label(ev.text, fig) or ""
    label = _PER_BASE.sub("", _clean_label(raw_label))
    name = (load_glossary().to_english(label) if label else None) or (f"「{label}」" if label else "")
    if name and fig.kind == "percent" and _PER_BASE.match(raw_label):
        name = f"the share of {name}"  # 按合同金额的50%: 50% of the contract amount
    year = _year_phrase(ev.text)
    figure = " ".join(x for x in (direction or pre, english_number(fig), post if not direction else "") if x)
    return figure + (f" for {name}" if name else "") + (f" {year}" if year else "")


def _figure_fit(ev: Evidence, fig: Figure, request: GenerationRequest) -> int:
    """How well a figure answers the question: the question's words and the asked measure around
    it; a "how many" question is not answered by a percentage or an amount of money."""
    before = normalize(_clause_before(ev.text, fig.start))
    clause = before + normalize(ev.text[fig.start : fig.end + 12])
    fit = sum(1 for t in request.terms if not t.isdigit() and t in clause) * 10 + _measure_fit(before, request)
    if request.count and (fig.kind == "percent" or any(fig.unit.endswith(c) for c in _CURRENCY)):
        fit -= 15
    return fit


def _measure_fit(before: str, request: GenerationRequest) -> int:
    return sum(10 for group in request.measure if any(f in before for f in group))


def _best_figure(ev: Evidence, request: GenerationRequest) -> tuple[int, Figure] | None:
    best: tuple[int, Figure] | None = None
    for fig in extract(ev.text):
        if fig.kind in ("year", "date"):
            continue
        fit = _figure_fit(ev, fig, request)
        if best is None or fit > best[0]:
            best = (fit, fig)
    return best


def english_sentence(request: GenerationRequest, chosen: list[tuple[int, Evidence]]) -> str:
    """One English sentence with the figure that best fits the question, its bound, what it
    measures and its year, then the source sentence in quotes; a different figure from another
    source follows as its own sentence, so a disagreement is shown, not hidden."""
    scored = [(b[0] - order, n, ev, b[1]) for order, (n, ev) in enumerate(chosen)
              if (b := _best_figure(ev, request)) is not None]
    if not scored:
        n, ev = chosen[0]
        return f"The source, in Chinese, says: 「{ev.text}」 [{n}]."
    scored.sort(key=lambda t: -t[0])
    _, n, ev, fig = scored[0]
    out = f"The source gives {_figure_phrase(ev, fig)} [{n}]. It says: 「{ev.text}」 [{n}]."
    shown = {fig.value}
    for fit, m, other, ofig in scored[1:3]:
        if m != n and ofig.kind == fig.kind and ofig.value not in shown and (
                fit >= scored[0][0] - 10 or disagrees(request, (n, ev), (m, other))):
            shown.add(ofig.value)
            out += f" Another source gives {_figure_phrase(other, ofig)} [{m}]: 「{other.text}」 [{m}]."
    return out


def disagrees(request: GenerationRequest, first: tuple[int, Evidence], other: tuple[int, Evidence]) -> bool:
    """Does ``other``, from another document, give the quantity ``first`` answers with a
    different value (same kind and unit, fitting the question as well)?"""
    if first[1].doc_id == other[1].doc_id or other[1].off_topic:
        return False
    a, b = _best_figure(first[1], request), _best_figure(other[1], request)
    if a is None or b is None or a[0] <= 0:
        return False
    from rag.answer.evidence import years_named
    from rag.text.places import named_places

    def measured(ev: Evidence, fig: Figure) -> int:
        return _measure_fit(normalize(_clause_before(ev.text, fig.start)), request)

    (fit_a, fig_a), (fit_b, fig_b) = a, b
    first_years = years_named(first[1].text)
    return (fig_b.kind == fig_a.kind and fig_b.unit == fig_a.unit and not fig_b.matches(fig_a)
            and fit_b >= fit_a - 10 and measured(other[1], fig_b) >= measured(first[1], fig_a)
            # the same subject: the same places; the same time, unless the first gives none
            and named_places(other[1].text) == named_places(first[1].text)
            and (not first_years or years_named(other[1].text) == first_years)
            and not any(f.matches(fig_a) for f in extract(other[1].text)))


def asks_for_number(question: str) -> bool:
    """Does an English question ask for a quantity (so a list of figures answers it)?"""
    return bool(_NUMERIC_Q.search(question))


def english_quote(item: tuple[int, Evidence]) -> str:
    """For who/which/where/when questions: the sentence itself, with English names beside."""
    from rag.text.glossary import load_glossary

    n, ev = item
    names = load_glossary().english_names(ev.text)
    glossed = "; ".join(f"{zh} = {en}" for zh, en in names[:6])
    return f"The source says: 「{ev.text}」 [{n}]" + (f" ({glossed})" if glossed else "")


_WHICH_DOC = re.compile(
    r"\b(which|what)\b[^?]*\b(plan|document|policy|report|programme|program|white paper)\b|"
    r"哪份|哪一份|哪个|哪個|哪项|哪項|出自|什么文件|甚麼文件|什麼文件|哪部",
    re.I,
)
_TITLE = re.compile(r"《[^》]{4,80}》")
_NAMES_A_DOCUMENT = re.compile(
    r"\b(which|what)\b[^?]*\b(plan|document|policy|report|programme|program|white paper)\b|"
    r"哪份|哪一份|出自|(什么|甚麼|什麼)文件|哪[个個项項部](计划|計劃|文件|政策|方案|规划|規劃)",
    re.I,
)


def asks_which_document(question: str) -> bool:
    """"Which plan sets…?", "出自哪份文件？": the answer is a document's title."""
    return bool(_NAMES_A_DOCUMENT.search(question))


def named_document(request: GenerationRequest, n: int) -> str:
    """The 《title》 a sentence belongs to: in it, or earlier in its paragraph ("计划明确:..." after
    "《深圳市...行动计划》提出...")."""
    ev = request.evidence[n - 1]
    context = request.contexts[n - 1] if n - 1 < len(request.contexts) else ""
    own = _TITLE.findall(ev.text)
    if own:
        return own[0]
    around = _TITLE.findall(context)
    # a title from outside the cited sentence loses its dates: every figure shown must be in a quote
    return re.sub(r"[(（][^)）]*\d[^)）]*[)）]", "", around[-1]) if around else ""


def disagreement(request: GenerationRequest) -> tuple[int, Evidence] | None:
    """The source that gives the quantity of the best sentence otherwise, when no other document
    gives that sentence's figure: shown beside it, however much lower it scores."""
    items = list(enumerate(request.evidence, 1))
    if not items or _corroborated(request, items[0][1]):
        return None
    return next((item for item in items[1:] if disagrees(request, items[0], item)), None)


def disagreement_note(request: GenerationRequest, item: tuple[int, Evidence]) -> str:
    """The other source as a sentence of its own, after an answer that does not cite it."""
    n, ev = item
    if request.language == "en":
        best = _best_figure(ev, request)
        figure = f" {_figure_phrase(ev, best[1])}" if best else ""
        return f" Another source gives{figure} [{n}]: 「{ev.text}」 [{n}]."
    return DIFFERS_ZH[request.language] + to_script(ev.text, request.language) + f"[{n}]"


def _corroborated(request: GenerationRequest, first: Evidence) -> bool:
    """Does another document among the evidence give the figure ``first`` answers with?"""
    best = _best_figure(first, request)
    return best is not None and any(
        ev.doc_id != first.doc_id and any(f.matches(best[1]) for f in extract(ev.text)) for ev in request.evidence)


DIFFERS_ZH = {"zh-Hans": "另一来源的数字不同：", "zh-Hant": "另一來源的數字不同："}


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
        plan = named_document(request, chosen[0][0]) if _WHICH_DOC.search(request.question) else ""
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
            yield to_script(ev.text, request.language) + f"[{n}]"
