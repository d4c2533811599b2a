"""The checks a model's reply must pass before it is shown, as one ordered list.

In: a ``Reply`` (the model's raw text, the turn it answers and a way to cite it). Out: for each
check, None when the reply passes or the reason key of its ``FALLBACK_NOTICE`` when it fails;
``first_failure`` runs a list in order and stops at the first failure, so the order decides
which notice is shown. A check marked ``retry`` is worth one stricter second reply (a figure or
name the sources lack); the others fall back to the extractive answer at once. The retry is
judged by the checks marked ``judges_retry``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from rag.answer.turn import Turn
from rag.answer.verify import verify
from rag.generators.base import NOT_IN_CORPUS
from rag.text import lexicon
from rag.text.figures import extract as extract_figures
from rag.text.textnorm import answer_language, normalize
from rag.types import Citation, Verification


@dataclass
class Reply:
    """A model's reply as the checks see it; cited and verified once, when a check first asks."""

    raw: str
    turn: Turn
    cite: Callable[[str], tuple[str, list[Citation]]]

    @cached_property
    def cited(self) -> tuple[str, list[Citation]]:
        return self.cite(self.raw)

    @cached_property
    def verification(self) -> Verification:
        text, citations = self.cited
        return verify(text, citations, self.turn.query)


@dataclass(frozen=True)
class Check:
    """One named check: ``test`` gives None (pass) or a reason key of ``FALLBACK_NOTICE``."""

    name: str
    test: Callable[[Reply], str | None]
    retry: bool = False  # a failure is worth one stricter second reply
    judges_retry: bool = True  # the second reply must pass it too


def degenerate(text: str, question: str) -> bool:
    """An answer with no content of its own: only markers, the question repeated or asked back,
    or a phrase looping."""
    body = re.sub(r"\[\d{1,2}\]|[\s\W_]+", "", text)
    if len(body) < 4 or not re.search(r"[A-Za-z\u4e00-\u9fff]", body):
        return True  # "[1]", "10 [1]": a bare number says nothing about what it counts
    if _ASKS_BACK.search(text) or _LOOPS.search(body):
        return True  # a question instead of an answer; a phrase repeated in a loop
    q = re.sub(r"[\s\W_]+", "", question)
    return bool(q) and (body in q or q in body) and len(body) <= len(q) + 4


_ASKS_BACK = re.compile(r"[?？]\s*(?:\[\d{1,2}\]\s*)*$")  # the reply ends as a question does
_LOOPS = re.compile(r"(.{6,}?)\1{2,}")  # the same six or more characters three times in a row


def answers_count(text: str, turn: Turn) -> bool:
    """A Chinese answer to "多少家 / how many" must state a number of things, not only a sum of
    money or a percentage (a small model picks 2488亿元 from a sentence that also says 1920家)."""
    if turn.language == "en":
        return True  # English renderings of counts ("1,920 companies") are not told apart reliably
    if turn.focus is None or not turn.focus.count:
        return True
    return any(f.kind == "number" and "元" not in f.unit for f in extract_figures(text))


_CLAUSE = re.compile(r"[^，,；;。！？!?：:]+")


def misreads_figure(text: str, citations: Sequence[Citation], question: str) -> bool:
    """Does the answer take a figure whose clause in the source qualifies it in a way the question
    does not ("平均每平方公里拥有12家" given as the number of companies)? Every such figure found
    in a quote must be free of per / average / of-which qualifiers the question lacks."""
    asked = normalize(question)
    wanted = [q for q in lexicon.PARTIAL_QUALIFIERS if q not in asked]
    if not wanted:
        return False
    figures = [f for f in extract_figures(text) if f.kind in ("number", "percent")]
    for cite in citations:
        quote = normalize(cite.quote)
        for clause in _CLAUSE.finditer(quote):
            for qf in extract_figures(clause.group()):
                if any(af.matches(qf) for af in figures) and any(w in clause.group() for w in wanted):
                    return True
    return False


def leaks_prompt(text: str) -> bool:
    """Does a reply repeat the system prompt's rules (a sign of a successful injection)?"""
    from rag.generators.llm import SYSTEM_PROMPT

    norm = " ".join(text.lower().split())
    rules = [" ".join(line.lower().split()) for line in SYSTEM_PROMPT.splitlines() if len(line) > 30]
    return any(rule[3:60] in norm for rule in rules)


def leaked(reply: Reply) -> str | None:
    return "unsupported" if leaks_prompt(reply.raw) else None


def unsure(reply: Reply) -> str | None:
    """The model said the corpus does not answer (the chain may abstain instead of falling back)."""
    return "unsure" if NOT_IN_CORPUS in reply.raw else None


def empty(reply: Reply) -> str | None:
    return "degenerate" if degenerate(reply.raw, reply.turn.question) else None


def wrong_language(reply: Reply) -> str | None:
    return "language" if reply.turn.language == "en" and answer_language(reply.raw) != "en" else None


def uncounted(reply: Reply) -> str | None:
    return None if answers_count(reply.raw, reply.turn) else "count"


def unverified(reply: Reply) -> str | None:
    """A figure (or else a name) no cited quote holds."""
    check = reply.verification
    if check.ok:
        return None
    return "unsupported" if check.unsupported or not check.unsupported_names else "unnamed"


def qualified(reply: Reply) -> str | None:
    text, citations = reply.cited
    return "qualified" if misreads_figure(text, citations, reply.turn.query) else None


CHECKS: tuple[Check, ...] = (
    Check("leaked prompt", leaked),
    Check("not in corpus", unsure),
    Check("degenerate", empty),
    Check("language", wrong_language),
    Check("count", uncounted),
    Check("unsupported figure or name", unverified, retry=True),
    Check("qualifier", qualified, judges_retry=False),  # a retry passing verification is taken as it is
)
RETRY_CHECKS: tuple[Check, ...] = tuple(c for c in CHECKS if c.judges_retry)  # what the second reply must pass


def first_failure(reply: Reply, checks: Sequence[Check] = CHECKS) -> tuple[Check, str] | None:
    """The first check in ``checks`` the reply fails and its reason key; None when it passes all."""
    for check in checks:
        reason = check.test(reply)
        if reason is not None:
            return check, reason
    return None
