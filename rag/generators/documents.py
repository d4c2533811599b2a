"""Questions whose answer is a document's title ("Which plan sets...?", "依据的是哪份文件？"), and the title.

Enters: a question, or a request and the number of a cited sentence. Leaves: whether the question
asks which document, and the 《title》 the sentence belongs to (in it, or earlier in its paragraph).
"""

from __future__ import annotations

import re

from rag.types import GenerationRequest

# "Which plan / what document …": in English the question names the kind of document it asks for
# ("what output will the county reach according to its programme" asks for an output; a plan's 文号 for a number)
_EN_WHICH_DOC = r"\b(which|what)\s+(?:[\w'’-]+\s+){0,3}?(plan|document|policy|report|programme|program|white paper)s?\b(?!\s+number)|"
_TITLE = re.compile(r"《[^》]{4,80}》")
_NAMES_A_DOCUMENT = re.compile(
    _EN_WHICH_DOC + r"哪份|哪一份|出自|(什么|甚麼|什麼)文件|"
    r"哪[个個项項部][^，,。？?]{0,8}?(计划|計劃|文件|政策|方案|规划|規劃|措施|意见|意見|通知|报告|報告|白皮书|白皮書)", re.I
)


def asks_which_document(question: str) -> bool:
    """"Which plan sets…?", "依据的是哪份文件？": the answer is a document's title."""
    return bool(_NAMES_A_DOCUMENT.search(question))


def named_document(request: GenerationRequest, n: int) -> str:
    """The 《title》 a sentence belongs to: in it; else its document's, when that is a plan itself;
    else the one earlier in its paragraph ("计划明确:..." after "《深圳市...行动计划》提出...")."""
    from rag.targets.titles import is_plan_title
    from rag.text.figures import normalize_keep_length

    ev = request.evidence[n - 1]
    context = request.contexts[n - 1] if n - 1 < len(request.contexts) else ""
    own = _TITLE.findall(ev.text)
    if own:
        return own[0]
    doc_title = request.titles[n - 1] if n - 1 < len(request.titles) else ""
    # a sentence of a plan itself is that plan's, whatever earlier plans its preamble cites
    around = [f"《{doc_title}》"] if doc_title and is_plan_title(normalize_keep_length(doc_title)) else _TITLE.findall(context)
    # a title from outside the cited sentence loses its dates: every figure shown must be in a quote
    return re.sub(r"[(（][^)）]*\d[^)）]*[)）]", "", around[-1]) if around else ""
