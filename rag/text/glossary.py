"""Bilingual glossary: English question words -> Simplified Chinese search terms, and back for names.

There is no translation model, so English questions reach the Chinese corpus through ``glossary.tsv``
(next to this module): ``english phrase[|alias...]<TAB>中文1|中文2[<TAB>name]`` per line, ``#`` comments.
English is matched case-insensitively on word boundaries, longest phrase first, with light stemming.
``name`` marks a named entity: its first English phrase is the display name that
:meth:`Glossary.english_names` gives back. Numbers and years are left to the caller; number words are not.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.errors import ConfigError
from rag.text import stopwords
from rag.text.regional import to_mainland
from rag.text.textnorm import to_simplified

DEFAULT_PATH = Path(__file__).parent / "data" / "glossary.tsv"
_FORMAT = "expected 'english phrase[|alias...]<TAB>中文1|中文2[<TAB>name]'"
_WORD = re.compile(r"\d+\+\d+|[a-z0-9]+(?:[.&'][a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def words(text: str) -> list[str]:
    """Lower-cased word tokens: hyphens split words, possessive 's dropped, '20+8' and '01.ai' kept whole."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return [w[:-2] if w.endswith("'s") else w for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """Light stemming, the same on both sides (companies->company, growing->grow, planned->plan, scales->scal)."""
    if not word.isalpha() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouy":
        word = word[:-1]
    return word


def stem_key(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The stemmed form of a token sequence."""
    return tuple(stem(t) for t in tokens)


