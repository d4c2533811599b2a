"""The stopword table: ``data/stopwords.tsv`` read once into the sets each user needs.

Enters: the TSV (``GROUP<TAB>words separated by spaces``, ``#`` comments). Leaves: ``SEARCH`` (BM25
tokens and a question's Latin words), ``ENGLISH`` (glossary phrases), ``ASKED`` (the function words
that mark a text as English, for language detection), ``QUESTION`` (a question's
content words: ``SEARCH`` plus how questions are framed) and ``LABEL_FILLER`` (characters a
word-by-word English label may skip). Each word is written once, in one group; the sets are
unions of groups, so two users that need different lists share the words they have in common.
"""

from __future__ import annotations

from pathlib import Path

from rag.errors import ConfigError

PATH = Path(__file__).parent / "data" / "stopwords.tsv"
WORD_GROUPS = ("zh_function", "en_function", "en_function_asked", "en_more", "en_more_asked", "zh_question_frame")
FILLER_GROUP = "label_filler"


def read_groups(path: Path = PATH) -> dict[str, frozenset[str]]:
    """Every group of the table; a word in two word groups, or an unknown group, is a ConfigError."""
    groups: dict[str, list[str]] = {g: [] for g in (*WORD_GROUPS, FILLER_GROUP)}
    owner: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        group, sep, words = line.partition("\t")
        if not sep or group not in groups:
            raise ConfigError(f"{path}:{lineno}: expected GROUP<TAB>words with GROUP one of {', '.join(groups)}")
        for word in words.split():
            if group != FILLER_GROUP:
                if word in owner:
                    raise ConfigError(f"{path}:{lineno}: {word!r} is already in group {owner[word]}")
                owner[word] = group
            groups[group].append(word)
    return {g: frozenset(ws) for g, ws in groups.items()}


_GROUPS = read_groups()

ASKED: frozenset[str] = _GROUPS["en_function_asked"] | _GROUPS["en_more_asked"]
SEARCH: frozenset[str] = _GROUPS["zh_function"] | _GROUPS["en_function"] | _GROUPS["en_function_asked"]
ENGLISH: frozenset[str] = _GROUPS["en_function"] | _GROUPS["en_more"] | ASKED
QUESTION: frozenset[str] = SEARCH | _GROUPS["zh_question_frame"]
LABEL_FILLER: frozenset[str] = _GROUPS[FILLER_GROUP]
