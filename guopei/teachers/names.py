"""Pinyin of people's names for sorting and search (pypinyin, with the surname readings it gets wrong)."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin

# Surnames read differently from the common reading of the character (曾 zēng, not céng; 单 shàn, not dān…).
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ouyang", "司马": "sima", "诸葛": "zhuge", "上官": "shangguan", "皇甫": "huangfu", "令狐": "linghu",
    "尉迟": "yuchi", "长孙": "zhangsun", "单于": "chanyu", "万俟": "moqi", "澹台": "tantai", "东方": "dongfang",
    "宇文": "yuwen", "慕容": "murong", "夏侯": "xiahou", "公孙": "gongsun", "司徒": "situ", "西门": "ximen",
}
SURNAMES: dict[str, str] = {
    "单": "shan", "曾": "zeng", "解": "xie", "朴": "piao", "区": "ou", "仇": "qiu", "查": "zha", "乐": "yue",
    "柏": "bai", "盖": "ge", "缪": "miao", "覃": "qin", "翟": "zhai", "折": "she", "召": "shao", "繁": "po",
    "员": "yun", "秘": "bi", "种": "chong", "谌": "chen", "黑": "he", "贲": "ben", "隗": "wei", "句": "gou",
    "阚": "kan", "逄": "pang", "郗": "xi", "啜": "chuai", "蕃": "pi", "那": "na", "宓": "mi", "哈": "ha",
    "应": "ying", "重": "chong", "尉": "yu", "冯": "feng", "沈": "shen", "薄": "bo", "褚": "chu", "华": "hua",
    "任": "ren", "过": "guo", "纪": "ji", "祭": "zhai", "蔺": "lin", "莘": "shen", "訾": "zi", "长": "chang",
}


@lru_cache(maxsize=20000)
def _char(ch: str) -> str:
    return "".join(lazy_pinyin(ch)).lower()


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> str:
    """Lower-case toneless pinyin without spaces (张伟 → zhangwei, 曾明 → zengming), for sorting and search."""
    name = name.strip()
    if not name:
        return ""
    head, rest = name[:2], name[2:]
    if head in COMPOUND_SURNAMES:
        surname = COMPOUND_SURNAMES[head]
    else:
        head, rest = name[:1], name[1:]
        surname = SURNAMES.get(head) or _char(head)
    return surname + "".join(_char(ch) for ch in rest)
