"""Strip what is not article text and rejoin broken lines, keeping a map back to the original.

Cleaning only *selects* characters of the original text (it never rewrites them), except that
a line break may stand in as the space between two Latin words. So for every cleaned character
``text[i]`` the original character is ``raw[offsets[i]]``, and any cleaned span maps to an exact
span of the file as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINAL = set("。！？!?；;…：:")
_CLOSERS = set("」』”\"）)】’")
_SPACE = " \t\u3000\u00a0\r"
_CJKISH = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’《》「」『』【】〈〉…·•]")

_IMAGE = re.compile(r"(^!\[.*\]\(.*\)$)|(\.(jpe?g|png|gif|webp)\)?$)", re.IGNORECASE)
_NAV = re.compile(r"(->|»|>>)|^(您現在的位置|您现在的位置|当前位置|當前位置)")
_WIDGET = re.compile(r"^(分享到|【?字號|【?字号|打印|關閉|关闭|收藏|返回頂部|返回顶部|-+|—+|\*+)[:：]?$")
_COUNTER = re.compile(r"^[(（]\d+[)）]$")
_DATELINE = re.compile(r"^(時間|时间|發布時間|发布时间)?[:：]?\s*\d{4}-\d{1,2}-\d{1,2}(\s+\d{1,2}:\d{2})?(\s*\|.*)?$")
_EDITOR = re.compile(r"^[【\[](編輯|编辑|責任編輯|责任编辑)[:：].*[】\]]$")
_BYLINE = re.compile(r"^(□|■|◎)\s*\S")
_SOURCE_LINE = re.compile(r"^(資料來源|资料来源|來源|来源)[:：]\S{1,12}$")
_CREDIT_LINE = re.compile(r"^((新華社|新华社|本報|本报)?(記者|记者)\s*\S+(\s+\S+)?\s*(攝|摄)|新華社|新华社|網絡圖片|网络图片)$")
_CAPTION_END = re.compile(r"(資料圖|资料图|檔案圖|档案图|網絡圖片|网络图片|新華社|新华社)[。.]?$")
_PHOTO_LINE = re.compile(r"(資料圖|资料图|檔案圖|档案图|網絡圖片|网络图片)[。.]?$")
_TRAILING_CREDIT = re.compile(r"(?<=[。！？」])[\s\u3000]*(新華社|新华社|中新社)$")
_CAPTION_START = "◀▶▲▼►◄"
_CAPTION_CREDIT = re.compile(
    r"[\s\u3000]*((新華社|新华社|央視新聞|央视新闻|深圳市政府|中新社)?(資料圖|资料图|檔案圖|档案图)|網絡圖片|网络图片|新華社|新华社)[。.]?"
)
_TRAILER = {"視頻", "视频", "更多", "更 多", "相關新聞", "相关新闻", "相關閱讀", "相关阅读", "推薦閱讀", "推荐阅读"}
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_ENUM_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_HEADLINE_GAP = re.compile(r"[\u4e00-\u9fff][ \u3000]+[\u4e00-\u9fff]")
_HEADING_BAD = set("，,。、；;：:！!？?")


@dataclass(frozen=True)
class Cleaned:
    text: str
    offsets: tuple[int, ...]
    headings: tuple[tuple[int, str], ...]


@dataclass
class _Line:
    start: int  # raw offset of the first kept character (after stripping)
    end: int
    kind: str = "text"  # text | heading | caption | byline | drop | blank
    block: int = 0  # captions: lines of one caption share a block number

    def content(self, raw: str) -> str:
        return raw[self.start : self.end]


def _split_lines(raw: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    for piece in raw.splitlines(keepends=True):
        body = piece.rstrip("\r\n")
        s, e = pos, pos + len(body)
        while s < e and raw[s] in _SPACE:
            s += 1
        while e > s and raw[e - 1] in _SPACE:
            e -= 1
        lines.append(_Line(s, e, "text" if e > s else "blank"))
        pos += len(piece)
    return lines


def _ends_sentence(raw: str, end: int) -> bool:
    """Does the text ending at ``end`` close a sentence? A closing quote counts only after 。！？."""
    if end <= 0:
        return True
    last = raw[end - 1]
    if last in TERMINAL:
        return True
    if last in _CLOSERS:
        return end >= 2 and (raw[end - 2] in TERMINAL or (raw[end - 2] in _CLOSERS and _ends_sentence(raw, end - 1)))
    return False


def _is_cjkish(ch: str) -> bool:
    return bool(_CJKISH.match(ch))


def _heading_like(text: str) -> bool:
    if _MD_HEADING.match(text):
        return True
    if not 2 <= len(text) <= 30 or any(c in _HEADING_BAD for c in text):
        return bool(_ENUM_HEADING.match(text)) and len(text) <= 30 and text[-1] not in "。！？!?；;：:"
    return text[-1] not in TERMINAL and not text[0].isdigit() and text[0] not in "•·-*"


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in ("「」", "『』", "“”", "《》", "（）", "()"))


def _trim_caption(raw: str, ln: _Line) -> None:
    """Drop the arrow that marks a caption and the photo credit that ends it."""
    while ln.start < ln.end and (raw[ln.start] in _CAPTION_START or raw[ln.start] in _SPACE):
        ln.start += 1
    m = _CAPTION_CREDIT.search(raw, ln.start, ln.end)
    if m and m.end() == ln.end:
        ln.end = m.start()
    while ln.end > ln.start and raw[ln.end - 1] in _SPACE:
        ln.end -= 1
    if ln.end <= ln.start:
        ln.kind = "drop"


def _classify(raw: str, lines: list[_Line]) -> None:
    """Mark each line text, caption (kept, out of the sentence flow) or drop."""
    n = len(lines)
    in_caption = False
    prev_image = False
    block = 0
    for i, ln in enumerate(lines):
        if ln.kind == "blank":
            continue
        t = ln.content(raw)
        if t in _TRAILER and i > n * 0.5:
            for rest in lines[i:]:
                rest.kind = "drop" if rest.kind != "blank" else "blank"
            return
        if in_caption or t[0] in _CAPTION_START:
            if not in_caption:
                block += 1
            nxt_blank = i + 1 < n and lines[i + 1].kind == "blank"
            in_caption = not (_CAPTION_END.search(t) or (t[-1] in TERMINAL and nxt_blank))
            ln.kind, ln.block = "caption", block
            _trim_caption(raw, ln)
            continue
        if _IMAGE.search(t):
            ln.kind, prev_image = "drop", True
            continue
        if prev_image and len(t) <= 20 and t[-1] not in TERMINAL:
            block += 1
            ln.kind, ln.block = ("drop" if _CREDIT_LINE.match(t) else "caption"), block
            continue
        prev_image = False
        if _PHOTO_LINE.search(t) and len(t) <= 120:
            block += 1
            ln.kind, ln.block = "caption", block
            _trim_caption(raw, ln)
            continue
        if (
            (_NAV.search(t) and len(t) <= 40)
            or _WIDGET.match(t)
            or _COUNTER.match(t)
            or _DATELINE.match(t)
            or _EDITOR.match(t)
            or _SOURCE_LINE.match(t)
        ):
            ln.kind = "drop"
            continue
        if _BYLINE.match(t):  # "□ 本报记者 罗勉": the author, a paragraph of its own
            block += 1
            ln.kind, ln.block = "byline", block
            ln.start += 1
            while ln.start < ln.end and raw[ln.start] in _SPACE:
                ln.start += 1
            continue
        m = _TRAILING_CREDIT.search(t)
        if m:  # "...再進一步。 新華社": keep the sentence, drop the agency credit
            ln.end = ln.start + m.start()
            continue
        if _CREDIT_LINE.match(t):
            ln.kind = "drop"
            if "攝" in t or "摄" in t:  # the photo's caption is the paragraph just before
                j = i - 1
                while j >= 0 and lines[j].kind == "blank":
                    j -= 1
                k = j
                while k >= 0 and lines[k].kind != "blank":
                    k -= 1
                if j >= 0 and sum(x.end - x.start for x in lines[k + 1 : j + 1]) <= 300:
                    block += 1
                    for x in lines[k + 1 : j + 1]:
                        x.kind, x.block = "caption", block
            continue


def _mark_headings(raw: str, lines: list[_Line]) -> None:
    prev_text: _Line | None = None  # previous kept line
    kept = [ln for ln in lines if ln.kind in ("text", "heading")]
    lengths = sorted(ln.end - ln.start for ln in kept)
    # In a print/OCR layout most lines have the column's width: a line nearly that long is a
    # broken sentence, not a headline.
    column = lengths[len(lengths) // 2] if lengths else 0
    for idx, ln in enumerate(kept):
        t = ln.content(raw)
        starts_block = prev_text is None or prev_text.kind == "heading" or _ends_sentence(raw, prev_text.end)
        if _MD_HEADING.match(t):
            ln.kind = "heading"
        elif starts_block and _heading_like(t) and _balanced(t):
            if len(t) >= 0.8 * column and not _HEADLINE_GAP.search(t):
                prev_text = ln
                continue
            nxt = kept[idx + 1].content(raw) if idx + 1 < len(kept) else ""
            first_stop = next((k for k, c in enumerate(nxt) if c in TERMINAL), len(nxt))
            # "深圳加快培育新質生產" + "力。..." is a sentence broken by layout, not a heading
            continues = nxt[:1].islower() or (first_stop <= 2 and not _heading_like(nxt))
            if not (nxt and continues):
                ln.kind = "heading"
        prev_text = ln


@dataclass
class _Unit:
    kind: str  # text | heading | caption
    spans: list[tuple[int, int]]
    block: int = 0


def _units(raw: str, lines: list[_Line]) -> list[_Unit]:
    """Group lines into paragraphs, headings and captions.

    A caption that interrupts a sentence (the special report puts one between 高楼大 and 厦)
    is moved after the paragraph it interrupts, so the sentence is whole again.
    """
    units: list[_Unit] = []
    pending: list[_Unit] = []
    current: _Unit | None = None
    blank_gap = False

    def is_open(u: _Unit | None) -> bool:
        return u is not None and u.kind == "text" and not _ends_sentence(raw, u.spans[-1][1])

    def flush() -> None:
        units.extend(pending)
        pending.clear()

    for ln in lines:
        if ln.kind == "blank":
            blank_gap = True
            continue
        if ln.kind == "drop":
            continue
        s, e = ln.start, ln.end
        if ln.kind == "byline":
            flush()
            units.append(_Unit("caption", [(s, e)], ln.block))
            current = None
            continue
        if ln.kind == "caption":
            last = pending[-1] if pending else (units[-1] if units else None)
            if last is not None and last.kind == "caption" and last.block == ln.block:
                last.spans.append((s, e))
            else:
                (pending if is_open(current) else units).append(_Unit("caption", [(s, e)], ln.block))
            continue
        if ln.kind == "heading":
            m = _MD_HEADING.match(ln.content(raw))
            s += m.end() if m else 0
            prev = units[-1] if units else None
            if prev is not None and prev.kind == "heading" and not blank_gap and e - s <= 12 and not m:
                prev.spans.append((s, e))  # a heading broken over two lines ("數讀深圳AI" / "發展成果")
            else:
                flush()
                units.append(_Unit("heading", [(s, e)]))
            current = None
        else:
            joinable = is_open(current) and raw[s] not in "•·" and not _ENUM_HEADING.match(raw[s:e])
            if joinable and current is not None:
                current.spans.append((s, e))
            else:
                flush()
                current = _Unit("text", [(s, e)])
                units.append(current)
            if not is_open(current):
                flush()
        blank_gap = False
    flush()
    return units


# a pinyin reading in brackets right after a Han character: 區(qū), 產(chǎn)業(yè) (at least one tone mark,
# so an ordinary bracketed word such as 模型即服务(MaaS) stays)
_RUBY = re.compile(
    r"(?<=[\u3400-\u9fff])[(（]([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ][a-zü]*)[)）]"
)


def ruby_spans(raw: str) -> list[tuple[int, int]]:
    """(start, end) of every bracketed pinyin reading after a Han character."""
    return [m.span() for m in _RUBY.finditer(raw)]


def clean(raw: str) -> Cleaned:
    """Clean one document's text. Returns the cleaned text, the offset map and the headings.

    Pinyin readings after characters (產(chǎn)業(yè)) are left out, as a selection like the rest.
    """
    ruby = bytearray(len(raw))
    for a, b in ruby_spans(raw):
        ruby[a:b] = b"\x01" * (b - a)
    lines = _split_lines(raw)
    _classify(raw, lines)
    _mark_headings(raw, lines)
    out: list[str] = []
    offs: list[int] = []
    headings: list[tuple[int, str]] = []

    def emit_span(s: int, e: int) -> None:
        for p in range(s, e):
            if ruby[p]:
                continue
            c = raw[p]
            if c in _SPACE:
                # keep a space only between two Latin/digit characters
                before = out[-1] if out else ""
                q = p
                while q < e and raw[q] in _SPACE:
                    q += 1
                after = raw[q] if q < e else ""
                if not before or not after or _is_cjkish(before) or _is_cjkish(after) or before == " ":
                    continue
                c = " "
            out.append(c)
            offs.append(p)

    for unit in _units(raw, lines):
        first = unit.spans[0][0]
        brk = _newline_before(raw, first)
        if out and brk >= 0:
            out.append("\n")
            offs.append(brk)
        start = len(out)
        prev_end: int | None = None
        for s, e in unit.spans:
            brk = _newline_between(raw, prev_end, s) if prev_end is not None else -1
            if brk >= 0 and out and not (_is_cjkish(out[-1]) or _is_cjkish(raw[s])):
                out.append(" ")
                offs.append(brk)  # the line break stands in for the space
            emit_span(s, e)
            prev_end = e
        if unit.kind == "heading":
            headings.append((start, "".join(out[start:])))
    return Cleaned("".join(out), tuple(offs), tuple(headings))


_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on


def _newline_before(raw: str, pos: int) -> int:
    """The line break just before ``pos``, or -1."""
    return max(raw.rfind(b, 0, pos) for b in _BREAKS)


def _newline_between(raw: str, a: int, b: int) -> int:
    found = [i for i in (raw.find(c, a, b) for c in _BREAKS) if i >= 0]
    return min(found) if found else -1
