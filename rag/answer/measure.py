"""The measure a question asks about: what "how many / 多少" counts, and the word it counts in.

Enters: a question (or an elliptical follow-up) and its language. Leaves: ``asked_measure``
(alternative forms of what is measured, and the measure word: 台 of 多少台), ``follow_up_measure``
(总估值 of "总估值呢？"), and for checking a sentence: ``mentions`` (the measure, or a near form of
a long Chinese word), ``states_unit`` (a count in that measure word) and ``TYPED_UNITS`` (the
measure words that say what is counted, which a sentence must then state).
"""

from __future__ import annotations

import re

from rag.answer.conversation import ZH_OPENERS
from rag.text.dictionary import glosses
from rag.text.glossary import load_glossary
from rag.text.lexicon import same_money, units
from rag.text.textnorm import normalize

_GENERIC_MEASURES = frozenset("目标 数量 数字 数据 指标 情况 总数 总量 水平 多少 全市 全国 全 之后 后".split())
_NOUN_TAGS = ("n", "nz", "eng", "vn", "j")
# between a measure and 多少: 产业规模[是]多少, 利润[增长了]多少, 企业[超过]多少家
_LINKS = frozenset(
    "是 有 为 了 达 达到 约 大约 超过 超 增长 下降 提高 占 共 总共 一共 合共 累计 目前 现在 要 将 已 已经 的 到底 究竟 "
    "在 一年 每年 年均 平均 大概 能 可以 会 做到 做 实现".split()
)
# units that say what is counted (台 = machines); 家, 个, 户 are often left out of the answer
TYPED_UNITS = frozenset("台 款 辆 架 件 套 部 只 座 所".split())
# the size of an industry is stated as its revenue or output
# a ratio (比例, 比重, 占比) is stated as a percentage: 按不超过合同金额的50% answers 多少比例
_SYNONYMS = {"规模": ("营收", "收入", "产值", "总值", "销售额", "营业额"), "gdp": ("生产总值",), "增速": ("增长",),
             "比例": ("%",), "比重": ("%",), "占比": ("%",),
             # "how much money": an amount in yuan is money, whatever the sentence calls it
             "资金": ("元",), "金额": ("元",), "钱": ("元",)}
_UNITS = frozenset("家 个 台 款 项 条 位 所 座 名 件 辆 架 套 户 倍 亿 万 元 亿元 万元 人 次 部 只 场".split())
_EN_MEASURE = re.compile(
    # "how much does the city give in training vouchers to ...": the sum is paid in what follows "in"
    r"\bhow much\b[^?]*?\b(?:pay|pays|paid|give|gives|given|offer|offers|grant|grants|award|awards)\b(?:\s+out)?\s+in\s+"
    r"(?P<c>[a-z][a-z -]{1,30}?)\s*(?:\b(?:for|to|per|by|at|each|a)\b|\?|$)|"
    r"\bhow (?:many|much)\s+(?P<a>[a-z][a-z -]{1,40}?)\s+(?:do|does|did|are|is|was|were|has|have|had|will|can|could|would|should|shall|must|may|might|in|by|at|for|of|to|"
    r"grow|grew|use|used|make|made|produce|produced|plan|aim|set|build|built|get|got|raise|raised|receive|hold|held)\b|"
    r"\bwhat (?:was|is|were|are)\s+(?:[A-Za-z'-]+'s\s+|the\s+)?(?P<b>[a-z][a-z -]{1,40}?)\s*(?:\b(?:in|for|by|at|of|as)\b|\?|$)",
    re.I,
)

_EN_BOUND_LEAD = re.compile(r"(?:most|least|maximum|minimum|highest|lowest|cap|ceiling|limit|upper limit)\b", re.I)


def asked_measure(question: str, lang: str) -> tuple[tuple[tuple[str, ...], ...], str]:
    """What a "how many / 多少" question counts, as Chinese alternatives, and the measure word
    it asks in (台 of 多少台): ``(("销量",), "架")`` for 无人机销量是多少架. Empty when the
    question is not of that shape or names only a generic measure (目标, 数量)."""
    if lang == "en":
        m = _EN_MEASURE.search(question)
        # "what is the most an applicant may obtain": a ceiling asked for, not a measure
        asked = m.group("a") or m.group("b") or m.group("c") if m else ""
        if not asked or _EN_BOUND_LEAD.match(asked):
            return (), ""
        groups = load_glossary().expand_groups(asked, with_english=True)
        # "What is Shenzhen's target for…" names a generic measure, as 目标 does in Chinese
        return tuple(_with_synonyms(tuple(normalize(x).lower() for x in g)) for g in groups
                     if not all(normalize(x) in _GENERIC_MEASURES for x in g)), ""
    toks = _tokens(question)
    for i, (w, _) in enumerate(toks):
        if w not in ("多少", "几", "多"):
            continue
        unit = toks[i + 1][0] if i + 1 < len(toks) and toks[i + 1][0] in _UNITS else ""
        nouns = _counted(toks, i, unit)
        if not nouns:  # 营收是多少: what precedes is measured
            j = i - 1
            while j >= 0 and toks[j][0] in _LINKS:
                j -= 1
            while j >= 0 and (is_measure_noun(toks[j][1]) or toks[j][0] in "()"):
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
        alts += same_money(last)  # 补贴 asked, 资助 stated: the same support
        # an English source states an amount in yuan (资金 answered by "up to 20 million yuan")
        alts += [u.english.lower() for u in units() if u.english and u.word in alts]
        alts += glosses(last)  # an English passage states the measure in English (规模: scale)
        return (tuple(dict.fromkeys(alts)),), unit
    return (), ""


