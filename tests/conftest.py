"""Shared fixtures. The network is blocked except localhost (pytest-socket, see pyproject)."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from pathlib import Path

import pytest

from rag.index import HybridIndex, build_index
from rag.ingest.corpus import load_corpus
from rag.retrieval.embeddings import FakeEmbedder
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Document

CORPUS = PROJECT_ROOT / "docs_corpus"


@pytest.fixture(scope="session")
def corpus_docs() -> dict[str, Document]:
    docs, warnings = load_corpus(CORPUS)
    assert not warnings
    return {d.doc_id: d for d in docs}


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> HybridIndex:
    folder = tmp_path_factory.mktemp("fake-index")
    emb = FakeEmbedder()
    build_index(CORPUS, folder, emb)
    return HybridIndex.load(folder, emb)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def e5_dir(settings: Settings) -> Path:
    path = settings.embed_path
    if not (path / "modules.json").exists():
        pytest.skip(f"e5 model not prepared at {path}: run `make setup`")
    return path


@pytest.fixture(scope="session")
def e5(e5_dir: Path):  # type: ignore[no-untyped-def]
    from rag.retrieval.embeddings import E5Embedder

    return E5Embedder(e5_dir)


@pytest.fixture(scope="session")
def real_index(e5, tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> HybridIndex:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("e5-index")
    build_index(CORPUS, folder, e5, chunk_size=settings.chunk_size, overlap=settings.chunk_overlap)
    return HybridIndex.load(folder, e5)
