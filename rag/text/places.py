"""Place names: which Chinese provinces, cities and districts a text names, in Chinese or English.

The gazetteer is cpca's table of China's 3,500 administrative divisions (province, city,
county/district by adcode), plus ``data/places_extra.tsv`` for divisions created since, national
new areas and English exonyms. English names are the pinyin of the name without its suffix
(嘉兴市 -> Jiaxing, 石景山区 -> Shijingshan), from pypinyin. Each place knows the place it
belongs to (宝安 -> 深圳 -> 广东), so a district's figure still counts for its city. China as a
whole is left out on purpose: "占全国..." is context, not a different place.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.text import lexicon

# longest first: 特别行政区 before 区
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "地区", "新区", "省", "市",
             "区", "县", "盟")
_LEVEL_SUFFIX = ("省", "市", "自治区", "特别行政区")
# jieba's count above which a district's bare name is first a word (平原 7,457, 商城 1,270, 新建
# 1,000): such a district is recognised only with its suffix (新建区)
COMMON_WORD_FREQ = 500
# capitalised words, and the kind of division in any case ("Shijingshan district")
_EN_WORDS = re.compile(r"[A-Z][A-Za-z]*(?:['’\-][A-Za-z]+)*|\b(?:district|county|city|province)\b")
_EN_TAIL = re.compile(r"^(district|city|province|county|new area|special area|sar)$", re.I)


@dataclass(frozen=True)
class Place:
    name: str  # canonical: the short form of a province or city, the full name of a district
    chinese: tuple[str, ...]
    english: tuple[str, ...]
    parent: str  # canonical name of the place it belongs to, or ""
    level: int  # 1 province, 2 city, 3 county/district/area


def _short(name: str) -> str:
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


def _pinyin(han: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(han)).capitalize()


def strip_tail(english: str) -> str:
    """"Bao'an District" -> "Bao'an": an English place name without its District/City/County."""
    words = english.split()
    return " ".join(words[:-1]) if len(words) > 1 and _EN_TAIL.match(words[-1]) else english


def _key(english: str) -> str:
    return re.sub(r"['’\-\s]", "", english).lower()


def _parent_code(code: str) -> str:
    if code.endswith("0000"):
        return ""
    return code[:4] + "00" if not code.endswith("00") else code[:2] + "0000"


def _rows() -> list[tuple[str, str]]:
    import importlib.util

    # the data file only: importing cpca itself loads pandas and needs pkg_resources
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        from rag.errors import ConfigError

        raise ConfigError("the place gazetteer needs the cpca package: pip install cpca==0.5.5")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as fh:
        # placeholder rows (市辖区, 县) group districts and name no place
        return [(r["adcode"][:6], r["name"]) for r in csv.DictReader(fh) if len(r["name"]) >= 2 and r["name"] != "市辖区"]


@lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, Place], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(places by canonical name, canonical names by Chinese form, canonical names by English key)."""
    import jieba.posseg  # a district's bare name counts only where jieba knows it as a name

    rows = _rows()
    extra: dict[str, tuple[list[str], list[str], str]] = {}
    for code, zh, en, parent in lexicon.rows("places_extra", 4):
        extra[code] = ([z for z in zh.split("|") if z], [e for e in en.split("|") if e], parent)
        if not any(c == code for c, _ in rows) and zh:
            rows.append((code, zh.split("|")[0]))
    shorts: dict[str, int] = {}
    for _, name in rows:
        shorts[_short(name)] = shorts.get(_short(name), 0) + 1

    def level(code: str) -> int:
        return 3 if code.startswith("x-") or not code.endswith("00") else 1 if code.endswith("0000") else 2

    def bare_ok(code: str, name: str) -> bool:
        short = _short(name)
        return short != name and (level(code) < 3 or (shorts[short] == 1 and _is_place_word(jieba.posseg, short)))

    codes = {code for code, _ in rows}

    def parent_of(code: str, given: str = "") -> str:
        if given or code.startswith("x-"):
            return given
        up = _parent_code(code)
        return up if up in codes or not up else code[:2] + "0000"  # a municipality's districts: the city

    base = {code: _short(name) if bare_ok(code, name) else name for code, name in rows}
    counts: dict[str, int] = {}
    for b in base.values():
        counts[b] = counts.get(b, 0) + 1
    # a name two divisions share (南山区 in Shenzhen and in Hegang) is told apart by its city: 深圳南山区
    canon = {code: b if counts[b] == 1 else base.get(parent_of(code), "") + b for code, b in base.items()}
    places: dict[str, Place] = {}
    by_form: dict[str, list[str]] = {}
    by_en: dict[str, list[str]] = {}
    for code, name in rows:
        zh_extra, en_extra, parent_code = extra.get(code, ([], [], ""))
        forms = [name, *zh_extra] + ([_short(name)] if bare_ok(code, name) else [])
        english = tuple(en_extra) or (_pinyin(_short(name)),)
        parent = canon.get(parent_of(code, parent_code), "")
        p = Place(canon[code], tuple(dict.fromkeys(forms)), english, parent, level(code))
        places.setdefault(p.name, p)
        for f in p.chinese:
            by_form.setdefault(f, []).append(p.name)
        for e in english:
            # a district's bare pinyin is too often a person's name (Liang Wenfeng): it needs its
            # "District"/"County" after it, unless it is a listed English form
            if level(code) == 3 and not en_extra:
                for tail in (" District", " County"):
                    by_en.setdefault(_key(e + tail), []).append(p.name)
            else:
                by_en.setdefault(_key(strip_tail(e)), []).append(p.name)
    # pinyin is ambiguous (Chaoyang: 朝阳, 潮阳): an English name stands for every place it may be
    en_index = {k: tuple(dict.fromkeys(c)) for k, c in by_en.items()}
    return places, {f: tuple(n) for f, n in by_form.items()}, en_index


