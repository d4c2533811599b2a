"""The general Chinese-English dictionary (CC-CEDICT from its wheel): everyday words a Chinese
question uses get the English an English source writes."""

from __future__ import annotations

from rag.text.dictionary import english_for, glosses


def test_everyday_words_get_their_common_english_senses() -> None:
    assert "opinion" in glosses("意见")
    assert "scale" in glosses("规模")
    assert "enterprise" in glosses("企业")
    assert glosses("不是一个词语") == ()


def test_senses_are_short_translations_without_names_classifiers_or_questions() -> None:
    for word in ("基地", "企业", "几年", "项目"):
        for sense in glosses(word):
            assert sense == sense.lower() and len(sense.split()) <= 3
            assert not sense.startswith(("cl:", "see ", "variant")) and "?" not in sense
    assert "al-qaeda" not in glosses("基地")


def test_the_glossary_comes_first_then_the_dictionary_each_phrase_once() -> None:
    out = english_for(["人工智能", "规模"])
    assert out.index("artificial intelligence") < out.index("scale")
    assert len(out) == len(set(out))


def test_an_english_word_gets_the_commonest_chinese_words_that_translate_it() -> None:
    from rag.text.dictionary import chinese_for

    assert "住房" in chinese_for("housing")
    assert "工程师" in chinese_for("engineers")  # plural, by the glossary's stemming
    assert chinese_for("qwertyuiop") == ()
