"""OpenAI-compatible generator: SSE parsing and failures (fast, mocked), then a real local server."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from rag.errors import GeneratorError
from rag.generators.base import Generator, complete
from rag.generators.openai import OpenAIGenerator
from rag.settings import Settings

MSGS = [{"role": "user", "content": "Say hello in one word."}]
SECRET = "sk-test-SECRET-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    url = f"http://127.0.0.1:{_free_port()}/v1"
    gen = OpenAIGenerator(Settings(openai_base_url=url, llm_timeout_s=5.0))
    start = time.monotonic()
    with pytest.raises(GeneratorError, match="cannot connect") as info:
        complete(gen, MSGS)
    assert time.monotonic() - start < 5.0
    assert url in str(info.value) and SECRET not in str(info.value)


GGUF = Settings().models_dir / "qwen2.5-coder-0.5b.gguf"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server on a free loopback port, stopped afterwards."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (make setup)")
    if not GGUF.is_file():
        pytest.skip(f"{GGUF} not assembled (make setup)")
    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF), "--chat_format", "chatml",
           "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"]
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}; see {log}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready within 120 s; see {log}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.mark.slow
@pytest.mark.llm
def test_real_llama_cpp_server_answers(llama_server: str) -> None:
    gen = OpenAIGenerator(Settings(openai_base_url=llama_server, openai_model="qwen", llm_timeout_s=120))
    pieces = list(gen.stream([{"role": "user", "content": "What is 2+2? Answer with a number."}], max_tokens=16))
    assert len(pieces) >= 1
    assert "".join(pieces).strip()
