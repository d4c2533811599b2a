"""A conversation as Markdown: each question, its answer and numbered citations with quotes
and links to the cited span. Plain text in, plain text out (no gradio), so it is easy to test."""

from __future__ import annotations

from collections.abc import Sequence

from rag.types import Answer
from ui.render_html import citation_link


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.strip().splitlines()) or ">"


def conversation_markdown(answers: Sequence[Answer], base_url: str = "", when: str = "") -> str:
    """The conversation's turns in order; ``base_url`` makes the citation links absolute."""
    base = base_url.rstrip("/")
    lines = ["# policy-qa conversation", ""]
    if when or base:
        lines += [" ".join(x for x in ("Exported", when, f"from {base}" if base else "") if x) + ".", ""]
    if not answers:
        lines.append("(no questions asked yet)")
    for i, a in enumerate(answers, 1):
        lines += [f"## {i}. {a.question.strip()}", "", a.text.strip(), ""]
        if a.notice:
            lines += [f"*Note: {a.notice.strip()}*", ""]
        if a.abstained:
            lines += ["*Not in the corpus.*", ""]
        if a.citations:
            lines += ["Sources:", ""]
            for c in a.citations:
                meta = ", ".join(x for x in (c.publisher, c.published) if x)
                link = base + citation_link(c.doc_id, c.start, c.end)
                lines += [f"[{c.n}] {c.title}{f' ({meta})' if meta else ''}, {c.doc_id}, chars {c.start}-{c.end}: "
                          f"<{link}>", "", _quote(c.quote), ""]
    return "\n".join(lines).rstrip() + "\n"
