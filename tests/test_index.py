"""Index build, persistence, manifest checks, incremental updates and crash safety."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.index import HybridIndex, build_index, current_version
from rag.retrieval.embeddings import FakeEmbedder
from rag.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "docs_corpus"


class CountingEmbedder(FakeEmbedder):
    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.passages = 0
        self.fail_after = fail_after

    def embed_batch(self, texts, kind):  # type: ignore[no-untyped-def]
        if kind == "passage":
            self.passages += len(texts)
            if self.fail_after is not None and self.passages > self.fail_after:
                raise RuntimeError("simulated crash while embedding")
        return super().embed_batch(texts, kind)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


def test_build_then_second_run_is_a_no_op(corpus_copy: Path, tmp_path: Path) -> None:
    emb = CountingEmbedder()
    first = build_index(corpus_copy, tmp_path / "ix", emb)
    assert first.n_docs == 5 and first.embedded == first.n_chunks > 50
    second = build_index(corpus_copy, tmp_path / "ix", emb)
    assert second.up_to_date and emb.passages == first.n_chunks


def test_adding_a_document_embeds_only_its_chunks(corpus_copy: Path, tmp_path: Path) -> None:
    emb = CountingEmbedder()
    first = build_index(corpus_copy, tmp_path / "ix", emb)
    (corpus_copy / "new-note.txt").write_text("杭州市人工智能企業數量達到一個新的水平。這是新增的文件。", encoding="utf-8")
    second = build_index(corpus_copy, tmp_path / "ix", emb)
    assert second.n_docs == 6
    assert second.reused == first.n_chunks and second.embedded == second.n_chunks - first.n_chunks


def test_manifest_records_model_chunker_corpus_and_versions(corpus_copy: Path, tmp_path: Path) -> None:
    build_index(corpus_copy, tmp_path / "ix", FakeEmbedder())
    man = json.loads((current_version(tmp_path / "ix") / "manifest.json").read_text())
    assert man["config"]["model"]["name"] == "fake-hash-bigram" and man["config"]["model"]["dim"] == 64
    assert man["config"]["chunker"]["size"] == 220
    assert set(man["files"]) >= {"manifest.json", "hkcna-2025-03-03-shenzhen-four-plans.txt"}
    assert "faiss-cpu" in man["versions"] and man["checksums"]["dense.faiss"]
    assert not list(current_version(tmp_path / "ix").glob("*.pkl"))


def test_loading_with_another_model_names_the_rebuild_command(corpus_copy: Path, tmp_path: Path) -> None:
    build_index(corpus_copy, tmp_path / "ix", FakeEmbedder(dim=64))
    with pytest.raises(IndexMismatchError, match="python -m rag index --rebuild"):
        HybridIndex.load(tmp_path / "ix", FakeEmbedder(dim=32))
    with pytest.raises(IndexMismatchError, match="rebuild"):
        HybridIndex.load(tmp_path / "ix", FakeEmbedder(dim=64), chunk_size=350)


def test_altered_index_file_is_detected(corpus_copy: Path, tmp_path: Path) -> None:
    build_index(corpus_copy, tmp_path / "ix", FakeEmbedder())
    live = current_version(tmp_path / "ix")
    with open(live / "chunks.jsonl", "a", encoding="utf-8") as fh:
        fh.write("\n")
    with pytest.raises(IndexMismatchError, match="altered"):
        HybridIndex.load(tmp_path / "ix", FakeEmbedder())


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="python -m rag index"):
        HybridIndex.load(tmp_path / "nothing", FakeEmbedder())


def test_crash_during_rebuild_leaves_the_previous_index_intact(corpus_copy: Path, tmp_path: Path) -> None:
    build_index(corpus_copy, tmp_path / "ix", FakeEmbedder())
    before = current_version(tmp_path / "ix")
    (corpus_copy / "extra.txt").write_text("新文件：深圳的新計劃。", encoding="utf-8")
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(corpus_copy, tmp_path / "ix", CountingEmbedder(fail_after=0), rebuild=True)
    assert current_version(tmp_path / "ix") == before
    ix = HybridIndex.load(tmp_path / "ix", FakeEmbedder())
    assert len(ix.docs) == 5


def test_search_returns_ranked_hits_with_offsets(fake_index: HybridIndex) -> None:
    hits = fake_index.search("人工智能終端產品產量突破1.5億台", 5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    top = hits[0].chunk
    assert "1.5億" in top.text
    doc = fake_index.docs[top.doc_id]
    assert doc.raw[top.raw_start] == top.text[0]
    with pytest.raises(ValueError, match="between 1 and 50"):
        fake_index.search("x", 0)


def test_dense_vectors_are_unit_length(fake_index: HybridIndex) -> None:
    vecs = np.load(fake_index.path / "vectors.npy", allow_pickle=False)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_index_from_other_cleaning_code_is_refused(corpus_copy: Path, tmp_path: Path) -> None:
    build_index(corpus_copy, tmp_path / "ix", FakeEmbedder())
    live = current_version(tmp_path / "ix")
    man = json.loads((live / "manifest.json").read_text())
    man["config"]["pipeline"] = "0" * 12
    (live / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(IndexMismatchError, match="cleaning/chunking code"):
        HybridIndex.load(tmp_path / "ix", FakeEmbedder())


def test_pipeline_version_covers_every_file_of_the_pipeline() -> None:
    from rag.retrieval.manifest import RAG_DIR, pipeline_files

    names = [p.relative_to(RAG_DIR).as_posix() for p in pipeline_files()]
    assert names == sorted(names)
    for folder in ("ingest", "text", "targets"):
        expected = {p.relative_to(RAG_DIR).as_posix() for p in (RAG_DIR / folder).rglob("*.py")
                    if "__pycache__" not in p.parts}
        assert expected <= set(names), folder
    assert {"text/data/stopwords.tsv", "text/data/glossary.tsv", "retrieval/bm25.py"} <= set(names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
