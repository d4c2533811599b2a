"""The HTTP API, served by the same process as the chat UI (its FastAPI app).

``POST /v1/ask`` returns what ``python -m rag ask --json`` prints (each citation also gets its
``link``); ``GET /v1/targets`` and ``GET /v1/documents`` list what the index holds; ``POST
/v1/chat/completions`` (and ``GET /v1/models``) speak the OpenAI chat format, so any OpenAI
client can use policy-qa as a model: the reply's text ends with its sources, and the reply
carries ``citations`` (the same objects as ``/v1/ask``) and ``policyqa`` (the whole answer).

With a login set (always, off localhost) every call needs it: HTTP Basic, or
``Authorization: Bearer USER:PASSWORD`` (the form an OpenAI client sends as its api_key).
Wrong credentials are throttled per client address like the UI's login form. How request fields
are checked and answers put into JSON is ``ui.api_schema``.
"""


from __future__ import annotations

import base64
import hmac
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag.answer.guard import clean_question
from rag.errors import PolicyQAError
from rag.types import Answer
from ui.api_schema import (
    BadRequest,
    answer_payload,
    chat_turns,
    error_response,
    parse_history,
    parse_language,
    read_body,
    reply_text,
)
from ui.service import MAX_HISTORY, ChatService, friendly_error
from ui.throttle import LoginThrottle

log = logging.getLogger("policyqa.api")
MODEL = "policy-qa"
ASK_FIELDS = ("question", "history", "language", "generator")
TARGET_FILTERS = ("scope", "year", "kind")
PIECE = 24  # characters per streamed delta


class Api:
    """The routes, bound to one ChatService (which follows the index as it changes)."""

    def __init__(self, service: ChatService, auth: tuple[str, str] | None, throttle: LoginThrottle) -> None:
        self.service, self.auth, self.throttle = service, auth, throttle

    # -- auth -----------------------------------------------------------------------------
    def check_auth(self, request: Request) -> None:
        if self.auth is None:
            return
        client = request.client.host if request.client else "unknown"
        wait = self.throttle.wait_s(client)
        if wait > 0:
            raise BadRequest(self.throttle.message(wait), 429)
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        given = ""
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(value, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                given = ""
        elif scheme.lower() == "bearer":
            given = value.strip()
        expected = f"{self.auth[0]}:{self.auth[1]}"
        if given and hmac.compare_digest(given.encode(), expected.encode()):
            self.throttle.succeeded(client)
            return
        if given:  # no credentials at all is how a client learns that a login is needed: not a guess
            self.throttle.failed(client)
        raise BadRequest("login required: HTTP Basic with POLICYQA_UI_USER/POLICYQA_UI_PASSWORD, "
                         "or Authorization: Bearer USER:PASSWORD" if not given else "wrong login", 401)

    # -- routes ---------------------------------------------------------------------------
    def ask(self, body: dict, base: str) -> dict:
        unknown = sorted(set(body) - set(ASK_FIELDS))
        if unknown:
            raise BadRequest(f"unknown field(s) {', '.join(unknown)}; valid: {', '.join(ASK_FIELDS)}")
        if "question" not in body:
            raise BadRequest("field 'question' is required (text)")
        answer = self._answer(body["question"], parse_history(body.get("history")), parse_language(body.get("language")),
                              self._generator(body.get("generator")))
        return answer_payload(answer, base)

    def _generator(self, value: object) -> str:
        if value in (None, ""):
            return self.service.default_generator
        if value not in self.service.choices:
            raise BadRequest(f"generator must be one of {', '.join(self.service.choices)}; got {value!r}")
        return str(value)

    def _answer(self, question: object, history: list[dict], language: str | None, generator: str) -> Answer:
        try:
            question = clean_question(question, self.service.chain.max_question_chars)
        except PolicyQAError as exc:
            raise BadRequest(friendly_error(exc)) from None
        try:
            return self.service.ask(question, history, language, generator)
        except PolicyQAError as exc:
            raise BadRequest(friendly_error(exc), 503) from None
        except Exception as exc:  # one line to the client, the details in the server log
            log.exception("answering %r failed", question[:80])
            raise BadRequest(friendly_error(exc), 500) from None

    def targets(self, params: dict[str, str]) -> dict:
        from rag.targets.table import filter_rows

        unknown = sorted(set(params) - set(TARGET_FILTERS))
        if unknown:
            raise BadRequest(f"unknown filter(s) {', '.join(unknown)}; valid: {', '.join(TARGET_FILTERS)}")
        try:
            rows = filter_rows(self.service.targets(), **{k: params.get(k) or None for k in TARGET_FILTERS})
        except PolicyQAError as exc:
            raise BadRequest(friendly_error(exc).replace("--", "")) from None
        return {"index_version": self.service.version, "targets": [asdict(r) for r in rows]}

    def documents(self, base: str) -> dict:
        index = self.service.chain.index
        per_doc = index.stats()["chunks_per_document"]
        return {"index_version": self.service.version, "documents": [
            {"doc_id": i, "title": d.meta.title, "publisher": d.meta.publisher, "published": d.meta.published,
             "script": d.meta.script, "characters": len(d.raw), "passages": per_doc.get(i, 0),
             "link": f"{base}/?{urlencode({'doc': i})}"}
            for i, d in sorted(index.docs.items())]}

    def models(self) -> dict:
        ids = [MODEL, *(f"{MODEL}:{g}" for g in self.service.choices)]
        return {"object": "list", "data": [{"id": i, "object": "model", "created": 0, "owned_by": MODEL} for i in ids]}

    def chat_request(self, body: dict) -> tuple[str, list[dict], str | None, str, bool]:
        """(question, history, language, generator, stream) from an OpenAI chat request."""
        model = body.get("model") or MODEL
        valid = [m["id"] for m in self.models()["data"]]
        if model not in valid:
            raise BadRequest(f"unknown model {model!r}; valid: {', '.join(valid)}")
        generator = model.split(":", 1)[1] if ":" in model else self.service.default_generator
        turns = chat_turns(body.get("messages"))
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise BadRequest(f"stream must be true or false, got {stream!r}")
        return turns[-1]["content"], turns[:-1][-MAX_HISTORY:], parse_language(body.get("language")), generator, stream

    def completion(self, body: dict, base: str) -> dict | Iterator[str]:
        question, history, language, generator, stream = self.chat_request(body)
        model = body.get("model") or MODEL
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if not stream:
            payload = answer_payload(self._answer(question, history, language, generator), base)
            return {"id": cid, "object": "chat.completion", "created": created, "model": model,
                    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                 "message": {"role": "assistant", "content": reply_text(payload)}}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    "citations": payload["citations"], "policyqa": payload}
        try:  # the question is checked before the stream starts, so a bad one is a plain 400
            clean_question(question, self.service.chain.max_question_chars)
        except PolicyQAError as exc:
            raise BadRequest(friendly_error(exc)) from None

        def chunk(delta: dict, finish: str | None = None, **extra: object) -> str:
            obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
            return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                payload = answer_payload(self._answer(question, history, language, generator), base)
            except BadRequest as exc:
                yield f"data: {json.dumps({'error': {'message': str(exc), 'code': exc.status}})}\n\n"
                return
            # the text is sent once it is verified: a figure the check rejects is never streamed
            text = reply_text(payload)
            for i in range(0, len(text), PIECE):
                yield chunk({"content": text[i : i + PIECE]})
            yield chunk({}, "stop", citations=payload["citations"], policyqa=payload)
            yield "data: [DONE]\n\n"

        return events()


