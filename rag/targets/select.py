"""Which rows of the targets table a filter or a question asks for.

Enters: rows and a scope / year / kind, or an English or Chinese question. Leaves: the rows (a city
includes its districts; a target stated by several sources is given once), or None where the question
is not a "what are X's targets for YEAR" question.
"""

from __future__ import annotations

import re

from rag.errors import ConfigError
from rag.targets.rows import KINDS, TargetRow
from rag.targets.scopes import place_pattern, place_refs
from rag.text.glossary import load_glossary, words
from rag.text.textnorm import normalize, to_simplified


def _scope_words(scope: str) -> set[str]:
    """Bao'an (Shenzhen) -> {bao'an (shenzhen), bao'an, shenzhen}: a city filter includes its districts."""
    low = scope.lower()
    return {low, *(p.strip() for p in re.split(r"[()]", low) if p.strip())}


def _scopes_named(text: str, present: list[str]) -> set[str]:
    """Scopes of ``present`` that ``text`` names, in English (Shenzhen's) or Chinese (深圳, 寶安)."""
    named = set(words(text))
    places = {sc.lower() for _, sc in place_refs(normalize(text))}
    return {s for s in present if _scope_words(s) & named or places & _scope_words(s)}


def filter_rows(
    rows: list[TargetRow], scope: str | None = None, year: int | str | None = None, kind: str | None = None
) -> list[TargetRow]:
    """Rows of one scope (a city includes its districts), year and/or kind.

    A malformed or unknown value raises ConfigError naming the valid values, so that
    ``--year 26`` or ``--scope Shenzen`` is a one-line error, not an empty table.
    """
    out = list(rows)
    if kind is not None:
        if kind not in KINDS:
            raise ConfigError(f"unknown --kind {kind!r}; valid: {', '.join(KINDS)}")
        out = [r for r in out if r.kind == kind]
    if year is not None:
        years = sorted({r.year for r in rows})
        valid = ", ".join(map(str, years))
        if not re.fullmatch(r"\d{4}", str(year).strip()):
            raise ConfigError(f"invalid --year {year!r}: expected 4 digits; years in the table: {valid}")
        if int(year) not in years:
            raise ConfigError(f"no rows for --year {year}; years in the table: {valid}")
        out = [r for r in out if r.year == int(year)]
    if scope is not None:
        present = sorted({r.scope for r in rows if r.scope})
        named = _scopes_named(scope, present)
        if not named:
            raise ConfigError(f"unknown --scope {scope!r}; valid: {'; '.join(present)}")
        out = [r for r in out if r.scope in named]
    return out


_INTENT_EN = re.compile(r"\b(?:targets?|goals?|aims?|aiming|objectives?|planned|plans? to)\b", re.IGNORECASE)
_INTENT_ZH = re.compile(r"目标|指标|力争|计划")


def answer_from_table(question: str, rows: list[TargetRow]) -> list[TargetRow] | None:
    """The target rows a "what are X's targets for YEAR" question asks for, else None.

    Needs a target word (target, goal, aim, 目标/目標...) and a year and/or a scope. Words of
    the question that name a metric (AI companies -> 人工智能, 企业) narrow the rows when some
    row has them all. One row per target: a target stated by several sources is cited once,
    from the earliest source.
    """
    simple = to_simplified(question)
    if not (_INTENT_EN.search(question) or _INTENT_ZH.search(simple)):
        return None
    m = re.search(r"(?<!\d)(20\d{2})(?!\d)", question)
    year = int(m.group(1)) if m else None
    targets = [r for r in rows if r.kind == "target"]
    scopes = _scopes_named(question, sorted({r.scope for r in targets}))
    if year is None and not scopes:
        return None
    hits = [r for r in targets if (year is None or r.year == year) and (not scopes or r.scope in scopes)]
    glossary = load_glossary()
    groups = [g for g in glossary.expand_groups(question) if not any(place_pattern().search(t) or "目标" in t for t in g)]
    for term in re.findall(r"[\u4e00-\u9fff]{2,}", normalize(simple)):
        groups += [(t,) for t in re.findall(r"人工智能终端|人工智能|机器人|独角兽|瞪羚|企业|产业规模|产量", term)]
    narrow = [r for r in hits if groups and all(any(t in to_simplified(r.metric) for t in g) for g in groups)]
    hits = narrow or hits
    seen: dict[tuple[str, float, int], TargetRow] = {}
    for r in sorted(hits, key=lambda r: (r.published, r.doc_id, r.start)):
        seen.setdefault((r.group, r.value, r.year), r)
    keep = set(map(id, seen.values()))
    out = [r for r in hits if id(r) in keep]
    return out or None
