"""Checks on an uploaded file before it may enter the corpus folder: name, size, type by content.

Nothing here writes anything; ``ui.library`` stages and commits what passes. Every refusal is
an ``UploadError`` whose message is one line naming the file, what is wrong and what is valid.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from rag.errors import DocumentError, PolicyQAError
from rag.ingest.corpus import SUFFIXES, decode

MAX_NAME_CHARS = 120
MAX_META_CHARS = {"title": 300, "publisher": 200, "published": 40}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# what a file really is, by its first bytes: anything here is refused whatever its name says
MAGIC = (
    (b"MZ", "a Windows program"), (b"\x7fELF", "a Linux program"), (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a Java class or macOS program"), (b"#!", "a script"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Excel file)"), (b"Rar!", "a RAR archive"), (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"\xd0\xcf\x11\xe0", "an old Office file"), (b"%PDF-", "a PDF"),
)
_UNSAFE = re.compile(r"[^\w.\-]+")


class UploadError(PolicyQAError):
    """An uploaded file, or the metadata given with it, is refused."""


def safe_name(name: str) -> str:
    """The file name to store ``name`` under, or UploadError when it is not a plain file name.

    A name carrying a folder part ("../x.txt", "a/b.txt", "C:\\x.txt") is refused rather than
    cut down, since it says the sender meant another place; other odd characters become "-".
    """
    raw = str(name or "")
    if not raw.strip():
        raise UploadError("a file has no name; give it a name like report.pdf")
    if any(ch in raw for ch in "/\\\x00") or raw.strip() in (".", "..") or re.match(r"^[A-Za-z]:", raw):
        raise UploadError(f"file name {raw[:80]!r} points outside the corpus folder; give a plain name like report.pdf")
    text = unicodedata.normalize("NFC", raw.strip())
    if text.startswith("."):
        raise UploadError(f"file name {raw[:80]!r} starts with a dot (hidden files are not indexed); rename it")
    suffix = Path(text).suffix.lower()
    stem = _UNSAFE.sub("-", text[: len(text) - len(suffix)] if suffix else text).strip("-._")
    if suffix not in SUFFIXES:
        raise UploadError(f"{raw[:80]}: unsupported file type {suffix or '(none)'!r}; valid: {', '.join(SUFFIXES)}")
    if not stem:
        raise UploadError(f"file name {raw[:80]!r} has no usable characters before {suffix}; rename it")
    return stem[:MAX_NAME_CHARS] + suffix


def check_content(name: str, data: bytes, max_bytes: int) -> None:
    """Refuse an empty, oversized, binary or disguised file. ``name`` is already safe."""
    suffix = Path(name).suffix.lower()
    if not data:
        raise UploadError(f"{name}: empty file")
    if len(data) > max_bytes:
        raise UploadError(f"{name}: {len(data) / 2**20:.1f} MB is over the upload limit of "
                          f"{max_bytes / 2**20:.0f} MB (POLICYQA_UPLOAD_MAX_MB)")
    head = data[:1024].lstrip()
    kind = next((what for magic, what in MAGIC if head.startswith(magic)), None)
    if suffix == ".pdf":
        if kind != "a PDF":
            raise UploadError(f"{name}: the content is {kind or 'not a PDF'}, not a PDF (it does not start with %PDF-)")
        return
    if kind is not None:
        raise UploadError(f"{name}: the content is {kind}, not text; valid: {', '.join(SUFFIXES)}")
    try:
        decode(data, name)
    except DocumentError as exc:
        raise UploadError(str(exc)) from None


def clean_meta(title: str = "", publisher: str = "", published: str = "") -> dict[str, str]:
    """The manifest fields given with an upload (empty ones left out), checked."""
    given = {"title": title, "publisher": publisher, "published": published}
    out: dict[str, str] = {}
    for key, value in given.items():
        text = " ".join(str(value or "").split())
        if not text:
            continue
        if len(text) > MAX_META_CHARS[key]:
            raise UploadError(f"{key} is {len(text)} characters; the limit is {MAX_META_CHARS[key]}")
        if key == "published" and not DATE.match(text):
            raise UploadError(f"date must look like 2025, 2025-03 or 2025-03-05, got {text!r}")
        out[key] = text
    return out
