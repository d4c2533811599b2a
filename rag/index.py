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

Enters: an index folder and the embedder. Leaves: ``HybridIndex`` (the live version loaded,
searched by dense + BM25 fused by reciprocal rank). Building a version is
``rag.retrieval.build`` and checking one is ``rag.retrieval.manifest``; their entry points
(``build_index``, ``BuildReport``, ``current_version``, ``pipeline_version``) are importable from here.
"""

from __future__ import annotations

import json
from pathlib import Path

from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.retrieval.bm25 import BM25, tokenize
from rag.retrieval.build import BuildReport, build_index
from rag.retrieval.embeddings import Embedder, embed_query_staged
from rag.retrieval.fusion import fuse
from rag.retrieval.manifest import REBUILD_CMD, check_manifest, current_version, pipeline_version
from rag.retrieval.stages import Stages
from rag.retrieval.store import FaissStore, StoreSpec, TextSearch, open_dense
from rag.text import textnorm
from rag.types import Chunk, DocMeta, Document, Hit

__all__ = ["BuildReport", "HybridIndex", "build_index", "current_version", "pipeline_version"]


class HybridIndex:
    """A loaded index: dense + BM25 retrieval fused by reciprocal rank."""

    def __init__(self, path: Path, manifest: dict, chunks: list[Chunk], docs: dict[str, Document],
                 dense: FaissStore, bm25: BM25, embedder: Embedder, rrf_k: int = 60) -> None:
        self.path = path
        self.manifest = manifest
        self.chunks = chunks
        self.chunk_by_id = {c.chunk_id: c for c in chunks}
        self._position = {c.chunk_id: i for i, c in enumerate(chunks)}  # for a hit's neighbours
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
        man = check_manifest(live, embedder, chunk_size, overlap, verify)
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
        # a place name is the one signal BM25 and e5 both miss across languages: an English question
        # ranks every passage about the place it names, a Chinese one the passages in another language
        about_place = self.place_ranking(query, fused, other_language=lang != "en")
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

    def neighbours(self, hits: list[Hit], first: int = 3) -> list[Hit]:
        """The chunks just before and after each of the ``first`` hits, in the same document, that
        are not hits themselves, ranked after every hit: the rest of the paragraph a retrieved chunk
        breaks off (a fund named two sentences after the passage that matched the question)."""
        taken = {h.chunk.chunk_id for h in hits}
        out: list[Hit] = []
        for hit in hits[:first]:
            at = self._position.get(hit.chunk.chunk_id, -2)
            beside = (self.chunks[j] for j in (at - 1, at + 1) if at >= 0 and 0 <= j < len(self.chunks))
            for chunk in beside:
                if chunk.doc_id == hit.chunk.doc_id and chunk.chunk_id not in taken:
                    taken.add(chunk.chunk_id)
                    out.append(Hit(chunk=chunk, score=0.0, rank=len(hits) + len(out) + 1))
        return out

    def place_ranking(self, query: str, fused: list[tuple[int, float]], *,
                      other_language: bool = False) -> list[tuple[int, float]]:
        """The candidates about the place the query names (by the passage, its section or its document's title),
        in their fused order: a third ranking for the fusion, empty when the query names no place.

        ``other_language``: only passages mostly not in Chinese (for a Chinese query, whose own-language
        passages BM25 already matches by the place's name)."""
        from rag.text.places import lineage, named_places

        asked = named_places(query)
        if not asked:
            return []
        out = []
        for i, score in fused:
            if other_language and textnorm.cjk_share(self.chunks[i].text) > 0.5:
                continue
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
            # English passages: the glossary's and the dictionary's English for the query's Chinese words
            from rag.text.dictionary import english_for

            tokens.extend(t for phrase in english_for(tokens) for t in tokenize(phrase))
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
