"""What a figure measures: the words of its clause before it (or the noun after it), and their key.

Enters: a sentence in matching form and a ``Fig``. Leaves: the span of the metric words, the flow
verb (培育, 引进: a count of new things) and ``group_metric``'s key, under which rows about one
quantity meet. Time, connective, place and verb words are stripped from the front, qualifier words
(from the lexicon) and particles from the back.
"""

from __future__ import annotations

import re
from functools import cache

from rag.targets.numbers import Fig
from rag.targets.scopes import place_names, place_pattern
from rag.text.lexicon import alternation, qualifier_words, table

_DELIMS = set("，,、；;：:。！？!?（(—\n")
_CLOSERS = set("，,、；;：:。！？!?）)」”\n")
FLOW = re.compile(r"(?:累计培育|新增培育|新培育|培育|孵化出|孵化|新引进|引进|新设|新增)")
_VERB = re.compile(
    r"(?:累计培育|新增培育|新培育|培育|孵化出|孵化|新引进|引进|新设|新增|推出|集聚|汇聚|拥有|共有|实现|打造|设立|建成开通"
    r"|建成|开展|实施|发布|吸纳了|覆盖了|含|包括|入选|有|形成|完成|接入|举办|促成|投放|惠及|兑现|引进了|出现了|与)"
)
# particles left at the end of the words measured, after the qualifier words (数量为, 规模在)
_PARTICLES = "为|是|在|至|共|以|已|将|中|内|里"
_VERB_END = re.compile(
    r"(?:推出|打造|集聚|汇聚|培育|建设|引进|实现|设立|孵化出|开展|实施|形成|提出|发布|推动|进行|共有|拥有|已有|有|了)$"
)
GROWTH = re.compile(r"^(?:同比)?(?:年均)?(?:增长|增速|上升|增幅)率?$")


@cache
def _lead() -> re.Pattern[str]:
    """Words stripped from the front of a clause before the thing measured: time, connectives, places, verbs."""
    return re.compile(
        r"(?:[一二三四五六七八九十]+、|[•·\s]|(?:到|至|截至|截止到?|在)?\d{4}年(?:度|底|末|上半年|下半年|全年|以来)?"
        r"(?:\d{1,2}月(?:底|末|\d{1,2}日)?)?|按照计划|具体目标包括|计划明确|其中|此外|另外|同时|目前|当前|今年|去年|届时"
        r"|近年来|全市|全县|全省|全区|全社会|工业重镇|共有|拥有|已有|已|将|还|的|共|仍|均|也|都|并|而|在|从|对|让|为"
        r"|(?:" + place_names() + r")(?:市|区|省|县)?)"
    )


@cache
def _trail() -> re.Pattern[str]:
    return re.compile(rf"(?:{alternation(qualifier_words('trail'))}|{_PARTICLES})$")


def clause(n: str, s: int, e: int) -> tuple[int, int]:
    """The clause around [s, e): between the nearest delimiters outside 《》."""
    depth, a = 0, 0
    for i in range(s - 1, -1, -1):
        ch = n[i]
        if ch in "》)）":
            depth += 1
        elif ch in "《(（" and depth > 0:
            depth -= 1
        elif depth == 0 and ch in _DELIMS:
            a = i + 1
            break
    b = len(n)
    for i in range(e, len(n)):
        if n[i] in _CLOSERS:
            b = i
            break
    return a, b


def _strip(n: str, a: int, b: int) -> tuple[int, int, str]:
    """Strip time, connective, place and verb words from the front and qualifiers from the back."""
    flow = ""
    lead, trail = _lead(), _trail()
    while a < b:
        m = lead.match(n, a, b)
        if not m or m.end() == a:
            f = FLOW.match(n, a, b)
            v = _VERB.match(n, a, b)
            if not v or v.end() == a:
                break
            flow = flow or (f.group() if f else "")
            a = v.end()
            continue
        a = m.end()
    while a < b:
        t = trail.search(n, a, b)
        if not t:
            break
        b = t.start()
    return a, b, flow


