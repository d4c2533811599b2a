"""What an index version was built from, and the check that a saved version fits what is running.

Enters: the embedder, the chunker settings, the corpus folder and the code of the pipeline that
turns files into chunks and tokens. Leaves: ``build_config`` (format, ``pipeline_version``,
model, text normalisation, chunker), ``corpus_fingerprint`` (sha256 of every corpus file),
``package_versions``, ``current_version`` (the live version folder) and ``check_manifest`` (a
version's manifest, or ``IndexMismatchError`` naming the rebuild command).
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from rag.errors import CorpusError, IndexMismatchError
from rag.ingest.chunking import HARD_MAX_CHARS
from rag.ingest.corpus import file_sha256, iter_files
from rag.retrieval import index_files as disk
from rag.retrieval.embeddings import Embedder
from rag.text import textnorm

FORMAT = 1
REBUILD_CMD = "python -m rag index --rebuild"
NORMALISATION = textnorm.MATCHING_FORM
RAG_DIR = Path(__file__).resolve().parents[1]
# the code (and its data files) that turns corpus files into chunks, tokens and the targets table:
# every file under these folders counts, so a module split out of one of them is never left out
PIPELINE_FOLDERS = ("ingest", "text", "targets")
PIPELINE_FILES = ("retrieval/bm25.py",)


def package_versions() -> dict[str, str]:
    """The Python version and the versions of the packages an index depends on (recorded, not checked)."""
    out = {"python": platform.python_version()}
    for dist in ("faiss-cpu", "sentence-transformers", "torch", "jieba", "opencc", "numpy", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every candidate file (and the manifest), by file name."""
    files = {p.name: file_sha256(p) for p in iter_files(corpus_dir) if p.is_file() and not p.is_symlink()}
    man = corpus_dir / "manifest.json"
    if man.is_dir():
        raise CorpusError(f"{man} is a folder; it must be a JSON file listing the documents (or be absent)")
    if man.exists():
        files["manifest.json"] = file_sha256(man)
    return files


def hash_dict(d: dict) -> str:
    """sha256 of a JSON-able dict, independent of key order."""
    return hashlib.sha256(json.dumps(d, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def pipeline_files() -> list[Path]:
    """Every file of the pipeline (``.py`` and data files; caches and hidden files left out), by relative path."""
    found = {RAG_DIR / name for name in PIPELINE_FILES}
    for folder in PIPELINE_FOLDERS:
        for path in (RAG_DIR / folder).rglob("*"):
            rel = path.relative_to(RAG_DIR)
            if path.is_file() and path.suffix != ".pyc" and not any(
                    part == "__pycache__" or part.startswith(".") for part in rel.parts):
                found.add(path)
    return sorted(found, key=lambda p: p.relative_to(RAG_DIR).as_posix())


def pipeline_version() -> str:
    """Hash of the code that turns files into chunks: changing it makes the index stale."""
    h = hashlib.sha256()
    for path in pipeline_files():
        h.update(path.relative_to(RAG_DIR).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def build_config(embedder: Embedder, chunk_size: int, overlap: int) -> dict:
    """The part of the manifest that must match for a saved version to be used as it is."""
    return {
        "format": FORMAT,
        "pipeline": pipeline_version(),
        "model": {"name": embedder.name, "dim": embedder.dim, "normalised_vectors": True, "metric": "inner_product"},
        "text_normalisation": NORMALISATION,
        "chunker": {"size": chunk_size, "overlap_sentences": overlap, "hard_max_chars": HARD_MAX_CHARS},
    }


def current_version(index_dir: Path) -> Path | None:
    """The live version folder that ``CURRENT`` names, or None when there is none."""
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    path = index_dir / name
    return path if name and path.is_dir() else None


def check_manifest(live: Path, embedder: Embedder, chunk_size: int | None, overlap: int | None,
                   verify: bool) -> dict:
    """The manifest of version folder ``live``, checked against the embedder, the chunker settings
    (when given) and the pipeline code; with ``verify``, every file against its checksum.

    Raises:
        IndexMismatchError: the version was built differently, or is damaged; the message names the fix.
    """
    try:
        man = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexMismatchError(f"index manifest unreadable ({exc}); rebuild with: {REBUILD_CMD}") from None
    cfg = man.get("config", {})
    model = cfg.get("model", {})
    if cfg.get("format") != FORMAT:
        raise IndexMismatchError(f"index format {cfg.get('format')} != {FORMAT}; rebuild with: {REBUILD_CMD}")
    if model.get("name") != embedder.name or model.get("dim") != embedder.dim:
        raise IndexMismatchError(
            f"index was built with {model.get('name')} (dim {model.get('dim')}), but the embedder is "
            f"{embedder.name} (dim {embedder.dim}); rebuild with: {REBUILD_CMD}"
        )
    if cfg.get("pipeline") != pipeline_version():
        raise IndexMismatchError(
            f"index was built by another version of the cleaning/chunking code; rebuild with: {REBUILD_CMD}"
        )
    chunker = cfg.get("chunker", {})
    if (chunk_size is not None and chunker.get("size") != chunk_size) or (
        overlap is not None and chunker.get("overlap_sentences") != overlap
    ):
        raise IndexMismatchError(
            f"index chunker {chunker} differs from settings (size {chunk_size}, overlap {overlap}); "
            f"rebuild with: {REBUILD_CMD}"
        )
    if verify:
        damaged = disk.damaged_files(live, man)
        if damaged:
            raise IndexMismatchError(f"index file(s) {', '.join(damaged)} missing or altered; rebuild with: "
                                     f"python -m rag index (it rebuilds what is damaged)")
    return man
