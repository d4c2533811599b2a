"""Add documents to the corpus folder and remove them, then bring the index up to date.

Each change is staged inside the corpus folder under a hidden name (the corpus loader skips
dot-names), checked by the same loader the index uses, moved in by rename, and indexed by
``rag.index.build_index``, which embeds only new passages and switches ``CURRENT`` atomically.
If the build fails, the change is undone: the corpus folder and the index stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import DocumentError, PolicyQAError
from rag.index import BuildReport, build_index
from rag.ingest.corpus import MANIFEST, file_sha256, iter_files, load_document
from rag.retrieval.embeddings import Embedder, Kind
from rag.settings import Settings
from ui.upload import UploadError, check_content, clean_meta, safe_name

Progress = Callable[[float, str], None]
BATCH = 16  # passages per embedding call: how often the bar moves
LOCK_WAIT_S = 60.0


@dataclass(frozen=True)
class FileStatus:
    """What became of one file: indexed, skipped (with why), removed or failed."""

    name: str
    status: str
    detail: str = ""


class ProgressEmbedder:
    """The index's embedder, called in batches so that a build can report how far it is."""

    def __init__(self, inner: Embedder, report: Callable[[int, int], None]) -> None:
        self.inner, self.report = inner, report
        self.name, self.dim = inner.name, inner.dim

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        texts = list(texts)
        parts = []
        for i in range(0, len(texts), BATCH):
            parts.append(self.inner.embed_batch(texts[i : i + BATCH], kind))
            self.report(min(i + BATCH, len(texts)), len(texts))
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)


def _quiet(_: float, __: str) -> None:
    pass