@dataclass(frozen=True)
class Entry:
    """One glossary line: English phrases (the first is the display name), Chinese terms, name flag."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]
    is_name: bool
    line: int


class Glossary:
    """English -> Chinese expansion for retrieval, Chinese -> English for named entities."""

    def __init__(self, entries: list[Entry], path: Path) -> None:
        self.entries = tuple(entries)
        self.path = path
        self._exact: dict[tuple[str, ...], Entry] = {}
        self._stemmed: dict[tuple[str, ...], Entry] = {}
        names: dict[str, str] = {}
        for entry in entries:
            for phrase in entry.english:
                key = tuple(words(phrase))
                self._exact[key] = entry
                skey = stem_key(key)
                # a phrase that is its own stem (plan) owns the key over an inflected one (planning)
                if skey not in self._stemmed or skey == key:
                    self._stemmed[skey] = entry
            if entry.is_name:
                for term in entry.chinese:
                    if _CJK.search(term):
                        names.setdefault(re.sub(r"\s+", "", term), entry.english[0])
        self._max = max((len(k) for k in self._exact), default=0)
        reverse: dict[str, str] = {}
        for entry in entries:
            for term in entry.chinese:
                if _CJK.search(term):
                    reverse.setdefault(term, entry.english[0])
        self._reverse = reverse
        self._reverse_max = max((len(k) for k in reverse), default=0)
        self._names = sorted(names.items(), key=lambda kv: -len(kv[0]))

    def __len__(self) -> int:
        return len(self.entries)

    def _match(self, toks: list[str], i: int) -> tuple[Entry | None, int]:
        """The longest glossary phrase starting at token ``i`` (exact form first, then stemmed) and its length."""
        for n in range(min(self._max, len(toks) - i), 0, -1):
            window = tuple(toks[i : i + n])
            if n == 1 and window[0] in stopwords.ENGLISH:
                continue
            entry = self._exact.get(window) or self._stemmed.get(stem_key(window))
            if entry is not None:
                return entry, n
        return None, 1

    def english_names_index(self) -> list[tuple[str, str]]:
        """(Chinese name in matching form, English name) for every named entity."""
        return list(self._names)

    def _phrases(self, text: str) -> Iterator[tuple[list[str], Entry | None]]:
        """The words of English ``text`` left to right, each glossary phrase as one step: (its words,
        its entry), or (one word, None) where no phrase starts."""
        toks = words(text)
        i = 0
        while i < len(toks):
            entry, n = self._match(toks, i)
            yield toks[i : i + n], entry
            i += n

    def expand_groups(self, text: str, *, with_english: bool = False) -> list[tuple[str, ...]]:
        """Like ``expand`` but one tuple of Chinese alternatives per matched English phrase; with
        ``with_english``, the phrase as the text words it comes last, so an English source matches too."""
        groups: list[tuple[str, ...]] = []
        seen: set[tuple[str, ...]] = set()
        for phrase, entry in self._phrases(text):
            if entry is not None and entry.chinese not in seen:
                seen.add(entry.chinese)
                groups.append((*entry.chinese, " ".join(phrase)) if with_english else entry.chinese)
        return groups

    def uncovered(self, text: str) -> list[str]:
        """The words of English ``text`` that no glossary phrase covers, less stopwords, in order."""
        out: list[str] = []
        for phrase, entry in self._phrases(text):
            if entry is None and phrase[0] not in stopwords.ENGLISH and phrase[0] not in out:
                out.append(phrase[0])
        return out

    def to_english(self, chinese: str, filler: Collection[str] = stopwords.LABEL_FILLER) -> str | None:
        """Word-by-word English for a short Chinese label (e.g. 人工智能终端产业规模 ->
        "ai terminal industry scale"), or None when part of it has no glossary entry."""
        text = re.sub(r"\s+", "", to_mainland(to_simplified(chinese)))  # 服務機械人 is 服务机器人
        out: list[str] = []
        i = 0
        while i < len(text):
            for n in range(min(self._reverse_max, len(text) - i), 0, -1):
                english = self._reverse.get(text[i : i + n])
                if english is not None:
                    if not out or out[-1] != english:
                        out.append(english)
                    i += n
                    break
            else:
                if text[i] not in filler:
                    return None
                i += 1
        return " ".join(out) if out else None

    def english_for(self, chinese_terms: list[str]) -> list[str]:
        """English phrases for Chinese terms (whole tokens only), so a Chinese query can search English text."""
        return list(dict.fromkeys(self._reverse[t] for t in chinese_terms if len(t) >= 2 and t in self._reverse))

    def expand(self, text: str) -> list[str]:
        """Chinese terms for the glossary phrases in English ``text``, deduplicated, in order of appearance.

        Longest phrase wins ("embodied intelligence robots" -> 具身智能, 机器人 before "intelligence");
        stopwords and plain digits give nothing; number words do ("billion" -> 亿).
        """
        found: dict[str, None] = {}
        for _, entry in self._phrases(text):
            if entry is not None:
                found.update(dict.fromkeys(entry.chinese))
        return list(found)

    def english_names(self, chinese_text: str) -> list[tuple[str, str]]:
        """(Chinese as written in the text, English name) for named entities in a Chinese passage.

        Traditional text is matched through its Simplified form; whitespace inside a name (OCR line
        breaks) is ignored; the longest name wins where names overlap (深圳市人工智能与机器人研究院
        over 深圳市). One pair per English name, in order of first appearance.
        """
        simple = to_simplified(chinese_text)
        source = chinese_text if len(simple) == len(chinese_text) else simple
        keep = [i for i, ch in enumerate(simple) if not ch.isspace()]
        compact = "".join(simple[i] for i in keep)
        taken = [False] * len(compact)
        hits: list[tuple[int, str, str]] = []
        for term, english in self._names:
            start = compact.find(term)
            while start >= 0:
                end = start + len(term)
                if not any(taken[start:end]):
                    taken[start:end] = [True] * len(term)
                    shown = "".join(ch for ch in source[keep[start] : keep[end - 1] + 1] if ch not in "\r\n")
                    hits.append((start, shown, english))
                start = compact.find(term, end)
        first: dict[str, str] = {}
        for _, shown, english in sorted(hits):
            first.setdefault(english, shown)
        return [(shown, english) for english, shown in first.items()]


def _parse(path: Path) -> list[Entry]:
    """Read and check the TSV; any problem is a ConfigError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:  # missing, unreadable or not UTF-8
        raise ConfigError(f"cannot read the glossary {path}: {exc}") from exc
    entries: list[Entry] = []
    seen: dict[tuple[str, ...], int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{lineno}"
        fields = line.split("\t")
        if len(fields) not in (2, 3):
            raise ConfigError(f"{where}: {_FORMAT}, found {len(fields)} tab-separated field(s)")
        if len(fields) == 3 and fields[2].strip() != "name":
            raise ConfigError(f"{where}: the third column may only be 'name', found {fields[2].strip()!r}")
        english = tuple(p.strip() for p in fields[0].split("|"))
        chinese = tuple(t.strip() for t in fields[1].split("|"))
        if not all(chinese):
            raise ConfigError(f"{where}: empty Chinese term in {fields[1]!r}; {_FORMAT}")
        for phrase in english:
            key = tuple(words(phrase))
            if not key or _CJK.search(phrase):
                raise ConfigError(f"{where}: {phrase!r} is not an English phrase (columns swapped?); {_FORMAT}")
            if len(key) == 1 and (key[0] in stopwords.ENGLISH or key[0].isdigit()):
                raise ConfigError(f"{where}: {phrase!r} is a stopword or a number, not a glossary phrase")
            if key in seen:
                raise ConfigError(f"{where}: {phrase!r} is already defined on line {seen[key]}")
            seen[key] = lineno
        entries.append(Entry(english, chinese, len(fields) == 3, lineno))
    return entries


@lru_cache(maxsize=8)
def _load(path: Path) -> Glossary:
    return Glossary(_parse(path), path)


def load_glossary(path: Path | None = None) -> Glossary:
    """The glossary at ``path`` (default: ``glossary.tsv`` next to this module), parsed once and cached."""
    return _load(Path(path) if path is not None else DEFAULT_PATH)
