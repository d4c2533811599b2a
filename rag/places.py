"""Place names: which Chinese provinces, cities and districts a question or a sentence names.

Used to tell a sentence about Shenzhen's AI industry from an answer to a question about
Hangzhou's. Each place has its Simplified name(s), English name(s) and the place it belongs
to (宝安 -> 深圳 -> 广东), so a district's figure still counts for its city. China as a whole is
left out on purpose: "占全国..." is context, not a different place.
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical Simplified name | other Chinese forms ; English names ; parent (canonical)
_TABLE = """
北京;Beijing|Peking;
上海;Shanghai;
天津;Tianjin;
重庆;Chongqing;
河北;Hebei;
山西;Shanxi;
辽宁;Liaoning;
吉林省;Jilin Province;
黑龙江;Heilongjiang;
江苏;Jiangsu;
浙江;Zhejiang;
安徽;Anhui;
福建;Fujian;
江西;Jiangxi;
山东;Shandong;
河南;Henan;
湖北;Hubei;
湖南;Hunan;
广东;Guangdong;
海南;Hainan;
四川;Sichuan;
贵州;Guizhou;
云南;Yunnan;
陕西;Shaanxi;
甘肃;Gansu;
青海;Qinghai;
台湾;Taiwan;
内蒙古;Inner Mongolia;
广西;Guangxi;
西藏;Tibet;
宁夏;Ningxia;
新疆;Xinjiang;
香港;Hong Kong;
澳门;Macau|Macao;
深圳|鹏城;Shenzhen;广东
广州;Guangzhou|Canton;广东
东莞;Dongguan;广东
佛山;Foshan;广东
珠海;Zhuhai;广东
惠州;Huizhou;广东
杭州;Hangzhou;浙江
宁波;Ningbo;浙江
温州;Wenzhou;浙江
嘉兴;Jiaxing;浙江
绍兴;Shaoxing;浙江
南京;Nanjing;江苏
苏州;Suzhou;江苏
无锡;Wuxi;江苏
常州;Changzhou;江苏
武汉;Wuhan;湖北
成都;Chengdu;四川
西安;Xi'an|Xian;陕西
合肥;Hefei;安徽
长沙;Changsha;湖南
郑州;Zhengzhou;河南
青岛;Qingdao;山东
济南;Jinan;山东
滨州;Binzhou;山东
厦门;Xiamen;福建
福州;Fuzhou;福建
大连;Dalian;辽宁
沈阳;Shenyang;辽宁
昆明;Kunming;云南
南宁;Nanning;广西
忻城;Xincheng;广西
哈尔滨;Harbin;黑龙江
长春;Changchun;吉林省
石家庄;Shijiazhuang;河北
雄安;Xiong'an|Xiongan;河北
太原;Taiyuan;山西
南昌;Nanchang;江西
贵阳;Guiyang;贵州
兰州;Lanzhou;甘肃
海口;Haikou;海南
宝安;Bao'an|Baoan;深圳
福田;Futian;深圳
南山区;Nanshan District;深圳
罗湖;Luohu;深圳
龙岗;Longgang;深圳
龙华区;Longhua District;深圳
光明区;Guangming District;深圳
坪山;Pingshan;深圳
盐田;Yantian;深圳
大鹏新区;Dapeng;深圳
前海;Qianhai;深圳
河套;Hetao;深圳
余杭;Yuhang;杭州
滨江区;Binjiang District;杭州
萧山;Xiaoshan;杭州
西湖区;Xihu District;杭州
拱墅;Gongshu;杭州
临平;Linping;杭州
钱塘区;Qiantang District;杭州
"""


class Place:
    __slots__ = ("chinese", "english", "name", "parent")

    def __init__(self, name: str, chinese: tuple[str, ...], english: tuple[str, ...], parent: str) -> None:
        self.name, self.chinese, self.english, self.parent = name, chinese, english, parent


@lru_cache(maxsize=1)
def _places() -> tuple[dict[str, Place], re.Pattern[str], re.Pattern[str], dict[str, str]]:
    places: dict[str, Place] = {}
    by_form: dict[str, str] = {}
    for line in _TABLE.strip().splitlines():
        zh, en, parent = line.split(";")
        forms = tuple(zh.split("|"))
        names = tuple(en.split("|"))
        places[forms[0]] = Place(forms[0], forms, names, parent)
        for f in forms:
            by_form[f] = forms[0]
        for n in names:
            by_form[n.lower()] = forms[0]
    zh_forms = sorted((f for p in places.values() for f in p.chinese), key=len, reverse=True)
    en_forms = sorted((n for p in places.values() for n in p.english), key=len, reverse=True)
    zh_re = re.compile("|".join(map(re.escape, zh_forms)))
    en_re = re.compile(r"\b(?:" + "|".join(map(re.escape, en_forms)) + r")(?:'s)?\b", re.I)
    return places, zh_re, en_re, by_form


def named_places(text: str) -> set[str]:
    """Canonical names of the places ``text`` names, in Chinese (normalised or not) or English."""
    from rag.textnorm import normalize

    _, zh_re, en_re, by_form = _places()
    found = {by_form[m.group()] for m in zh_re.finditer(normalize(text))}
    for m in en_re.finditer(text):
        found.add(by_form[re.sub(r"'s$", "", m.group(), flags=re.I).lower()])
    return found


def lineage(name: str) -> list[str]:
    """The place and every place it belongs to: 宝安 -> [宝安, 深圳, 广东]."""
    places = _places()[0]
    out = [name]
    while places.get(out[-1]) and places[out[-1]].parent and len(out) < 5:
        out.append(places[out[-1]].parent)
    return out


def about_other_place(asked: set[str], sentence_places: set[str]) -> bool:
    """Does a sentence name only places other than (and not inside) the ones asked about?"""
    if not asked or not sentence_places:
        return False
    return not any(a in lineage(s) for s in sentence_places for a in asked)
