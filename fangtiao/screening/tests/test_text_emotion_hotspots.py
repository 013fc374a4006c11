"""Extreme-emotion lexicon, skip-level hints and hot-spot clustering on invented matters."""

import datetime as dt

from fangtiao.screening.text import segment
from fangtiao.screening.text.emotion import emotion_risk, skip_level_hint
from fangtiao.screening.text.hotspots import Doc, cluster, cluster_index


def test_emotion_levels_and_false_positives():
    assert emotion_risk("再拖下去我就跳楼，死给你们看").level == "red"
    r = emotion_risk("逼急了我就喝农药，和他同归于尽")
    assert r.level == "red" and {"喝农药", "同归于尽"} <= set(r.words)
    assert emotion_risk("我们已经走投无路了，只想讨个说法").level == "orange"
    assert emotion_risk("天台没有护栏，要防止跳楼事故").level is None
    assert emotion_risk("我不会去自杀的，请放心").level is None
    assert emotion_risk("楼下炸鸡店油烟太大，杀虫剂味也重").level is None
    assert emotion_risk("").level is None


def test_skip_level_hint():
    assert skip_level_hint("再不解决我就去北京上访，到省里也要告") == ["去北京", "到省里"]
    assert "进京" in skip_level_hint("准备进京反映")
    assert skip_level_hint("小区装了中央空调") == []


ISSUES = {
    "parking": "东湖苑物业乱收停车费，每月三百元停车费太贵，业委会也不管停车收费的事",
    "dust": "北山村搅拌站粉尘很大，搅拌站夜间施工噪音扰民，村民晚上睡不着",
    "wages": "城东工业区纺织厂拖欠工资，三个月工资没发，工人讨薪无门",
}
NOISE = [
    "南塘社区路灯坏了", "青石街下水道堵塞", "新桥镇中学校车超载", "临江小区电梯故障", "西岭花园树木遮挡采光",
    "某超市卖过期食品", "医院挂号难", "公交车改线不方便", "菜市场缺斤短两", "村里低保评定不公",
]
PREFIXES = ["再次反映：", "我们业主", "强烈要求：", "", "居民投诉：", "又来反映", "急！"]


def _docs():
    segment.add_place_names(["北山村", "南塘社区", "新桥镇", "城东工业区"])  # as the app does from its regions
    start = dt.date(2024, 5, 1)
    docs = []
    n = 0
    for key, text in ISSUES.items():
        count = {"parking": 6, "dust": 4, "wages": 3}[key]
        for i in range(count):
            docs.append(Doc(f"{key}-{i}", PREFIXES[i % len(PREFIXES)] + text, start + dt.timedelta(days=i + 1)))
            n += 1
    for i, t in enumerate(NOISE):
        docs.append(Doc(f"noise-{i}", t + "，请处理", start + dt.timedelta(days=i)))
    previous = [Doc(f"old-parking-{i}", ISSUES["parking"], dt.date(2024, 4, 10)) for i in range(2)]
    previous += [Doc(f"old-wages-{i}", ISSUES["wages"], dt.date(2024, 4, 12)) for i in range(4)]
    return docs, previous


def test_hotspots_find_planted_clusters_with_trend():
    docs, previous = _docs()
    found = cluster(docs + previous, window_start=dt.date(2024, 5, 1), window_end=dt.date(2024, 5, 31),
                    previous=previous, min_size=3)
    by_first = {c.members[0].split("-")[0]: c for c in found}
    assert set(by_first) == {"parking", "dust", "wages"}
    parking, dust, wages = by_first["parking"], by_first["dust"], by_first["wages"]
    assert parking.size == 6 and parking.members == sorted(f"parking-{i}" for i in range(6))
    assert parking.trend == "rising" and parking.previous_size == 2
    assert dust.trend == "new" and dust.size == 4
    assert wages.trend == "steady" and wages.previous_size == 4
    assert "停车费" in parking.terms and "搅拌站" in dust.terms
    assert parking.label == "、".join(parking.terms[:4])
    assert found[0] is parking  # biggest first


def test_hotspots_incremental_assign_and_empty():
    docs, _ = _docs()
    idx = cluster_index(docs, window_start=dt.date(2024, 5, 1), window_end=dt.date(2024, 5, 31))
    got = idx.assign([Doc("new", "东湖苑又乱收停车费了，业委会不管", dt.date(2024, 6, 1)),
                      Doc("x", "图书馆开放时间太短", dt.date(2024, 6, 1))])
    assert got[0] is not None and "停车费" in idx.clusters[got[0]].terms
    assert got[1] is None
    assert cluster([], window_start=dt.date(2024, 5, 1), window_end=dt.date(2024, 5, 2)) == []