def add_routes(app: FastAPI, api: Api) -> None:
    """Put the /v1 routes on ``app`` (before Gradio is mounted at /, so they take precedence)."""
    router = APIRouter(prefix="/v1")

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def route(method: str, path: str, work: Callable[[Request], Awaitable[object]]) -> None:
        async def handler(request: Request) -> Response:
            try:
                api.check_auth(request)
                result = await work(request)
            except BadRequest as exc:
                client = request.client.host if request.client else "unknown"
                headers = ({"WWW-Authenticate": 'Basic realm="policy-qa"'} if exc.status == 401 else
                           {"Retry-After": str(math.ceil(api.throttle.wait_s(client)))} if exc.status == 429 else None)
                return error_response(str(exc), exc.status, headers)
            if isinstance(result, dict):
                return JSONResponse(result)
            return StreamingResponse(result, media_type="text/event-stream")  # type: ignore[arg-type]

        router.add_api_route(path, handler, methods=[method])

    async def ask(r: Request) -> object:
        return await run_in_threadpool(api.ask, await read_body(r), base(r))

    async def completions(r: Request) -> object:
        return await run_in_threadpool(api.completion, await read_body(r), base(r))

    async def targets(r: Request) -> object:
        return api.targets(dict(r.query_params))

    async def documents(r: Request) -> object:
        return api.documents(base(r))

    async def models(r: Request) -> object:
        return api.models()

    route("POST", "/ask", ask)
    route("POST", "/chat/completions", completions)
    route("GET", "/targets", targets)
    route("GET", "/documents", documents)
    route("GET", "/models", models)
    app.include_router(router)
