"""Rows of the targets table from a document written in English (an official English page).

The same lexicon as the Chinese rules decides: a money figure bounded "up to" in a sentence about
support is a cap, a bounded percentage a rate, a money figure after a budget word the scheme's
budget; a figure with a later year ("by 2027") in a plan is a target, the rest are statistics. The
figure and its unit are cut from the sentence as written ("20 million yuan"), so the quote holds
them verbatim.

Enters: a ``Document`` whose text is English. Leaves: row fields, as ``rag.targets.parse`` gives them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from rag.answer.quantities import horizon_before, years_named
from rag.ingest.chunking import split_sentences
from rag.targets.metric import KIND_ENGLISH
from rag.targets.scopes import gazetteer_label
from rag.targets.years import document_year
from rag.text import stopwords
from rag.text.figures import extract
from rag.text.lexicon import (
    AT_MOST,
    bound_word,
    currency_before,
    is_currency,
    nearest_bound,
    support_role,
    unit_english,
    unit_words,
    units,
)
from rag.text.places import most_specific, named_places
from rag.text.textnorm import ENGLISH_BELOW, cjk_share
from rag.types import Document

_CLAUSE = re.compile(r"[,;:()]|\band\b|\bor\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
# a money sum in brackets right after another: its conversion into a second currency
_CONVERSION = re.compile(r"\d\s*[A-Za-z]*\s*[A-Za-z]*\s*[(（]\s*$")


def is_english_document(doc: Document) -> bool:
    return bool(doc.text.strip()) and cjk_share(doc.text) < ENGLISH_BELOW


def _unit(after: str) -> tuple[str, int]:
    """The unit word right after a figure and the length it takes in the text ("yuan (" -> 元, 5)."""
    head = after.lower()
    found = [(u.word, len(m.group())) for u in units() if u.english
             if (m := re.match(r"\s*" + re.escape(u.english.lower()) + r"\b", head))]
    return max(found, key=lambda t: t[1]) if found else ("", 0)


def _measured(unit: str) -> bool:
    """A unit that measures rather than counts or multiplies (EFLOPS, km²): its figures are rows too."""
    unit = next((w for w in unit_words("target") if w.lower() == unit.lower()), "")  # EFlops is EFLOPS
    return bool(unit) and unit not in unit_words("count") and unit not in unit_words("duration") \
        and unit_english(unit) != "times"


_COUNTED = re.compile(r"\s*((?:[A-Za-z][A-Za-z-]*\s+){0,4}?[A-Za-z][A-Za-z-]*?s)\b")
# plural words after a number that give a length of time or a multiple, not things counted
_NOT_COUNTED = frozenset("years months weeks days hours minutes times percent".split())


def _counted(after: str) -> str:
    """What a bare number counts, when plural words follow it: "key technologies" of "100 key
    technologies" ("" for "8 of them", "2 per cent" or a figure ending its clause)."""
    m = _COUNTED.match(after)
    words = m.group(1).split() if m else []
    if not words or any(w.lower() in stopwords.ENGLISH for w in words) or words[-1].lower() in _NOT_COUNTED:
        return ""
    return " ".join(words)


