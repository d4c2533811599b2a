"""Evidence selection: the sentences of the retrieved passages that carry the answer.

A question becomes weighted terms (Chinese words, or for English the glossary's Chinese
renderings, plus figures and years). A sentence's support is the idf-weighted share of the
terms it contains, blended with its passage's share: so "Hangzhou's 2026 target" is not
supported by a sentence about Shenzhen's 2026 target, and a term the corpus never uses
(GDP of a year it does not cover, a city it does not mention) counts fully against.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rag.answer.guard import is_planted_instruction
from rag.ingest.chunking import split_sentences
from rag.retrieval.bm25 import BM25, STOPWORDS, _jieba
from rag.text.figures import extract
from rag.text.glossary import load_glossary
from rag.text.places import about_other_place, lineage, named_places, search_terms
from rag.text.textnorm import normalize
from rag.types import Document, Evidence, Hit

_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9+.&'-]*")
_QUESTION_WORDS = frozenset(
    "多少 哪些 哪个 哪 什么 几 几家 如何 怎样 怎么 是否 为何 为什么 吗 呢 请问 请 告诉 介绍 一下 提到 提出 "
    "说 讲 分别 有 有多少 是 的 了 和 与 及 在 到 对 中 其 把 被 据 根据 文章 报道 资料 哪一年 何时 多大 多高 "
    # how a question about conflicting reports is framed, not what it is about
    "到底 究竟 不同 各家 给出 数字 好像 对不上 说法 一致 一样 有何 来源".split()
)


_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*[-—–~至到]\s*((?:19|20)\d{2})")
_WANTS_QUANTITY = re.compile(
    r"多少|几[家个台项条位所座款名倍成亿万千百十]|多大|多高|多快|多长|比重|占比|比例|百分之|增速|增长率|排第几|排名第几|"
    r"\bhow (?:many|much|fast|large|big|high)\b|\bwhat (?:share|percentage|proportion|portion|fraction|rate)\b",
    re.I,
)
_TITLE = re.compile(r"《[^《》]*》")
_WANTS_COUNT = re.compile(r"\bhow many\b|多少[家个台款项条位所座名件辆架套户人部只]|几[家个台款项条位所座名件辆架套户人部只]", re.I)
_CHINESE_QUANTITY = re.compile(r"[一二两三四五六七八九十百千万亿]+[家个台项条位所座款名倍成]|第[一二三四五六七八九十]|首位|[上数][百千万]")


# words that frame an English question rather than name what it is about
_EN_FRAME = re.compile(r"\b(targets?|goals?|aims?|aiming|plans?|planned|set|sets|figures?|numbers?|amount)\b", re.I)


@dataclass(frozen=True)
class Term:
    alternatives: tuple[str, ...]  # matching forms (Simplified, lower-case)
    weight: float
    kind: str = "word"  # word | figure | year


def _content_words(text: str) -> list[str]:
    norm = normalize(text).lower()
    out = []
    for tok in _jieba().lcut(norm):
        tok = tok.strip()
        if not tok or tok in STOPWORDS or tok in _QUESTION_WORDS or not re.search(r"[\w\u4e00-\u9fff]", tok):
            continue
        if re.fullmatch(r"[\d.,%]+", tok):
            continue  # figures are handled separately
        if len(tok) == 1 and not re.match(r"[\u4e00-\u9fff]", tok):
            continue
        out.append(tok)
    return out




def question_terms(question: str, lang: str, bm25: BM25) -> list[Term]:
    """Weighted terms of a question, in the matching form."""
    terms: list[Term] = []
    seen: set[str] = set()

    def add(alts: tuple[str, ...], kind: str = "word") -> None:
        alts = tuple(dict.fromkeys(a for a in alts if a))
        if not alts or alts[0] in seen:
            return
        seen.update(alts)
        idfs = [bm25.idf(a) for a in alts]
        known = [x for x in idfs if x is not None]
        weight = max(known) if known else bm25.max_idf
        if kind != "word":
            weight = max(weight, 0.8 * bm25.max_idf)  # an asked-for year or figure matters
        terms.append(Term(alts, weight, kind))

    for fig in extract(question):
        digits = fig.surface.rstrip("年")
        add((digits,) if fig.kind == "year" else (normalize(fig.surface),), "year" if fig.kind == "year" else "figure")
    if lang == "en":
        groups = load_glossary().expand_groups(_EN_FRAME.sub(" ", question))
        for group in groups:
            add(tuple(normalize(g).lower() for g in group))
        for word in _LATIN.findall(question):
            w = word.lower().strip(".'")
            if w not in STOPWORDS and bm25.idf(w) is not None:
                add((w,))
    else:
        gloss = load_glossary()

        def add_zh(word: str) -> None:
            # with its English (glossary phrase, place name), so an English passage can answer too
            english = [e.lower() for e in gloss.english_for([word])] + search_terms(word, lang)
            add((word, *english))

        for word in _content_words(question):
            if bm25.idf(word) is not None:
                add_zh(word)
                continue
            parts = [p for p in _jieba().lcut_for_search(word) if len(p) > 1 and bm25.idf(p) is not None]
            if parts and len(word) > 2:
                for p in parts:
                    add_zh(p)
            else:
                add_zh(word)
    return terms


def coverage(terms: list[Term], text_norm: str) -> float:
    """Weighted share of the terms present; neighbouring question terms that appear side by
    side ("人工智能" + "企业" as 人工智能企业) count a second time, so a sentence about the asked
    quantity beats one that merely mentions its words."""
    words = [t for t in terms if t.kind == "word"]
    pairs = list(itertools.pairwise(words))
    total = sum(t.weight for t in terms) + sum(0.5 * (a.weight + b.weight) for a, b in pairs)
    if total <= 0:
        return 0.0
    got = sum(t.weight for t in terms if any(x in text_norm for x in t.alternatives))
    got += sum(
        0.5 * (a.weight + b.weight)
        for a, b in pairs
        if any(x + y in text_norm for x in a.alternatives for y in b.alternatives)
    )
    return got / total


def years_named(text: str) -> set[int]:
    """Years a text names, with every year inside a period such as (2025-2026年). The years of
    a plan's title (《…(2025-2026年)》) count only when the text names no other year: its
    "2026年…达8000亿元" is about 2026, not 2025."""
    outside = _TITLE.sub(" ", text)
    if outside != text and _years(outside):
        return _years(outside)
    return _years(text)


def _years(text: str) -> set[int]:
    years = {int(f.surface[:4]) for f in extract(text) if f.kind == "year"}
    for a, b in _YEAR_RANGE.findall(normalize(text)):
        if int(a) <= int(b) <= int(a) + 30:
            years.update(range(int(a), int(b) + 1))
    return years


def has_quantity(text: str, count: bool = False) -> bool:
    """Does a sentence state a figure other than a year or a date (3000家, 35%, 上千家, 第一)?
    With ``count``, a number of things: a percentage is not an answer to "how many"."""
    kinds = ("number",) if count else ("number", "percent")
    return any(f.kind in kinds for f in extract(text)) or bool(_CHINESE_QUANTITY.search(normalize(text)))


_GENERIC_MEASURES = frozenset("目标 数量 数字 数据 指标 情况 总数 总量 水平 多少 全市 全国 全 之后 后".split())
_NOUN_TAGS = ("n", "nz", "eng", "vn", "j")
# between a measure and 多少: 产业规模[是]多少, 利润[增长了]多少, 企业[超过]多少家
_LINKS = frozenset(
    "是 有 为 了 达 达到 约 大约 超过 超 增长 下降 提高 占 共 总共 一共 合共 累计 目前 现在 要 将 已 已经 的 到底 究竟 "
    "在 一年 每年 年均 平均 大概 能 可以 会".split()
)
# units that say what is counted (台 = machines); 家, 个, 户 are often left out of the answer
_TYPED_UNITS = frozenset("台 款 辆 架 件 套 部 只 座 所".split())
# the size of an industry is stated as its revenue or output
# a ratio (比例, 比重, 占比) is stated as a percentage: 按不超过合同金额的50% answers 多少比例
_SYNONYMS = {"规模": ("营收", "收入", "产值", "总值", "销售额", "营业额"), "gdp": ("生产总值",), "增速": ("增长",),
             "比例": ("%",), "比重": ("%",), "占比": ("%",)}
_UNITS = frozenset("家 个 台 款 项 条 位 所 座 名 件 辆 架 套 户 倍 亿 万 元 亿元 万元 人 次 部 只 场".split())
_EN_MEASURE = re.compile(
    r"\bhow (?:many|much)\s+(?P<a>[a-z][a-z -]{1,40}?)\s+(?:do|does|did|are|is|was|were|has|have|had|will|can|could|would|in|by|at|for|of|to|"
    r"grow|grew|use|used|make|made|produce|produced|plan|aim|set|build|built|get|got|raise|raised|receive|hold|held)\b|"
    r"\bwhat (?:was|is|were|are)\s+(?:[A-Za-z'-]+'s\s+|the\s+)?(?P<b>[a-z][a-z -]{1,40}?)\s*(?:\b(?:in|for|by|at|of|as)\b|\?|$)",
    re.I,
)


def asked_measure(question: str, lang: str) -> tuple[tuple[tuple[str, ...], ...], str]:
    """What a "how many / 多少" question counts, as Chinese alternatives, and the measure word
    it asks in (台 of 多少台): ``(("产量",), "台")`` for 深圳人形机器人产量是多少台. Empty when the
    question is not of that shape or names only a generic measure (目标, 数量)."""
    if lang == "en":
        m = _EN_MEASURE.search(question)
        if not m:
            return (), ""
        groups = load_glossary().expand_groups(m.group("a") or m.group("b"))
        # "What is Shenzhen's target for…" names a generic measure, as 目标 does in Chinese
        return tuple(tuple(normalize(x).lower() for x in g) for g in groups
                     if not all(normalize(x) in _GENERIC_MEASURES for x in g)), ""
    from jieba import posseg

    toks = [(w, t) for w, t in posseg.lcut(normalize(question).lower()) if w.strip()]
    for i, (w, _) in enumerate(toks):
        if w not in ("多少", "几", "多"):
            continue
        unit = toks[i + 1][0] if i + 1 < len(toks) and toks[i + 1][0] in _UNITS else ""
        nouns: list[str] = []
        after = i + 2 if unit else i + 1
        if unit or (after < len(toks) and _is_measure_noun(toks[after][1])):
            # 多少家人工智能企业, 多少农户: what follows is counted, up to the end of the clause
            for w2, t2 in toks[after:]:
                if t2 == "x":
                    break
                if _is_measure_noun(t2):
                    nouns.append(w2)
        if not nouns:  # 产业规模是多少: what precedes is measured
            j = i - 1
            while j >= 0 and toks[j][0] in _LINKS:
                j -= 1
            while j >= 0 and (_is_measure_noun(toks[j][1]) or toks[j][0] in "()"):
                nouns.insert(0, toks[j][0])
                j -= 1
        nouns = [n for n in nouns if n not in "()" and n not in _GENERIC_MEASURES and len(n) > 1]
        if not nouns:
            return (), unit
        last = nouns[-1]
        alts = [last]
        if "(" in question or "（" in question:  # 生产总值（GDP）: either form
            alts += [n for n in nouns[-2:-1]]
        for entry in load_glossary().expand_groups(last) if last.isascii() else ():
            alts += [normalize(x).lower() for x in entry]
        alts += _SYNONYMS.get(last, ())
        return (tuple(dict.fromkeys(alts)),), unit
    return (), ""


# "那白皮书里的数字是多少？": the number of the same thing as before
_SAME_MEASURE = re.compile(r"(数字|数据|数目|数值|the (?:number|figure|same))", re.I)
_FOLLOW_UP_ZH = re.compile(r"^(?:那么|那麼|那|还有|還有|另外)?(?P<x>.+?)呢\s*[?？]?$")
_FOLLOW_UP_EN = re.compile(r"^(?:and\s+)?(?:what|how)\s+about\s+(?:the\s+)?(?P<x>[a-z][a-z -]*?)\s*\??$", re.I)


def follow_up_measure(latest: str, lang: str) -> tuple[tuple[str, ...], ...]:
    """What an elliptical follow-up asks about: 總估值 in "總估值呢？", gazelle companies in
    "What about gazelle companies?"; empty for "2027年呢？" or "And by 2027?"."""
    if lang == "en":
        m = _FOLLOW_UP_EN.match(latest.strip())
        if not m:
            return ()
        return tuple(tuple(normalize(x).lower() for x in g) for g in load_glossary().expand_groups(m.group("x")))
    m = _FOLLOW_UP_ZH.match(normalize(latest).strip())
    if not m:
        return ()
    from jieba import posseg

    nouns = [w for w, t in posseg.lcut(m.group("x")) if _is_measure_noun(t) and w not in _GENERIC_MEASURES and len(w) > 1]
    return ((nouns[-1], *_SYNONYMS.get(nouns[-1], ())),) if nouns else ()


def _is_measure_noun(tag: str) -> bool:
    """A noun that can name what is measured: not a place (ns) or a person (nr)."""
    return tag.startswith(_NOUN_TAGS) and not tag.startswith(("ns", "nr", "nt"))


def _mentions(norm: str, word: str) -> bool:
    """``word`` in the sentence, or for a longer Chinese word all but one of its characters in
    a row (增加值 / 增长值, 营业收入 / 营业总收入 are the same measure)."""
    if word in norm:
        return True
    if len(word) < 3 or word.isascii():
        return False
    pattern = "|".join(re.escape(word[:k]) + "." + re.escape(word[k + 1 :]) for k in range(len(word)))
    return bool(re.search(pattern, norm))


def _states_unit(sentence_norm: str, unit: str) -> bool:
    return bool(re.search(rf"[\d一二两三四五六七八九十百千万亿余多]\s*(?:万|亿)?{re.escape(unit)}", sentence_norm))


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

    @classmethod
    def of(cls, question: str, lang: str, latest: str = "") -> Focus:
        """``latest`` is the user's own last message when ``question`` joins it to an earlier one:
        its places, years and measure, when it names any, replace the earlier ones ("2027年呢？")."""
        latest = latest or question
        places = named_places(latest) or named_places(question)
        years = years_named(latest) or years_named(question)
        measure, unit = asked_measure(latest, lang)
        count = bool(_WANTS_COUNT.search(latest))
        if not measure and latest != question:
            # "總估值呢？" asks for its own measure; "2027年呢？" and "那白皮书里的数字是多少？"
            # keep the one asked before (``question`` starts with the earlier question)
            measure = follow_up_measure(latest, lang)
            if not measure and (not _WANTS_QUANTITY.search(latest) or _SAME_MEASURE.search(normalize(latest))):
                measure, unit = asked_measure(question, lang)
                count = count or bool(_WANTS_COUNT.search(question))
        elif not _WANTS_QUANTITY.search(latest):
            measure, unit = asked_measure(question, lang)
            count = bool(_WANTS_COUNT.search(question))
        quantity = bool(_WANTS_QUANTITY.search(latest) or _WANTS_QUANTITY.search(question))
        entities = tuple(_entities(question, lang))
        return cls(frozenset(places), frozenset(years), quantity, measure, unit, entities, count)

    def place_around(self, context: str) -> bool:
        return any(a in lineage(p) for p in named_places(context) for a in self.places)

    def off_topic(self, sentence: str, context: str = "") -> str:
        """Why ``sentence`` cannot answer: it names only other places or only other years,
        states no figure when one is asked for, or not the quantity asked about (GDP, 估值);
        or its ``context`` (the text around it, its document's title) never mentions the
        place, organisation, person or year asked about. Empty when it may answer."""
        norm = normalize(sentence).lower()
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
            if self.years and not any(str(y) in ctx for y in self.years):
                return "nothing for " + ", ".join(map(str, sorted(self.years))) + " around it"
        places = named_places(sentence)
        if about_other_place(set(self.places), places):
            return "about " + ", ".join(sorted(places))
        # a figure for a place inside the one asked about is that place's, not the asked one's:
        # 宝安区's 400 companies do not answer how many Shenzhen has
        inside = {p for p in places - set(self.places) if any(a in lineage(p)[1:] for a in self.places)}
        if self.quantity and inside:
            return "about " + ", ".join(sorted(inside))
        years = years_named(sentence)
        if self.years and years and not years & self.years:
            return "about " + ", ".join(map(str, sorted(years)))
        if self.quantity and not has_quantity(sentence, self.count):
            return "states no figure"
        for group in self.measure:
            if not any(_mentions(norm, m) for m in group):
                return f"nothing about {group[0]}"
        if self.unit in _TYPED_UNITS and not _states_unit(norm, self.unit):
            return f"no count in {self.unit}"
        return ""


def select_evidence(
    question: str,
    lang: str,
    hits: list[Hit],
    docs: dict[str, Document],
    bm25: BM25,
    *,
    limit: int = 4,
    latest: str = "",
    window: int = 300,
    focus: Focus | None = None,
) -> tuple[list[Evidence], list[Term]]:
    """Best sentences across the hits, highest support first (duplicates removed).

    Sentences about another place or year, or without a figure when one is asked for, are
    kept only when nothing else is found, marked ``off_topic``."""
    terms = question_terms(question, lang, bm25)
    focus = focus or Focus.of(question, lang, latest)
    found: dict[tuple[str, int], Evidence] = {}
    for hit in hits:
        c = hit.chunk
        doc = docs.get(c.doc_id)
        if doc is None:
            continue
        chunk_cov = coverage(terms, normalize(c.text).lower())
        for span in split_sentences(doc.text, c.start, c.end):
            text = doc.text[span.start : span.end].strip()
            if len(text) < 6 or is_planted_instruction(text):  # text addressing the assistant is no evidence
                continue
            sent_cov = coverage(terms, normalize(text).lower())
            score = 0.75 * sent_cov + 0.25 * chunk_cov - 0.005 * hit.rank
            key = (c.doc_id, span.start)
            if key not in found or found[key].score < score:
                # "今年1月" in a 2025 article is 2025: the publication date is context too
                around = " ".join((doc.text[max(0, span.start - window) : span.end + window], doc.meta.title,
                                   doc.meta.publisher, doc.meta.published or ""))
                found[key] = Evidence(c.doc_id, c.chunk_id, span.start, span.end, text, round(score, 4), hit.rank,
                                      focus.off_topic(text, around))
    ranked = sorted(found.values(), key=lambda e: (-e.score, e.rank, e.start))
    on_topic = [e for e in ranked if not e.off_topic]
    return (on_topic or ranked)[:limit], terms


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
