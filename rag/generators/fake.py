"""A scripted, deterministic stand-in for an LLM, for tests of everything above the generator.

Why: pipeline, CLI and UI tests must not need a 500 MB model nor a server, and must be able to
assert on the exact prompt that was sent. Answers are replayed in the order queued, streamed
in small pieces (so consumers exercise their streaming path), and cut at the first ``stop``
string like a real backend would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rag.errors import GeneratorError
from rag.generators.base import Message


@dataclass(frozen=True)
class FakeCall:
    """What one ``stream`` call received (messages are copied, so later mutation is harmless)."""

    messages: list[Message]
    max_tokens: int
    temperature: float
    stop: list[str] | None


class FakeGenerator:
    """``Generator`` that replays queued answers; an empty queue raises ``GeneratorError``."""

    name = "fake"

    def __init__(self, answers: Iterable[str | BaseException] = (), *, piece_chars: int = 3) -> None:
        if piece_chars < 1:
            raise ValueError("piece_chars must be >= 1")
        self.piece_chars = piece_chars
        self._queue: deque[str | BaseException] = deque(answers)
        self.calls: list[FakeCall] = []

    def enqueue(self, *texts: str) -> None:
        """Queue answers, replayed one per ``stream`` call, first in first out."""
        self._queue.extend(texts)

    def enqueue_error(self, exc: BaseException) -> None:
        """Make the next call raise ``exc`` (e.g. a GeneratorError) instead of answering."""
        self._queue.append(exc)

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def received(self) -> list[list[Message]]:
        """The messages of every call so far, oldest first."""
        return [call.messages for call in self.calls]

    @property
    def last_messages(self) -> list[Message]:
        if not self.calls:
            raise AssertionError("the fake generator has not been called")
        return self.calls[-1].messages

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        # Lazy like the real backends: nothing is recorded or raised until iteration starts.
        self.calls.append(FakeCall([dict(m) for m in messages], max_tokens, temperature, list(stop) if stop else None))
        if not self._queue:
            raise GeneratorError("fake generator has no queued answer")
        answer = self._queue.popleft()
        if isinstance(answer, BaseException):
            raise answer
        for s in stop or ():
            if s and s in answer:
                answer = answer[: answer.index(s)]
        for i in range(0, len(answer), self.piece_chars):
            yield answer[i : i + self.piece_chars]
