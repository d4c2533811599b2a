"""Rules for the targets table: a document's sentences turned into rows, one per figure.

Everything here works on the *matching form* of a sentence (``normalize_keep_length``: Simplified,
half-width, same length as the original), so an index found here is also an index into the original
sentence and ``value_text`` can be cut from the quote verbatim. No model is involved: the corpus is
small and investors need every row to be explainable by a rule.

Enters: a ``Document``. Leaves: row fields (``DocReader.rows``). The rules live beside it: which numbers
are figures (``numbers``), what they measure (``metric``), their year and kind (``years``), their
place (``scopes``) and their plan or source (``titles``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from rag.ingest.chunking import split_sentences
from rag.ingest.lines import caption_spans
from rag.targets.metric import GROWTH, KIND_ENGLISH, KIND_WORDS, clause, group_metric, metric_span, support_label
from rag.targets.numbers import Fig, find_figures
from rag.targets.scopes import nation_label, place_refs
from rag.targets.titles import ANAPHORA, SOURCE, doc_titles, is_plan_title, nearest
from rag.targets.years import TITLE_YEAR, YearRef, document_year, infer_kind, year_refs
from rag.text import lexicon
from rag.text.figures import normalize_keep_length
from rag.text.lexicon import AT_MOST, bound, is_currency, nearest_bound, support_role, unit_words
from rag.text.textnorm import to_script
from rag.types import Document


class DocReader:
    """Walks one document's paragraphs and sentences and turns its figures into row fields.

    A row borrows context a sentence leaves out: the year 届时 or 按照计划 points back to, the
    plan title of the paragraph before, the place last named. Headlines (they restate the body),
    photo captions and definitions (估值10亿美元以上) give no rows.
    """

    def __init__(self, doc: Document, to_english: Callable[[str], str | None]) -> None:
        self.doc, self.to_english = doc, to_english
        self.n = normalize_keep_length(doc.text)
        self.doc_year = document_year(doc.meta.published, self.n)
        # a plan or measures document itself, not an article about one (its title says which)
        self.plan = is_plan_title(normalize_keep_length(doc.meta.title))
        self.places = place_refs(self.n)
        # a figure whose sentence names no place is about the title's (成都市…若干政策), else the text's
        common = Counter(sc for _, sc in place_refs(normalize_keep_length(doc.meta.title)) or self.places).most_common(1)
        self.default_scope = common[0][0] if common else ""
        self.captions = caption_spans(doc.raw)
        self.out: list[dict[str, Any]] = []
        self.seen: set[tuple[str, float, int, str]] = set()
        self.earlier: list[tuple[int, int]] = []

    def rows(self) -> list[dict[str, Any]]:
        heads = {h[0] for h in self.doc.headings}
        for p in re.finditer(r"[^\n]+", self.doc.text):
            if p.start() in heads:
                continue
            para_year: YearRef | None = None
            for sp in split_sentences(self.doc.text, p.start(), p.end()):
                n = self.n[sp.start : sp.end]
                if re.search(r"一般指|是指|概念", n):
                    continue
                refs = year_refs(n, self.doc_year)
                if not any(a <= self.doc.offsets[sp.start] < b for a, b in self.captions):
                    self._sentence(sp.start, sp.end, refs, para_year, p.start())
                para_year = refs[-1] if refs else para_year
            self.earlier.append((p.start(), p.end()))
        return self.out

    def _back(self, find: Callable[[str], list[Any]]) -> tuple[int, Any] | None:
        """The last thing ``find`` finds in the (up to three) paragraphs before this one."""
        for a, b in reversed(self.earlier[-3:]):
            found = find(self.n[a:b])
            if found:
                return a, found[-1]
        return None

    def _plan(self, s: int, n: str, fig: Fig, para: int) -> str:
        """The plan/report title nearest the figure in its sentence, else its paragraph, else (after
        按照计划/届时) the paragraphs before; else a 据...统计 source."""
        t = nearest(doc_titles(n), fig.start)
        if t:
            return self.doc.text[s + t[0] : s + t[1]]
        here = doc_titles(self.n[para:s])
        back = (para, here[-1]) if here else self._back(doc_titles) if ANAPHORA.search(n) else None
        if back:
            return self.doc.text[back[0] + back[1][0] : back[0] + back[1][1]]
        src = next((m for m in SOURCE.finditer(n) if m.end() <= fig.start), None)
        return self.doc.text[s + src.start("name") : s + src.end("name")] if src else ""

    def _year(self, n: str, fig: Fig, refs: list[YearRef], para_year: YearRef | None) -> tuple[int, str, str, str]:
        """(year, as_of, year_from, kind): the year said before the figure, else the one 届时/按照计划
        refers to, else the paragraph's, else a report title's (statistics), else the document date."""
        before = [r for r in refs if r.end <= fig.start]
        ref, source = (before[-1], "sentence") if before else (None, "")
        if ref is None and ANAPHORA.search(n):
            back = self._back(lambda t: [r for r in year_refs(t, self.doc_year) if r.mode == "to"])
            ref, source = (back[1], "context") if back else (None, "")
        if ref is None and para_year is not None:
            ref, source = para_year, "paragraph"
        window = n[max(n.rfind("—", 0, fig.start), n.rfind(":", 0, fig.start), 0) :]
        kind = infer_kind(ref, window, self.doc_year, self.plan)
        if ref is not None:
            return ref.year, ref.as_of, source, kind
        t = TITLE_YEAR.search(n) if kind == "statistic" else None
        if t:
            return int(t.group(1)), t.group(1), "title", kind
        return self.doc_year, self.doc.meta.published, "document", kind

    def _sentence(self, s: int, e: int, refs: list[YearRef], para_year: YearRef | None, para: int) -> None:
        n, o = self.n[s:e], self.doc.text[s:e]
        figs = find_figures(n)
        # places after a figure describe what is counted (4家广东省实验室), not where
        posts = [(s + f.post_end, s + clause(n, f.start, f.end)[1]) for f in figs]
        prev: tuple[str, str, str] | None = None
        for fig in figs:
            a, b, flow = metric_span(n, fig)
            display, norm = o[a:b], n[a:b]
            if GROWTH.match(norm) or not norm:  # 同比增长约35%: growth of the quantity named before
                ca = clause(n, fig.start, fig.end)[0]
                base = prev or ("", "", "")
                if ca and (n[ca - 1] in "(（" or (prev is None and not norm)):  # 半导体(增速16.1%)
                    pa = clause(n, ca - 1, ca - 1)[0]
                    base = (o[pa : ca - 1], n[pa : ca - 1], "")
                display, norm, flow = base[0] + display, base[1] + norm, flow or base[2]
            else:
                prev = (display, norm, flow)
            # 打造全国…高地 in one sentence does not make the next sentences national
            place = [p for p in self.places if p[0] < s + fig.start and not any(x <= p[0] < y for x, y in posts)
                     and (p[0] >= s or p[1] != nation_label())]
            scope = place[-1][1] if place else self.default_scope
            year, as_of, year_from, kind = self._year(n, fig, refs, para_year)
            kind = support_kind(n, fig, kind)
            said = f"{scope}/{group_metric(norm, flow)}"  # the words before the figure: what a repeat restates
            english = None
            if kind in KIND_WORDS:  # a cap, rate or budget: what it bounds (每个单位每年算力券上限), not 上限
                spans, word = support_label(n, fig, kind)
                if spans:
                    bounded = "".join(n[x:y] for x, y in spans)
                    norm, english = bounded + word, self.to_english(bounded)
                    display = "".join(o[x:y] for x, y in spans) + to_script(word, self.doc.meta.script)
                    english = f"{english} {KIND_ENGLISH[kind]}" if english else ""
            key = group_metric(norm, flow)
            unit_class = "%" if fig.unit in unit_words("percent") else fig.unit if is_currency(fig.unit) else "n"
            group = f"{scope}/{key}/{unit_class}"
            if (said, fig.value, year, kind) in self.seen:
                continue  # the same statement repeated in one document (a sidebar restating the article)
            self.seen.add((said, fig.value, year, kind))
            start, end = self.doc.raw_span(s, e)
            self.out.append(
                {
                    "doc_id": self.doc.doc_id,
                    "start": start,
                    "end": end,
                    "quote": o,
                    "metric": display.strip(" “”「」\"'…."),
                    "metric_en": english or self.to_english(key) or self.to_english(norm) or "",
                    "value": fig.value,
                    "value_text": o[fig.start : fig.end],
                    "unit": fig.unit,
                    "qualifier": fig.qualifier or ("累计" if flow.startswith("累计") else ""),
                    "kind": kind,
                    "year": year,
                    "as_of": as_of,
                    "scope": scope,
                    "plan": self._plan(s, n, fig, para),
                    "group": group,
                    "value_max": fig.value_max,
                    "year_from": year_from,
                    "published": self.doc.meta.published,
                }
            )


def support_kind(n: str, fig: Fig, kind: str) -> str:
    """A support scheme's figure: its budget (总额; 5亿元经费, 100亿元基金), its cap (最高 / 不超过 /
    上限 money; every item of 分别给予最高200万元、100万元; a sum the support word follows) or its rate (不超过投资额的50%, 按成本的60%,
    给予投入的40%); otherwise ``kind`` as the year made it."""
    roles = support_role(n)
    if not roles:
        return kind
    ca = _list_head(n, clause(n, fig.start, fig.end)[0])
    before = n[ca : fig.start]
    money = is_currency(fig.unit)
    if money and ("budget" in support_role(before) or "fund" in support_role(n[fig.end : fig.end + 3])):
        return "budget"
    direction = nearest_bound(before) or bound("", n[fig.end : fig.post_end])
    if "support" in roles and direction == AT_MOST:
        return "cap" if money else "rate" if fig.unit == "%" else kind
    if money and re.match(r"[^，,；;。]{0,4}?(" + _SUPPORT_WORDS + ")", n[fig.end :]):
        return "cap"  # 给予80万元补助, 1,000万元加码补助: the sum each recipient gets
    if fig.unit == "%" and "support" in roles and (re.search(r"(按|给予)[^，,；;。]*$", before) or "support" in support_role(before)):
        return "rate"
    return kind


_SUPPORT_WORDS = lexicon.alternation(w for w, role in lexicon.table("support").items() if role == "support" and not w.isascii())


def _list_head(n: str, ca: int) -> int:
    """Where a list of figures starts when the figure at ``ca`` continues one (最高200万元、100万元、
    50万元: the later items share the first one's bound); ``ca`` itself otherwise."""
    while ca > 1 and n[ca - 1] == "、":
        pa = clause(n, ca - 1, ca - 1)[0]
        item = n[pa : ca - 1]
        if not re.search(r"\d[^\d]{0,3}$", item):
            break
        ca = pa
    return ca
