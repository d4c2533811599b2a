"""The hybrid index: FAISS (dense e5) + BM25 (jieba), built once, saved with a manifest.

Layout of an index folder::

    index/
      CURRENT            name of the live version folder (replaced atomically)
      .lock              held by the build that is writing (see rag.retrieval.index_files)
      v-<hash>-<time>-<random>/  manifest.json, chunks.jsonl, docs.jsonl, dense.faiss, vectors.npy,
                         bm25.npz, bm25_vocab.json, targets.json

A build takes the lock, writes a new uniquely named version folder under a temporary name,
renames it, swaps CURRENT, and only then prunes older versions: a crash at any point leaves the
previous index loadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from rag.errors import CorpusError, IndexMismatchError, IndexNotFoundError
from rag.ingest.chunking import HARD_MAX_CHARS, chunk_corpus
from rag.ingest.corpus import MAX_BYTES, file_sha256, iter_files, load_corpus
from rag.retrieval import index_files as disk
from rag.retrieval.bm25 import BM25, tokenize
from rag.retrieval.embeddings import Embedder, embed_query_staged
from rag.retrieval.fusion import fuse
from rag.retrieval.stages import Stages
from rag.retrieval.store import FaissStore, StoreSpec, TextSearch, open_dense, prune_store, same_store, write_dense
from rag.text import textnorm
from rag.types import Chunk, DocMeta, Document, Hit

FORMAT = 1
REBUILD_CMD = "python -m rag index --rebuild"
NORMALISATION = textnorm.MATCHING_FORM
EMBED_STEP = 256  # chunks per embedding call: the progress bar moves this often
Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    index_dir: Path
    version: str
    n_docs: int
    n_chunks: int
    embedded: int
    reused: int
    seconds: float
    up_to_date: bool = False
    warnings: list[str] = field(default_factory=list)


def _versions() -> dict[str, str]:
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


def _hash_dict(d: dict) -> str:
    return hashlib.sha256(json.dumps(d, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def pipeline_version() -> str:
    """Hash of the code that turns files into chunks: changing it makes the index stale."""
    h = hashlib.sha256()
    for name in ("ingest/cleaning.py", "ingest/chunking.py", "ingest/corpus.py", "text/textnorm.py",
                 "text/regional.py", "text/data/regional_words.tsv", "retrieval/bm25.py", "text/figures.py",
                 "targets/table.py", "targets/parse.py", "text/lexicon.py", "text/data/bounds.tsv",
                 "text/data/support.tsv"):
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:12]


def _config(embedder: Embedder, chunk_size: int, overlap: int) -> dict:
    return {
        "format": FORMAT,
        "pipeline": pipeline_version(),
        "model": {"name": embedder.name, "dim": embedder.dim, "normalised_vectors": True, "metric": "inner_product"},
        "text_normalisation": NORMALISATION,
        "chunker": {"size": chunk_size, "overlap_sentences": overlap, "hard_max_chars": HARD_MAX_CHARS},
    }


def current_version(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    path = index_dir / name
    return path if name and path.is_dir() else None


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
    config = _config(embedder, chunk_size, overlap)
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
    bm25 = BM25.build([tokenize(c.text) for c in chunks])
    disk.fault_point("embedded")

    content = _hash_dict({"config": config, "files": files, "chunks": [c.chunk_id for c in chunks]})
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
        "versions": _versions(),
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


class HybridIndex:
    """A loaded index: dense + BM25 retrieval fused by reciprocal rank."""

    def __init__(self, path: Path, manifest: dict, chunks: list[Chunk], docs: dict[str, Document],
                 dense: FaissStore, bm25: BM25, embedder: Embedder, rrf_k: int = 60) -> None:
        self.path = path
        self.manifest = manifest
        self.chunks = chunks
        self.chunk_by_id = {c.chunk_id: c for c in chunks}
        self.docs = docs
        self.dense = dense
        self.bm25 = bm25
        self.embedder = embedder
        self.rrf_k = rrf_k
        self._targets: list | None = None
        self._places: dict[int, set[str]] = {}  # chunk -> places it (else its document's title) names

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder, *, chunk_size: int | None = None,
             overlap: int | None = None, verify: bool = True, rrf_k: int = 60,
             store: StoreSpec | None = None) -> HybridIndex:
        """Open the live version; refuse one built differently or damaged, naming the fix."""
        index_dir = Path(index_dir)
        live = current_version(index_dir)
        if live is None:
            raise IndexNotFoundError(f"no index in {index_dir}; build it with: python -m rag index")
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
        try:
            chunks = [Chunk(**json.loads(line)) for line in (live / "chunks.jsonl").open(encoding="utf-8")]
            docs = {}
            for line in (live / "docs.jsonl").open(encoding="utf-8"):
                r = json.loads(line)
                docs[r["meta"]["doc_id"]] = Document(
                    meta=DocMeta(**r["meta"]), path=r["path"], raw=r["raw"], text=r["text"],
                    offsets=tuple(r["offsets"]), headings=tuple((int(a), str(b)) for a, b in r["headings"]),
                    encoding=r["encoding"],
                )
            dense = open_dense(live, man, store or StoreSpec.from_env())
            bm25 = BM25.load(live)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexMismatchError(f"index in {live} is damaged ({exc}); rebuild with: {REBUILD_CMD}") from None
        if dense.size != len(chunks) or bm25.size != len(chunks):
            raise IndexMismatchError(f"index parts disagree in size; rebuild with: {REBUILD_CMD}")
        return cls(live, man, chunks, docs, dense, bm25, embedder, rrf_k)

    def search(self, query: str, k: int = 5, lang: str | None = None,
               timings: dict[str, float] | None = None) -> list[Hit]:
        """Top-k chunks for ``query``. English queries lean on dense retrieval (see fusion).

        With ``timings``, each stage's milliseconds are added to it: normalise, tokenise and
        encode (the query vector), faiss, jieba, bm25, fusion, hits (bench/bench_stages.py)."""
        if not 1 <= k <= 50:
            raise ValueError(f"k must be between 1 and 50, got {k}")
        clock = Stages(timings)
        lang = lang or textnorm.detect_language(query)
        norm = textnorm.normalize(query)
        depth = min(len(self.chunks), max(30, 4 * k))
        clock.lap("normalise")
        qv = embed_query_staged(self.embedder, norm, timings)
        clock.lap(None)
        d_scores, d_ids = self.dense.search(qv, depth)
        dense = [(int(i), float(s)) for i, s in zip(d_ids[0], d_scores[0], strict=True) if i >= 0]
        clock.lap("faiss")
        terms = self.dense if isinstance(self.dense, TextSearch) else self.bm25  # Milvus: BM25 on the server
        tokens = self.sparse_tokens(query, lang)
        clock.lap("jieba")
        sparse_hits = terms.top(tokens, depth)
        clock.lap("bm25")
        fused = fuse(dense, sparse_hits, lang=lang, rrf_k=self.rrf_k)
        # an English question's place name is the one signal BM25 and e5 both miss across languages
        about_place = self.place_ranking(query, fused) if lang == "en" else []
        if about_place:
            fused = fuse(dense, sparse_hits, lang=lang, rrf_k=self.rrf_k, also=about_place)
        clock.lap("fusion")
        d_map, s_map = dict(dense), dict(sparse_hits)
        hits = [
            Hit(chunk=self.chunks[i], score=score, rank=r + 1, dense_score=d_map.get(i), bm25_score=s_map.get(i))
            for r, (i, score) in enumerate(fused[:k])
        ]
        clock.lap("hits")
        return hits

    def place_ranking(self, query: str, fused: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The candidates about the place the query names (by the passage, its section or its document's title),
        in their fused order: a third ranking for the fusion, empty when the query names no place."""
        from rag.text.places import lineage, named_places

        asked = named_places(query)
        if not asked:
            return []
        out = []
        for i, score in fused:
            if i not in self._places:
                chunk = self.chunks[i]
                doc = self.docs.get(chunk.doc_id)
                # a passage that names no place is about its section's place, else its document's
                own = named_places(chunk.text) or named_places(chunk.section)
                self._places[i] = own or (named_places(doc.meta.title) if doc is not None else set())
            if any(a in lineage(p) for p in self._places[i] for a in asked):
                out.append((i, score))
        return out

    @staticmethod
    def sparse_tokens(query: str, lang: str) -> list[str]:
        """BM25 tokens; an English query also gets the glossary's Chinese terms, since the
        corpus is Chinese and only names and figures would match otherwise."""
        from rag.text.places import search_terms

        tokens = tokenize(query)
        # place names cross languages by the gazetteer: "Jiaxing" also searches 嘉兴, 临港 "lingang"
        tokens.extend(t for term in search_terms(query, lang) for t in tokenize(term))
        from rag.text.glossary import load_glossary

        if lang == "en":
            for group in load_glossary().expand_groups(query):
                tokens.extend(t for term in group for t in tokenize(term))
        elif textnorm.cjk_count(query):
            # English passages: the glossary's English for the query's Chinese words
            tokens.extend(t for phrase in load_glossary().english_for(tokens) for t in tokenize(phrase))
        return tokens

    @property
    def targets(self) -> list:
        """The targets and figures table built with this index (loaded on first use)."""
        if self._targets is None:
            from rag.targets.table import load_targets

            self._targets = load_targets(self.path)
        return self._targets

    def stats(self) -> dict:
        by_doc: dict[str, int] = {}
        for c in self.chunks:
            by_doc[c.doc_id] = by_doc.get(c.doc_id, 0) + 1
        return {
            "path": str(self.path),
            "documents": len(self.docs),
            "chunks": len(self.chunks),
            "chunks_per_document": by_doc,
            "model": self.manifest["config"]["model"]["name"],
            "dim": self.dense.dim,
            "chunker": self.manifest["config"]["chunker"],
            "created": self.manifest.get("created"),
        }
