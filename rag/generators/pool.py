"""A pool of OpenAI-compatible servers behind one ``Generator``.

``POLICYQA_OPENAI_BASE_URL`` may list several servers, comma-separated. Each request goes to
the healthy server with the fewest requests in flight (ties taken in turn); a server that
fails (refused, HTTP error, dropped connection, timeout) sits out ``POLICYQA_LLM_COOLDOWN_S``
and is tried again after it. A request whose server fails before the first token is sent on
to the next server; once tokens have been shown it is not (the chain then shows the source
sentences instead). Only when every server is down does the pool raise, so the chain falls
back to the extractive answer.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.errors import ConfigError, GeneratorError
from rag.generators.base import Generator, Message
from rag.settings import Settings


def parse_urls(value: str) -> list[str]:
    """The comma-separated server list, each ``http(s)://host[:port]/...``; refuses an empty or odd entry."""
    urls = [u.strip().rstrip("/") for u in value.split(",")]
    bad = [u for u in urls if not u.startswith(("http://", "https://")) or len(u) <= len("https://")]
    if not urls or bad:
        raise ConfigError(
            f"POLICYQA_OPENAI_BASE_URL must be one or more comma-separated http(s):// URLs, got {value!r}"
        )
    return list(dict.fromkeys(urls))


@dataclass
class Member:
    """One server of the pool and what the pool knows of its health."""

    generator: Generator
    url: str
    in_flight: int = 0
    down_until: float = 0.0
    failures: int = 0
    served: int = 0
    last_error: str = ""


class ServerPool:
    """``Generator`` spreading requests over several servers, skipping failed ones for a cool-down."""

    def __init__(self, members: Sequence[tuple[str, Generator]], *, cooldown_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not members:
            raise ConfigError("a server pool needs at least one server")
        self.members = [Member(gen, url) for url, gen in members]
        self.name = self.members[0].generator.name
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._turn = itertools.count()

    def _pick(self, tried: set[int]) -> Member | None:
        with self._lock:
            now = self._clock()
            healthy = [i for i, m in enumerate(self.members) if i not in tried and m.down_until <= now]
            if not healthy:
                return None
            start = next(self._turn) % len(self.members)
            # fewest in flight first (a hung server collects requests); ties in turn
            best = min(healthy, key=lambda i: (self.members[i].in_flight, (i - start) % len(self.members)))
            member = self.members[best]
            member.in_flight += 1
            tried.add(best)
            return member

    def _done(self, member: Member, error: str = "") -> None:
        with self._lock:
            member.in_flight -= 1
            if error:
                member.failures += 1
                member.last_error = error
                member.down_until = self._clock() + self.cooldown_s
            else:
                member.served += 1
                member.down_until = 0.0

    def health(self) -> list[dict]:
        """Per server: URL, whether it is in use now, requests in flight, served and failed."""
        now = self._clock()
        with self._lock:
            return [{"url": m.url, "healthy": m.down_until <= now, "in_flight": m.in_flight, "served": m.served,
                     "failures": m.failures, "last_error": m.last_error} for m in self.members]

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        tried: set[int] = set()
        last = ""
        while (member := self._pick(tried)) is not None:
            started, error = False, "closed before the end"
            try:
                for piece in member.generator.stream(messages, max_tokens=max_tokens, temperature=temperature,
                                                     stop=stop):
                    started = True
                    yield piece
                error = ""
            except GeneratorError as exc:
                error = last = str(exc)
                if started:
                    raise
                continue
            except GeneratorExit:
                error = ""  # the reader stopped early: not the server's fault
                raise
            finally:
                self._done(member, error)
            return
        if last:  # the servers tried just now failed: say how (the first words matter in a notice)
            raise GeneratorError(last if len(self.members) == 1 else f"all {len(self.members)} servers failed; "
                                 f"last: {last}")
        wait = max(0.0, min(m.down_until for m in self.members) - self._clock())
        raise GeneratorError(f"{', '.join(m.url for m in self.members)} cooling down after failures; "
                             f"tried again in {wait:.0f} s")


@lru_cache(maxsize=8)
def shared_pool(settings: Settings) -> ServerPool:
    """The pool for these settings, one per process, so every chain sees the same server health."""
    from rag.generators.openai import OpenAIGenerator

    urls = parse_urls(settings.openai_base_url)
    return ServerPool([(u, OpenAIGenerator(settings, base_url=u)) for u in urls], cooldown_s=settings.llm_cooldown_s)
