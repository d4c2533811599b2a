"""A row of the targets table and a conflict between rows: the data the table is made of.

Enters: the fields ``rag.targets.parse.DocReader`` finds for a figure. Leaves: checked, frozen rows.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("target", "statistic", "cap", "rate", "budget")


@dataclass(frozen=True)
class TargetRow:
    """One figure as one source states it, with the sentence that says so.

    ``value`` is canonical (8000億元 -> 8e11, 20% -> 20.0, unit "%"), ``unit`` the base unit (元, 家,
    台, %...), ``value_text`` the figure exactly as written in ``quote`` (qualifiers such as 超 or 以上
    go to ``qualifier``). ``year`` is the target year or the as-of year; ``year_from`` says where it
    came from (sentence, paragraph, context, title or document date). ``start``/``end`` are offsets
    into the original file's text (``raw[start:end]`` is the passage with the file's own line breaks);
    ``quote`` is the sentence in its original script as the cleaned text has it (cleaning only drops
    characters), like ``Citation.quote``.
    """

    doc_id: str
    start: int
    end: int
    quote: str
    metric: str
    metric_en: str
    value: float
    value_text: str
    unit: str
    qualifier: str
    kind: str
    year: int
    as_of: str
    scope: str
    plan: str
    group: str
    value_max: float | None = None
    year_from: str = "sentence"
    published: str = ""

    def __post_init__(self) -> None:
        if self.value_text not in self.quote:
            raise ValueError(f"value_text {self.value_text!r} is not in its quote {self.quote!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Conflict:
    """Sources that give different values for one quantity, scope, year and kind."""

    group: str
    scope: str
    year: int
    kind: str
    rows: tuple[TargetRow, ...]
