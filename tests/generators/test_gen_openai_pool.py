"""The server pool: fast checks of its routing, then two real llama.cpp servers, one killed under load."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.errors import ConfigError, GeneratorError
from rag.generators.base import complete
from rag.generators.pool import ServerPool, parse_urls
from rag.settings import Settings
from tests.generators import llama

MSGS = [{"role": "user", "content": "Say hello."}]


class Scripted:
    """A member that replies with its name, or fails as told."""

    def __init__(self, name: str, fail: str = "") -> None:
        self.name, self.fail, self.calls = "openai:m", fail, 0
        self.label = name

    def stream(self, messages: Sequence[dict], **kw: object) -> Iterator[str]:
        self.calls += 1
        if self.fail == "before":
            raise GeneratorError(f"{self.label} refused")
        yield self.label
        if self.fail == "during":
            raise GeneratorError(f"{self.label} dropped")


def test_urls_are_split_and_checked() -> None:
    assert parse_urls(" http://a:1/v1/ ,http://b:2/v1") == ["http://a:1/v1", "http://b:2/v1"]
    with pytest.raises(ConfigError, match="comma-separated http"):
        parse_urls("http://a:1/v1,,ftp://b")


def test_requests_are_spread_and_a_failed_server_sits_out_its_cool_down() -> None:
    now = [0.0]
    a, b = Scripted("A"), Scripted("B", fail="before")
    pool = ServerPool([("a", a), ("b", b)], cooldown_s=30, clock=lambda: now[0])
    assert [complete(pool, MSGS) for _ in range(4)] == ["A"] * 4  # B failed once, its request went to A
    assert b.calls == 1
    now[0] = 31.0  # cool-down over: B is tried again
    b.fail = ""
    assert sorted(complete(pool, MSGS) for _ in range(4)) == ["A", "A", "B", "B"]


def test_a_server_failing_mid_answer_is_not_retried_elsewhere() -> None:
    pool = ServerPool([("a", Scripted("A", fail="during")), ("b", Scripted("B"))], cooldown_s=30)
    pieces: list[str] = []
    with pytest.raises(GeneratorError, match="dropped"):
        for piece in pool.stream(MSGS):
            pieces.append(piece)
    assert pieces == ["A"]  # shown once, never doubled by a second server's answer


def test_all_down_says_so_with_every_url() -> None:
    pool = ServerPool([("http://a", Scripted("A", fail="before")), ("http://b", Scripted("B", fail="before"))])
    with pytest.raises(GeneratorError, match="all 2 servers failed"):
        complete(pool, MSGS)
    with pytest.raises(GeneratorError, match=r"http://a, http://b cooling down"):
        complete(pool, MSGS)


@pytest.fixture()
def two_llama_servers(tmp_path: Path) -> Iterator[list[tuple[subprocess.Popen, str]]]:
    llama.need_llama()
    servers = [llama.start(tmp_path / f"llama{i}.log", threads=1) for i in range(2)]
    try:
        for i, (proc, base) in enumerate(servers):
            llama.wait_ready(proc, base, tmp_path / f"llama{i}.log")
        yield servers
    finally:
        for proc, _ in servers:
            proc.kill()
            proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.llm
def test_fifty_chats_with_one_server_killed_lose_no_answer(two_llama_servers, fake_index) -> None:
    from rag.chains import QAChain
    from rag.generators.llm import LLMAnswerGenerator
    from rag.generators.openai import OpenAIGenerator

    (victim, _), _ = two_llama_servers
    urls = [u for _, u in two_llama_servers]
    settings = Settings(openai_base_url=",".join(urls), llm_timeout_s=120)
    pool = ServerPool([(u, OpenAIGenerator(settings, base_url=u)) for u in urls], cooldown_s=600)
    chain = QAChain(fake_index, LLMAnswerGenerator(pool, max_tokens=24), abstain_threshold=0.12, time_budget_s=120)
    questions = ["到2026年深圳人工智能企業數量要超過多少家？", "How many AI companies does Shenzhen aim for by 2026?"]
    done = []

    def chat(i: int):  # type: ignore[no-untyped-def]
        answer = chain.ask(questions[i % 2])
        done.append(i)
        return answer

    def killer() -> None:
        while len(done) < 10:
            time.sleep(0.2)
        victim.kill()  # kill -9 with requests in flight

    threading.Thread(target=killer, daemon=True).start()
    with ThreadPoolExecutor(4) as ex:
        answers = list(ex.map(chat, range(50)))
    assert len(answers) == 50 and all(a.text and a.citations for a in answers)  # every chat got an answer
    health = {h["url"]: h for h in pool.health()}
    assert victim.poll() is not None and health[urls[0]]["failures"] >= 1 and not health[urls[0]]["healthy"]
    assert health[urls[1]]["served"] > health[urls[0]]["served"]  # the survivor took the rest
    print(f"pool run: {sum(a.generator == 'extractive' for a in answers)} of 50 extractive; health {health}")
