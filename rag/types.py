"""Shared data types: every stage takes and returns these, never loose dicts.

Offsets: ``start``/``end`` index the cleaned text of a document; ``raw_start``/``raw_end``
index the original file's decoded text (characters, not bytes), so
``document.raw[raw_start:raw_end]`` is the passage as it stands in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Lang = Literal["en", "zh-Hans", "zh-Hant"]
LANGS: tuple[str, ...] = ("en", "zh-Hans", "zh-Hant")


@dataclass(frozen=True)
class DocMeta:
    """Bibliographic facts about one source document."""

    doc_id: str
    title: str
    publisher: str = ""
    published: str = ""
    script: str = ""  # "zh-Hans", "zh-Hant" or "en"


@dataclass(frozen=True)
class Document:
    """One source file: its original text, the cleaned article text and the map between them.

    ``offsets[i]`` is the index in ``raw`` of the character ``text[i]``; cleaning only deletes
    characters (or turns a line break into a space), so ``raw[offsets[i]] == text[i]`` except
    for such spaces.
    """

    meta: DocMeta
    path: str
    raw: str
    text: str
    offsets: tuple[int, ...]
    headings: tuple[tuple[int, str], ...] = ()  # (cleaned offset, heading text)
    encoding: str = "utf-8"

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a cleaned-text span [start, end) to the original-text span that covers it."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) is outside 0..{len(self.text)}")
        # a caption moved out of the sentence it interrupted makes the map non-monotonic
        span = self.offsets[start:end]
        return min(span), max(span) + 1


@dataclass(frozen=True)
class Chunk:
    """A passage of one document, the unit that is embedded, indexed and cited."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    raw_start: int
    raw_end: int
    section: str = ""
    ordinal: int = 0


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the scores of each retriever."""

    chunk: Chunk
    score: float
    rank: int
    dense_score: float | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class Evidence:
    """A sentence (or two) of a retrieved chunk that may carry the answer."""

    doc_id: str
    chunk_id: str
    start: int  # cleaned-text offsets of the sentence in its document
    end: int
    text: str  # original script, exactly as in the cleaned document
    score: float  # how much of the question it covers (0..1, idf-weighted)
    rank: int  # rank of its chunk in retrieval
    off_topic: str = ""  # why it cannot answer the question (another place, another year), if so


@dataclass(frozen=True)
class Citation:
    """A numbered reference from an answer to the exact supporting quote."""

    n: int
    doc_id: str
    title: str
    publisher: str
    published: str
    chunk_id: str
    start: int  # offsets into the original file's text
    end: int
    quote: str  # in the original script, exactly as in the cleaned passage
    passage: str = ""


@dataclass(frozen=True)
class Verification:
    """Whether every figure and name the answer states appears in one of its cited quotes."""

    ok: bool
    figures: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    unsupported_names: tuple[str, ...] = ()  # people, organisations, places no cited quote names


@dataclass(frozen=True)
class Answer:
    """What the chain returns for one question."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    language: str
    generator: str
    verification: Verification = field(default_factory=lambda: Verification(ok=True))
    related: tuple[Hit, ...] = ()
    hits: tuple[Hit, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    notice: str = ""
    support: float = 0.0  # how well the best evidence sentence covers the question (0..1)

    def __radd__(self, streamed: str) -> Answer:
        """The chain streams text pieces followed by their Answer; added up (as LCEL's ``invoke``
        adds a stream up), they make the Answer: the pieces were a preview of its text."""
        return self


@dataclass(frozen=True)
class GenerationRequest:
    """What an answer generator gets: the question, the target script and numbered evidence."""

    question: str
    language: str  # "en", "zh-Hans" or "zh-Hant": the script the answer must be in
    evidence: tuple[Evidence, ...]  # evidence[i] is cited as [i + 1]
    titles: tuple[str, ...] = ()  # title of each evidence item's document
    history: tuple[dict, ...] = ()
    strict: bool = False  # set on the retry after an unsupported figure
    contexts: tuple[str, ...] = ()  # the text just before each evidence sentence (same paragraph)
    terms: tuple[str, ...] = ()  # the question's words and figures in Simplified matching form
    follow_up: str = ""  # for a follow-up ("And by 2027?"): the user's own words; ``question`` is
    previous: str = ""  # then joined to ``previous``, the question it follows
    measure: tuple[tuple[str, ...], ...] = ()  # what quantity is asked about, each group by its forms
    count: bool = False  # "how many": a number of things, not an amount of money or a percentage
    quantity: bool = False  # a figure is asked for (how many, how much, 多少, what share)
    unit: str = ""  # the measure word the question counts in (家 of 多少家)
