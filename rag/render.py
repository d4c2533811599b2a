"""Render an Answer for people (terminal text) and programs (JSON)."""

from __future__ import annotations

import json

from rag.types import Answer

RELATED = {"en": "Related reading", "zh-Hans": "相关段落", "zh-Hant": "相關段落"}
SOURCES = {"en": "Sources", "zh-Hans": "来源", "zh-Hant": "來源"}  # the UI's cards take this heading too


def answer_text(a: Answer) -> str:
    lines = [a.text, ""]
    if a.notice:
        lines += [f"note: {a.notice}", ""]
    if a.citations:
        lines.append(SOURCES.get(a.language, "Sources") + ":")
        for c in a.citations:
            meta = ", ".join(x for x in (c.publisher, c.published) if x)
            lines.append(f"[{c.n}] {c.title} ({meta}) — {c.doc_id}, chars {c.start}-{c.end}")
            lines.append(f"    「{c.quote}」")
    if a.abstained and a.related:
        lines.append(RELATED.get(a.language, "Related reading") + ":")
        for h in a.related:
            lines.append(f"- {h.chunk.doc_id} (chars {h.chunk.raw_start}-{h.chunk.raw_end}): {h.chunk.text[:120]}…")
    total = a.timings.get("total_ms")
    lines.append("")
    lines.append(f"[{a.generator}{'' if total is None else f', {total / 1000:.2f} s'}"
                 f"{'' if a.verification.ok else ', unverified figures: ' + ', '.join(a.verification.unsupported)}]")
    return "\n".join(lines)


def answer_dict(a: Answer) -> dict:
    return {
        "question": a.question, "answer": a.text, "language": a.language, "abstained": a.abstained,
        "generator": a.generator, "notice": a.notice,
        "verification": {"ok": a.verification.ok, "figures": list(a.verification.figures),
                         "unsupported": list(a.verification.unsupported)},
        "citations": [{"n": c.n, "doc_id": c.doc_id, "title": c.title, "publisher": c.publisher,
                       "published": c.published, "chunk_id": c.chunk_id, "start": c.start, "end": c.end,
                       "text": c.quote} for c in a.citations],
        "related": [{"doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "start": h.chunk.raw_start,
                     "end": h.chunk.raw_end, "text": h.chunk.text} for h in a.related],
        "timings_ms": a.timings,
    }


def answer_json(a: Answer) -> str:
    return json.dumps(answer_dict(a), ensure_ascii=False, indent=1)
