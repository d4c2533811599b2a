"""The chain's state as it flows from one step to the next.

In: the question, the conversation so far and optionally the language. Each step of
``rag.chains.QAChain`` returns a copy with its own part filled in (language, query, hits,
evidence, support, timings); the generate step turns the last one into an ``Answer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.answer.evidence import Focus
from rag.types import Evidence, Hit


@dataclass(frozen=True)
class Turn:
    """The chain's state as it flows from one step to the next."""

    question: str
    history: tuple[dict, ...] = ()
    language: str = ""
    query: str = ""  # what is searched and answered: the question without instructions, joined to
    latest: str = ""  # the earlier one for a follow-up; ``latest`` is this turn's own part
    ignored_instructions: bool = False
    declined: bool = False  # outside the product's purpose (rag.answer.scope)
    hits: tuple[Hit, ...] = ()
    terms: tuple = ()  # the question's weighted terms (rag.answer.evidence.Term)
    focus: Focus | None = None  # what it asks about beyond its words (places, years, measure)
    evidence: tuple[Evidence, ...] = ()
    support: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    started: float = 0.0  # time.perf_counter() when the chain took the question (set by its first step)
