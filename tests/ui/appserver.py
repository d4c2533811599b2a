"""The app as a user meets it: indexed with the real e5 model and served on localhost, with the
network blocked for everything else."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.settings import PROJECT_ROOT, Settings

START_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ui/app.py exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"ui/app.py not ready after {START_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def serve_app(tmp: Path, corpus: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Index ``corpus`` with the real e5 model and run ``ui/app.py --generator extractive`` on it,
    on a free localhost port, with every connection but localhost refused and logged; on exit,
    fail if any was attempted. ``extra_env`` (a login, say) goes to the app only. Yields the URL; the app
    process's pid is in ``serve_app.pid``."""
    e5 = Settings.from_env().embed_path
    if not (e5 / "modules.json").exists():
        pytest.skip(f"the e5 model is not prepared at {e5}: run `make setup`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_UI_")}
    env.update(POLICYQA_CORPUS_DIR=str(corpus), POLICYQA_INDEX_DIR=str(tmp / "index"),
               GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    t0 = time.perf_counter()
    built = subprocess.run([sys.executable, "-m", "rag", "index"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    print(f"\n[ui timing] index build (real e5): {time.perf_counter() - t0:.1f} s")
    port, log, net_log = _free_port(), tmp / "app.log", tmp / "blocked-connections.log"
    offline = PROJECT_ROOT / "tests" / "resources" / "offline"
    env.update(PYTHONPATH=os.pathsep.join([str(offline), str(PROJECT_ROOT)]), NET_BLOCK_LOG=str(net_log))
    env.update(extra_env or {})
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "ui/app.py", "--generator", "extractive", "--port", str(port)],
                                cwd=PROJECT_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_ready(url, proc, log)
        print(f"[ui timing] app start to ready: {time.perf_counter() - t0:.1f} s")
        serve_app.pid = proc.pid  # type: ignore[attr-defined]
        yield url
        assert not net_log.exists() or not net_log.read_text().strip(), f"app tried the network: {net_log.read_text()}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
