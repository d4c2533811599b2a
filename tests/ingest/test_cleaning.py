"""Cleaning: one test per layout quirk of the five corpus files, and exact offset round-trips."""

from __future__ import annotations

import pytest

from rag.ingest.cleaning import clean
from rag.types import Document

HK = "hkcna-2025-03-03-shenzhen-four-plans"
YC = "yicai-2025-03-05-shenzhen-plans-analysis"
ZJ = "zhengjieju-2025-02-shenzhen-vs-hangzhou"
TK = "takungpao-2025-02-guangdong-governor-shenzhen"
SR = "special-report-2024-shenzhen-ai-pioneer-city"


def _assert_offsets_exact(raw: str, text: str, offsets: tuple[int, ...]) -> None:
    assert len(text) == len(offsets)
    content = [o for ch, o in zip(text, offsets, strict=True) if not ch.isspace()]
    assert len(content) == len(set(content)), "no original character is used twice"
    for ch, off in zip(text, offsets, strict=True):
        assert raw[off] == ch or (ch.isspace() and raw[off].isspace()), (ch, off, raw[off])


@pytest.mark.parametrize("doc_id", [HK, YC, ZJ, TK, SR])
def test_offsets_map_back_to_the_original_file(corpus_docs: dict[str, Document], doc_id: str) -> None:
    d = corpus_docs[doc_id]
    _assert_offsets_exact(d.raw, d.text, d.offsets)
    with open(d.path, encoding="utf-8") as fh:
        assert fh.read() == d.raw


def test_hkcna_navigation_widgets_captions_and_video_list_removed(corpus_docs: dict[str, Document]) -> None:
    t = corpus_docs[HK].text
    for junk in ("首頁 -> 頭條", "分享到", "【字號", "稿件來源", "新華社資料圖", "央視新聞資料圖", "深圳市政府檔案圖",
                 "【編輯", "更 多", "國台辦發言人", "外長記者會"):
        assert junk not in t, junk
    assert "到2026年全市人工智能企業數量超3000家" in t
    assert t.rstrip().endswith("仍然有萬丈高樓拔地而起。(完)")


def test_yicai_dateline_and_comment_counter_removed(corpus_docs: dict[str, Document]) -> None:
    t = corpus_docs[YC].text
    assert not t.startswith("時間")
    assert "(0)" not in t
    assert t.rstrip().endswith("(第一財經記者秦新安)")


def test_zhengjieju_broken_image_links_and_captions_removed(corpus_docs: dict[str, Document]) -> None:
    t = corpus_docs[ZJ].text
    assert ".jpg)" not in t and "您現在的位置" not in t
    lines = t.split("\n")
    assert "新華社" not in lines  # a bare photo credit
    assert "比亞迪車間" in lines and "騰訊展廳" in lines  # captions stay, each on its own line
    assert "人工智能企業超2800家" in t


def test_takungpao_ocr_lines_rejoined_mid_word(corpus_docs: dict[str, Document]) -> None:
    t = corpus_docs[TK].text
    # "深入重大科\n\n創平台" and "工業機器\n人 產 品 產 量 增 長\n31.8%" in the file
    assert "深入重大科創平台" in t
    assert "工業機器人產品產量增長31.8%" in t
    assert "人工智能企業超2800家" in t
    # captions that start with arrows stay as their own paragraphs, without arrow or credit
    assert "人們在深圳筆架山公園裏體驗無人機送外賣。" in t.split("\n")[-30:] or "送外賣。" in t
    assert "網絡圖片" not in t and "◀" not in t and "▶" not in t


def test_takungpao_headlines_are_headings(corpus_docs: dict[str, Document]) -> None:
    heads = [h for _, h in corpus_docs[TK].headings]
    assert "挺企業攻關自動駕駛算法" in heads
    assert "數讀深圳AI發展成果" in heads


def test_special_report_caption_inside_a_word_moved_out_and_word_rejoined(corpus_docs: dict[str, Document]) -> None:
    t = corpus_docs[SR].text
    assert "鳞次栉比的高楼大厦,装满了" in t
    assert "摄" not in t  # photo credits go
    lines = t.split("\n")
    caption = next(i for i, ln in enumerate(lines) if ln.startswith("近日,5座eVTOL"))
    assert "高楼大厦" in lines[caption - 1]  # the caption follows the paragraph it interrupted
    assert any(ln.endswith("工人在涂装风电轮毂。") for ln in lines)  # the Shandong caption is kept


def test_special_report_markdown_headings_kept_as_sections(corpus_docs: dict[str, Document]) -> None:
    d = corpus_docs[SR]
    heads = [h for _, h in d.headings]
    assert "深圳加速打造人工智能先锋城市" in heads
    assert "2023年山东工业利润增长24.4%" in heads
    assert "##" not in d.text


def test_latin_line_break_becomes_a_space() -> None:
    raw = "Shenzhen plans more\nthan 3,000 AI firms by 2026.\n"
    c = clean(raw)
    assert c.text == "Shenzhen plans more than 3,000 AI firms by 2026."
    _assert_offsets_exact(raw, c.text, c.offsets)


def test_cjk_spaces_from_ocr_removed_but_latin_spaces_kept() -> None:
    raw = "騰訊 Robotics X 實驗室 產 品 演 示。"
    c = clean(raw)
    assert c.text == "騰訊Robotics X實驗室產品演示。"


def test_pinyin_readings_after_characters_are_left_out_with_offsets_kept() -> None:
    raw = "人工智能產(chǎn)業(yè)規(guī)模達到100EFlops，模型即服務(MaaS)平台"
    c = clean(raw)
    assert c.text == "人工智能產業規模達到100EFlops，模型即服務(MaaS)平台"
    assert all(raw[o] == ch for o, ch in zip(c.offsets, c.text, strict=True))


def test_a_blank_line_ends_an_english_paragraph_but_not_a_chinese_sentence() -> None:
    raw = "Hubei Province releases Implementation Opinions on AI\n\nRecently, Hubei released them.\n\n深圳计划到2026年\n\n建成3000家企业。\n"
    c = clean(raw)
    assert c.text.split("\n") == ["Hubei Province releases Implementation Opinions on AI", "Recently, Hubei released them.",
                                  "深圳计划到2026年建成3000家企业。"]
    _assert_offsets_exact(raw, c.text, c.offsets)
