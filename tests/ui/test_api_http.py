"""The HTTP API over real HTTP on 127.0.0.1 (uvicorn in a thread, fake embedder, extractive
answers): what /v1/ask returns, the OpenAI-compatible chat completions through the ``openai``
package, bad requests, the login rule and its throttling."""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from rag.chains import QAChain
from rag.render import answer_dict
from ui.api import Api, add_routes
from ui.service import ChatService
from ui.throttle import LoginThrottle

QUESTION = "How many AI companies does Shenzhen aim to have by 2026?"
LOGIN = ("editor", "s3cret-pass")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(service: ChatService, auth: tuple[str, str] | None = None, backoff_s: float = 1.0) -> Iterator[str]:
    app = FastAPI()
    add_routes(app, Api(service, auth, LoginThrottle(backoff_s)))
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def service(ui_index) -> ChatService:  # type: ignore[no-untyped-def]
    from rag.generators.extractive import ExtractiveGenerator

    return ChatService(QAChain(ui_index, ExtractiveGenerator(), abstain_threshold=0.12), generator="extractive")


@pytest.fixture(scope="module")
def url(service: ChatService) -> Iterator[str]:
    with serve(service) as u:
        yield u


def _same_answer(got: dict, expected: dict) -> None:
    assert got["answer"] == expected["answer"] and got["abstained"] == expected["abstained"]
    strip = [{k: v for k, v in c.items() if k != "link"} for c in got["citations"]]
    assert strip == expected["citations"] and strip


def test_ask_returns_the_cli_json_with_links(url: str, service: ChatService) -> None:
    r = httpx.post(f"{url}/v1/ask", json={"question": QUESTION, "language": "en"})
    assert r.status_code == 200, r.text
    got = r.json()
    expected = answer_dict(service.chain.ask(QUESTION, language="en"))  # what `rag ask --json` prints
    assert set(got) == set(expected)
    _same_answer(got, expected)
    c = got["citations"][0]
    assert c["link"] == f"{url}/?doc={c['doc_id']}&start={c['start']}&end={c['end']}"
    assert "3000" in got["answer"].replace(",", "")


def test_ask_follow_up_uses_history(url: str) -> None:
    first = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}).json()
    r = httpx.post(f"{url}/v1/ask", json={"question": "And by 2027?", "history": [
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]}]})
    assert r.status_code == 200 and r.json()["question"]


@pytest.mark.parametrize("body, status, message", [
    ({}, 400, "field 'question' is required"),
    ({"question": 5}, 400, "question must be text"),
    ({"question": ""}, 400, "question"),
    ({"question": "x" * 1001}, 400, "1000"),
    ({"question": "深圳", "lang": "en"}, 400, "unknown field(s) lang; valid: question, history, language, generator"),
    ({"question": "深圳", "language": "fr"}, 400, "language must be one of auto, en, zh-Hans, zh-Hant"),
    ({"question": "深圳", "generator": "gpt"}, 400, "generator must be one of extractive"),
    ({"question": "深圳", "history": [{"role": "bot", "content": "x"}]}, 400, "history must be a list"),
    ([1, 2], 400, "must be a JSON object"),
])
def test_bad_ask_requests_get_one_line(url: str, body: object, status: int, message: str) -> None:
    r = httpx.post(f"{url}/v1/ask", json=body)
    assert r.status_code == status and message in r.json()["error"]["message"], r.text
    assert "\n" not in r.json()["error"]["message"] and "Traceback" not in r.text


