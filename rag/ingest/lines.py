"""What each line of a document is: article text, a photo caption, a byline, or something to drop.

Enters: a document's raw text. Leaves: its ``Line``s (raw start and end of the kept characters,
and a kind: text, caption, byline, drop or blank; lines of one caption share a block number),
from ``split_lines`` then ``classify_lines``; ``caption_spans`` gives the raw spans of the
captions and bylines alone. Navigation, share widgets, datelines, editor and photo credits are
dropped; a caption is trimmed of its arrow and photo credit. Nothing of the text is rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINAL = set("。！？!?；;…：:")
SPACE = " \t\u3000\u00a0\r"

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


@dataclass
class Line:
    """One line of the raw text: the span of its kept characters (surrounding spaces stripped) and its kind."""

    start: int  # raw offset of the first kept character (after stripping)
    end: int
    kind: str = "text"  # text | heading | caption | byline | drop | blank
    block: int = 0  # captions: lines of one caption share a block number

    def content(self, raw: str) -> str:
        return raw[self.start : self.end]


def split_lines(raw: str) -> list[Line]:
    """Every line of ``raw`` (as ``str.splitlines`` splits it), text or blank, not yet classified."""
    lines: list[Line] = []
    pos = 0
    for piece in raw.splitlines(keepends=True):
        body = piece.rstrip("\r\n")
        s, e = pos, pos + len(body)
        while s < e and raw[s] in SPACE:
            s += 1
        while e > s and raw[e - 1] in SPACE:
            e -= 1
        lines.append(Line(s, e, "text" if e > s else "blank"))
        pos += len(piece)
    return lines


def _trim_caption(raw: str, ln: Line) -> None:
    """Drop the arrow that marks a caption and the photo credit that ends it."""
    while ln.start < ln.end and (raw[ln.start] in _CAPTION_START or raw[ln.start] in SPACE):
        ln.start += 1
    m = _CAPTION_CREDIT.search(raw, ln.start, ln.end)
    if m and m.end() == ln.end:
        ln.end = m.start()
    while ln.end > ln.start and raw[ln.end - 1] in SPACE:
        ln.end -= 1
    if ln.end <= ln.start:
        ln.kind = "drop"


def classify_lines(raw: str, lines: list[Line]) -> None:
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
            while ln.start < ln.end and raw[ln.start] in SPACE:
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


def caption_spans(raw: str) -> list[tuple[int, int]]:
    """Raw (start, end) of every photo caption and byline line, as the cleaner classifies them."""
    lines = split_lines(raw)
    classify_lines(raw, lines)
    return [(ln.start, ln.end) for ln in lines if ln.kind in ("caption", "byline")]