def _post_noun(n: str, pa: int, pb: int) -> tuple[int, int]:
    """The noun a figure counts when it comes after the figure (推出10个以上...创新孵化器)."""
    if n[pa : pa + 1] == "的":  # 40多年的改革开放: the words right after 的
        pa += 1
        stop = re.search(r"的|\d", n[pa:pb])
        pb = pa + stop.start() if stop else pb
    else:
        first = n.find("的", pa, pb)
        if first >= 0 and re.search(r"(?:公司|企业|机构|项目)$", n[pa:first]):  # 138家动画公司的名字
            pb = first
        else:  # 10个以上产业集聚效应明显的人工智能...孵化器: the head noun after the last 的
            last = n.rfind("的", pa, pb)
            pa = last + 1 if last >= 0 else pa
    stop = re.search(r"[和与及](?=\d)|\d", n[pa:pb])
    pb = pa + stop.start() if stop and stop.start() else pb
    while pa < pb and n[pb - 1] in "中内里等":
        pb -= 1
    return pa, pb


def metric_span(n: str, fig: Fig) -> tuple[int, int, str]:
    """Where the thing measured is said: the clause words before the figure, else the noun after it."""
    ca, cb = clause(n, fig.start, fig.end)
    a, b, flow = _strip(n, ca, fig.start)
    verb = _VERB_END.search(n, a, b)
    tail = n[b - 1] if a < b else ""
    if a >= b or verb or tail in "的和与及等":
        pa, pb = _post_noun(n, fig.post_end, cb)
        if pa < pb:
            return pa, pb, flow
        b = verb.start() if verb else b - (1 if tail else 0)
    return a, b, flow


def group_metric(metric_norm: str, flow: str) -> str:
    """The key form of a metric: no places or scope words, 国家级 = 国家, 机械人 = 机器人, 独角兽 = 独角兽企业."""
    t = place_pattern().sub("", metric_norm)
    t = re.sub(r"全市|全县|全省|全社会|[“”「」\s….]", "", t).replace("国家级", "国家").replace("机械人", "机器人")
    t = re.sub(r"(数量|总数|总量)$", "", t)
    t = re.sub(r"独角兽(?!企业)", "独角兽企业", t)
    base = re.sub(r"^(?:累计|新增|新)", "", flow)
    if base.startswith("培育"):
        base = "培育"
    elif base.startswith("孵化"):
        base = "孵化"
    return base + t


# what a support row's figure bounds, in the label: a cap, a rate, a scheme's total
KIND_WORDS = {"cap": "上限", "rate": "比例", "budget": "总额"}
KIND_ENGLISH = {"cap": "cap", "rate": "rate", "budget": "total"}
_LABEL_TAGS = ("n", "vn", "nz", "b", "d", "j")  # a noun or a modifier (资金, 一次性), not a figure (万元) or a verb (予以)
_PER = re.compile(r"每(?:个|家|项|位)?(?:单位|企业|机构|项目|主体|平台|年)|每年|年度|单家企业|单个(?:企业|项目|机构|主体)")


@cache
def _support_words() -> re.Pattern[str]:
    return re.compile(alternation(w for w, role in table("support").items() if role == "support" and not w.isascii()))


def support_label(n: str, fig: Fig, kind: str) -> tuple[list[tuple[int, int]], str]:
    """What a cap, rate or budget bounds, as spans of ``n`` and the kind's word: the per-unit words
    before the figure, the support noun nearest it with the noun before that, 上限 / 比例 / 总额:
    每个单位每年 + 算力券 + 上限, 年度 + 资金补助 + 上限. No spans when the sentence names no support."""
    found = list(_support_words().finditer(n))
    if not found:
        return [], ""

    def distance(m: re.Match[str]) -> int:  # after the figure counts as near: 最高1000万元资金支持
        return m.start() - fig.end if m.start() >= fig.end else 2 * (fig.start - m.end())
    m = min(found, key=distance)
    a = m.start()
    # the noun just before the support word, inside its clause: 资金补助, 一次性补助, 算力券奖励
    from rag.retrieval.bm25 import load_jieba

    head = n[clause(n, a, a)[0] : a]
    if head:
        load_jieba()
        from jieba import posseg

        last = [(w, t) for w, t in posseg.lcut(head) if w.strip()]
        if last and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", last[-1][0]) and last[-1][1] in _LABEL_TAGS:
            a -= len(last[-1][0])
    ca = clause(n, fig.start, fig.end)[0]
    per = [(p.start(), p.end()) for p in _PER.finditer(n, min(ca, a), fig.start)]
    spans = [*(sp for sp in per if sp[1] <= a or sp[0] >= m.end()), (a, m.end())]
    word = KIND_WORDS[kind]
    return sorted(spans), "" if n[m.end() - len(word) : m.end()] == word else word
