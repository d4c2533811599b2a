"""The bilingual glossary: English -> Chinese expansion, Chinese -> English names, file checks."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.text.glossary import DEFAULT_PATH, Glossary, load_glossary, stem, stem_key, words
from rag.text.stopwords import ENGLISH as STOPWORDS
from rag.text.textnorm import normalize

CORPUS = Path(__file__).resolve().parents[2] / "docs_corpus"

# Named entities that may be asked about but do not occur in the corpus.
NAMES_NOT_IN_CORPUS = {"UBTech", "Alibaba"}
# Different entries whose English phrases share a stem; the exact form or the base form decides.
ALLOWED_STEM_CLASHES = {("plan",), ("list",), ("fund",), ("financ",), ("plant",), ("new",)}


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


@pytest.fixture(scope="module")
def corpus_text() -> str:
    """The whole corpus in the matching form (Simplified, half-width), whitespace removed, lower-cased."""
    raw = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    return re.sub(r"\s+", "", normalize(raw)).lower()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "glossary.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_glossary_is_broad_and_cached(glossary: Glossary) -> None:
    assert len(glossary) >= 400
    assert sum(e.is_name for e in glossary.entries) >= 150
    assert load_glossary() is glossary
    assert load_glossary(DEFAULT_PATH) is load_glossary(DEFAULT_PATH)


def test_multiword_phrases_win_over_single_words(glossary: Glossary) -> None:
    terms = glossary.expand("embodied intelligence robots")
    assert terms[:2] == ["具身智能", "机器人"]
    assert glossary.expand("large language model") == ["大模型"]
    assert glossary.expand("AI terminal")[0] == "人工智能终端"
    assert glossary.expand("new energy vehicles") == ["新能源汽车"]


def test_terms_are_deduplicated_in_order_of_appearance(glossary: Glossary) -> None:
    terms = glossary.expand("Shenzhen unicorns, robot companies and Hangzhou unicorns and robots")
    assert len(terms) == len(set(terms))
    assert (
        terms.index("深圳") < terms.index("独角兽") < terms.index("机器人") < terms.index("企业") < terms.index("杭州")
    )


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("companies", "企业"),
        ("targets", "目标"),
        ("robots", "机器人"),
        ("growing", "增长"),
        ("cities", "城市"),
        ("subsidies", "补贴"),
        ("unicorns", "独角兽"),
        ("planned", "计划"),
        ("increased", "增长"),
        ("chips", "芯片"),
        ("Shenzhen's", "深圳"),
        ("self driving", "自动驾驶"),
        ("self-driving", "自动驾驶"),
    ],
)
def test_plurals_inflections_and_possessives(glossary: Glossary, text: str, term: str) -> None:
    assert term in glossary.expand(text)


def test_stemmer() -> None:
    assert stem("companies") == stem("company") == "company"
    assert stem("planning") == stem("planned") == stem("plans") == "plan"
    assert stem("increases") == stem("increasing") == stem("increase")
    assert stem("business") == stem("businesses")
    assert stem("ai") == "ai" and stem("5g") == "5g"


def test_case_insensitive(glossary: Glossary) -> None:
    assert glossary.expand("SHENZHEN") == glossary.expand("shenzhen") == glossary.expand("Shenzhen")
    assert "深度求索" in glossary.expand("DEEPSEEK") and "深度求索" in glossary.expand("deepseek")
    assert "宝安区" in glossary.expand("BAO'AN") and "宝安区" in glossary.expand("Bao’an")


def test_stopwords_digits_and_word_boundaries(glossary: Glossary) -> None:
    assert glossary.expand("What is the of and by which how many does it have?") == []
    assert glossary.expand("2026 3,000 1.5 2236.61") == []
    assert glossary.expand("mainland claims said") == []  # no "ai"/"aim" inside other words
    assert glossary.expand("3 billion") == ["亿"]
    assert glossary.expand("20+8")[0] == "20+8"
    assert "亿" in glossary.expand("How many billion yuan by 2026?")


def test_english_names_in_a_chinese_passage(glossary: Glossary) -> None:
    text = "廣東省長王偉中到深圳元戎启行考察，杭州六小龙中的深度求索(DeepSeek)、宇树科技。"
    pairs = glossary.english_names(text)
    assert ("廣東省", "Guangdong") in pairs  # as written in the (Traditional) text
    assert ("王偉中", "Wang Weizhong") in pairs
    assert ("元戎启行", "DeepRoute.ai") in pairs
    assert ("杭州六小龙", "Six Little Dragons") in pairs  # the longest name, not 杭州
    assert ("深度求索", "DeepSeek") in pairs and ("宇树科技", "Unitree") in pairs
    assert [e for _, e in pairs].count("DeepSeek") == 1
    assert [e for _, e in pairs][:2] == ["Guangdong", "Wang Weizhong"]
    assert "Hangzhou" not in [e for _, e in pairs]


def test_english_names_across_ocr_line_breaks(glossary: Glossary) -> None:
    pairs = glossary.english_names("广东省长王伟\n中到深圳市人工智能与机器人研究院")
    assert ("王伟中", "Wang Weizhong") in pairs
    assert pairs[-1][1] == "Shenzhen Institute of Artificial Intelligence and Robotics for Society"
    assert "Shenzhen" not in [e for _, e in pairs]
    assert glossary.english_names("没有任何名称的句子") == []


def test_english_names_skip_generic_words(glossary: Glossary) -> None:
    pairs = glossary.english_names("深圳发布数字孪生先锋城市和“20+8”产业集群，据深圳统计局统计")
    assert [e for _, e in pairs] == ["Shenzhen", "Shenzhen Statistics Bureau"]


def test_custom_path(tmp_path: Path) -> None:
    g = load_glossary(_write(tmp_path, "# comment\n\nrobot|robotics\t机器人|机械人\nShenzhen\t深圳\tname\n"))
    assert g.expand("Shenzhen robots") == ["深圳", "机器人", "机械人"]
    assert g.english_names("深圳的机器人") == [("深圳", "Shenzhen")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("robot\t机器人\nchip 芯片\n", ":2: expected"),
        ("robot\t机器人\tperson\n", "third column"),
        ("robot\t机器人||机械人\n", "empty Chinese term"),
        ("机器人\trobot\n", "not an English phrase"),
        ("the\t这\n", "stopword"),
        ("2026\t2026年\n", "stopword or a number"),
        ("robot\t机器人\n\nrobot\t机械人\n", "already defined on line 1"),
    ],
)
def test_malformed_tsv_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_glossary(path)
    assert str(path) in str(info.value)


def test_missing_or_undecodable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="glossary"):
        load_glossary(tmp_path / "nope.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_bytes("robot\t机器人\n".encode("gb18030"))
    with pytest.raises(ConfigError, match=re.escape(str(bad))):
        load_glossary(bad)


def test_chinese_is_in_matching_form_and_english_lower_case(glossary: Glossary) -> None:
    for entry in glossary.entries:
        for term in entry.chinese:
            assert normalize(term) == term, f"line {entry.line}: {term!r} is not Simplified/half-width"
        aliases = entry.english[1:] if entry.is_name else entry.english
        for phrase in aliases:
            assert phrase == phrase.lower(), f"line {entry.line}: {phrase!r} should be lower-case"


def test_no_single_stopword_entries(glossary: Glossary) -> None:
    for entry in glossary.entries:
        for phrase in entry.english:
            toks = words(phrase)
            assert not (len(toks) == 1 and toks[0] in STOPWORDS), f"line {entry.line}: {phrase!r}"


def test_no_unexpected_stem_clashes(glossary: Glossary) -> None:
    by_stem: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
    for entry in glossary.entries:
        for phrase in entry.english:
            by_stem[stem_key(tuple(words(phrase)))].add(entry.chinese)
    clashes = {k for k, v in by_stem.items() if len(v) > 1}
    assert clashes <= ALLOWED_STEM_CLASHES, clashes - ALLOWED_STEM_CLASHES


def test_named_entities_occur_in_the_corpus(glossary: Glossary, corpus_text: str) -> None:
    missing = [
        entry.english[0]
        for entry in glossary.entries
        if entry.is_name and not any(re.sub(r"\s+", "", t).lower() in corpus_text for t in entry.chinese)
    ]
    assert set(missing) <= NAMES_NOT_IN_CORPUS, sorted(set(missing) - NAMES_NOT_IN_CORPUS)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("DeepSeek", "深度求索"),
        ("Unitree", "宇树"),
        ("LimX Dynamics", "逐际动力"),
        ("SmartMore", "思谋"),
        ("Moonshot AI", "月之暗面"),
        ("01.AI", "零一万物"),
        ("Meng Fanli", "孟凡利"),
        ("Xincheng County", "忻城县"),
        ("Pengcheng Laboratory", "鹏城实验室"),
        ("Guangming Science City", "光明科学城"),
    ],
)
def test_brief_names_map_both_ways(glossary: Glossary, english: str, chinese: str) -> None:
    assert any(chinese in term for term in glossary.expand(english))
    assert english in [e for _, e in glossary.english_names(f"据报道，{chinese}表示")]


def test_uncovered_words_are_those_no_phrase_and_no_stopword_takes() -> None:
    from rag.text.glossary import load_glossary

    out = load_glossary().uncovered("What housing subsidy does the artificial intelligence plan offer engineers?")
    assert "engineers" in out and "offer" in out and "housing" not in out
    assert "artificial" not in out and "intelligence" not in out and "what" not in out


def test_groups_can_carry_the_english_phrase_so_an_english_source_matches_too() -> None:
    from rag.text.glossary import load_glossary

    groups = load_glossary().expand_groups("How many industrial parks", with_english=True)
    assert any(g[-1] == "industrial parks" and any("\u4e00" <= c <= "\u9fff" for c in g[0]) for g in groups)
    assert all(not g[-1].isascii() for g in load_glossary().expand_groups("How many industrial parks"))
