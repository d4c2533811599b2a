"""Rules for the targets table: which numbers in a Chinese text are figures, and what they measure.

Everything here works on the *matching form* of a sentence (``normalize_keep_length``: Simplified,
half-width, same length as the original), so an index found here is also an index into the original
sentence and ``value_text`` can be cut from the quote verbatim. No model is involved: the corpus is
small and investors need every row to be explainable by a rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rag.ingest.chunking import split_sentences
from rag.text.figures import normalize_keep_length
from rag.text.lexicon import AT_MOST, bound, nearest_bound, support_role
from rag.types import Document

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?(?:\+\d+)*"
_UNITS = (
    "个百分点|百分点|%|平方公里|平方千米|公里|千米|个月|小时|分钟|美元|港元|元|家|台|个|项|款|宗|名|户|亩|吨|辆"
    "|条|座|场|批|支|所|种|次|倍|年|周|天|字|人|位|件|米|只|套|部|篇|类"
)
FIGURE = re.compile(
    rf"(?<![\d.A-Za-z+/])(?<!\d,)(?P<num>{_NUM})(?:(?P<dash>[-~～—–至到])(?P<num2>\d+(?:\.\d+)?))?"
    rf"(?P<a1>余|多)?(?P<mag>万亿|亿|万|千)?(?P<a2>余|多)?(?P<unit>{_UNITS})?"
)
_POST = re.compile(r"以上|以下|以内|左右|余|多")
_MAG = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}
_PRE_QUAL = (
    "不少于|不低于|不超过|超过|高于|多于|达到|力争|突破|累计|最高|至少|将近|接近|不到|不足|约|近|逾|超|达|过"
).split("|")
_DURATION = {"年", "个月", "周", "天", "小时", "分钟"}
TITLE = re.compile(r"《[^《》]{2,80}》")
_DOC_TITLE = re.compile(r"计划|规划|方案|白皮书|报告|名单|条例|意见|办法|通知|观察|政策|纲要|清单|榜单")
SOURCE = re.compile(
    r"(?:另据|根据|(?<![数证依占])据)(?P<name>[^，,。；;：:]{2,20})(?:统计|报道|显示|数据|介绍|发布|公布)(?=[，,。：:；;]|$)"
)
YEAR = re.compile(
    r"(?P<pre>截止到|截至|截止|到|至)?(?P<y>(?:19|20)\d{2})年(?:度)?(?P<part>底|末|上半年|下半年|全年|以来)?"
    r"(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日|(?P<mend>底|末))?)?"
)
_TITLE_YEARS = re.compile(r"[(（]\d{4}(?:\s*[-—–~至]\s*\d{4})?年?度?[)）]")
_PLACES = [
    (r"宝安", "Bao'an (Shenzhen)"),
    (r"深圳|前海|福田|南山区|光明区|罗湖", "Shenzhen"),
    (r"杭州", "Hangzhou"),
    (r"北京", "Beijing"),
    (r"上海", "Shanghai"),
    (r"广州", "Guangzhou"),
    (r"广东", "Guangdong"),
    (r"山东|滨州", "Shandong"),
    (r"忻城", "Xincheng (Guangxi)"),
    (r"广西", "Guangxi"),
    (r"中国(?!平安|科学院|工程院|算力网|影史|动画|台湾|制造|创新|科技|人工智能|改革|[(（]深圳)|我国", "China"),
    (r"(?<![占居于出比为作])全国(?!第|首|前列|城市|大中|重点|比重)", "China"),
]
PLACE = re.compile("|".join(f"(?P<p{i}>{p})" for i, (p, _) in enumerate(_PLACES)))
SCOPES = tuple(dict.fromkeys(s for _, s in _PLACES))
_DELIMS = set("，,、；;：:。！？!?（(—\n")
_CLOSERS = set("，,、；;：:。！？!?）)」”\n")
# words stripped from the front of a clause before the thing measured: time, connectives, places, verbs
_LEAD = re.compile(
    r"(?:[一二三四五六七八九十]+、|[•·\s]|(?:到|至|截至|截止到?|在)?\d{4}年(?:度|底|末|上半年|下半年|全年|以来)?"
    r"(?:\d{1,2}月(?:底|末|\d{1,2}日)?)?|按照计划|具体目标包括|计划明确|其中|此外|另外|同时|目前|当前|今年|去年|届时"
    r"|近年来|全市|全县|全省|全区|全社会|工业重镇|共有|拥有|已有|已|将|还|的|共|仍|均|也|都|并|而|在|从|对|让|为"
    r"|(?:中国|全国|我国|" + "|".join(p for p, _ in _PLACES[:-2]) + r")(?:市|区|省|县)?)"
)
FLOW = re.compile(r"(?:累计培育|新增培育|新培育|培育|孵化出|孵化|新引进|引进|新设|新增)")
_VERB = re.compile(
    r"(?:累计培育|新增培育|新培育|培育|孵化出|孵化|新引进|引进|新设|新增|推出|集聚|汇聚|拥有|共有|实现|打造|设立|建成开通"
    r"|建成|开展|实施|发布|吸纳了|覆盖了|含|包括|入选|有|形成|完成|接入|举办|促成|投放|惠及|兑现|引进了|出现了|与)"
)
_TRAIL = re.compile(
    r"(?:不少于|不低于|超过|达到|突破|力争|提升至|上升至|增加到|约为|累计|最高|至少|将近|接近|不到|不足|约|近|逾|超|达|过"
    r"|为|是|在|至|共|以|已|将|中|内|里)$"
)
_VERB_END = re.compile(
    r"(?:推出|打造|集聚|汇聚|培育|建设|引进|实现|设立|孵化出|开展|实施|形成|提出|发布|推动|进行|共有|拥有|已有|有|了)$"
)
ANAPHORA = re.compile(r"^.{0,4}(?:按照计划|根据计划|计划明确|具体目标|届时|上述|该计划)")
_PAST = re.compile(r"截至|截止|已|显示|统计|去年|过去|同比")
_FUTURE = re.compile(r"力争|目标|(?<!行动)(?<!规划)计划|届时|预计|争取|将要|将会|将于|未来")
_TITLE_YEAR = re.compile(r"[(（](\d{4})年?度?[)）]")
GROWTH = re.compile(r"^(?:同比)?(?:年均)?(?:增长|增速|上升|增幅)率?$")


@dataclass(frozen=True)
class Fig:
    """One figure in a sentence: [start, end) is ``value_text``; qualifier words sit outside it."""

    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    post_end: int  # end of the figure with a trailing 以上/左右...
    value_max: float | None = None


def _num(s: str) -> float:
    return float(sum(float(p.replace(",", "")) for p in s.split("+")))


def _is_year(v: float, unit: str, mag: str | None) -> bool:
    return not mag and unit in ("", "年") and v.is_integer() and 1900 <= v <= 2100


def _masked(n: str, spans: list[tuple[int, int]], pos: int) -> bool:
    return any(a <= pos < b for a, b in spans)


def _label(n: str, s: int, e: int) -> bool:
    """Is [s, e) inside a short quoted name (「90%」, “1小时产业圈”)?"""
    opened = max(n.rfind("「", 0, s), n.rfind("“", 0, s))
    closed = max(n.rfind("」", 0, s), n.rfind("”", 0, s))
    if opened < 0 or closed > opened or s - opened > 4:
        return False
    end = min((i for i in (n.find("」", e), n.find("”", e)) if i >= 0), default=-1)
    return 0 <= end - e <= 8


def find_figures(n: str) -> list[Fig]:
    """Figures of a normalised sentence. Dates, years, list numbers, phone numbers, ordinals, codes
    (5G), fractions, numbers in titles or quoted as labels, horizons (未来2-3年) and descriptors
    (10亿元以上项目) are not figures."""
    titles = [(m.start(), m.end()) for m in TITLE.finditer(n)]
    convs = [(m.start(), m.end()) for m in re.finditer(r"[(（](?:约|合|折合|相当于)[^)）]*[)）]", n)]
    out: list[Fig] = []
    for m in FIGURE.finditer(n):
        s, e = m.start(), m.end()
        unit, mag = m.group("unit") or "", m.group("mag")
        v = _num(m.group("num"))
        nxt, prv = n[e : e + 1], n[s - 1 : s] if s else ""
        if _masked(n, titles, s) or _masked(n, convs, s) or prv in ("第", "/") or nxt in ("/", ":"):
            continue
        if (
            re.match(r"[A-Za-z]", nxt)
            or (not unit and nxt in ("月", "日", "号"))
            or ("+" in m.group("num") and not unit)
        ):
            continue
        if _is_year(v, unit, mag) or (not unit and not mag):
            continue  # a year, a year range, or a bare number (list item, phone, code)
        if len(re.sub(r"\D", "", m.group("num").split(".")[0])) >= 7 and not mag and unit != "元":
            continue
        if re.search(r"(?:电话|热线|传真|tel)[:：\s]*$", n[max(0, s - 8) : s], re.IGNORECASE):
            continue
        if _label(n, s, e):
            continue  # 「90%」, “1小时产业圈”: a name, not a figure
        if unit in _DURATION and (re.search(r"(?:未来|今后|近)$", n[:s]) or re.match(r"[前后来内]", nxt)):
            continue  # 未来2-3年, 40年前: a time reference
        if unit == "年" and m.group("num2") and _is_year(float(m.group("num2")), unit, mag):
            continue
        post = _POST.match(n, e)
        post_end = post.end() if post else e
        if (unit in ("元", "美元", "港元") or not unit) and re.match(r"(?:的)?(?:企业|项目|级)", n[post_end:]):
            continue  # 10亿元以上项目: describes the things counted
        mult = _MAG[mag] if mag else 1.0
        pre = next((q for q in _PRE_QUAL if n[:s].endswith(q)), "")
        approx = m.group("a1") or m.group("a2") or ""
        postq = post.group() if post else ""
        qual = "…".join(
            q for q in (pre if not (pre in ("达", "达到") and (postq or approx)) else "", approx or postq) if q
        )
        v2 = float(m.group("num2")) * mult if m.group("num2") else None
        if m.group("dash") and v2 is None:
            continue
        out.append(Fig(s, e, v * mult, unit, qual, post_end, v2))
    return out


@dataclass(frozen=True)
class YearRef:
    start: int
    end: int
    year: int
    as_of: str
    mode: str  # "to" (到2026年), "asof" (截至 / 年底 / a month), "plain"


def year_refs(n: str, doc_year: int) -> list[YearRef]:
    """Year expressions outside titles and plan-title brackets, plus 今年/去年 relative to the document."""
    masked = TITLE.sub(lambda m: " " * len(m.group()), n)
    masked = _TITLE_YEARS.sub(lambda m: " " * len(m.group()), masked)
    refs = []
    for m in YEAR.finditer(masked):
        y, part, mo = int(m.group("y")), m.group("part") or "", m.group("m")
        as_of = f"{y}-{int(mo):02d}" + (f"-{int(m.group('d')):02d}" if m.group("d") else "") if mo else str(y)
        if part in ("底", "末"):
            as_of = f"{y}-end"
        elif part in ("上半年", "下半年"):
            as_of = f"{y}-H{1 if part == '上半年' else 2}"
        pre = m.group("pre") or ""
        mode = "asof" if pre.startswith("截") or part in ("底", "末", "上半年", "下半年") or mo else "plain"
        if pre in ("到", "至") and not mo and part not in ("上半年", "下半年"):
            mode = "to" if y >= doc_year else "asof"  # 到2024年底 in a 2025 text is a report
        refs.append(YearRef(m.start(), m.end(), y, as_of, mode))
    for m in re.finditer(r"今年|去年|过去的?一年", masked):
        y = doc_year if m.group() == "今年" else doc_year - 1
        refs.append(YearRef(m.start(), m.end(), y, str(y), "plain"))
    return sorted(refs, key=lambda r: r.start)


def place_refs(n: str) -> list[tuple[int, str]]:
    """(position, scope) of every place name in a normalised text."""
    out = []
    for m in PLACE.finditer(n):
        idx = next(i for i, g in enumerate(m.groups()) if g is not None)
        out.append((m.start(), _PLACES[idx][1]))
    return out


def doc_titles(n: str) -> list[tuple[int, int]]:
    """Spans of 《...》 titles that name a plan, report or list (not a film or a book)."""
    return [(m.start(), m.end()) for m in TITLE.finditer(n) if _DOC_TITLE.search(m.group())]


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
    while a < b:
        m = _LEAD.match(n, a, b)
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
        t = _TRAIL.search(n, a, b)
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
    t = PLACE.sub("", metric_norm)
    t = re.sub(r"全市|全县|全省|全社会|[“”「」\s….]", "", t).replace("国家级", "国家").replace("机械人", "机器人")
    t = re.sub(r"(数量|总数|总量)$", "", t)
    t = re.sub(r"独角兽(?!企业)", "独角兽企业", t)
    base = re.sub(r"^(?:累计|新增|新)", "", flow)
    if base.startswith("培育"):
        base = "培育"
    elif base.startswith("孵化"):
        base = "孵化"
    return base + t


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
        self.places = place_refs(self.n)
        common = Counter(sc for _, sc in self.places).most_common(1)
        self.default_scope = common[0][0] if common else ""
        self.captions = _caption_spans(doc.raw)
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
        t = _nearest(doc_titles(n), fig.start)
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
        kind = infer_kind(ref, window, self.doc_year)
        if ref is not None:
            return ref.year, ref.as_of, source, kind
        t = _TITLE_YEAR.search(n) if kind == "statistic" else None
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
            place = [p for p in self.places if p[0] < s + fig.start and not any(x <= p[0] < y for x, y in posts)]
            scope = place[-1][1] if place else self.default_scope
            year, as_of, year_from, kind = self._year(n, fig, refs, para_year)
            kind = support_kind(n, fig, kind)
            key = group_metric(norm, flow)
            unit_class = "%" if fig.unit in ("%", "个百分点", "百分点") else fig.unit if "元" in fig.unit else "n"
            group = f"{scope}/{key}/{unit_class}"
            if (group, fig.value, year, kind) in self.seen:
                continue  # the same statement repeated in one document (a sidebar restating the article)
            self.seen.add((group, fig.value, year, kind))
            start, end = self.doc.raw_span(s, e)
            self.out.append(
                {
                    "doc_id": self.doc.doc_id,
                    "start": start,
                    "end": end,
                    "quote": o,
                    "metric": display.strip(" “”「」\"'…."),
                    "metric_en": self.to_english(key) or self.to_english(norm) or "",
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
    """A support scheme's figure: its budget (总额), its cap (最高 / 不超过 / 上限 money) or its rate
    (不超过合同金额的50%, 按成本的60%); otherwise ``kind`` as the year made it."""
    roles = support_role(n)
    if not roles:
        return kind
    ca, _ = clause(n, fig.start, fig.end)
    before = n[ca : fig.start]
    money = "元" in fig.unit
    if money and "budget" in support_role(before):
        return "budget"
    direction = nearest_bound(before) or bound("", n[fig.end : fig.post_end])
    if "support" in roles and direction == AT_MOST:
        return "cap" if money else "rate" if fig.unit == "%" else kind
    if fig.unit == "%" and "support" in roles and (re.search(r"按[^，,；;。]*$", before) or "support" in support_role(before)):
        return "rate"
    return kind


def document_year(published: str, text: str) -> int:
    """The manifest date's year; without one, the latest year the text reports (not 到2026年), else 0."""
    m = re.search(r"(?:19|20)\d{2}", published)
    if m:
        return int(m.group())
    said = [int(r.group("y")) for r in YEAR.finditer(text) if r.group("pre") not in ("到", "至")]
    return max(said, default=0)


def infer_kind(ref: YearRef | None, n: str, doc_year: int) -> str:
    """Target for plans and goals (到2026年, 力争, 目标, a future year), statistic for what is reported."""
    if ref is not None:
        if ref.mode == "to":
            return "target"
        if ref.mode == "asof" or ref.year < doc_year:
            return "statistic"
        if ref.year > doc_year:
            return "target"
    if _PAST.search(n):
        return "statistic"
    return "target" if _FUTURE.search(n) else "statistic"


def _caption_spans(raw: str) -> list[tuple[int, int]]:
    """Raw spans of photo captions and bylines as the cleaner classifies them."""
    try:
        from rag.ingest.cleaning import _classify, _split_lines

        lines = _split_lines(raw)
        _classify(raw, lines)
        return [(ln.start, ln.end) for ln in lines if ln.kind in ("caption", "byline")]
    except (ImportError, AttributeError, TypeError):  # the cleaner changed: keep every sentence
        return []


def _nearest(items: list[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    before = [t for t in items if t[0] < pos]
    return before[-1] if before else (items[0] if items else None)
