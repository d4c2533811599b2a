"""Strip what is not article text and rejoin broken lines, keeping a map back to the original.

Cleaning only *selects* characters of the original text (it never rewrites them), except that
a line break may stand in as the space between two Latin words. So for every cleaned character
``text[i]`` the original character is ``raw[offsets[i]]``, and any cleaned span maps to an exact
span of the file as it is.

Enters: a document's raw text. Leaves: ``Cleaned`` (text, offsets into the raw text, headings).
What each line is (text, caption, byline, dropped) is decided in ``rag.ingest.lines``; here the
kept lines become headings and paragraphs, captions move out of the sentences they interrupt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest.lines import SPACE, TERMINAL, Line, classify_lines, split_lines

_CLOSERS = set("」』”\"）)】’")
_CJKISH = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’《》「」『』【】〈〉…·•]")

_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_ENUM_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_HEADLINE_GAP = re.compile(r"[\u4e00-\u9fff][ \u3000]+[\u4e00-\u9fff]")
_HEADING_BAD = set("，,。、；;：:！!？?")


@dataclass(frozen=True)
class Cleaned:
    """A document's cleaned text, the raw offset of each of its characters, and its headings."""

    text: str
    offsets: tuple[int, ...]
    headings: tuple[tuple[int, str], ...]


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


def _mark_headings(raw: str, lines: list[Line]) -> None:
    prev_text: Line | None = None  # previous kept line
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


def _units(raw: str, lines: list[Line]) -> list[_Unit]:
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
            # a blank line ends an English paragraph; a Chinese sentence may run on over one (a page break)
            after_latin = current is not None and blank_gap and not _is_cjkish(raw[current.spans[-1][1] - 1])
            joinable = is_open(current) and not after_latin and raw[s] not in "•·" and not _ENUM_HEADING.match(raw[s:e])
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
    lines = split_lines(raw)
    classify_lines(raw, lines)
    _mark_headings(raw, lines)
    out: list[str] = []
    offs: list[int] = []
    headings: list[tuple[int, str]] = []

    def emit_span(s: int, e: int) -> None:
        for p in range(s, e):
            if ruby[p]:
                continue
            c = raw[p]
            if c in SPACE:
                # keep a space only between two Latin/digit characters
                before = out[-1] if out else ""
                q = p
                while q < e and raw[q] in SPACE:
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
