"""The targets-and-figures table: every numeric target or reported figure in the corpus, one cited row each.

Investors check numbers, and the same quantity is often given differently by different sources
(1,920 AI companies in the 2023 white paper, 2,600+ in Yicai, over 2,800 at the end of 2024, more
than 3,000 targeted for 2026). The table keeps every statement with its source and quote, gives
rows about one quantity the same ``group`` and flags disagreements instead of picking one. It is
built by rules (``rag.targets.parse``) at index time and saved beside the index as JSON.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from rag.errors import ConfigError, IndexMismatchError, IndexNotFoundError
from rag.targets.parse import PLACE, DocReader, place_refs
from rag.text.glossary import load_glossary, words
from rag.text.textnorm import normalize, to_simplified
from rag.types import Document

KINDS = ("target", "statistic", "cap", "rate", "budget")
FILE_NAME = "targets.json"
_FORMAT = "policy-qa-targets"
_VERSION = 1


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


def extract_targets(docs: list[Document]) -> list[TargetRow]:
    """Every numeric target and reported figure of ``docs``, in document and text order.

    Run at index time. Raises AssertionError if a row's ``value_text`` is not verbatim in its quote
    (cannot happen by construction: both are cut from the same cleaned sentence).
    """
    to_english = load_glossary().to_english
    rows: list[TargetRow] = []
    for doc in docs:
        for fields_ in DocReader(doc, to_english).rows():
            row = TargetRow(**fields_)
            assert row.value_text in row.quote, f"{row.doc_id}: {row.value_text!r} not in {row.quote!r}"
            rows.append(row)
    return rows


def save_targets(rows: list[TargetRow], folder: Path) -> str:
    """Write the table as JSON into ``folder`` (no pickle); returns the file name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"format": _FORMAT, "version": _VERSION, "rows": [asdict(r) for r in rows]}
    tmp = folder / (FILE_NAME + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(folder / FILE_NAME)
    return FILE_NAME


def load_targets(folder: Path) -> list[TargetRow]:
    """Read the table saved by :func:`save_targets`; a missing or damaged file names the fix."""
    path = Path(folder) / FILE_NAME
    if not path.is_file():
        raise IndexNotFoundError(f"no targets table at {path}; build it with `python -m rag index --rebuild`")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format") != _FORMAT or payload.get("version") != _VERSION:
            raise ValueError(f"format {payload.get('format')!r} version {payload.get('version')!r}")
        return [TargetRow(**d) for d in payload["rows"]]
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        raise IndexMismatchError(f"{path} is damaged ({exc}); rebuild with `python -m rag index --rebuild`") from None


def _precision(row: TargetRow) -> float:
    """The step of the last written digit, in canonical units (2236.6億元 -> 1e7)."""
    m = re.search(r"\d+(?:,\d{3})*(?:\.(\d+))?", row.value_text)
    if not m:
        return 0.0
    num = float(m.group().replace(",", ""))
    mult = row.value / num if num else 1.0
    return 10.0 ** -len(m.group(1) or "") * mult


def agree(a: TargetRow, b: TargetRow) -> bool:
    """Equal once both are rounded to the coarser of their written precisions (2236.61 = 2236.6)."""
    tol = max(_precision(a), _precision(b)) / 2 + 1e-9 * max(1.0, abs(a.value), abs(b.value))
    return abs(a.value - b.value) <= tol


def conflicts(rows: list[TargetRow]) -> list[Conflict]:
    """Groups where two documents give different values for the same scope, year and kind.

    Each document's values are compared as a set, so a source stating 8000億元以上 and 力爭1萬億元
    does not conflict with another that states both.
    """
    by: dict[tuple[str, int, str], list[TargetRow]] = {}
    for r in rows:
        by.setdefault((r.group, r.year, r.kind), []).append(r)
    # a figure with no year (a page that never dates it) is compared with every dated one of its
    # quantity: a lone undated "10萬家" beside 2,800 and 3,000 is a conflict, not a separate fact
    for (group, year, kind), rs in list(by.items()):
        if year == 0:
            dated = [key for key in by if key[0] == group and key[2] == kind and key[1] != 0]
            for key in dated:
                by[key] = by[key] + rs
            if dated:
                del by[(group, year, kind)]
    out: list[Conflict] = []
    for (group, year, kind), rs in by.items():
        docs: dict[str, list[TargetRow]] = {}
        for r in rs:
            docs.setdefault(r.doc_id, []).append(r)
        sets = list(docs.values())
        differ = any(
            any(not any(agree(x, y) for y in other) for x in mine)
            for i, mine in enumerate(sets)
            for j, other in enumerate(sets)
            if i != j
        )
        if differ:
            out.append(Conflict(group, rs[0].scope, year, kind, tuple(rs)))
    return out


ROW_FIELDS = tuple(f.name for f in fields(TargetRow))
_INT_FIELDS = {"start", "end", "year"}


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


def _fmt_value(row: TargetRow) -> str:
    v = f"{row.value:,.0f}" if row.value.is_integer() else f"{row.value:,.4g}"
    if row.value_max is not None:
        v += f"-{row.value_max:,.4g}"
    return f"{v} {row.unit}".strip()


def format_rows(rows: list[TargetRow], fmt: str = "table") -> str:
    """The rows as a Markdown table (for reading), CSV or JSON (every field, for tools)."""
    if fmt == "json":
        return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=ROW_FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if v is None else v for k, v in asdict(r).items()})
        return buf.getvalue()
    if fmt != "table":
        raise ConfigError(f"unknown --format {fmt!r}; valid: table, csv, json")
    head = ["scope", "kind", "year", "metric", "English", "value", "as written", "qualifier", "plan / source", "source"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.scope, r.kind, r.as_of if r.year_from != "document" else str(r.year), r.metric, r.metric_en]
        cells += [_fmt_value(r), r.value_text, r.qualifier, r.plan, f"{r.doc_id} [{r.start}:{r.end}]"]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def parse_rows(text: str, fmt: str) -> list[TargetRow]:
    """Read back what ``format_rows`` wrote as CSV or JSON."""
    if fmt == "json":
        return [TargetRow(**d) for d in json.loads(text)]
    if fmt != "csv":
        raise ConfigError(f"cannot read rows from {fmt!r}; valid: csv, json")
    out = []
    for d in csv.DictReader(io.StringIO(text)):
        vals: dict[str, object] = dict(d)
        for k in _INT_FIELDS:
            vals[k] = int(d[k])
        vals["value"] = float(d["value"])
        vals["value_max"] = float(d["value_max"]) if d["value_max"] else None
        out.append(TargetRow(**vals))  # type: ignore[arg-type]
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
    groups = [g for g in glossary.expand_groups(question) if not any(PLACE.search(t) or "目标" in t for t in g)]
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
