"""Citation verification: every figure and name an answer states must appear in a quote it cites."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.names import unsupported_names
from rag.text.figures import Figure, extract
from rag.types import Citation, Verification


def verify(answer: str, citations: Sequence[Citation], question: str = "") -> Verification:
    """Check the answer's figures (numbers with units, percentages, years) against its quotes.

    Figures are compared by value after normalisation, so 3,000 = 3000, 8000億元 = 8000亿元 =
    "800 billion yuan" and "150 million" = 1.5亿. Names (rag.answer.names) must be in a quote, or in
    ``question``.
    """
    figures = extract(answer)
    evidence: list[Figure] = []
    for c in citations:
        evidence.extend(extract(c.quote))
    unsupported = [f.surface for f in figures if not any(f.matches(e) for e in evidence)]
    names = unsupported_names(answer, [c.quote for c in citations], question)
    return Verification(
        ok=not unsupported and not names,
        figures=tuple(f.surface for f in figures),
        unsupported=tuple(dict.fromkeys(unsupported)),
        unsupported_names=tuple(names),
    )