def counted_kind(question: str) -> tuple[tuple[str, ...], ...]:
    """What kind of thing a Chinese "多少家…" counts, beyond the counted noun itself: 软件 of
    多少家软件企业, each with its synonyms and English. The answer must name it: a province's 106
    manufacturing companies do not say how many software companies it has."""
    toks = _tokens(question)
    for i, (w, _) in enumerate(toks):
        if w in ("多少", "几") and i + 1 < len(toks) and toks[i + 1][0] in _UNITS:
            nouns = [n for n in _counted(toks, i, toks[i + 1][0]) if n not in _GENERIC_MEASURES and len(n) > 1]
            return tuple(_forms(n) for n in nouns[:-1])
    return ()


def _tokens(question: str) -> list[tuple[str, str]]:
    """The question's words and part-of-speech tags; a measure word jieba glued to the next word
    (家链 of 多少家链主企业) is cut off and the rest segmented again."""
    from jieba import posseg

    toks = [(w, t) for w, t in posseg.lcut(normalize(question).lower()) if w.strip()]
    for i, (w, _) in enumerate(toks[1:], 1):
        if toks[i - 1][0] in ("多少", "几") and w not in _UNITS and w[0] in _UNITS and len(w) > 1:
            rest = "".join(x for x, _ in toks[i:])[1:]
            return [*toks[:i], (w[0], "q"), *((x, t) for x, t in posseg.lcut(rest) if x.strip())]
    return toks


def _counted(toks: list[tuple[str, str]], i: int, unit: str) -> list[str]:
    """The nouns after 多少 (at ``i``) and its measure word: 多少家软件企业, 多少农户, up to the clause's end."""
    after = i + 2 if unit else i + 1
    if not unit and not (after < len(toks) and is_measure_noun(toks[after][1])):
        return []
    nouns = []
    for w, t in toks[after:]:
        if t == "x":
            break
        if is_measure_noun(t):
            nouns.append(w)
    return nouns


def _forms(word: str) -> tuple[str, ...]:
    """A word, its glossary synonyms and English, and its dictionary senses (an English source's forms)."""
    gloss = load_glossary()
    english = [word] if word.isascii() else gloss.english_for([word])  # 人工智能: "artificial intelligence"
    same = [normalize(x).lower() for phrase in english for x in gloss.expand(phrase)]  # whose entry also gives AI
    return tuple(dict.fromkeys([word, *same, *(e.lower() for e in english), *glosses(word)]))


_FOLLOW_UP_ZH = re.compile(r"^(?:" + "|".join(ZH_OPENERS) + r")?(?P<x>.+?)呢\s*[?？]?$")
_FOLLOW_UP_EN = re.compile(r"^(?:and\s+)?(?:what|how)\s+about\s+(?:the\s+)?(?P<x>[a-z][a-z -]*?)\s*\??$", re.I)


def follow_up_measure(latest: str, lang: str) -> tuple[tuple[str, ...], ...]:
    """What an elliptical follow-up asks about: 總估值 in "總估值呢？", gazelle companies in
    "What about gazelle companies?"; empty for "2027年呢？" or "And by 2027?"."""
    if lang == "en":
        m = _FOLLOW_UP_EN.match(latest.strip())
        if not m:
            return ()
        return tuple(tuple(normalize(x).lower() for x in g) for g in load_glossary().expand_groups(m.group("x"), with_english=True))
    m = _FOLLOW_UP_ZH.match(normalize(latest).strip())
    if not m:
        return ()
    from jieba import posseg

    nouns = [w for w, t in posseg.lcut(m.group("x")) if is_measure_noun(t) and w not in _GENERIC_MEASURES and len(w) > 1]
    return ((nouns[-1], *_SYNONYMS.get(nouns[-1], ())),) if nouns else ()


def _with_synonyms(group: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*group, *(x for g in group for x in (*_SYNONYMS.get(g, ()), *same_money(g)))]))


def is_measure_noun(tag: str) -> bool:
    """A noun that can name what is measured: not a place (ns) or a person (nr)."""
    return tag.startswith(_NOUN_TAGS) and not tag.startswith(("ns", "nr", "nt"))


def mentions(norm: str, word: str) -> bool:
    """``word`` in the sentence, or for a longer Chinese word the same word with one inner
    character changed (增加值 / 增长值 are the same measure). Its first and last characters stay:
    the last names the thing (数据券 is not 数据中心), the first what kind of it (语料券 is not 模型券)."""
    if word in norm:
        return True
    if len(word) < 3 or word.isascii():
        return False
    pattern = "|".join(re.escape(word[:k]) + "." + re.escape(word[k + 1 :]) for k in range(1, len(word) - 1))
    return bool(re.search(pattern, norm))


def states_unit(sentence_norm: str, unit: str) -> bool:
    """Does the sentence state a count in ``unit`` (3000台, 上万台, 两千余款)?"""
    return bool(re.search(rf"[\d一二两三四五六七八九十百千万亿余多]\s*(?:万|亿)?{re.escape(unit)}", sentence_norm))
