"""Adding and removing documents the way the Documents tab does, over a real index (fake
embedder): what is accepted becomes answerable, what is refused leaves no trace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from docfiles import (
    BIG5_TEXT,
    EXE,
    HTML,
    HTML_FACT,
    HTML_ID,
    HTML_NAME,
    HTML_QUESTION,
    PDF,
    PDF_FACT,
    PDF_ID,
    PDF_NAME,
    PDF_QUESTION,
)

from rag.chains import QAChain
from rag.errors import ModelNotAvailableError
from rag.generators.extractive import ExtractiveGenerator
from rag.index import HybridIndex, build_index
from rag.retrieval.embeddings import FakeEmbedder
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Answer
from ui.library import Library
from ui.service import ChatService
from ui.upload import UploadError, check_content, safe_name
from ui.watch import IndexWatcher, pointed_version


# -- names and contents -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../evil.txt", "../../etc/passwd.txt", "a/b.txt", "..\\x.txt", "C:x.txt",
                                  "/abs/path.md", "..", ".hidden.txt", "", "x\x00.txt"])
def test_a_name_that_leaves_the_folder_or_hides_is_refused(name: str) -> None:
    with pytest.raises(UploadError) as err:
        safe_name(name)
    assert "\n" not in str(err.value)


def test_odd_characters_become_dashes_and_the_suffix_is_kept() -> None:
    assert safe_name("深圳 报告(2025).TXT") == "深圳-报告-2025.txt"
    assert safe_name("plan.v2.pdf") == "plan.v2.pdf"
    with pytest.raises(UploadError, match=r"unsupported file type '.exe'; valid: .txt"):
        safe_name("setup.exe")
    with pytest.raises(UploadError, match="no usable characters"):
        safe_name("().txt")


@pytest.mark.parametrize("name, data, message", [
    ("a.txt", b"", "a.txt: empty file"),
    ("a.txt", b"x" * (2 * 2**20 + 1), "over the upload limit of 2 MB"),
    ("a.pdf", EXE, "the content is a Windows program, not a PDF"),
    ("a.pdf", b"just words", "the content is not a PDF"),
    ("a.txt", EXE, "the content is a Windows program, not text"),
    ("a.html", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "a PNG image"),
    ("a.md", b"abc\x00\x01\x02" * 10, "binary file"),
    ("a.txt", PDF, "the content is a PDF, not text"),
])
def test_empty_oversized_binary_or_disguised_content_is_refused(name: str, data: bytes, message: str) -> None:
    with pytest.raises(UploadError, match=message):
        check_content(name, data, 2 * 2**20)


# -- the library over a real index --------------------------------------------------------------
class Setup:
    def __init__(self, tmp: Path) -> None:
        self.corpus = tmp / "corpus"
        shutil.copytree(PROJECT_ROOT / "docs_corpus", self.corpus)
        self.settings = Settings(corpus_dir=self.corpus, index_dir=tmp / "index", upload_max_mb=2)
        self.embedder = FakeEmbedder()
        build_index(self.corpus, self.settings.index_dir, self.embedder)
        index = HybridIndex.load(self.settings.index_dir, self.embedder)
        self.service = ChatService(QAChain(index, ExtractiveGenerator(), abstain_threshold=0.12))
        self.watcher = IndexWatcher(self.settings.index_dir,
                                    lambda: HybridIndex.load(self.settings.index_dir, self.embedder),
                                    self.service.swap, self.service.version)
        self.library = Library(self.settings, self.embedder, self.watcher.check)

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.corpus.iterdir())}


@pytest.fixture()
def lib(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_uploads_are_indexed_and_answered_without_a_restart(lib: Setup) -> None:
    steps: list[tuple[float, str]] = []
    before = lib.service.version
    out = lib.library.add([(HTML_NAME, HTML), (PDF_NAME, PDF), ("dapeng.txt", BIG5_TEXT.encode("big5"))],
                          publisher="測試通訊社", published="2026-11-30", progress=lambda f, d: steps.append((f, d)))
    assert [(s.name, s.status) for s in out] == [(HTML_NAME, "indexed"), (PDF_NAME, "indexed"), ("dapeng.txt", "indexed")]
    assert all("passages" in s.detail for s in out)
    assert lib.service.version != before and pointed_version(lib.settings.index_dir) == lib.service.version
    assert steps[-1] == (1.0, "done") and any("embedding new passages" in d for _, d in steps)
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)  # the bar only moves forward
    doc = lib.service.docs[HTML_ID]
    assert doc.meta.publisher == "測試通訊社" and doc.meta.published == "2026-11-30"
    assert "無人機配送站" in doc.meta.title  # from the page's <h1>
    assert "首頁" not in doc.text  # navigation dropped
    assert lib.service.docs["dapeng"].encoding == "big5hkscs"
    answer = lib.service.ask(HTML_QUESTION)
    assert HTML_FACT in answer.text and answer.citations[0].doc_id == HTML_ID
    assert PDF_FACT in lib.service.docs[PDF_ID].text  # the PDF's text, extracted and searchable
    assert PDF_ID in [h.chunk.doc_id for h in lib.service.chain.index.search(PDF_QUESTION, 5)]
    assert not [p for p in lib.corpus.iterdir() if p.name.startswith(".")]  # no staging left behind
    assert lib.service.chain.index.manifest["warnings"] == []  # and none was seen by the build


def test_refused_uploads_write_nothing_and_leave_the_index_alone(lib: Setup, tmp_path: Path) -> None:
    lib.library.add([(HTML_NAME, HTML)])
    files, version = lib.files(), lib.service.version
    out = lib.library.add([
        ("../escape.txt", b"outside"), ("setup.pdf", EXE), ("empty.md", b""), ("big.txt", b"x" * (2 * 2**20 + 1)),
        ("copy-of-page.html", HTML), (HTML_NAME, HTML.replace(b"6543", b"7777")), ("image.txt", b"\x00\x01" * 50),
        ("broken.pdf", b"%PDF-1.4 this is not a pdf"),
    ])
    why = {s.name: s.detail for s in out}
    assert all(s.status == "skipped" for s in out), out
    assert "outside the corpus folder" in why["../escape.txt"]
    assert "Windows program" in why["setup.pdf"] and "empty file" in why["empty.md"]
    assert "over the upload limit" in why["big.txt"]
    assert f"already in the corpus as {HTML_NAME}" in why["copy-of-page.html"]
    assert "remove it first or rename" in why[HTML_NAME]
    assert "binary" in why["image.txt"] and "PDF" in why["broken.pdf"]
    assert lib.files() == files and pointed_version(lib.settings.index_dir) == version
    assert not (tmp_path / "escape.txt").exists() and not (lib.corpus.parent / "escape.txt").exists()


def test_wrong_metadata_is_refused_before_anything_is_stored(lib: Setup) -> None:
    files = lib.files()
    out = lib.library.add([(HTML_NAME, HTML)], published="last Tuesday")
    assert out[0].status == "skipped" and "2025-03-05" in out[0].detail
    assert lib.files() == files


def test_a_failed_build_undoes_the_upload(lib: Setup) -> None:
    class Broken(FakeEmbedder):
        def embed_batch(self, texts, kind):  # type: ignore[no-untyped-def]
            raise ModelNotAvailableError("embedding model not found at /nowhere")

    files, version = lib.files(), lib.service.version
    broken = Library(lib.settings, Broken(), lib.watcher.check)
    out = broken.add([(HTML_NAME, HTML)], title="A title")
    assert out[0].status == "failed" and "embedding model not found" in out[0].detail
    assert lib.files() == files  # manifest restored too
    assert pointed_version(lib.settings.index_dir) == version == lib.service.version


def test_remove_takes_a_document_out_of_the_answers(lib: Setup) -> None:
    lib.library.add([(HTML_NAME, HTML)], title="龍華配送站")
    assert HTML_ID in lib.service.docs and "龍華配送站" in lib.files()["manifest.json"].decode()
    st = lib.library.remove(HTML_ID)
    assert (st.name, st.status) == (HTML_NAME, "removed")
    assert HTML_ID not in lib.service.docs and HTML_NAME not in lib.files()
    assert lib.service.chain.index.manifest["warnings"] == [] and not [n for n in lib.files() if n.startswith(".")]
    assert "龍華配送站" not in lib.files()["manifest.json"].decode()
    assert HTML_FACT not in lib.service.ask(HTML_QUESTION).text
    assert lib.library.remove("no-such-doc").status == "skipped"


def test_a_question_in_flight_finishes_on_the_old_index_during_a_swap(lib: Setup) -> None:
    question = "How many AI companies does Shenzhen aim to have by 2026?"
    old = lib.service.chain_for("extractive", 5)
    stream = old.stream(question)
    first = next(stream)  # retrieved on the old index, the answer on its way
    lib.library.add([(HTML_NAME, HTML)])
    assert lib.service.chain.index is not old.index and HTML_ID not in old.index.docs
    rest = list(stream)
    answer = rest[-1] if rest else first
    assert isinstance(answer, Answer) and re.search(r"3,?000", answer.text) and not answer.abstained
    after = lib.service.ask(question)  # the next question: the new index, same answer
    assert re.search(r"3,?000", after.text) and HTML_ID in lib.service.docs
