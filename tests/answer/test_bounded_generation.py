"""Every generator call is bounded: a real HTTP server on 127.0.0.1 that answers with a wrong
figure and then hangs, drops the connection or streams keep-alives; each question still ends
with the extractive answer and its notice, and other questions are not held up."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.chains import FALLBACK_NOTICE, QAChain
from rag.generators.llm import LLMAnswerGenerator
from rag.generators.openai import OpenAIGenerator
from rag.generators.pool import ServerPool
from rag.index import HybridIndex
from rag.settings import Settings

Q_2026 = "到2026年深圳人工智能企業數量要超過多少家？"
WRONG = "深圳有10万家AI企业。[1]"  # a figure no source gives: the chain retries
TIMEOUT_S = 2.0


class FakeOpenAI:
    """An OpenAI-compatible chat server whose replies follow a script, one entry per request:
    ``ok:<text>`` streams the text; ``hang`` sends nothing; ``drop`` sends headers and half an
    event, then closes; ``keepalive`` sends SSE comments forever; ``500`` fails."""

    def __init__(self, *script: str, repeat_last: bool = True) -> None:
        self.script, self.repeat_last = list(script), repeat_last
        self.requests = 0
        self.stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                fake.requests += 1
                step = fake.next_step()
                if step == "hang":
                    fake.stop.wait(60)
                    return
                if step == "500":
                    self.send_response(500)
                    self.send_header("content-length", "4")
                    self.end_headers()
                    self.wfile.write(b"boom")
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                if step == "drop":  # a chunk announced, half sent, then the connection is gone
                    self.wfile.write(b'80\r\ndata: {"choices": [{"delta": {"content": "\xe6\xb7')
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if step == "keepalive":
                    while not fake.stop.wait(0.2):
                        try:
                            self.chunk(b": keep-alive\n\n")
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                text = step.removeprefix("ok:")
                for piece in (text[: len(text) // 2], text[len(text) // 2 :]):
                    event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                    self.chunk(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                self.chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                self.close_connection = True

            def chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next_step(self) -> str:
        if len(self.script) > 1 or not self.repeat_last:
            return self.script.pop(0) if self.script else "hang"
        return self.script[0]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def fake_server(request: pytest.FixtureRequest) -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(*request.param)
    yield server
    server.close()


def chain_on(index: HybridIndex, *urls: str, timeout_s: float = TIMEOUT_S) -> QAChain:
    settings = Settings(openai_base_url=",".join(urls), llm_timeout_s=timeout_s)
    pool = ServerPool([(u, OpenAIGenerator(settings, base_url=u)) for u in urls], cooldown_s=30)
    return QAChain(index, LLMAnswerGenerator(pool), abstain_threshold=0.12, time_budget_s=timeout_s)


@pytest.mark.parametrize(
    ("fake_server", "notice"),
    [
        (("ok:" + WRONG, "hang"), FALLBACK_NOTICE["timeout"]),  # the CLI once hung 100 s here
        (("ok:" + WRONG, "keepalive"), FALLBACK_NOTICE["timeout"]),
        (("ok:" + WRONG, "drop"), "RemoteProtocolError"),  # once exit 2 "RemoteProtocolError"
        (("hang",), FALLBACK_NOTICE["timeout"]),
        (("keepalive",), FALLBACK_NOTICE["timeout"]),
        (("drop",), "RemoteProtocolError"),
        (("500",), "HTTP 500"),
    ],
    indirect=["fake_server"],
)
def test_a_failing_backend_ends_in_the_extractive_answer_with_its_notice(fake_index, fake_server, notice) -> None:
    answer = chain_on(fake_index, fake_server.url).ask(Q_2026)
    assert answer.generator == "extractive" and not answer.abstained
    assert notice.split("{")[0] in answer.notice
    assert "10万" not in answer.text and "3000" in answer.text and answer.verification.ok


@pytest.mark.parametrize("fake_server", [("ok:" + WRONG, "hang")], indirect=True)
def test_the_cli_falls_back_instead_of_hanging(fake_index, fake_server, monkeypatch) -> None:
    """Through the answer path the CLI uses: the whole question is bounded by the one budget."""
    chain = chain_on(fake_index, fake_server.url)
    items = list(chain.stream(Q_2026))
    final = items[-1]
    assert final.notice == FALLBACK_NOTICE["timeout"]
    assert fake_server.requests == 2  # the retry was sent, and abandoned at the deadline


@pytest.mark.parametrize("fake_server", [("hang",)], indirect=True)
def test_extractive_questions_do_not_wait_behind_a_stuck_model(fake_index, fake_server) -> None:
    stuck = chain_on(fake_index, fake_server.url, timeout_s=8.0)
    extractive = QAChain(fake_index, stuck.fallback, abstain_threshold=0.12)
    with ThreadPoolExecutor(4) as pool:
        hung = [pool.submit(stuck.ask, Q_2026) for _ in range(2)]
        time.sleep(0.5)  # both are now waiting on the hung server
        quick = extractive.ask("杭州人工智能产业规模")
        assert not any(h.done() for h in hung)  # still stuck: the extractive answer did not wait for them
    assert quick.generator == "extractive" and quick.text
    assert all(h.result().notice == FALLBACK_NOTICE["timeout"] for h in hung)


def test_pool_skips_a_dead_server_and_loses_no_answer(fake_index) -> None:
    good, bad = FakeOpenAI("ok:到2026年深圳人工智能企業數量超3000家[1]。"), FakeOpenAI("drop")
    try:
        chain = chain_on(fake_index, bad.url, good.url)
        answers = [chain.ask(Q_2026) for _ in range(6)]
        assert all(a.generator.startswith("openai") and "3000" in a.text for a in answers)
        health = {h["url"]: h for h in chain.generator.chat.health()}
        assert health[bad.url]["failures"] == 1 and not health[bad.url]["healthy"]  # cooled down after one
        assert health[good.url]["served"] == 6 and bad.requests == 1
    finally:
        good.close()
        bad.close()


def test_all_servers_down_gives_the_extractive_answer_at_once(fake_index) -> None:
    down = FakeOpenAI("500")
    try:
        chain = chain_on(fake_index, down.url)
        first, second = chain.ask(Q_2026), chain.ask(Q_2026)
        assert first.generator == second.generator == "extractive"
        assert "HTTP 500" in first.notice and "cooling down" in second.notice
        assert down.requests == 1  # the second question did not wait on the failed server
    finally:
        down.close()
