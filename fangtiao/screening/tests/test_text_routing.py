"""Routing suggestions and the keyword cold start, on invented matters."""

import pytest

from fangtiao.org.choices import DISPUTE_CATEGORIES
from fangtiao.screening.text.routing import KeywordRules, RoutingModel, join_fields, train

TOPICS = {
    "物业": ["物业费", "停车费", "电梯", "业委会", "保安", "维修基金"],
    "劳动": ["拖欠工资", "加班费", "劳动合同", "工伤", "社保", "包工头"],
    "环境": ["油烟", "粉尘", "污水", "搅拌站", "恶臭", "夜间施工"],
}
PLACES = ["东湖苑", "西岭花园", "南塘社区", "北山村", "临江小区", "新桥镇", "城东工业区", "青石街"]


def _corpus():
    texts, labels = [], []
    for label, words in TOPICS.items():
        for i, place in enumerate(PLACES):
            a, b = words[i % len(words)], words[(i + 2) % len(words)]
            texts.append(join_fields(f"{place}{a}问题", f"{place}的居民反映{a}和{b}的问题已经很久，希望尽快解决。"))
            labels.append(label)
    return texts, labels


def test_routing_learns_and_round_trips():
    texts, labels = _corpus()
    model = train(texts, labels, seed=0)
    new = [
        join_fields("幸福里物业乱收停车费", "物业公司乱收停车费，电梯也经常坏"),
        join_fields("工地拖欠工资", "包工头拖欠工资半年，也没有签劳动合同"),
        join_fields("搅拌站扰民", "村口的搅拌站粉尘很大，晚上还夜间施工"),
    ]
    got = model.predict(new)
    assert [s.label for s in got] == ["物业", "劳动", "环境"]
    for s in got:
        assert 0.0 <= s.confidence <= 1.0
        assert s.top[0] == (s.label, s.confidence) and len(s.top) == 3
        assert abs(sum(p for _, p in s.top) - 1.0) < 0.01
    again = RoutingModel.loads(model.dumps())
    assert [s.label for s in again.predict(new)] == ["物业", "劳动", "环境"]
    assert model.predict([]) == []


def test_routing_refuses_one_label_and_foreign_bytes():
    with pytest.raises(ValueError):
        train(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError):
        RoutingModel.loads(__import__("pickle").dumps({"format": 0}))


def test_keyword_rules_cover_every_category_and_cold_start():
    rules = KeywordRules()
    codes = {c for c, _ in DISPUTE_CATEGORIES}
    assert set(rules.keywords) | {"other"} == codes
    cases = {
        "小区物业公司乱收停车费，业委会不管": "property",
        "包工头拖欠工资三个月不给": "labour",
        "隔壁饭店油烟直排，邻居家也受影响": "neighbour",
        "搅拌站粉尘污染严重": "environment",
        "村里土地征收补偿标准太低，强拆我家房子": "expropriation",
        "老人有三个子女，都不尽赡养义务": "marriage_family",
        "电动车和货车发生交通事故，保险公司不理赔": "traffic",
        "在医院做手术后出现医疗事故": "medical",
    }
    for text, code in cases.items():
        s = rules.predict([text])[0]
        assert s.label == code, (text, s)
        assert 0 < s.confidence <= KeywordRules.CAP
    nothing = rules.predict(["今天天气很好"])[0]
    assert nothing.label == "other" and nothing.confidence == 0.0
    assert rules.hits("包工头拖欠工资", "labour") == ["拖欠工资", "工资", "包工头"]
