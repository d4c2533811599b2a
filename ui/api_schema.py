"""What the HTTP API reads and writes: request fields checked into plain values, answers into JSON.

Enters: a request body and its fields (history, language, OpenAI chat messages). Leaves: the
checked values, or ``BadRequest`` (a one-line message and an HTTP status); ``answer_payload`` (the
CLI's ``--json`` answer, each citation with its link), ``reply_text`` (the answer with its
sources, for clients that show only text) and ``error_response`` (the JSON error body).
"""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.responses import JSONResponse

from rag.render import answer_dict
from rag.types import LANGS, Answer
from ui.render_html import citation_link
from ui.service import MAX_HISTORY


class BadRequest(Exception):
    """A request the API refuses, with a one-line message and an HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def error_response(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "code": status}}, status_code=status, headers=headers)


async def read_body(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON; send an object like {\"question\": \"...\"}") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object like {\"question\": \"...\"}")
    return body


def parse_history(value: object) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in value):
        raise BadRequest("history must be a list of {\"role\": \"user\" or \"assistant\", \"content\": text}")
    return [{"role": m["role"], "content": m["content"]} for m in value][-MAX_HISTORY:]


def parse_language(value: object) -> str | None:
    if value in (None, "", "auto"):
        return None
    if value not in LANGS:
        raise BadRequest(f"language must be one of auto, {', '.join(LANGS)}; got {value!r}")
    return str(value)


def answer_payload(answer: Answer, base: str) -> dict:
    """The CLI's ``--json`` answer, each citation with the absolute link to its span."""
    out = answer_dict(answer)
    for c in out["citations"]:
        c["link"] = base + citation_link(c["doc_id"], c["start"], c["end"])
    return out


def reply_text(payload: dict) -> str:
    """The answer with its sources below it, for clients that show only the message text."""
    lines = [payload["answer"]]
    if payload.get("notice"):
        lines += ["", f"Note: {payload['notice']}"]
    if payload["citations"]:
        lines += ["", "Sources:"]
        for c in payload["citations"]:
            meta = ", ".join(x for x in (c["publisher"], c["published"]) if x)
            lines.append(f"[{c['n']}] {c['title']}{f' ({meta})' if meta else ''}: 「{c['text']}」 {c['link']}")
    return "\n".join(lines)


def chat_turns(messages: object) -> list[dict[str, str]]:
    """The user and assistant turns of an OpenAI ``messages`` list (system and developer messages are
    checked, then left out; text content parts are joined); the last turn must be the user's."""
    if not isinstance(messages, list) or not messages:
        raise BadRequest("field 'messages' is required: a non-empty list of {\"role\", \"content\"}")
    turns = []
    for m in messages:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant") or \
                not isinstance(content, str):
            raise BadRequest("each message must be {\"role\": \"user\", \"assistant\" or \"system\", "
                             "\"content\": text}")
        if m["role"] in ("user", "assistant"):
            turns.append({"role": m["role"], "content": content})
    if not turns or turns[-1]["role"] != "user":
        raise BadRequest("the last message must be the user's question (role \"user\")")
    return turns
