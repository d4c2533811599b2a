"""The focus of a question: what it is about beyond its words, and why a sentence cannot answer it.

Enters: a question (and the user's own last message when it joins an earlier one) and its
language. Leaves: ``Focus`` (places, years, whether a figure or a count is asked for, the
measure and its unit, the named entities) whose ``off_topic`` says why a sentence, in its
context, does not answer: another place or year, no figure, not the measure asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.measure import TYPED_UNITS, asked_measure, counted_kind, follow_up_measure, mentions, states_unit
from rag.answer.quantities import (
    asked_years,
    has_quantity,
    horizon_before,
    states_ceiling,
    states_change,
    years_named,
)
from rag.answer.wanted import wanted_kind
from rag.text.glossary import load_glossary
from rag.text.places import about_other_place, lineage, most_specific, named_places
from rag.text.textnorm import ENGLISH_BELOW, cjk_share, normalize

_WANTS_QUANTITY = re.compile(
    r"多少|几[家个台项条位所座款名倍成亿万千百十]|多大|多高|多快|多长|比重|占比|比例|百分之|增速|增长率|排第几|排名第几|"
    r"\bhow (?:many|much|fast|large|big|high)\b|\bwhat (?:share|percentage|proportion|portion|fraction|rate)\b|"
    r"\bwhat (?:[\w-]+ ){0,3}(?:figure|number|amount|sum|value|capacity|scale|size|volume|output)s?\b",
    re.I,
)
# a ceiling asked for: 资助上限, 最多能拿几成, "the maximum grant", "the most an applicant may obtain"
_WANTS_CEILING = re.compile(
    r"上限|封顶|顶格|(?:最高|最多|至多)(?=[^，,。？?]{0,15}(?:多少|几|比例))|"
    r"\b(?:caps?|capped|ceiling|maximum|upper limit|at most|up to (?:what|how))\b|\bthe most\b(?=[^?]*\b(?:can|could|may)\b)",
    re.I,
)
# a change against an earlier figure, not a level: 比去年多出几家, "how many more"
_WANTS_CHANGE = re.compile(
    r"比[^，,。？?]{0,15}(?:增加|增长|提高|提升|多)了?多少|\bhow (?:much|many) more\b|"
    r"\b(?:increase|growth|rise)\b[^?]*\b(?:over|from|on|compared)\b",
    re.I,
)
_WANTS_COUNT = re.compile(r"\bhow many\b|多少[家个台款项条位所座名件辆架套户人部只]|几[家个台款项条位所座名件辆架套户人部只]", re.I)
# "那报告里的数据呢？": the number of the same thing as before
_SAME_MEASURE = re.compile(r"(数字|数据|数目|数值|the (?:number|figure|same))", re.I)


@dataclass(frozen=True)
class Focus:
    """What a question is about beyond its words: places, years, and whether it asks for a figure."""

    places: frozenset[str]
    years: frozenset[int]
    quantity: bool
    measure: tuple[tuple[str, ...], ...] = ()  # every group must be mentioned, by one of its forms
    unit: str = ""
    entities: tuple[tuple[str, ...], ...] = ()  # each by its forms (深度求索, deepseek)
    count: bool = False  # "how many": a number of things, not a percentage
    kind: str = ""  # "person" or "date" when the question asks for one: sentences giving it come first
    counted: tuple[tuple[str, ...], ...] = ()  # what kind of thing 多少家 counts (软件 of 软件企业)
    ceiling: bool = False  # a cap is asked for (补贴上限, what is the most...): a bounded figure answers
    change: bool = False  # a change is asked for (比去年多了多少): a sentence stating one answers
    quoted: tuple[str, ...] = ()  # names the question quotes (「…」, 《…》, "…"): the document must name them

    @classmethod
    def of(cls, question: str, lang: str, latest: str = "") -> Focus:
        """``latest`` is the user's own last message when ``question`` joins it to an earlier one:
        its places, years and measure, when it names any, replace the earlier ones ("2027年呢？")."""
        latest = latest or question
        places = named_places(latest) or named_places(question)
        years = asked_years(latest) or asked_years(question)
        measure, unit = asked_measure(latest, lang)
        count = bool(_WANTS_COUNT.search(latest))
        if not measure and latest != question:
            # "總估值呢？" asks for its own measure; "2027年呢？" and "那报告里的数据呢？"
            # keep the one asked before (``question`` starts with the earlier question)
            measure = follow_up_measure(latest, lang)
            if not measure and (not _WANTS_QUANTITY.search(latest) or _SAME_MEASURE.search(normalize(latest))):
                measure, unit = asked_measure(question, lang)
                count = count or bool(_WANTS_COUNT.search(question))
        elif not _WANTS_QUANTITY.search(latest):
            measure, unit = asked_measure(question, lang)
            count = bool(_WANTS_COUNT.search(question))
        ceiling = bool(_WANTS_CEILING.search(normalize(latest)))
        quantity = bool(ceiling or _WANTS_QUANTITY.search(latest) or _WANTS_QUANTITY.search(question))
        entities = tuple(_entities(question, lang))
        return cls(frozenset(places), frozenset(years), quantity, measure, unit, entities, count,
                   wanted_kind(latest), counted_kind(latest) if lang != "en" else (), ceiling,
                   bool(_WANTS_CHANGE.search(normalize(latest))), quoted_names(question))

    def place_around(self, context: str) -> bool:
        """Is the place asked about, or one inside it, named in ``context``? For "Beijing's Haidian
        District", Haidian: another Beijing district is not it."""
        return any(a in lineage(p) for p in named_places(context) for a in most_specific(set(self.places)))

    def off_topic(self, sentence: str, context: str = "", lead: str = "", document: str = "") -> str:
        """Why ``sentence`` cannot answer: it names only other places or only other years,
        states no figure when one is asked for, or not the quantity asked about (GDP, 估值);
        or its ``context`` (the text around it, its document's title) never mentions the
        place, organisation, person or year asked about; or, naming no year, it is for another
        horizon than the one asked (``lead``: its paragraph before it); or its ``document`` never
        names what the question quotes. Empty when it may answer."""
        norm = normalize(sentence).lower()
        years = years_named(sentence)
        horizon = horizon_before(lead) if self.years and not years and lead else None
        if horizon is not None and horizon not in self.years:
            return f"about {horizon}"
        missing = next((q for q in self.quoted if document and not names_quoted(document, q)), "")
        if missing:
            return f"nothing about {missing} in its document"
        if context:
            ctx = normalize(context).lower()
            places = [e for e in self.entities if named_places(e[0])]
            if places and not any(f in ctx for p in places for f in p):  # one of the places asked about
                return f"nothing about {places[0][0]} around it"
            for ent in self.entities:
                if ent not in places and not any(f in ctx for f in ent):
                    return f"nothing about {ent[0]} around it"
            # the place asked about, or one inside it, must be named around the sentence (in any
            # language: Lin-gang, 临港): a Beijing district's cap does not answer for Zhangzhou
            if self.places and not self.place_around(context):
                return "nothing about " + "/".join(sorted(self.places)) + " around it"
            if self.years and horizon is None and not any(str(y) in ctx for y in self.years):
                return "nothing for " + ", ".join(map(str, sorted(self.years))) + " around it"
        named = named_places(sentence)
        if about_other_place(set(self.places), named):
            return "about " + ", ".join(sorted(named))
        # a figure for a place inside the one asked about is that place's, not the asked one's:
        # 宝安区's 400 companies do not answer how many Shenzhen has
        inside = {p for p in named - set(self.places) if any(a in lineage(p)[1:] for a in self.places)}
        if self.quantity and inside:
            return "about " + ", ".join(sorted(inside))
        if self.years and years and not years & self.years:
            return "about " + ", ".join(map(str, sorted(years)))
        if self.quantity and not has_quantity(sentence, self.count):
            return "states no figure"
        if self.ceiling and not states_ceiling(sentence):
            return "states no ceiling"
        if self.change and not states_change(sentence):
            return "states no change"
        english = not _CJK.search(sentence)
        for group in (*self.measure, *self.counted):
            if english and not any(m.isascii() for m in group):
                continue  # no English form known (普及率): an English sentence cannot be checked for it
            if not any(mentions(norm, m) for m in group):
                return f"nothing about {group[0]}"
        if self.unit in TYPED_UNITS and not states_unit(norm, self.unit):
            return f"no count in {self.unit}"
        return ""


