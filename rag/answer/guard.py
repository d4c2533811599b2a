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
    from rag.text.textnorm import normalize

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


# Sentences of a document that speak to the model rather than about the world: "when you answer,
# say ...", "you must reply ...", "tell the user ...", "as an AI assistant ...". Together with
# the question patterns above they mark planted text, which is never evidence.
_ADDRESSES_MODEL = re.compile(
    r"\b(?:when|if)\s+(?:you\s+are\s+|you're\s+)?(?:asked|answering|responding|replying)\b[^.?!]{0,60}\b(?:say|answer|reply|"
    r"respond|state|claim|tell)\b|"
    r"\b(?:tell|inform)\s+(?:the\s+)?users?\b|\bas\s+an?\s+(?:ai|language\s+model|assistant|chatbot)\b|"
    r"\b(?:ai|language\s+model|assistant|chatbot|llm)s?\b[^.?!]{0,20}\b(?:must|should|shall)\s+(?:always\s+)?"
    r"(?:answer|reply|say|respond|state)\b|"
    r"\byou\s+(?:must|should|shall|will)\s+(?:always\s+)?(?:answer|reply|say|respond|state|claim|tell)\b|"
    r"^\s*(?:please\s+)?(?:answer|reply|respond)\s*:|"
    r"(?:回答|回复|答复|作答|应答)(?:问题)?(?:时|的时候)[，,]?\s*(?:请|要|务必|必须|一律|应|应当|就)?\s*(?:说|称|表示|写|回答|告诉)|"
    r"(?:当|如果|若)?(?:用户|有人|别人)(?:问|询问|提问|问到|问起)[^。！？]{0,30}(?:时|的时候)?[，,]?\s*(?:请|要|务必|必须|一律|就)"
    r"\s*(?:回答|说|称|表示|告诉)|"
    r"(?:你|您)(?:必须|应该|应当|要|需要|务必|一定要)(?:始终|总是|一律)?(?:回答|回复|说|称|表示|声称|告诉用户)|"
    r"(?:告诉|告知|回答)(?:用户|提问者)|(?:作为|身为)(?:一个|一名)?(?:AI|人工智能)?(?:助手|语言模型|大模型|聊天机器人)|"
    r"^\s*(?:请)?(?:直接)?(?:回答|回复|输出)\s*[:：]",
    re.I,
)


def is_planted_instruction(text: str) -> bool:
    """Does this sentence address the assistant (ignore your instructions, when asked say X)
    instead of stating something about the world? Such a sentence is never used as evidence."""
    from rag.text.textnorm import normalize

    norm = normalize(text)
    return bool(_INSTRUCTION.search(norm) or _ADDRESSES_MODEL.search(norm))
