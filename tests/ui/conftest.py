"""Fixtures for the UI tests: a corpus with one hostile document, indexed with the fake embedder.

The hostile document carries markup in its title (first heading) and in a sentence that a
question can retrieve, so both the document views and the answer path are exercised.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.chains import QAChain
from rag.generators.extractive import ExtractiveGenerator
from rag.index import HybridIndex, build_index
from rag.retrieval.embeddings import FakeEmbedder
from rag.settings import PROJECT_ROOT

if str(PROJECT_ROOT) not in sys.path:  # `ui` is a folder of the repo, not an installed package
    sys.path.insert(0, str(PROJECT_ROOT))
CORPUS = PROJECT_ROOT / "docs_corpus"
HOSTILE_ID = "hostile-markup-test"
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_TEXT = f"""# 测试文件 {SCRIPT} {IMG}

深圳测试示范区计划到2030年建成示范工厂7777家{SCRIPT}，其中{IMG}智能工厂超过100家。

这份文件只用于检查界面是否把文档里的标记当作普通文字显示，不含真实政策内容。
"""
HOSTILE_QUESTION = "深圳测试示范区的示范工厂和智能工厂，到2030年要建成多少家？"


def make_corpus(folder: Path) -> Path:
    """docs_corpus plus the hostile document, in ``folder``."""
    shutil.copytree(CORPUS, folder, dirs_exist_ok=True)
    (folder / f"{HOSTILE_ID}.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def hostile() -> SimpleNamespace:
    """The hostile document's id, its two payloads and a question that retrieves it."""
    return SimpleNamespace(id=HOSTILE_ID, script=SCRIPT, img=IMG, question=HOSTILE_QUESTION, text=HOSTILE_TEXT)


@pytest.fixture(scope="session")
def ui_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("ui-corpus"))


@pytest.fixture(scope="session")
def ui_index(ui_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> HybridIndex:
    folder = tmp_path_factory.mktemp("ui-index")
    emb = FakeEmbedder()
    build_index(ui_corpus, folder, emb)
    return HybridIndex.load(folder, emb)


@pytest.fixture()
def ui_chain(ui_index: HybridIndex) -> QAChain:
    return QAChain(ui_index, ExtractiveGenerator(), abstain_threshold=0.12)

