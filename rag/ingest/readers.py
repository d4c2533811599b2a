"""A file's text by its type: bytes decoded, HTML pages and PDFs reduced to what a reader sees.

Enters: a file's bytes (or, for a PDF, its path). Leaves: ``decode`` (text and the encoding it
was read in: UTF-8, else GB18030 or Big5, whichever reads as more plausible Chinese),
``extract_html`` (visible article text and title; hidden elements dropped by ``drop_hidden``)
and ``extract_pdf`` (every page's text); ``SUFFIXES`` are the file types read. A file that cannot
be read raises ``DocumentError`` naming it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import DocumentError
from rag.text.textnorm import cjk_count

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode bytes as UTF-8, else the Chinese legacy encoding that reads most plausibly.

    GBK and Big5 byte streams often decode without error in each other's codec, so the
    candidates are ranked by how many of their characters are common Chinese characters.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{name}: binary file (NUL bytes), not text; valid: {', '.join(SUFFIXES)}")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    decoded = 0
    for enc in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        decoded += 1
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, text, enc)
    # rare characters (CJK extensions) score low, but when only one codec reads the bytes and
    # what it reads is letters, not control codes, it is that codec's text
    if best is None or (best[0] < 0.3 and not (decoded == 1 and _all_letters(best[1]))):
        raise DocumentError(f"{name}: cannot decode as UTF-8, GBK/GB18030 or Big5")
    return best[1], best[2]


def _all_letters(text: str) -> bool:
    chars = [c for c in text if not c.isspace()]
    letters = sum(1 for c in chars if unicodedata.category(c)[0] in "LNP")
    return bool(chars) and letters / len(chars) > 0.9 and not any(unicodedata.category(c) == "Cc" for c in chars)


_COMMON = set(
    "的一是在不了有和人這这中大為为上個个國国我以要他時时來来用們们生到作地於于出就分對对成會会可主發发年動动同工也能下過过子說说產产種种面而方後后多定行學学"
    "法所民得經经十三之進进著着等部度家電电力裡里如水化高自二理起小物現现實实加量都兩两體体制機机當当使點点從从業业本去把性好應应開开它合還还因由其些然前外天政四"
    "日那社義义事平形相全表間间樣样與与關关各重新線线內内數数正心反你明看原又麼么利比或但質质氣气第向道命此變变條条只沒没結结解問问意建月公無无系軍军很情者最立代想"
    "已通並并提直題题黨党程展五果料象員员革位入常文總总次品式活設设及管特件長长求老頭头基資资邊边流路級级少圖图山統统接知較较將将組组見见計计別别她手角期根論论運运"
    "農农指幾几九區区強强放決决西被幹干做必戰战先回則则任取據据處处府研究深圳企億亿萬万元智能人工"
)


def _plausibility(text: str) -> float:
    han = [c for c in text if cjk_count(c)]
    if not han:
        return 1.0 if text.isascii() else 0.0
    return sum(1 for c in han if c in _COMMON) / len(han)


def extract_html(data: str) -> tuple[str, str]:
    """Visible article text and title of an HTML page (scripts, styles, navigation removed)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    drop_hidden(soup)
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "template"]):
        tag.decompose()
    title = ""
    h1 = soup.find("h1")
    if h1 and h1.get_text(strip=True):
        title = h1.get_text(" ", strip=True)
    elif soup.title and soup.title.get_text(strip=True):
        title = soup.title.get_text(" ", strip=True)
    blocks = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "pre", "blockquote", "div"]):
        if el.find(["p", "div", "li", "h1", "h2", "h3", "table"]):
            continue  # a container: its children are taken one by one
        text = el.get_text(" ", strip=True)
        if text:
            blocks.append(("## " + text) if el.name and el.name[0] == "h" and el.name[1:].isdigit() else text)
    if not blocks:
        blocks = [soup.get_text("\n", strip=True)]
    return "\n\n".join(blocks), title


# what a browser would not show: a page's hidden text is no part of what its reader was told
_ZERO = r"\s*:\s*0(?:\.0*)?(?:px|em|rem|pt|%|vh|vw)?\s*(?:!important\s*)?(?:;|$)"
_HIDDEN_CSS = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|(?<![\w-])(?:width|height|max-width|max-height|font-size|"
    rf"opacity|line-height){_ZERO}|clip\s*:\s*rect\(\s*0|(?<![\w-])(?:left|top|text-indent)\s*:\s*-\d{{4,}}",
    re.I,
)


def drop_hidden(soup: BeautifulSoup) -> int:
    """Remove elements hidden by attribute (``hidden``, ``aria-hidden``), inline style or a simple
    ``<style>`` rule (display:none, visibility:hidden, zero size, off-screen). Returns how many."""
    hidden: list[Tag] = []
    for style in soup.find_all("style"):
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", style.get_text()):
            if not _HIDDEN_CSS.search(body):
                continue
            for sel in selectors.split(","):
                sel = sel.strip()
                if sel and ":" not in sel and "@" not in sel:  # :hover and @media hide only sometimes
                    try:
                        hidden += soup.select(sel)
                    except Exception:  # selectors soupsieve cannot parse are left alone
                        continue
    for el in soup.find_all(True):
        attrs = el.attrs or {}
        if ("hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true"
                or _HIDDEN_CSS.search(str(attrs.get("style", "")))):
            hidden.append(el)
    n = 0
    for el in hidden:
        if not el.decomposed:
            el.decompose()
            n += 1
    return n


def extract_pdf(path: Path) -> str:
    """Text of every page of a PDF; encrypted or broken files raise DocumentError."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and reader.decrypt("") == 0:
            raise DocumentError(f"{path.name}: encrypted PDF; decrypt it first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{path.name}: broken PDF ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises a wide range of errors on damaged files
        raise DocumentError(f"{path.name}: unreadable PDF ({exc.__class__.__name__})") from None
    return "\n\n".join(pages)

