"""The stopword table: each word written once, the sets its users need joined from its groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.text import stopwords


def test_sets_are_unions_of_groups() -> None:
    groups = stopwords.read_groups()
    assert stopwords.SEARCH == groups["zh_function"] | groups["en_function"]
    assert stopwords.ENGLISH == groups["en_function"] | groups["en_more"]
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
