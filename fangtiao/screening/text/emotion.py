"""Extreme-emotion risk (极端情绪) and skip-level hints (越级) in a matter's text.

A lexicon, not a model: every hit must be explainable to the officer who sees the warning, and a
missed threat costs far more than a false alarm, so the lexicon errs on the side of flagging.

* red — threats to life or of violence: 自杀, 跳楼, 喝农药, 自焚, 同归于尽, 以死相逼, 炸…, 杀了…
* orange — desperation or escalation: 走投无路, 拼命, 讨个说法, 拉横幅, 堵路, 进京上访…

False positives handled: a hit preceded (within a few characters) by a negation or a prevention
word (不会/没有/防止/预防/劝阻/避免/谨防 …) does not count — "防止跳楼" in a safety complaint, "我不会
去自杀" —; and words whose characters also form harmless compounds are matched only as the risky
pattern (炸 in 炸鸡/油炸/炸酱面 is not 炸了/炸掉/炸药; 杀 in 杀虫/杀毒 is not 杀了他).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fangtiao.screening.text.normalize import normalize

RED = (
    "自杀", "轻生", "跳楼", "跳河", "跳江", "跳桥", "卧轨", "上吊", "割腕", "喝农药", "喝药", "服毒", "吃安眠药", "自焚",
    "同归于尽", "以死相逼", "以死明志", "死给你看", "不想活了", "活不下去", "一死了之", "寻死", "拼了这条命", "拿命",
    "杀人", "杀了他", "杀了你", "杀了他们", "砍死", "捅死", "弄死", "报复社会", "炸药", "炸掉", "炸了", "炸死",
    "浇汽油", "放火", "纵火", "点火烧", "烧了", "带刀", "血溅",
)
ORANGE = (
    "走投无路", "拼命", "豁出去", "讨个说法", "逼上绝路", "绝路", "没有活路", "忍无可忍", "后果自负", "闹大", "极端",
    "拉横幅", "打横幅", "堵路", "堵门", "围堵", "静坐", "集体上访", "聚集", "媒体曝光", "找记者", "发网上", "网上曝光",
    "进京", "去北京上访", "到北京上访", "上访到中央", "越级上访",
)
SKIP_LEVEL = (
    "去北京", "到北京", "上北京", "进京", "赴京", "国家信访局", "告到中央", "中央信访", "中纪委", "巡视组", "到省里", "去省里", "省信访局",
    "省政府", "省委", "到市里", "去市里", "市信访局", "越级", "上访到", "向上级反映", "再往上告", "一级一级往上",
)
NEGATION = re.compile(r"(?:不会|不要|不想|没有|没|并非|并不|不是|防止|预防|避免|谨防|劝阻|杜绝|严禁|禁止|以免|担心有人|怕有人)[^，。！？,.!?；;]{0,4}$")


@dataclass(frozen=True)
class Risk:
    level: str | None  # "red" | "orange" | None
    words: list[str] = field(default_factory=list)


def _hits(text: str, words: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for w in sorted(words, key=len, reverse=True):
        for m in re.finditer(re.escape(w), text):
            before = text[max(0, m.start() - 8) : m.start()]
            if NEGATION.search(before):
                continue
            if any(w in f for f in found):  # 进京 inside 去北京上访 already counted
                break
            found.append(w)
            break
    return found


def emotion_risk(text: str) -> Risk:
    t = normalize(text)
    red = _hits(t, RED)
    if red:
        return Risk("red", red + _hits(t, ORANGE))
    orange = _hits(t, ORANGE)
    return Risk("orange" if orange else None, orange)


def skip_level_hint(text: str) -> list[str]:
    """Phrases saying the petitioner will (or did) go higher: 去北京, 进京, 到省里, 上访到中央…"""
    return _hits(normalize(text), SKIP_LEVEL)