def test_ask_body_that_is_not_json(url: str) -> None:
    r = httpx.post(f"{url}/v1/ask", content=b"question=hi", headers={"content-type": "text/plain"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]


def test_documents_targets_and_models(url: str, service: ChatService) -> None:
    docs = httpx.get(f"{url}/v1/documents").json()
    assert docs["index_version"] == service.version
    assert {d["doc_id"] for d in docs["documents"]} == set(service.docs)
    assert all(d["passages"] > 0 and d["link"].startswith(f"{url}/?doc=") for d in docs["documents"])
    rows = httpx.get(f"{url}/v1/targets", params={"year": "2027", "scope": "Shenzhen"}).json()["targets"]
    assert rows and all("2027" in str(r["year"]) for r in rows)
    bad = httpx.get(f"{url}/v1/targets", params={"kind": "wish"})
    assert bad.status_code == 400 and "valid: " in bad.json()["error"]["message"]
    assert httpx.get(f"{url}/v1/targets", params={"city": "x"}).json()["error"]["message"].startswith("unknown filter")
    models = [m["id"] for m in httpx.get(f"{url}/v1/models").json()["data"]]
    assert models[:2] == ["policy-qa", "policy-qa:extractive"]


def test_openai_client_gets_the_same_answer_and_citations(url: str, service: ChatService) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    expected = answer_dict(service.chain.ask(QUESTION, language="en"))
    reply = client.chat.completions.create(model="policy-qa", messages=[
        {"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}], extra_body={"language": "en"})
    text = reply.choices[0].message.content or ""
    assert text.startswith(expected["answer"]) and "Sources:" in text and f"{url}/?doc=" in text
    _same_answer({"answer": expected["answer"], "abstained": False, "citations": reply.citations}, expected)  # type: ignore[attr-defined]
    assert reply.policyqa["answer"] == expected["answer"]  # type: ignore[attr-defined]

    chunks = list(client.chat.completions.create(model="policy-qa:extractive", stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}],
                                                 extra_body={"language": "en"}))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == text and len(chunks) > 3
    assert chunks[-1].choices[0].finish_reason == "stop"
    _same_answer({"answer": expected["answer"], "abstained": False, "citations": chunks[-1].citations}, expected)  # type: ignore[attr-defined]


def test_openai_client_sees_bad_requests_as_errors(url: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="unknown model 'gpt-4'; valid: policy-qa"):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user's question"):
        client.chat.completions.create(model="policy-qa", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="control character"):
        client.chat.completions.create(model="policy-qa", stream=True, messages=[{"role": "user", "content": "深\x01圳"}])
    r = httpx.post(f"{url}/v1/chat/completions", json={"model": "policy-qa"})
    assert r.status_code == 400 and "'messages' is required" in r.json()["error"]["message"]


def test_login_is_required_and_wrong_logins_are_throttled(service: ChatService) -> None:
    from openai import AuthenticationError, OpenAI

    with serve(service, auth=LOGIN, backoff_s=30) as url:
        assert httpx.get(f"{url}/v1/documents").status_code == 401
        basic = base64.b64encode(b"editor:s3cret-pass").decode()
        assert httpx.get(f"{url}/v1/documents", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        good = OpenAI(base_url=f"{url}/v1", api_key="editor:s3cret-pass", max_retries=0)
        assert good.chat.completions.create(model="policy-qa", messages=[{"role": "user", "content": QUESTION}]).citations  # type: ignore[attr-defined]
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=f"{url}/v1", api_key="editor:wrong", max_retries=0).models.list()
        # that failure set a 30 s wait for this address: even the right login is refused until it is over
        r = httpx.get(f"{url}/v1/documents", headers={"Authorization": f"Basic {basic}"})
        assert r.status_code == 429 and "try again in" in r.json()["error"]["message"]
        assert 1 <= int(r.headers["retry-after"]) <= 31


def test_throttle_doubles_per_failure_and_forgets_on_success() -> None:
    now = [100.0]
    t = LoginThrottle(1.0, max_s=8.0, clock=lambda: now[0])
    assert t.wait_s("a") == 0
    assert [t.failed("a") for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert t.wait_s("a") == 8.0 and t.wait_s("b") == 0  # per address
    now[0] += 8.0
    assert t.wait_s("a") == 0
    t.succeeded("a")
    assert t.failed("a") == 1.0
