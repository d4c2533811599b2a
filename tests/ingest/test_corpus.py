"""Loading: encodings, formats, metadata and bad files skipped with a warning naming them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import CorpusError, DocumentError
from rag.ingest.corpus import decode, load_corpus, load_document
from tests.ui.docfiles import make_pdf

ZH_HANT = "深圳市加快打造人工智能先鋒城市行動計劃：到2026年全市人工智能企業數量超3000家。"
ZH_HANS = "深圳市加快打造人工智能先锋城市行动计划：到2026年全市人工智能企业数量超3000家。"

# A one-page PDF whose text is "Shenzhen targets 3000 AI companies by 2026."
_PDF_TEXT = b"BT /F1 12 Tf 72 720 Td (Shenzhen targets 3000 AI companies by 2026.) Tj ET"


def test_big5_and_gbk_files_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "big5doc.txt").write_bytes(ZH_HANT.encode("big5"))
    (tmp_path / "gbkdoc.txt").write_bytes(ZH_HANS.encode("gbk"))
    docs, warnings = load_corpus(tmp_path)
    assert not warnings
    by_id = {d.doc_id: d for d in docs}
    assert by_id["big5doc"].text == ZH_HANT and by_id["big5doc"].encoding == "big5hkscs"
    assert by_id["gbkdoc"].text == ZH_HANS and by_id["gbkdoc"].encoding == "gb18030"


def test_bad_files_are_skipped_with_a_warning_naming_them(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(ZH_HANS, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (tmp_path / "image.png").write_bytes(b"\x89PNG....")
    docs, warnings = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good"]
    text = "\n".join(warnings)
    for name in ("empty.txt", "binary.txt", "broken.pdf", "image.png"):
        assert name in text


def test_symlink_out_of_the_corpus_is_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(ZH_HANS, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "real.txt").write_text(ZH_HANS, encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside)
    docs, warnings = load_corpus(corpus)
    assert [d.doc_id for d in docs] == ["real"]
    assert any("link.txt" in w for w in warnings)


def test_html_is_parsed_and_scripts_dropped(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Page title</title><script>alert('x')</script></head><body>"
        "<nav>首頁 新聞</nav><h1>深圳AI計劃</h1><p>到2026年全市人工智能企業數量超3000家。</p>"
        "<footer>版權所有</footer></body></html>"
    )
    (tmp_path / "plan.html").write_text(page, encoding="utf-8")
    doc = load_document(tmp_path / "plan.html")
    assert doc.meta.title == "深圳AI計劃"
    assert "超3000家" in doc.text
    assert "alert" not in doc.text and "版權所有" not in doc.text and "首頁" not in doc.text


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    (tmp_path / "plan.pdf").write_bytes(make_pdf(_PDF_TEXT))
    doc = load_document(tmp_path / "plan.pdf")
    assert "3000 AI companies" in doc.text


def test_manifest_metadata_used_else_title_from_first_heading(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# 第一個標題\n\n" + ZH_HANT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(ZH_HANS, encoding="utf-8")
    (tmp_path / "manifest.json").write_text(
        json.dumps([{"id": "b", "title": "B title", "publisher": "Pub", "published": "2025-03"}]), encoding="utf-8"
    )
    docs = {d.doc_id: d for d in load_corpus(tmp_path)[0]}
    assert docs["a"].meta.title == "第一個標題" and docs["a"].meta.script == "zh-Hant"
    assert docs["b"].meta.title == "B title" and docs["b"].meta.publisher == "Pub"


def test_missing_or_empty_corpus_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no readable document"):
        load_corpus(tmp_path)


def test_undecodable_bytes_raise_document_error() -> None:
    with pytest.raises(DocumentError):
        decode(bytes(range(0x80, 0x100)) * 10, "x.txt")
