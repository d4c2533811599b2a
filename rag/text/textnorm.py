"""Text normalisation for matching only, and language/script detection.

Matching text is Simplified, half-width, with digit grouping removed, so that 3,000 / ３０００
/ 3000 and 億 / 亿 meet. Displayed text and citations never pass through here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rag.text import regional, stopwords

# names what ``normalize`` does; saved vectors of text normalised another way are re-embedded
MATCHING_FORM = f"NFKC+opencc-t2s+regional-{regional.digest()}+ungroup-digits"

_GROUPED = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@lru_cache(maxsize=4)
def _converter(config: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified (OpenCC t2s)."""
    return _converter("t2s").convert(text) if text else text


def to_traditional(text: str) -> str:
    """Simplified -> Traditional (OpenCC s2t)."""
    return _converter("s2t").convert(text) if text else text


def to_script(text: str, script: str) -> str:
    """Convert Chinese text to the given script ("zh-Hans" or "zh-Hant"); other scripts unchanged."""
    if script == "zh-Hans":
        return to_simplified(text)
    if script == "zh-Hant":
        return to_traditional(text)
    return text


def ungroup_digits(text: str) -> str:
    """3,000 -> 3000 (only commas between digit groups of three)."""
    return _GROUPED.sub("", text)


def normalize(text: str) -> str:
    """The matching form: NFKC (full-width -> half-width), Simplified, mainland vocabulary, digits ungrouped.

    Taiwan and Hong Kong words take their mainland form (人工智慧 -> 人工智能, 軟體 -> 软件,
    網路 -> 网络, 機械人 -> 机器人): see ``rag.text.regional``.
    """
    text = unicodedata.normalize("NFKC", text)
    return ungroup_digits(regional.to_mainland(to_simplified(text)))



def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


ENGLISH_BELOW = 0.2  # a document with a smaller share of Chinese characters is an English one


def cjk_share(text: str) -> float:
    """The share of Chinese characters in ``text`` (0 for an empty text)."""
    return cjk_count(text) / len(text) if text else 0.0


def detect_language(text: str) -> str:
    """Return "en", "zh-Hans" or "zh-Hant" for the asker's language and script.

    English wins when the Latin words make a sentence (function words such as "what", "by",
    or four words or more), so an English question may quote a long Chinese plan title. Traditional is detected by characters that OpenCC's
    t2s changes; text with no script-specific character counts as Simplified.
    """
    cjk = cjk_count(text)
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    function_words = sum(1 for w in words if w in stopwords.ASKED)
    if cjk == 0 or len(words) > cjk or (len(words) >= 2 and function_words >= 1) or len(words) >= 4:
        return "en"
    han = "".join(_CJK.findall(text))
    simplified = to_simplified(han)
    trad_chars = sum(1 for a, b in zip(han, simplified, strict=False) if a != b)
    traditional = to_traditional(han)
    simp_chars = sum(1 for a, b in zip(han, traditional, strict=False) if a != b)
    return "zh-Hant" if trad_chars > simp_chars else "zh-Hans"


def script_neutral(text: str) -> bool:
    """Chinese text written the same in both scripts ("2027年呢？"), so its script says nothing."""
    han = "".join(_CJK.findall(text))
    return bool(han) and detect_language(text) != "en" and to_simplified(han) == han == to_traditional(han)


_QUOTED = re.compile(r"「[^」]*」|“[^”]*”|\[\d+\]|\([^)]*\)|（[^）]*）")


def answer_language(text: str) -> str:
    """The language of an answer, ignoring quoted Chinese, bracketed names and citation markers."""
    return detect_language(_QUOTED.sub(" ", text))

