"""Evaluate on the corpus plus extra folders, without touching the real corpus or index.

``python -m rag eval --corpus-extra DIR [--corpus-extra DIR2]`` copies the corpus files and
each extra folder's files into one folder under the cache, merges their ``manifest.json``
lists, and builds (or brings up to date) an index of that folder beside it. The folder name is
a hash of the sources, so a second run reuses the vectors and takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from rag.errors import ConfigError
from rag.ingest.corpus import MANIFEST, SUFFIXES


def _sources(folders: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise ConfigError(f"corpus folder not found: {folder} (give an existing folder of .txt/.md/.html/.pdf files)")
        files += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    return files


def combined_key(folders: Sequence[Path]) -> str:
    """A short hash of every source file's name and bytes and every manifest, in order."""
    h = hashlib.sha256()
    for folder in folders:
        for p in [*_sources([folder]), folder / MANIFEST]:
            if p.is_file():
                h.update(p.name.encode())
                h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def combine(folders: Sequence[Path], dest: Path) -> Path:
    """Copy the folders' documents into ``dest`` with one merged manifest; return ``dest``.

    Raises:
        ConfigError: a folder is missing, or two folders hold the same document id.
    """
    dest.mkdir(parents=True, exist_ok=True)
    seen: dict[str, Path] = {}
    for p in _sources(folders):
        if p.stem in seen and seen[p.stem] != p:
            raise ConfigError(f"document id {p.stem!r} is in both {seen[p.stem].parent} and {p.parent}; ids must be unique")
        seen[p.stem] = p
    for old in dest.iterdir():
        if old.is_file() and old.name != MANIFEST and old.stem not in seen:
            old.unlink()
    entries: list[dict] = []
    for folder in folders:
        man = folder / MANIFEST
        if man.is_file():
            try:
                data = json.loads(man.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{man}: not valid JSON ({exc}); expected a list of objects with an 'id'") from None
            entries += [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    for p in seen.values():
        target = dest / p.name
        if not target.exists() or target.read_bytes() != p.read_bytes():
            shutil.copyfile(p, target)
    (dest / MANIFEST).write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest


def eval_folders(cache_dir: Path, corpus_dir: Path, extras: Sequence[Path]) -> tuple[Path, Path]:
    """(corpus folder, index folder) for the corpus plus ``extras``, under ``cache_dir/eval``."""
    folders = [Path(corpus_dir), *(Path(e) for e in extras)]
    root = Path(cache_dir) / "eval" / combined_key(folders)
    return combine(folders, root / "corpus"), root / "index"
