"""Pinyin search keys for Chinese names: people search "wxm" or "wangxiaoming" for 王小明.

Surnames with a reading that differs from the common one (单 shan, 曾 zeng, 解 xie …) are read as
surnames when the name is a person's; other heteronyms contribute every reading, so either
spelling finds the name. The key is stored in an indexed column and matched with LIKE.
"""

from __future__ import annotations

import itertools

from pypinyin import Style, pinyin

# Surname readings (百家姓 readings that differ from the most common reading of the character).
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha",
    "盖": "ge", "乐": "yue", "覃": "qin", "翟": "zhai", "尉": "yu", "繁": "po", "纪": "ji",
    "缪": "miao", "秘": "bi", "员": "yun", "卜": "bu", "召": "shao", "种": "chong", "任": "ren",
    "华": "hua", "燕": "yan", "冼": "xian", "阚": "kan", "谌": "chen", "长孙": "zhangsun",
    "尉迟": "yuchi", "万俟": "moqi", "澹台": "tantai",
}

_MAX_VARIANTS = 8


def _readings(text: str) -> list[list[str]]:
    return pinyin(text, style=Style.NORMAL, heteronym=True, errors=lambda chars: [c.lower() for c in chars])


def search_key(name: str, *, person: bool = False) -> str:
    """Space-separated initials and full-pinyin variants, lower case, e.g. "wxm wangxiaoming"."""
    name = (name or "").strip()
    if not name:
        return ""
    head: list[list[str]] = []
    rest = name
    if person:
        for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
            if name.startswith(surname):
                reading = SURNAME_READINGS[surname]
                head = [[reading]] if len(surname) == 1 else [[r] for r in _split_compound(surname, reading)]
                rest = name[len(surname):]
                break
    syllables = head + [list(dict.fromkeys(opts))[:3] for opts in _readings(rest)]
    keys: list[str] = []
    for combo in itertools.islice(itertools.product(*syllables), _MAX_VARIANTS):
        keys.append("".join(s[0] for s in combo if s))
        keys.append("".join(combo))
    return " ".join(dict.fromkeys(k for k in keys if k))[:255]


def _split_compound(surname: str, reading: str) -> list[str]:
    # Compound surnames: read each character normally, but keep the given reading as a whole.
    per_char = [pinyin(c, style=Style.NORMAL)[0][0] for c in surname]
    return per_char if "".join(per_char) == reading else [reading[: len(reading) // 2], reading[len(reading) // 2 :]]


def normalize_query(q: str) -> str:
    return "".join(ch for ch in (q or "").strip().lower() if ch.isalnum())
