"""The stopword table: each word written once, the sets its users need joined from its groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.text import stopwords


def test_sets_are_unions_of_groups() -> None:
    groups = stopwords.read_groups()
    asked = groups["en_function_asked"] | groups["en_more_asked"]
    assert stopwords.ASKED == asked
    assert stopwords.SEARCH == groups["zh_function"] | groups["en_function"] | groups["en_function_asked"]
    assert stopwords.ENGLISH == groups["en_function"] | groups["en_more"] | asked
    assert stopwords.QUESTION == stopwords.SEARCH | groups["zh_question_frame"]
    assert {"的", "the", "多少"} <= stopwords.SEARCH and "please" in stopwords.ENGLISH - stopwords.SEARCH
    assert "根据" in stopwords.QUESTION - stopwords.SEARCH and "的" in stopwords.LABEL_FILLER


@pytest.mark.parametrize(("text", "error"), [
    ("zh_function\t的 了\nen_more\t了\n", "already in group zh_function"),
    ("nouns\t树\n", "GROUP<TAB>words"),
    ("zh_function 的\n", "GROUP<TAB>words"),
])
def test_bad_tables_are_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "stopwords.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=error):
        stopwords.read_groups(path)


def test_the_asked_function_words_tell_an_english_question_from_a_name_list() -> None:
    from rag.text.textnorm import detect_language

    assert {"how", "many", "does", "whose"} <= stopwords.ASKED <= stopwords.ENGLISH
    assert detect_language("How many AI companies does Shenzhen aim to have by 2026?") == "en"
    assert detect_language("深圳 DeepSeek Qwen 人工智能企业有多少家？") == "zh-Hans"
