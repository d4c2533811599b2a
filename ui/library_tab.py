"""The Documents tab's panel for adding and removing documents, and the refresh of the page
when the index changes (an upload here, or a build elsewhere that the watcher picked up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from rag.ingest.corpus import SUFFIXES
from ui import render_html as R
from ui.library import FileStatus, Library
from ui.service import ChatService


def doc_choices(service: ChatService) -> list[tuple[str, str]]:
    return [(f"{d.meta.title[:60]} — {i}", i) for i, d in sorted(service.docs.items())]


def docs_table(service: ChatService) -> str:
    index = service.chain.index
    return R.documents_table_html(index.docs, index.stats().get("chunks_per_document", {}),
                                  index.manifest.get("warnings", []))


def header(service: ChatService) -> str:
    return R.header_html(service.chain.index.stats(), service.version)


class LibraryPanel:
    """Handlers for the panel; ``library`` is None where uploads are not offered (tests, read-only)."""

    def __init__(self, service: ChatService, library: Library | None, login_required: bool) -> None:
        self.service, self.library, self.login_required = service, library, login_required

    def _refused(self, request: gr.Request | None) -> str | None:
        if self.library is None:
            return "this server does not accept uploads"
        if self.login_required and not getattr(request, "username", None):
            return "log in to add or remove documents"
        return None

    def add(self, paths: list[str] | None, title: str, publisher: str, date: str, request: gr.Request,
            progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008 -- Gradio's progress API
        refused = self._refused(request)
        if refused or not paths:
            return R.upload_status_html([FileStatus("-", "skipped", refused or "choose or drop files first")]), gr.skip()
        assert self.library is not None
        files, early = [], []
        for p in paths:
            path = Path(p)
            size = path.stat().st_size
            if size > self.library.max_bytes:  # not even read
                early.append(FileStatus(path.name, "skipped", f"{size / 2**20:.1f} MB is over the upload limit of "
                                        f"{self.library.max_bytes / 2**20:.0f} MB"))
            else:
                files.append((path.name, path.read_bytes()))
        progress(0, desc="checking files")
        done = self.library.add(files, title, publisher, date,
                                progress=lambda f, what: progress(f, desc=what))
        return R.upload_status_html([*early, *done]), None

    def remove(self, doc_id: str | None, request: gr.Request, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        refused = self._refused(request)
        if refused or not doc_id:
            return R.upload_status_html([FileStatus(doc_id or "-", "skipped", refused or "choose a document first")])
        assert self.library is not None
        progress(0, desc=f"removing {doc_id}")
        return R.upload_status_html([self.library.remove(doc_id, progress=lambda f, what: progress(f, desc=what))])

    def refresh(self, seen: str) -> tuple:
        """Header, document table and lists once the served version differs from what this page shows."""
        version = self.service.version
        if seen == version:
            return (gr.skip(),) * 5
        choices = doc_choices(self.service)
        return (header(self.service), docs_table(self.service), gr.update(choices=choices),
                gr.update(choices=choices), version)

    def build(self) -> dict[str, Any]:
        """The panel's components (inside the Documents tab); returns them by name."""
        with gr.Accordion("Add or remove documents", open=self.library is not None, elem_id="pq-library"):
            files = gr.File(file_count="multiple", file_types=list(SUFFIXES), type="filepath", elem_id="pq-upload",
                            label=f"Drop {', '.join(SUFFIXES)} files (several at once)")
            with gr.Row():
                title = gr.Textbox(label="Title (optional)", elem_id="pq-up-title")
                publisher = gr.Textbox(label="Publisher (optional)", elem_id="pq-up-publisher")
                date = gr.Textbox(label="Date (optional, e.g. 2025-03-05)", elem_id="pq-up-date")
            add = gr.Button("Add to corpus", variant="primary", elem_id="pq-add")
            with gr.Row():
                remove_dd = gr.Dropdown(doc_choices(self.service), value=None, label="Remove a document",
                                        elem_id="pq-remove-select")
                remove = gr.Button("Remove", elem_id="pq-remove")
            status = gr.HTML(R.upload_status_html([]), elem_id="pq-upload-status")
        add.click(self.add, [files, title, publisher, date], [status, files],
                  concurrency_limit=1, concurrency_id="library", show_progress="full")
        remove.click(self.remove, [remove_dd], [status], concurrency_limit=1, concurrency_id="library",
                     show_progress="full")
        return {"remove_dd": remove_dd, "status": status}
