"""Building an index version: the corpus loaded, chunked, embedded (reusing saved vectors) and written.

Enters: a corpus folder, an index folder, an embedder and the chunker settings. Leaves: a new
version folder (manifest.json, chunks.jsonl, docs.jsonl, the dense store, vectors.npy, BM25,
targets.json) switched in as ``CURRENT``, and a ``BuildReport``; or, when the live version is
up to date, nothing written. The folder's lock, atomic switch and pruning are
``rag.retrieval.index_files``; what makes a version up to date is ``rag.retrieval.manifest``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rag.ingest.chunking import chunk_corpus
from rag.ingest.corpus import MAX_BYTES, file_sha256, load_corpus
from rag.retrieval import index_files as disk
from rag.retrieval.bm25 import BM25, passage_tokens
from rag.retrieval.embeddings import Embedder
from rag.retrieval.manifest import build_config, corpus_fingerprint, current_version, hash_dict, package_versions
from rag.retrieval.store import StoreSpec, prune_store, same_store, write_dense
from rag.text import textnorm
from rag.types import Chunk, Document

EMBED_STEP = 256  # chunks per embedding call: the progress bar moves this often
Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    """What a build did: the version it left live, its size, how many chunks it embedded or reused."""

    index_dir: Path
    version: str
    n_docs: int
    n_chunks: int
    embedded: int
    reused: int
    seconds: float
    up_to_date: bool = False
    warnings: list[str] = field(default_factory=list)


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    chunk_size: int = 220,
    overlap: int = 1,
    rebuild: bool = False,
    lock_wait_s: float = 0.0,
    max_file_bytes: int = MAX_BYTES,
    progress: Progress | None = None,
    store: StoreSpec | None = None,
) -> BuildReport:
    """Build (or bring up to date) the index of ``corpus_dir`` in ``index_dir``.

    Unchanged chunks reuse their saved vectors; only new text is embedded. With
    ``rebuild`` everything is embedded afresh. A live version whose files do not match its
    checksums is rebuilt (its vectors reused when they are intact).

    Args:
        lock_wait_s: how long to wait for another build of the same folder.
        max_file_bytes: larger corpus files are skipped with a warning.
        progress: called as ``progress(done, total)`` while chunks are embedded.
        store: where vectors are searched (default: ``POLICYQA_STORE``, FAISS unless set).

    Raises:
        IndexBusyError: another build holds the folder for longer than ``lock_wait_s``.
        IndexWriteError: the folder cannot be written (one line naming why and where).
    """
    t0 = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    with disk.build_lock(index_dir, lock_wait_s) as note:
        notes = [note] if note else []
        try:
            cleaned = disk.clean_dead_builds(index_dir)
            disk.check_writable(index_dir, 0)
        except OSError as exc:
            raise disk.IndexWriteError(disk.os_error_line(exc, index_dir)) from None
        if cleaned:
            notes.append(f"removed {len(cleaned)} temporary file(s) of a build that did not finish")
        disk.fault_point("locked")
        try:
            report = _build_locked(corpus_dir, index_dir, embedder, chunk_size, overlap, rebuild, max_file_bytes,
                                   progress, t0, (store or StoreSpec.from_env()).ready())
        except OSError as exc:  # reading the corpus or the live version: one line, never a traceback
            raise disk.IndexWriteError(disk.os_error_line(exc, index_dir)) from None
    report.warnings[:0] = notes
    return report


def _live_state(live: Path | None, config: dict, files: dict) -> tuple[dict | None, list[str], bool]:
    """(manifest, damaged files, up to date) of the live version."""
    if live is None:
        return None, [], False
    try:
        man = disk.read_manifest_file(live)
    except (OSError, ValueError):
        return None, ["manifest.json (unreadable)"], False
    damaged = disk.damaged_files(live, man)
    return man, damaged, not damaged and man.get("config") == config and man.get("files") == files


def _build_locked(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunk_size: int, overlap: int,
                  rebuild: bool, max_file_bytes: int, progress: Progress | None, t0: float,
                  store: StoreSpec) -> BuildReport:
    config = build_config(embedder, chunk_size, overlap)
    files = corpus_fingerprint(corpus_dir) if corpus_dir.is_dir() else {}
    live = current_version(index_dir)
    man, damaged, fresh = _live_state(live, config, files)
    fresh = fresh and same_store(man, store)
    if fresh and not rebuild and man is not None and live is not None:
        return BuildReport(index_dir, live.name, man["n_docs"], man["n_chunks"], 0, 0,
                           time.perf_counter() - t0, up_to_date=True)
    docs, warnings = load_corpus(corpus_dir, max_bytes=max_file_bytes)
    if damaged:
        warnings.insert(0, f"the live index {live.name if live else ''} was damaged ({', '.join(damaged)}); rebuilt")
    chunks = chunk_corpus(docs, chunk_size, overlap)
    # vectors are reused only from files the checksums vouch for
    intact = not any(d.startswith(("vectors.npy", "chunks.jsonl", "manifest.json")) for d in damaged)
    previous = _saved_vectors(live, config) if live is not None and intact and not rebuild else {}
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    todo = [i for i, c in enumerate(chunks) if c.chunk_id not in previous]
    for i, c in enumerate(chunks):
        if c.chunk_id in previous:
            vectors[i] = previous[c.chunk_id]
    disk.check_writable(index_dir, disk.estimate_bytes(len(chunks), embedder.dim, sum(len(d.raw) for d in docs)))
    for a in range(0, len(todo), EMBED_STEP):
        part = todo[a : a + EMBED_STEP]
        vectors[part] = embedder.embed_batch([textnorm.normalize(chunks[i].text) for i in part], "passage")
        if progress is not None:
            progress(a + len(part), len(todo))
    bm25 = BM25.build(passage_tokens(chunks, docs))
    disk.fault_point("embedded")

    content = hash_dict({"config": config, "files": files, "chunks": [c.chunk_id for c in chunks]})
    version = disk.new_version_name(content, index_dir)
    tmp = index_dir / f".{version}{disk.TMP_MARK}{os.getpid()}"
    try:
        return _write_version(tmp, version, index_dir, live, vectors, bm25, docs, chunks, config, files,
                              warnings, len(todo), t0, store)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)  # a full disk must not stay full on the next try
        raise disk.IndexWriteError(disk.os_error_line(exc, index_dir)) from None
    except RuntimeError as exc:  # FAISS reports a failed write (full disk, size limit) this way
        shutil.rmtree(tmp, ignore_errors=True)
        why = str(exc).strip().splitlines()[0][-160:] if str(exc).strip() else exc.__class__.__name__
        raise disk.IndexWriteError(f"index build stopped writing {index_dir}: {why}; the previous index is unchanged") from None


def _write_version(tmp: Path, version: str, index_dir: Path, live: Path | None, vectors: np.ndarray, bm25: BM25,
                   docs: list[Document], chunks: list[Chunk], config: dict, files: dict, warnings: list[str],
                   embedded: int, t0: float, store: StoreSpec) -> BuildReport:
    tmp.mkdir()
    store_entry = write_dense(store, tmp, version, vectors, chunks, docs, config)
    np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
    bm25.save(tmp)
    from rag.answer.guard import is_planted_instruction
    from rag.targets.table import extract_targets, save_targets

    # a sentence that addresses the assistant is never a figure of the table either
    save_targets([r for r in extract_targets(docs) if not is_planted_instruction(r.quote)], tmp)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    with open(tmp / "docs.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(_doc_record(d), ensure_ascii=False) + "\n" for d in docs)
    checksums = {p.name: file_sha256(p) for p in sorted(tmp.iterdir())}
    manifest = {
        "config": config,
        "files": files,
        "n_docs": len(docs),
        "n_chunks": len(chunks),
        "checksums": checksums,
        "versions": package_versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "warnings": warnings,
        "store": store_entry,
    }
    _write_json(tmp / "manifest.json", manifest)
    disk.fsync_dir(tmp)
    disk.fault_point("written")
    os.replace(tmp, index_dir / version)  # a new name: the live version is never touched
    disk.fsync_dir(index_dir)
    disk.fault_point("renamed")
    disk.switch_current(index_dir, version)
    disk.fault_point("switched")
    # the version before stays one build longer: a running app may still be reading it
    disk.prune_versions(index_dir, {version} | ({live.name} if live else set()))
    prune_store(store, index_dir, {version} | ({live.name} if live else set()))
    return BuildReport(index_dir, version, len(docs), len(chunks), embedded, len(chunks) - embedded,
                       time.perf_counter() - t0, warnings=warnings)


def _doc_record(d: Document) -> dict:
    return {
        "meta": asdict(d.meta), "path": d.path, "encoding": d.encoding, "raw": d.raw, "text": d.text,
        "offsets": list(d.offsets), "headings": [list(h) for h in d.headings],
    }


def _saved_vectors(live: Path, config: dict) -> dict[str, np.ndarray]:
    try:
        man = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
        saved = man.get("config", {})
        if saved.get("model") != config["model"] or saved.get("text_normalisation") != config["text_normalisation"]:
            return {}  # vectors of text normalised another way are not reused
        vecs = np.load(live / "vectors.npy", allow_pickle=False)
        ids = [json.loads(line)["chunk_id"] for line in (live / "chunks.jsonl").open(encoding="utf-8")]
        return dict(zip(ids, vecs, strict=True)) if len(ids) == len(vecs) else {}
    except (OSError, ValueError, KeyError):
        return {}


