"""Validation of questions at the boundary: what is wrong and what is valid, in one line."""

from __future__ import annotations

import re
import unicodedata

from rag.errors import QueryError

MAX_CHARS = 1000
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def clean_question(text: object, max_chars: int = MAX_CHARS) -> str:
    """Return the question ready for the chain, or raise QueryError saying what is valid.

    Zero-width characters are removed silently (they come from copy and paste); other control
    characters are refused, since they are never part of a real question.
    """
    if not isinstance(text, str):
        raise QueryError(f"question must be text, got {type(text).__name__}")
    text = _ZERO_WIDTH.sub("", text)
    for pos, ch in enumerate(text):
        if ch in "\t\n\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co"):
            raise QueryError(
                f"question contains a control character (U+{ord(ch):04X} at position {pos}); "
                "use plain text (tabs and line breaks are fine)"
            )
    text = " ".join(text.split())
    if not text:
        raise QueryError("question is empty; type a question in English, 简体 or 繁體")
    if len(text) > max_chars:
        raise QueryError(f"question is {len(text)} characters; the limit is {max_chars}")
    return text
