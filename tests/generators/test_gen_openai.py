"""OpenAI-compatible generator: SSE parsing and failures (fast, mocked), then a real local server."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from rag.errors import GeneratorError
from rag.generators.base import Generator, complete
from rag.generators.openai import OpenAIGenerator
from rag.settings import Settings
from tests.generators import llama

MSGS = [{"role": "user", "content": "Say hello in one word."}]
SECRET = "sk-test-SECRET-0123456789"


def _sse(*events: object, done: bool = True) -> bytes:
    lines = [
        f"{e}\n\n" if isinstance(e, str) and e.startswith(":")  # an SSE comment line
        else f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n"
        for e in events
    ]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def _gen(handler, monkeypatch: pytest.MonkeyPatch, **kw) -> OpenAIGenerator:
    monkeypatch.setenv("POLICYQA_OPENAI_API_KEY", SECRET)
    settings = Settings(openai_base_url="http://127.0.0.1:9/v1/", openai_model="m", **kw)
    return OpenAIGenerator(settings, transport=httpx.MockTransport(handler))


def _delta(text: str) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}}]}


def test_streams_sse_and_sends_the_request(monkeypatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = _sse({"choices": [{"delta": {"role": "assistant"}}]}, _delta("你"), ": keepalive", _delta("好"))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    gen = _gen(handler, monkeypatch)
    assert isinstance(gen, Generator) and gen.name == "openai:m"
    assert list(gen.stream(MSGS, max_tokens=5, stop=["\n"])) == ["你", "好"]
    req = seen[0]
    assert str(req.url) == "http://127.0.0.1:9/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    sent = json.loads(req.content)
    assert sent["stream"] is True and sent["model"] == "m" and sent["max_tokens"] == 5 and sent["stop"] == ["\n"]


@pytest.mark.parametrize(
    ("response", "match"),
    [
        (httpx.Response(401, text=f"bad key {SECRET}"), r"HTTP 401"),
        (httpx.Response(500, text="boom"), r"HTTP 500.*boom"),
        (httpx.Response(200, content=_sse("{not json")), r"malformed stream"),
        (httpx.Response(200, content=_sse({"error": {"message": "overloaded"}})), r"overloaded"),
        (httpx.Response(200, content=_sse({"choices": "nope"})), r"unexpected stream event"),
    ],
)
def test_bad_responses_become_generator_errors(monkeypatch, response, match) -> None:
    gen = _gen(lambda _req: response, monkeypatch)
    with pytest.raises(GeneratorError, match=match) as info:
        complete(gen, MSGS)
    assert "http://127.0.0.1:9/v1" in str(info.value)
    assert SECRET not in str(info.value)


def test_read_timeout_becomes_generator_error(monkeypatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(GeneratorError, match=r"timeout"):
        complete(_gen(handler, monkeypatch, llm_timeout_s=2.0), MSGS)


def test_closed_port_fails_fast_and_clearly(monkeypatch) -> None:
    monkeypatch.setenv("POLICYQA_OPENAI_API_KEY", SECRET)
    url = f"http://127.0.0.1:{llama.free_port()}/v1"
    gen = OpenAIGenerator(Settings(openai_base_url=url, llm_timeout_s=5.0))
    start = time.monotonic()
    with pytest.raises(GeneratorError, match="cannot connect") as info:
        complete(gen, MSGS)
    assert time.monotonic() - start < 5.0
    assert url in str(info.value) and SECRET not in str(info.value)


@pytest.mark.slow
@pytest.mark.llm
def test_real_llama_cpp_server_answers(llama_server: str) -> None:
    gen = OpenAIGenerator(Settings(openai_base_url=llama_server, openai_model="qwen", llm_timeout_s=120))
    pieces = list(gen.stream([{"role": "user", "content": "What is 2+2? Answer with a number."}], max_tokens=16))
    assert len(pieces) >= 1
    assert "".join(pieces).strip()
