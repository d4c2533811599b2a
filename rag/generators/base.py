"""The generator protocol: one required method (``stream``), the rest derived."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from rag.types import GenerationRequest

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": str}


@runtime_checkable
class Generator(Protocol):
    """A chat model. ``name`` is shown to the user beside every answer."""

    name: str

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        """Yield the reply text piece by piece. Raises GeneratorError when the backend fails."""
        ...


def complete(
    gen: Generator,
    messages: Sequence[Message],
    *,
    max_tokens: int = 256,
    temperature: float = 0.0,
    stop: Sequence[str] | None = None,
) -> str:
    """The whole reply as one string (derived from ``stream``)."""
    return "".join(gen.stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop))


NOT_IN_CORPUS = "NOT_IN_CORPUS"


@runtime_checkable
class AnswerGenerator(Protocol):
    """Composes an answer from numbered evidence: local LLM, OpenAI-compatible server or extractive.

    The reply cites evidence as [1], [2]...; replying ``NOT_IN_CORPUS`` means the evidence
    does not answer the question.
    """

    name: str

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        """Yield the answer text piece by piece."""
        ...
