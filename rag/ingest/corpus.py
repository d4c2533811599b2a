"""Load the corpus folder: decode each file, extract text, clean it, attach its metadata.

Supported: .txt and .md (UTF-8, GB18030/GBK or Big5), .html/.htm (parsed with lxml through
BeautifulSoup), .pdf (pypdf). For HTML and PDF the "original text" that offsets index is the
text extracted from the file, since markup and page streams have no character positions a
reader could check.

Enters: a corpus folder (files and an optional ``manifest.json`` of their metadata). Leaves: its
``Document``s and a warning for every file or manifest entry skipped; ``file_sha256`` for the
index's fingerprint. Reading each file's text by its type is ``rag.ingest.readers``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from rag.errors import CorpusError, DocumentError
from rag.ingest.cleaning import clean
from rag.ingest.readers import SUFFIXES, decode, extract_html, extract_pdf
from rag.text.textnorm import detect_language
from rag.types import LANGS, DocMeta, Document

log = logging.getLogger(__name__)

MAX_BYTES = 50 * 1024 * 1024  # default of POLICYQA_MAX_FILE_MB
MANIFEST = "manifest.json"
TEXT_FIELDS = ("title", "publisher", "published")


def read_manifest(folder: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The manifest's entries by id, and a warning for every entry or field it ignores.

    Raises:
        CorpusError: the manifest is a folder, unreadable, not JSON or not a list.
    """
    path = folder / MANIFEST
    if not path.exists():
        return {}, []
    if not path.is_file():
        raise CorpusError(f"{path} is a folder; it must be a JSON file listing the documents (or be absent)")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid JSON ({exc}); expected a list of objects with an 'id'") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror})") from None
    if not isinstance(entries, list):
        raise CorpusError(f"{path}: expected a JSON list of objects with 'id', 'title', 'publisher', 'published'")
    out: dict[str, dict[str, str]] = {}
    warnings: list[str] = []
    for n, e in enumerate(entries, 1):
        if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not e["id"].strip():
            got = e.get("id") if isinstance(e, dict) else e
            warnings.append(f"{MANIFEST} entry {n}: ignored, 'id' must be the file name without its extension "
                            f"(text), got {got!r}")
            continue
        entry, where = dict(e), f"{MANIFEST} entry {n} ({e['id']})"
        for key in TEXT_FIELDS:
            if key in entry and not isinstance(entry[key], str):
                warnings.append(f"{where}: field '{key}' must be text, got {entry.pop(key)!r}; ignored")
        if "script" in entry and entry["script"] not in LANGS:
            warnings.append(f"{where}: field 'script' must be one of {', '.join(LANGS)}, got "
                            f"{entry.pop('script')!r}; detected from the text instead")
        if e["id"] in out:
            warnings.append(f"{where}: a second entry for the same id; the first is used")
            continue
        out[e["id"]] = entry
    return out, warnings


_HEADING_MD = re.compile(r"^#{1,6}\s+(.+)$")


def _infer_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        m = _HEADING_MD.match(line)
        if m:
            return m.group(1).strip()
        if line:
            return line[:80]
    return fallback


def load_document(path: Path, meta_entry: dict[str, str] | None = None, max_bytes: int = MAX_BYTES) -> Document:
    """Read, decode, extract and clean one file. Raises DocumentError naming the file."""
    name = path.name
    if path.is_symlink():
        raise DocumentError(f"{name}: symbolic link, skipped (copy the file into the corpus folder instead)")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DocumentError(f"{name}: unsupported file type {suffix!r}; valid: {', '.join(SUFFIXES)}")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(f"{name}: empty file")
    if size > max_bytes:
        raise DocumentError(f"{name}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit per file "
                            "(POLICYQA_MAX_FILE_MB)")
    title = ""
    if suffix == ".pdf":
        raw, encoding = extract_pdf(path), "pdf"
    else:
        raw, encoding = decode(path.read_bytes(), name)
        if suffix in (".html", ".htm"):
            raw, title = extract_html(raw)
            encoding += "+html"
    if "\x00" in raw:
        raise DocumentError(f"{name}: binary content, not text")
    cleaned = clean(raw)
    if not cleaned.text.strip():
        raise DocumentError(f"{name}: no article text after cleaning")
    e = meta_entry or {}
    doc_id = path.stem
    meta = DocMeta(
        doc_id=doc_id,
        title=str(e.get("title") or title or _infer_title(raw, doc_id)),
        publisher=str(e.get("publisher", "")),
        published=str(e.get("published", "")),
        script=str(e.get("script") or detect_language(cleaned.text[:2000])),
    )
    return Document(
        meta=meta,
        path=str(path),
        raw=raw,
        text=cleaned.text,
        offsets=cleaned.offsets,
        headings=cleaned.headings,
        encoding=encoding,
    )


def iter_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.name == MANIFEST or path.name.startswith(".") or path.is_dir():
            continue
        yield path


def passed_over(folder: Path) -> list[str]:
    """A warning for every entry of ``folder`` that :func:`iter_files` leaves out, with why."""
    out = []
    for path in sorted(folder.iterdir()):
        if path.name == MANIFEST:
            continue
        if path.is_dir():
            out.append(f"skipped {path.name}/: a folder (only files directly in the corpus folder are read)")
        elif path.name.startswith("."):
            out.append(f"skipped {path.name}: hidden file (its name starts with '.'); rename it to index it")
    return out


def load_corpus(folder: Path, max_bytes: int = MAX_BYTES) -> tuple[list[Document], list[str]]:
    """Load every document in ``folder``. Returns (documents, warnings for skipped files)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder} (set --corpus or POLICYQA_CORPUS_DIR)")
    manifest, warnings = read_manifest(folder)
    docs: list[Document] = []
    warnings += passed_over(folder)
    files = list(iter_files(folder))
    stems = {p.stem for p in files}
    warnings += [f"{MANIFEST}: entry {i!r} names no file in the folder" for i in manifest if i not in stems]
    for path in files:
        try:
            docs.append(load_document(path, manifest.get(path.stem), max_bytes))
        except DocumentError as exc:
            warnings.append(f"skipped {exc}")
            log.warning("skipped %s", exc)
        except OSError as exc:
            warnings.append(f"skipped {path.name}: cannot read ({exc.strerror})")
    if not docs:
        raise CorpusError(f"no readable document in {folder}; add {', '.join(SUFFIXES)} files")
    return docs, warnings


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
