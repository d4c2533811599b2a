"""The texts the chain shows people besides an answer: the abstention, the notices.

In: a language or a reason key (and, for a backend failure, the exception). Out: the sentence
shown. ``DECLINE_TEXT`` (a request outside the product's purpose) lives with its model in
rag.answer.scope.
"""

from __future__ import annotations

ABSTAIN_TEXT = {
    "en": "The corpus does not say. The closest passages are listed below as related reading.",
    "zh-Hans": "资料库中没有这个问题的答案。以下是最相关的段落，仅供参考。",
    "zh-Hant": "資料庫中沒有這個問題的答案。以下是最相關的段落，僅供參考。",
}
# why the extractive answer is shown in place of the model's, by reason key (rag.answer.checks)
FALLBACK_NOTICE = {
    "unsupported": "The generated answer stated a figure its sources do not contain; showing the source sentences instead.",
    "unnamed": "The generated answer named someone or something its sources do not name; showing the source "
    "sentences instead.",
    "error": "The language model was unavailable ({why}); showing the source sentences instead.",
    "timeout": "The language model took too long; showing the source sentences instead.",
    "unsure": "The language model could not phrase an answer; showing the source sentences instead.",
    "degenerate": "The language model gave an empty or garbled answer; showing the source sentences instead.",
    "language": "The language model answered in the wrong language; showing the source sentences instead.",
    "count": "The language model did not give the number asked for; showing the source sentences instead.",
    "qualified": "The language model's figure is qualified differently in the source (per, average or of which); "
    "showing the source sentences instead.",
}
IGNORED_NOTICE = "The question contained instructions to the assistant; they were ignored."


def unavailable_notice(exc: BaseException) -> str:
    """The notice for a backend failure, with the failure in a few words (its message, else its kind)."""
    why = (" ".join(str(exc).split()) or type(exc).__name__)[:120]
    return FALLBACK_NOTICE["error"].format(why=why)