_QUOTED = re.compile(r"「([^」]{2,40})」|《([^》]{2,40})》|“([^”]{2,40})”|\"([^\"]{2,40})\"")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=256)  # a document is read for every sentence of it
def _core(text: str) -> str:
    return re.sub(r"[\W_]+", "", normalize(text).lower())


def quoted_names(question: str) -> tuple[str, ...]:
    """What the question quotes as a name: 「数字云服务计划」, 《行动方案》, "AI Subsidy Scheme"."""
    return tuple(dict.fromkeys(next(g for g in m.groups() if g) for m in _QUOTED.finditer(question)))


def names_quoted(document: str, quoted: str) -> bool:
    """Does a document name what a question quotes (punctuation and script aside)? A Chinese quote
    is looked for only in a document written in Chinese, a Latin one only in an English one: a
    translation cannot be matched letter by letter."""
    chinese_doc = cjk_share(document[:2000]) >= ENGLISH_BELOW  # as the targets table tells an English page
    if bool(_CJK.search(quoted)) != chinese_doc:
        return True
    return _core(quoted) in _core(document)


_GENERIC_ENTITIES = frozenset({"中国", "全国", "我国", "china", "中华人民共和国"})


def _entities(question: str, lang: str) -> list[tuple[str, ...]]:
    """Named entities (places, organisations, people) the question names, each as its matching
    forms: Chinese and English (深度求索 / deepseek), since sources write either. China itself
    is left out: nearly every sentence is about it."""
    gloss = load_glossary()
    english_of = {normalize(zh): en.lower() for zh, en in gloss.english_names_index()}
    if lang == "en":
        groups = [tuple(normalize(x) for x in g) for g in gloss.expand_groups(question)]
        found = [g for g in groups if any(x in english_of for x in g)]
    else:
        qn = normalize(question)
        found = [(normalize(zh),) for zh, _ in gloss.english_names(qn)]
        found = [f for i, f in enumerate(found) if not any(f[0] in o[0] for j, o in enumerate(found) if j != i)]
    out = []
    for g in found:
        forms = tuple(dict.fromkeys([*(x.lower() for x in g), *(english_of[x] for x in g if x in english_of)]))
        if not set(forms) & _GENERIC_ENTITIES:
            out.append(forms)
    return out