class Library:
    """The corpus folder as the UI changes it. One change at a time per process."""

    def __init__(self, settings: Settings, embedder: Embedder, refresh: Callable[[], object]) -> None:
        self.settings = settings
        self.corpus = Path(settings.corpus_dir)
        self.embedder = embedder
        self.refresh = refresh  # loads the new index version into the app (the watcher's check)
        self.max_bytes = settings.upload_max_mb * 2**20
        self._lock = threading.Lock()

    # -- adding -------------------------------------------------------------------------------
    def add(self, files: Sequence[tuple[str, bytes]], title: str = "", publisher: str = "", published: str = "",
            progress: Progress = _quiet) -> list[FileStatus]:
        """Store and index ``files`` (name, content). Returns one status per file, in order."""
        try:
            meta = clean_meta(title, publisher, published)
        except UploadError as exc:
            return [FileStatus(str(name), "skipped", str(exc)) for name, _ in files]
        if not files:
            return []
        with self._lock:
            stage = self.corpus / f".upload-{uuid.uuid4().hex[:12]}"
            stage.mkdir()
            try:
                return self._add(files, meta, stage, progress)
            finally:
                shutil.rmtree(stage, ignore_errors=True)

    def _add(self, files: Sequence[tuple[str, bytes]], meta: dict[str, str], stage: Path,
             progress: Progress) -> list[FileStatus]:
        known = {p.stem: p for p in iter_files(self.corpus) if p.is_file()}
        digests = {file_sha256(p): p.name for p in known.values()}
        statuses: list[FileStatus | None] = []
        accepted: list[tuple[int, Path]] = []
        for i, (given, data) in enumerate(files):
            progress(0.05 * i / len(files), f"checking {given}")
            try:
                name = safe_name(str(given))
                check_content(name, data, self.max_bytes)
                stem = Path(name).stem
                digest = hashlib.sha256(data).hexdigest()
                if digest in digests:
                    raise UploadError(f"{name}: already in the corpus as {digests[digest]} (duplicate)")
                if stem in known:
                    raise UploadError(f"{name}: a different document {known[stem].name} has the id {stem!r}; "
                                      "remove it first or rename the file")
                staged = stage / name
                staged.write_bytes(data)
                entry = {"id": stem, **meta}
                load_document(staged, entry)  # the index's own reader: what it refuses is refused here
            except (UploadError, DocumentError) as exc:
                statuses.append(FileStatus(str(given), "skipped", str(exc).removeprefix("skipped ")))
                continue
            except OSError as exc:
                statuses.append(FileStatus(str(given), "skipped", f"cannot store it ({exc.strerror})"))
                continue
            known[stem], digests[digest] = staged, name
            accepted.append((i, staged))
            statuses.append(None)
        if accepted:
            names = [p.name for _, p in accepted]
            moved: list[Path] = []
            backup = self._manifest_text()

            def undo() -> None:
                for p in moved:
                    p.unlink(missing_ok=True)
                self._restore_manifest(backup)

            try:
                if meta:
                    self._set_manifest({Path(n).stem: {"id": Path(n).stem, **meta} for n in names}, drop=())
                for _, p in accepted:
                    target = self.corpus / p.name
                    os.replace(p, target)
                    moved.append(target)
                shutil.rmtree(stage, ignore_errors=True)  # the build names every hidden entry it passes over
                report = self._build(progress)
            except (PolicyQAError, OSError) as exc:
                undo()
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                for i, _ in accepted:
                    statuses[i] = FileStatus(str(files[i][0]), "failed", f"indexing failed ({why}); nothing was changed")
                return [s for s in statuses if s is not None]
            chunks = self._chunks_by_doc()
            for (i, _), name in zip(accepted, names, strict=True):
                skipped = next((w for w in report.warnings if name in w), None)
                statuses[i] = (FileStatus(name, "skipped", skipped) if skipped else
                               FileStatus(name, "indexed", f"{chunks.get(Path(name).stem, 0)} passages"))
        progress(1.0, "done")
        return [s for s in statuses if s is not None]

    # -- removing -----------------------------------------------------------------------------
    def remove(self, doc_id: str, progress: Progress = _quiet) -> FileStatus:
        """Take the document ``doc_id`` out of the corpus folder and the index."""
        with self._lock:
            files = [p for p in iter_files(self.corpus) if p.is_file()]
            path = next((p for p in files if p.stem == str(doc_id)), None)
            if path is None:
                return FileStatus(str(doc_id), "skipped", f"no document {doc_id!r} in the corpus folder")
            if len(files) == 1:
                return FileStatus(path.name, "skipped", "it is the only document; add another one first")
            data, backup = path.read_bytes(), self._manifest_text()  # kept to undo a failed build
            try:
                path.unlink()
                self._set_manifest({}, drop=(path.stem,))
                self._build(progress)
            except (PolicyQAError, OSError) as exc:
                self._put(path, data)
                self._restore_manifest(backup)
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                return FileStatus(path.name, "failed", f"indexing failed ({why}); nothing was changed")
            progress(1.0, "done")
            return FileStatus(path.name, "removed", "no longer answered from")

    # -- helpers ------------------------------------------------------------------------------
    def _build(self, progress: Progress) -> BuildReport:
        progress(0.1, "reading the corpus")

        def embedded(done: int, total: int) -> None:
            progress(0.1 + 0.8 * done / max(total, 1), f"embedding new passages: {done}/{total}")

        s = self.settings
        # a build started elsewhere (`rag index`) holds the folder's lock: wait for it a while
        report = build_index(self.corpus, s.index_dir, ProgressEmbedder(self.embedder, embedded),
                             chunk_size=s.chunk_size, overlap=s.chunk_overlap,
                             lock_wait_s=max(s.index_lock_wait_s, LOCK_WAIT_S), max_file_bytes=int(s.max_file_mb * 2**20))
        progress(0.95, "loading the new index")
        self.refresh()
        return report

    def _chunks_by_doc(self) -> dict[str, int]:
        from rag.index import current_version

        live = current_version(Path(self.settings.index_dir))
        out: dict[str, int] = {}
        if live is None:
            return out
        with open(live / "chunks.jsonl", encoding="utf-8") as fh:
            for line in fh:
                doc = json.loads(line)["doc_id"]
                out[doc] = out.get(doc, 0) + 1
        return out

    def _manifest_text(self) -> str | None:
        path = self.corpus / MANIFEST
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def _restore_manifest(self, text: str | None) -> None:
        path = self.corpus / MANIFEST
        if text is None:
            path.unlink(missing_ok=True)
        else:
            self._write_manifest(text)

    def _set_manifest(self, entries: dict[str, dict], drop: Sequence[str]) -> None:
        text = self._manifest_text()
        try:
            current = json.loads(text) if text else []
        except json.JSONDecodeError as exc:
            raise UploadError(f"{MANIFEST} in the corpus folder is not valid JSON ({exc}); fix it first") from None
        if not isinstance(current, list):
            raise UploadError(f"{MANIFEST} in the corpus folder is not a JSON list; fix it first")
        gone = set(drop) | set(entries)
        kept = [e for e in current if not (isinstance(e, dict) and str(e.get("id")) in gone)]
        if kept == current and not entries:
            return
        self._write_manifest(json.dumps([*kept, *entries.values()], ensure_ascii=False, indent=1) + "\n")

    def _write_manifest(self, text: str) -> None:
        self._put(self.corpus / MANIFEST, text.encode("utf-8"))

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        """Write by rename, so a reader never sees half a file."""
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
