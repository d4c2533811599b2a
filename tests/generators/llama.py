"""Real llama.cpp OpenAI-compatible servers on free loopback ports, for the generator tests."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rag.settings import Settings

GGUF = Settings.from_env().llm_path  # the model `make setup` assembles, wherever the settings put it


def need_llama() -> None:
    """Skip only where `make setup` has not run: no llama-cpp-python, or no assembled model."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (make setup)")
    if not GGUF.is_file():
        pytest.skip(f"{GGUF} not assembled (make setup)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(log: Path, threads: int = 2) -> tuple[subprocess.Popen, str]:
    """Start ``llama_cpp.server`` on 127.0.0.1; returns the process and its /v1 base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF), "--chat_format", "chatml",
           "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads), "--n_ctx", "2048"]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT), f"http://127.0.0.1:{port}/v1"


def wait_ready(proc: subprocess.Popen, base: str, log: Path, within_s: float = 180) -> None:
    deadline = time.monotonic() + within_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"llama_cpp.server not ready within {within_s:.0f} s; see {log}")
        time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
