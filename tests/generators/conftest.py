"""One real llama.cpp server for every generator test that needs one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.generators import llama


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server on a free loopback port, stopped afterwards."""
    llama.need_llama()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    proc, base = llama.start(log)
    try:
        llama.wait_ready(proc, base, log, within_s=120)
        yield base
    finally:
        llama.stop(proc)