def _headline(text: str) -> bool:
    """A line in title case with no sentence end ("Hong Kong Launches $3 Billion AI Subsidy Scheme")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    words = [w for line in lines[:1] for w in _WORD.findall(line) if len(w) > 3]
    return bool(words) and not re.search(r"[.;:!?]$", lines[0]) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _metric(clause_before: str) -> str:
    """The content words just before the figure and its bound word: "financial support"."""
    head = clause_before.rstrip()
    head = head[: len(head) - len(bound_word(head))]
    return " ".join([w for w in _WORD.findall(head) if w.lower() not in stopwords.SEARCH][-3:])


def _scope(text: str) -> str:
    """The scope label of the most specific place ``text`` names ("" for none)."""
    names = sorted(most_specific(named_places(text)))
    return gazetteer_label(names[0]) if names else ""


def _support_metric(before: str, kind: str) -> str:
    """A cap's, rate's or budget's label: the support words nearest before it and the kind's word
    ("financial support cap"); "" for other rows or when no support word comes before."""
    if kind not in KIND_ENGLISH:
        return ""
    words = _WORD.findall(before)
    at = max((i for i, w in enumerate(words) if support_role(w)), default=-1)
    if at < 0:
        return ""
    lead = [words[at - 1]] if at and words[at - 1].lower() not in stopwords.SEARCH and not support_role(words[at - 1]) else []
    return " ".join([*lead, words[at], KIND_ENGLISH[kind]]).lower()


def english_rows(doc: Document) -> list[dict[str, Any]]:
    """One row per money figure or percentage of the document, in text order."""
    doc_year = document_year(doc.meta.published, doc.text)
    doc_scope = _scope(doc.meta.title) or _scope(doc.text[:2000])
    out: list[dict[str, Any]] = []
    heads = {h[0] for h in doc.headings}
    seen: set[tuple[str, float]] = set()  # (the words before a figure, its value): a repeat
    for span in split_sentences(doc.text):
        s, e = span.start, span.end
        text = doc.text[s:e]
        if s in heads or text.strip() in doc.meta.title or _headline(text):
            continue  # a headline restates the body
        roles = support_role(text)
        later = sorted(y for y in years_named(text) if y >= doc_year)
        horizon = horizon_before(doc.text[doc.text.rfind("\n", 0, s) + 1 : s])
        if not later and horizon is not None and horizon >= doc_year:
            later = [horizon]  # "By 2027, … . The rate … will exceed 75%.": the paragraph's horizon
        for fig in extract(text):
            counted = ""
            if fig.kind == "percent":
                unit, width = "%", 0
            elif fig.kind == "number":
                unit, width = _unit(text[fig.end:])
                if not unit and _measured(fig.unit):  # 6.5 EFLOPS: the figure holds its unit
                    unit = fig.unit
                prefix, lead = currency_before(text[: fig.start])
                if not unit and prefix:  # $3 billion, RMB 6 million: the money is written first
                    if _CONVERSION.search(text[: fig.start - lead]):
                        continue  # 20 million yuan ($2.83 million): the same sum converted
                    unit, fig = prefix, replace(fig, start=fig.start - lead)
                # "cultivate over 300 AI enterprises by 2027": a count in a plan is a target too
                bare = re.fullmatch(r"[\d,.]+", fig.surface.strip())  # not "10 billion level parks"
                counted = _counted(text[fig.end:]) if bare and later and not (unit or prefix) else ""
                if not (counted or is_currency(unit) or _measured(unit)):
                    continue
            else:
                continue
            start = max((m.end() for m in _CLAUSE.finditer(text, 0, fig.start)), default=0)
            before = text[start:fig.start]
            direction = nearest_bound(before)
            money = is_currency(unit)
            if money and "budget" in support_role(before):
                kind = "budget"
            elif "support" in roles and direction == AT_MOST:
                kind = "cap" if money else "rate"
            else:
                kind = "target" if later else "statistic"
            metric = _support_metric(text[:fig.start], kind) or (counted or _metric(before))
            value_text = text[fig.start : fig.end + width].rstrip(" (")
            if (before.strip().lower(), fig.value) in seen:
                continue  # a page that repeats its lead
            seen.add((before.strip().lower(), fig.value))
            raw_start, raw_end = doc.raw_span(s, e)
            out.append({
                "doc_id": doc.doc_id, "start": raw_start, "end": raw_end, "quote": text,
                "metric": metric, "metric_en": metric, "value": fig.value, "value_text": value_text,
                "unit": unit, "qualifier": bound_word(before), "kind": kind,
                "year": later[-1] if later else doc_year, "as_of": doc.meta.published,
                "scope": _scope(text) or doc_scope, "plan": "", "group": f"/{metric.lower()}/{'%' if unit in unit_words('percent') else unit}",
                "value_max": None, "year_from": "sentence" if later else "document", "published": doc.meta.published,
            })
    return out
