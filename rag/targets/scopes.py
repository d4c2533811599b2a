"""The place a targets row is about (its scope column), from the gazetteer and ``data/scopes.tsv``.

Enters: a text in matching form. Leaves: (position, scope label) of each place the table reports on,
and the pattern of those places' names. A scope is a gazetteer place (``rag.text.places``) found by
the shortest of its Chinese names, which also finds the longer ones (深圳 in 深圳市), with the
glossary's English name as its label; a district's label names the scope it lies in ("Bao'an
(Shenzhen)"). China as a whole is not in the gazetteer: ``scopes.tsv`` gives its names and contexts.
"""

from __future__ import annotations

import re
from functools import cache

from rag.text import lexicon


def _split(cell: str) -> list[str]:
    return [x for x in cell.split("|") if x]


@cache
def _rows() -> tuple[tuple[str, tuple[str, ...], str, str, str], ...]:
    """(scope, Chinese names, names not followed by, characters not preceding, label) per row."""
    from rag.text.glossary import load_glossary
    from rag.text.places import lineage, place, strip_tail

    names = dict(load_glossary().english_names_index())
    table = lexicon.rows("scopes", 5)
    scopes = {r[0] for r in table}

    def english(name: str) -> str:
        p = place(name)
        forms = [name, *(p.chinese if p else ())]
        said = next((names[f] for f in forms if f in names), None)
        return strip_tail(said or (p.english[0] if p else name))

    def shortest(name: str, more: list[str]) -> str:
        p = place(name)
        return min([*(p.chinese if p else ()), *more], key=len)

    out = []
    for scope, members, more, not_after, not_before in table:
        p = place(scope)
        forms = [shortest(scope, _split(more))] if p else _split(more)
        forms += [shortest(m, []) for m in _split(members)]
        label = english(scope)
        if p and p.level == 3:  # a district: with the scope it lies in
            up = next((s for s in lineage(scope)[1:] if s in scopes), "")
            label += f" ({english(up)})" if up else ""
        out.append((scope, tuple(forms), not_after, not_before, label))
    return tuple(out)


def _names(forms: tuple[str, ...], not_after: str, not_before: str) -> str:
    alt = lexicon.alternation(forms)
    behind = f"(?<![{re.escape(not_before)}])" if not_before else ""
    ahead = f"(?!{lexicon.alternation(_split(not_after))})" if not_after else ""
    return f"{behind}(?:{alt}){ahead}"


@cache
def place_pattern() -> re.Pattern[str]:
    """Any scope's names, in their contexts (中国 but not 中国平安), one named group per row."""
    return re.compile("|".join(f"(?P<s{i}>{_names(*r[1:4])})" for i, r in enumerate(_rows())))


@cache
def place_names() -> str:
    """An alternation of every scope's names, contexts aside (for stripping them from a metric)."""
    return lexicon.alternation(f for r in _rows() for f in r[1])


def scope_labels() -> tuple[str, ...]:
    """The scope labels, most specific first: Bao'an (Shenzhen), Shenzhen, ..., China."""
    return tuple(dict.fromkeys(r[4] for r in _rows()))


def place_refs(n: str) -> list[tuple[int, str]]:
    """(position, scope) of every place name in a normalised text: the rows of ``scopes.tsv`` first
    (China and its contexts, the places counted as another), then any other division of the
    gazetteer by its English name (Langfang; Shijingshan (Beijing) for a district)."""
    labels = [r[4] for r in _rows()]
    refs = [(m.start(), m.end(), labels[int(m.lastgroup[1:])]) for m in place_pattern().finditer(n) if m.lastgroup]
    from rag.text.places import chinese_places

    for s, e, names in chinese_places(n):
        if not any(a < e and s < b for a, b, _ in refs):
            refs.append((s, e, gazetteer_label(names[0])))
    return sorted((s, label) for s, _, label in refs)


@cache
def nation_label() -> str:
    """The scope label of China as a whole (its row in ``scopes.tsv``)."""
    return next(r[4] for r in _rows() if r[0] == "中国")


@cache
def gazetteer_label(name: str) -> str:
    """A gazetteer place's scope label: its English name without District/County, a district's or
    county's with the city it lies in (Shijingshan (Beijing))."""
    from rag.text.places import lineage, place, strip_tail

    p = place(name)
    if p is None or not p.english:
        return name
    label = strip_tail(p.english[0])
    up = lineage(name)[1:2]
    parent = place(up[0]) if up else None
    if p.level == 3 and parent is not None and parent.english:
        label += f" ({strip_tail(parent.english[0])})"
    return label
