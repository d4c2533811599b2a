"""Follow-up questions in a conversation.

In: the question and the conversation's earlier turns (``{"role", "content"}`` dicts). Out:
the user's earlier questions, whether the question is an elliptical follow-up, and the
standalone query it stands for (joined to the last question).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text.textnorm import cjk_count

# the words a Chinese follow-up opens with ("那2027年呢？", "还有总估值呢？"), longest first
ZH_OPENERS = ("那么", "那麼", "还有", "還有", "另外", "那")
_FOLLOW_UP = re.compile(
    r"^(and|what about|how about|and what about|" + "|".join((*ZH_OPENERS, "以及")) + r")\b|[呢吗嗎]\s*[?？]?$", re.I
)
_ANAPHORA = re.compile(
    r"\b(that|this|it|they|them|those|these|its|their|same|then)\b|^(这|這|那|其|它|该|該|上述|同期|此)", re.I
)


def user_questions(history: Sequence[dict]) -> list[str]:
    """The user's earlier questions, oldest first."""
    return [t["content"] for t in history if t.get("role") == "user" and isinstance(t.get("content"), str)]


def is_follow_up(question: str) -> bool:
    q = question.strip()
    if _FOLLOW_UP.search(q) or _ANAPHORA.search(q):
        return True
    if cjk_count(q) > 0:
        return cjk_count(q) <= 8  # "2027年呢？", "那產品產量呢？"
    return len(q.split()) <= 4


def condense(question: str, history: Sequence[dict]) -> str:
    """A standalone retrieval query: an elliptical follow-up is joined to the last question."""
    previous = user_questions(history)
    if previous and is_follow_up(question):
        return f"{previous[-1]} {question}"
    return question
