"""Strip what is not article text and rejoin broken lines, keeping a map back to the original.

Cleaning only *selects* characters of the original text (it never rewrites them), except that
a line break may stand in as the space between two Latin words. So for every cleaned character
``text[i]`` the original character is ``raw[offsets[i]]``, and any cleaned span maps to an exact
span of the file as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINAL = set("。！？!?；;…：:」』”\"）)】")
_SPACE = " \t\u3000\u00a0\r"
_CJKISH = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’《》「」『』【】〈〉…·•]")

_IMAGE = re.compile(r"(^!\[.*\]\(.*\)$)|(\.(jpe?g|png|gif|webp)\)?$)", re.IGNORECASE)
_NAV = re.compile(r"(->|»|>>)|^(您現在的位置|您现在的位置|当前位置|當前位置)")
_WIDGET = re.compile(r"^(分享到|【?字號|【?字号|打印|關閉|关闭|收藏|返回頂部|返回顶部|-+|—+|\*+)[:：]?$")
_COUNTER = re.compile(r"^[(（]\d+[)）]$")
_DATELINE = re.compile(r"^(時間|时间|發布時間|发布时间)?[:：]?\s*\d{4}-\d{1,2}-\d{1,2}(\s+\d{1,2}:\d{2})?(\s*\|.*)?$")
_EDITOR = re.compile(r"^[【\[](編輯|编辑|責任編輯|责任编辑)[:：].*[】\]]$")
_BYLINE = re.compile(r"^□")
_CREDIT_LINE = re.compile(r"^((新華社|新华社|本報|本报)?(記者|记者)\s*\S+(\s+\S+)?\s*(攝|摄)|新華社|新华社|網絡圖片|网络图片)$")
_CAPTION_END = re.compile(r"(資料圖|资料图|檔案圖|档案图|網絡圖片|网络图片|新華社|新华社)[。.]?$")
_PHOTO_LINE = re.compile(r"(資料圖|资料图|檔案圖|档案图|網絡圖片|网络图片)[。.]?$")
_TRAILING_CREDIT = re.compile(r"(?<=[。！？」])[\s\u3000]*(新華社|新华社|中新社)$")
_CAPTION_START = "◀▶▲▼►◄"
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
    kind: str = "text"  # text | heading | drop | blank

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


def _classify(raw: str, lines: list[_Line]) -> None:
    n = len(lines)
    in_caption = False
    prev_image = False
    for i, ln in enumerate(lines):
        if ln.kind == "blank":
            continue
        t = ln.content(raw)
        if t in _TRAILER and i > n * 0.5:
            for rest in lines[i:]:
                rest.kind = "drop" if rest.kind != "blank" else "blank"
            return
        if in_caption or t[0] in _CAPTION_START:
            ln.kind = "drop"
            nxt_blank = i + 1 < n and lines[i + 1].kind == "blank"
            in_caption = not (_CAPTION_END.search(t) or (t[-1] in TERMINAL and nxt_blank))
            continue
        if _IMAGE.search(t):
            ln.kind, prev_image = "drop", True
            continue
        if prev_image and len(t) <= 20 and t[-1] not in TERMINAL:
            ln.kind = "drop"  # caption under an image
            continue
        prev_image = False
        if (
            _NAV.search(t) and len(t) <= 40
            or _WIDGET.match(t)
            or _COUNTER.match(t)
            or _DATELINE.match(t)
            or _EDITOR.match(t)
            or _BYLINE.match(t)
            or _PHOTO_LINE.search(t) and len(t) <= 120
        ):
            ln.kind = "drop"
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
                    for x in lines[k + 1 : j + 1]:
                        x.kind = "drop"
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
        starts_block = prev_text is None or prev_text.kind == "heading" or prev_text.content(raw)[-1] in TERMINAL
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


def clean(raw: str) -> Cleaned:
    """Clean one document's text. Returns the cleaned text, the offset map and the headings."""
    lines = _split_lines(raw)
    _classify(raw, lines)
    _mark_headings(raw, lines)
    out: list[str] = []
    offs: list[int] = []
    headings: list[tuple[int, str]] = []

    def emit_span(s: int, e: int) -> None:
        for p in range(s, e):
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

    last: _Line | None = None
    blank_gap = False
    for ln in lines:
        if ln.kind == "blank":
            blank_gap = True
            continue
        if ln.kind == "drop":
            continue
        s, e = ln.start, ln.end
        if ln.kind == "heading":
            m = _MD_HEADING.match(ln.content(raw))
            if m:
                s += m.end()
        joining = (
            last is not None
            and last.kind == "text"
            and ln.kind == "text"
            and raw[last.end - 1] not in TERMINAL
            and not raw[s] in "•·"
            and not _ENUM_HEADING.match(raw[s:e])
        )
        merge_heading = (
            last is not None
            and last.kind == "heading"
            and ln.kind == "heading"
            and not blank_gap
            and e - s <= 12
            and not _MD_HEADING.match(ln.content(raw))
        )
        if last is not None:
            if joining:
                a, b = out[-1], raw[s]
                if not (_is_cjkish(a) or _is_cjkish(b)):
                    out.append(" ")
                    offs.append(last.end)  # the line break stands in for the space
            elif merge_heading:
                pass  # a heading broken over two lines ("數讀深圳AI" / "發展成果")
            else:
                out.append("\n")
                offs.append(_newline_between(raw, last.end, s))
        if ln.kind == "heading":
            if merge_heading:
                start, text0 = headings.pop()
                emit_span(s, e)
                headings.append((start, text0 + raw[s:e]))
            else:
                headings.append((len(out), raw[s:e]))
                emit_span(s, e)
        else:
            emit_span(s, e)
        last = ln
        blank_gap = False
    return Cleaned("".join(out), tuple(offs), tuple(headings))


def _newline_between(raw: str, a: int, b: int) -> int:
    idx = raw.find("\n", a, b)
    return idx if idx >= 0 else a