def _is_place_word(posseg, word: str) -> bool:  # type: ignore[no-untyped-def]
    """Does jieba know ``word`` as a place name (坪山, 盐田), not a common word (光明, 商城, 新建 with
    a count of 1,000) or a person's name (惠农)?"""
    tags = [t.flag for t in posseg.lcut(word)]
    return len(tags) == 1 and tags[0] == "ns" and posseg.dt.tokenizer.FREQ.get(word, 0) < COMMON_WORD_FREQ


@lru_cache(maxsize=1)
def _automaton():  # type: ignore[no-untyped-def]
    import ahocorasick

    auto = ahocorasick.Automaton()
    for form, names in gazetteer()[1].items():
        auto.add_word(form, (len(form), names))
    auto.make_automaton()
    return auto


def chinese_places(norm: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, canonical names) of the longest non-overlapping place names in matching-form text.

    A name two divisions share gives both.
    """
    found = sorted(((end + 1 - ln, end + 1, names) for end, (ln, names) in _automaton().iter(norm)),
                   key=lambda t: (t[0], -(t[1] - t[0])))
    out: list[tuple[int, int, tuple[str, ...]]] = []
    for s, e, name in found:
        if out and s < out[-1][1]:
            if e - s > out[-1][1] - out[-1][0] and s == out[-1][0]:
                out[-1] = (s, e, name)
            continue
        out.append((s, e, name))
    return out


def english_places(text: str) -> set[str]:
    """Canonical names of the places an English text names (capitalised words, up to three)."""
    en_index = gazetteer()[2]
    words = _EN_WORDS.findall(text)
    found: set[str] = set()
    for i in range(len(words)):
        for n in (3, 2, 1):
            part = words[i : i + n]
            if len(part) < n:
                continue
            phrase = " ".join(part)
            hit = en_index.get(_key(phrase)) if _EN_TAIL.match(part[-1]) else None
            hit = hit or en_index.get(_key(strip_tail(phrase)))
            if hit:
                found.update(hit)
                break
    return found


def named_places(text: str) -> set[str]:
    """Canonical names of the places ``text`` names, in Chinese (normalised or not) or English."""
    from rag.text.textnorm import normalize

    return {n for _, _, names in chinese_places(normalize(text)) for n in names} | english_places(re.sub(r"'s\b", "", text))


def place(name: str) -> Place | None:
    return gazetteer()[0].get(name)


def lineage(name: str) -> list[str]:
    """The place and every place it belongs to: 宝安 -> [宝安, 深圳, 广东]."""
    places = gazetteer()[0]
    out = [name]
    while places.get(out[-1]) and places[out[-1]].parent and len(out) < 5:
        out.append(places[out[-1]].parent)
    return out


def most_specific(names: set[str]) -> set[str]:
    """The places less those another one lies in: "Beijing's Haidian District" asks about 海淀区, not
    all of 北京."""
    return {n for n in names if not any(n in lineage(o)[1:] for o in names if o != n)}


def about_other_place(asked: set[str], sentence_places: set[str]) -> bool:
    """Does a sentence name only places other than (and not inside) the ones asked about?"""
    if not asked or not sentence_places:
        return False
    return not any(a in lineage(s) for s in sentence_places for a in asked)


def search_terms(text: str, lang: str) -> list[str]:
    """The other language's names of the places a query names: Chinese for English, English for Chinese."""
    out: list[str] = []
    for name in sorted(named_places(text)):
        p = place(name)
        if p is None:
            continue
        out += [p.chinese[-1], p.name] if lang == "en" else [e.lower() for e in p.english]
    return out
