"""The Targets tab: every figure the corpus states, filterable and sortable, each row opening
its source with the quoted sentence highlighted, and a CSV download of what is shown."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import gradio as gr

from rag.errors import PolicyQAError
from rag.targets.table import KINDS, TargetRow, conflicts, filter_rows, format_rows
from rag.types import Document
from ui import render_html as R

ALL = "All"
COLUMNS = ["scope", "kind", "year", "metric", "English", "as written", "qualifier", "plan / source", "doc_id",
           "sources disagree"]


def table(rows: list[TargetRow]) -> list[list[object]]:
    """Grid rows; a row whose quantity another source gives differently for the same date is flagged."""
    clashing = {id(r) for c in conflicts(rows) for r in c.rows}
    return [[r.scope, r.kind, r.year, r.metric, r.metric_en, r.value_text, r.qualifier, r.plan, r.doc_id,
             "⚠ yes" if id(r) in clashing else ""] for r in rows]


def select(rows: list[TargetRow], scope: str, year: str, kind: str) -> list[TargetRow]:
    """Rows matching the filters; "All" means no filter on that column."""
    return filter_rows(rows, scope=None if scope == ALL else scope, year=None if year == ALL else year,
                       kind=None if kind == ALL else kind)


def build(rows: list[TargetRow], docs: Mapping[str, Document]) -> None:
    """Add the tab's components and events to the current Blocks."""
    scopes = [ALL, *sorted({r.scope for r in rows})]
    years = [ALL, *[str(y) for y in sorted({r.year for r in rows})]]
    gr.Markdown("Numeric targets and reported figures, one row per figure and source. Click a row to see "
                "its sentence highlighted in the original document.")
    with gr.Row():
        scope_dd = gr.Dropdown(scopes, value=ALL, label="Scope", elem_id="pq-t-scope")
        year_dd = gr.Dropdown(years, value=ALL, label="Year", elem_id="pq-t-year")
        kind_dd = gr.Dropdown([ALL, *KINDS], value=ALL, label="Kind", elem_id="pq-t-kind")
        download = gr.DownloadButton("Download CSV", elem_id="pq-t-csv")
    grid = gr.Dataframe(value=table(rows), headers=COLUMNS, interactive=False, wrap=True, elem_id="pq-t-grid")
    source = gr.HTML(R.document_html(None), elem_id="pq-t-source")
    shown = gr.State(rows)

    def refresh(scope: str, year: str, kind: str) -> tuple:
        try:
            picked = select(rows, scope, year, kind)
        except PolicyQAError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip()
        return table(picked), picked

    def csv_file(picked: list[TargetRow]) -> str:
        path = Path(tempfile.mkdtemp(prefix="policyqa-")) / "policy-qa-targets.csv"
        path.write_text(format_rows(picked, "csv"), encoding="utf-8-sig")  # BOM: Excel reads the Chinese
        return str(path)

    def open_row(picked: list[TargetRow], evt: gr.SelectData) -> str:
        try:
            r = picked[evt.index[0]]
        except (IndexError, TypeError):
            return R.document_html(None)
        return R.document_html(docs.get(r.doc_id), (r.start, r.end))

    for dd in (scope_dd, year_dd, kind_dd):
        dd.input(refresh, [scope_dd, year_dd, kind_dd], [grid, shown])
    download.click(csv_file, shown, download)
    grid.select(open_row, shown, source)
