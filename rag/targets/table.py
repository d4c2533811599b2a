"""The targets-and-figures table: every numeric target or reported figure in the corpus, one cited row each.

Investors check numbers, and the same quantity is often given differently by different sources
(1,920 AI companies in the 2023 white paper, 2,600+ in Yicai, over 2,800 at the end of 2024, more
than 3,000 targeted for 2026). The table keeps every statement with its source and quote, gives
rows about one quantity the same ``group`` and flags disagreements instead of picking one. It is
built by rules (``rag.targets.parse`` and its modules) at index time and saved beside the index as JSON.

Enters: the corpus's documents. Leaves: rows (``rag.targets.rows``), saved and loaded as JSON, compared
for conflicts, written as a Markdown table, CSV or JSON; ``rag.targets.select`` picks rows for a filter.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, fields
from pathlib import Path

from rag.errors import ConfigError, IndexMismatchError, IndexNotFoundError
from rag.targets.english import english_rows, is_english_document
from rag.targets.parse import DocReader
from rag.targets.rows import KINDS as KINDS
from rag.targets.rows import Conflict, TargetRow
from rag.targets.select import answer_from_table as answer_from_table
from rag.targets.select import filter_rows as filter_rows
from rag.text.glossary import load_glossary
from rag.types import Document

# KINDS, TargetRow, filter_rows and answer_from_table are imported from here by the app and the UI
FILE_NAME = "targets.json"
_FORMAT = "policy-qa-targets"
_VERSION = 1


def extract_targets(docs: list[Document]) -> list[TargetRow]:
    """Every numeric target and reported figure of ``docs``, in document and text order.

    Run at index time. Raises AssertionError if a row's ``value_text`` is not verbatim in its quote
    (cannot happen by construction: both are cut from the same cleaned sentence).
    """
    to_english = load_glossary().to_english
    rows: list[TargetRow] = []
    for doc in docs:
        for fields_ in english_rows(doc) if is_english_document(doc) else DocReader(doc, to_english).rows():
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
