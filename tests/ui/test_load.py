"""Fifty concurrent chats against the running app: every question gets an answer, none errors.

Latency and memory are printed (run with ``-s``), never asserted: ``bench/bench_load.py`` is
where they are measured. The app runs with the network blocked for everything but localhost.
"""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest
from appserver import serve_app

from rag.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

CLIENTS = 50
SECONDS = 30.0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _chat_endpoint(client) -> str:  # type: ignore[no-untyped-def]
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name, spec in api.items():
        if [p.get("parameter_name") for p in spec["parameters"]][:1] == ["message"]:
            return name
    raise AssertionError(f"no chat endpoint (first parameter 'message') among {sorted(api)}")


def test_fifty_concurrent_chats_lose_no_answer(tmp_path_factory: pytest.TempPathFactory, ui_corpus: Path) -> None:
    client_mod = pytest.importorskip("gradio_client")
    questions = [json.loads(line)["question"] for line in
                 (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    with serve_app(tmp_path_factory.mktemp("ui-load"), ui_corpus) as url:
        pid = serve_app.pid  # type: ignore[attr-defined]
        warm = client_mod.Client(url, verbose=False)
        endpoint = _chat_endpoint(warm)
        assert warm.predict(questions[0], api_name=endpoint)[0]
        rss_before = _rss_mb(pid)
        sent, answered, errors = [0], [0], []
        lock = threading.Lock()
        stop_at = time.monotonic() + SECONDS

        def chat(i: int) -> None:
            rng = random.Random(i)
            client = client_mod.Client(url, verbose=False)
            while time.monotonic() < stop_at:
                q = rng.choice(questions)
                with lock:
                    sent[0] += 1
                try:
                    out = client.predict(q, api_name=endpoint)
                    ok = bool(out and out[0])
                except Exception as exc:  # every failure is counted and shown
                    ok = False
                    with lock:
                        errors.append(f"{type(exc).__name__}: {str(exc)[:100]}")
                with lock:
                    answered[0] += ok

        threads = [threading.Thread(target=chat, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 120)
        rss_after = _rss_mb(pid)
        print(f"\n[load] {CLIENTS} clients, {SECONDS:.0f} s: {sent[0]} questions, {answered[0]} answers, "
              f"{len(errors)} errors; server RSS {rss_before:.0f} -> {rss_after:.0f} MB "
              f"({100 * (rss_after / rss_before - 1):+.1f}%)")
    assert not any(t.is_alive() for t in threads), "a chat never returned"
    assert errors == [], errors[:5]
    assert sent[0] >= CLIENTS and answered[0] == sent[0]
