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


# Instructions aimed at the assistant rather than questions about the corpus. A question is
# data: such a segment is dropped from what is searched and answered, never obeyed.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.?!]{0,40}\b(?:instructions?|rules?|prompts?|guidelines?|questions?)\b|"
    r"\bsystem\s+(?:prompt|message|override|notice|instructions?)\b|\bdeveloper\s+mode\b|\bjailbreak\b|"
    r"\byou\s+(?:are\s+now|must\s+(?:now\s+)?(?:reply|answer|say|respond|not\s+cite))\b|"
    r"\b(?:print|reveal|show|repeat|output)\b[^.?!]{0,30}\b(?:prompt|instructions)\b|"
    r"忽略|无视|不要理会|作废|系统提示|系统通知|系统指令|提示词|开发者模式|隐藏指令|越狱|"
    r"你现在是|你现在进入|直接回答「|不要引用|不得引用|用英文回答并",
    re.I,
)
_BRACKETED = re.compile(r"【[^】]*】|\[[^\]]*\]|〔[^〕]*〕")


def strip_instructions(question: str) -> tuple[str, bool]:
    """The question without the segments that instruct the assistant ("ignore previous
    instructions", 【系统通知：…】), and whether any were found."""
    from rag.textnorm import normalize

    found = False

    def drop_bracket(m: re.Match[str]) -> str:
        nonlocal found
        if _INSTRUCTION.search(normalize(m.group())):
            found = True
            return " "
        return m.group()

    text = _BRACKETED.sub(drop_bracket, question)
    kept = []
    for seg in re.split(r"(?<=[。！？!?；;])|(?<=\.)\s+(?=[A-Z])", text):
        if _INSTRUCTION.search(normalize(seg)):
            found = True
        elif seg.strip():
            kept.append(seg.strip())
    if not found:
        return question, False
    return " ".join(kept).strip(), True
