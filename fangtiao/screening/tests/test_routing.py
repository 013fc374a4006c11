"""Routing suggestion: keyword rules before a model exists, a model trained on the district's own
categorised matters, the clerk's choices kept beside the suggestion, the unit learned per category
and township, and retraining (service and API)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import case_in_state
from fangtiao.core.testing.api import ApiClient
from fangtiao.org.models import DisputeCategory
from fangtiao.screening import routing, similar
from fangtiao.screening.models import RoutingDecision, TextModel
from fangtiao.screening.tests.support import BENIGN, WAGES, petitioner, register

_n = itertools.count(1)

# Invented matters of four dispute types, each worded several ways.
CORPUS = {
    "labour": [("{p}工地拖欠工资", "我在{p}工地做了{m}个月木工，包工头拖欠工资{a}元至今不给。", "请求支付拖欠的工资"),
               ("{p}厂里克扣加班费", "{p}一家鞋厂连续{m}个月不发加班费，老板说效益不好，工人讨薪无门。", "要求补发加班工资"),
               ("被{p}公司无故辞退", "我在{p}的公司上班{m}年，公司没有签劳动合同就把我辞退了，也不给经济补偿。", "要求支付经济补偿金")],
    "property": [("{p}小区物业费上涨", "{p}小区物业公司擅自把物业费上涨{m}毛，业主大会没有表决。", "要求恢复原物业收费标准"),
                 ("{p}小区电梯停运", "{p}小区物业不维修电梯，已经停运{m}个月，业主多次反映无果。", "请求督促物业维修电梯"),
                 ("{p}物业乱收停车费", "{p}小区物业占用公共绿地做停车位，每月收停车费{a}元。", "要求退还停车费")],
    "neighbour": [("{p}邻居装修噪音扰民", "{p}楼上邻居装修{m}个月，每天晚上施工，噪音很大影响休息。", "请求协调邻居晚上停止施工"),
                  ("{p}邻居家漏水", "{p}楼上邻居家卫生间漏水，把我家天花板泡坏了，协商{m}次不肯赔。", "要求邻居维修并赔偿"),
                  ("{p}邻里通道纠纷", "{p}邻居在两家之间的通道上堆放杂物，出入不便，说了{m}次也不清理。", "请求清理通道杂物")],
    "traffic": [("{p}交通事故赔偿", "在{p}路口电动车被小轿车撞倒，住院{m}天，对方保险公司拒绝赔偿医药费{a}元。", "要求赔偿医疗费误工费"),
                ("{p}货车撞坏围墙", "一辆货车在{p}倒车时撞坏了我家围墙，司机跑了，损失{a}元。", "要求肇事司机赔偿"),
                ("{p}追尾事故纠纷", "我的车在{p}红绿灯处被追尾，对方不认定全责，修车花了{a}元。", "要求对方承担修车费用")],
}
PLACES = ["东城", "西城", "北山", "南塘", "新桥", "江口", "高桥", "院桥"]


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    """Row ids are reused after a rolled-back test (SQLite): never read another test's cached artifact."""
    monkeypatch.setitem(routing._cache, "id", None)
    monkeypatch.setitem(routing._cache, "model", None)
    monkeypatch.setitem(similar._idf_cache, "id", None)
    monkeypatch.setitem(similar._idf_cache, "idf", None)


def training_cases(xw, per_label=15, labels=("labour", "property", "neighbour", "traffic")):
    """Categorised matters written straight to the table (training reads only title, text, category)."""
    template = register(xw, BENIGN, parties=[petitioner()])
    cats = dict(DisputeCategory.objects.values_list("code", "pk"))
    rows = []
    for code in labels:
        forms = CORPUS[code]
        for i in range(per_label):
            title, desc, demands = forms[i % len(forms)]
            n = next(_n)
            p = PLACES[i % len(PLACES)]
            values = {"p": p, "m": 2 + i % 7, "a": 1000 + 137 * i}
            c = Case.objects.get(pk=template.pk)
            c.pk = None
            c.number = f"测试训练{code}{n}"
            c.number_seq = 100_000 + n
            c.title, c.description, c.demands = title.format(**values), desc.format(**values), demands.format(**values)
            c.category_id = cats[code]
            rows.append(c)
    Case.objects.bulk_create(rows)
    return rows


class TestSuggest:
    def test_without_a_model_keyword_rules_answer(self, xw):
        s = routing.suggest(title="包工头拖欠工资", description="我在工地干了三个月，老板一直拖欠工资不给。")
        assert s["source"] == "rules" and s["model"] is None
        assert 0 <= s["confidence"] <= 1
        assert s["category"] == "labour" and s["category_name"] == "劳动争议"

    def test_after_retraining_the_model_answers(self, xw):
        training_cases(xw)
        row = routing.retrain()
        assert row is not None and row.kind == "routing" and row.active
        assert row.n_train >= 60 and set(row.labels) >= {"labour", "property", "neighbour", "traffic"}
        assert TextModel.objects.filter(kind="idf", active=True).count() == 1
        s = routing.suggest(title="工地老板拖欠工资", description="我在新桥工地做了五个月木工，包工头一直拖欠工资不给。",
                            demands="请求支付工资")
        assert s["source"] == "model" and s["model"] == row.pk
        assert s["category"] == "labour"
        assert 0 < s["confidence"] <= 1
        assert all(0 <= t["p"] <= 1 for t in s["top"]) and s["top"][0]["category"] == "labour"
        s = routing.suggest(title="楼上邻居装修太吵", description="楼上邻居每天晚上装修，噪音扰民。")
        assert s["category"] == "neighbour"
        assert AuditEvent.objects.filter(action="routing.retrained").count() == 1

    def test_retraining_again_keeps_one_active_model(self, xw):
        training_cases(xw)
        first = routing.retrain()
        second = routing.retrain()
        assert list(TextModel.objects.filter(kind="routing", active=True).values_list("pk", flat=True)) == [second.pk]
        first.refresh_from_db()
        assert not first.active
        assert routing.current_model()[0] == second.pk

    def test_too_little_data(self, xw):
        training_cases(xw, per_label=20, labels=("labour",))  # one category only
        assert routing.retrain() is None
        assert not TextModel.objects.exists()
        from fangtiao.core.errors import ValidationFailed

        with pytest.raises(ValidationFailed):
            routing.retrain(actor=xw.leader)

    def test_too_few_per_category(self, xw):
        training_cases(xw, per_label=4)  # 16 matters, none of the labels with 5
        assert routing.retrain() is None

    def test_retrain_needs_the_capability(self, xw):
        from fangtiao.core.errors import PermissionDenied

        with pytest.raises(PermissionDenied):
            routing.retrain(actor=xw.clerk_t01)


class TestDecisions:
    def test_registration_records_the_suggestion_and_the_choice(self, xw):
        clerk = xw.clerk_t01
        c = register(xw, WAGES, parties=[petitioner()], category="labour")
        d = RoutingDecision.objects.get(case=c, stage="register")
        assert (d.chosen_category, d.source, d.decided_by_id) == ("labour", "rules", clerk.pk)
        assert d.suggested_category == "labour" and d.chosen_unit_id is None

    def test_moving_to_another_unit_records_the_chosen_unit(self, xw):
        c = case_in_state(xw, "mediating")
        d = RoutingDecision.objects.filter(case=c, stage="route").order_by("-id").first()
        assert d is not None
        assert d.chosen_unit_id == xw.units["t01_committee"].pk
        assert d.chosen_category == c.category.code

    def test_accuracy(self, xw):
        register(xw, WAGES, parties=[petitioner()], category="labour")
        register(xw, WAGES, parties=[petitioner()], category="contract")  # the clerk disagreed
        acc = routing.accuracy()
        assert (acc["decisions"], acc["agreed"], acc["rate"]) == (2, 1, 0.5)


class TestSuggestUnit:
    def _decide(self, xw, unit_key, region, n, category="labour"):
        base = register(xw, BENIGN, parties=[petitioner()], region=region.code)
        for _ in range(n):
            RoutingDecision.objects.create(case=base, stage="route", chosen_category=category,
                                           chosen_unit=xw.units[unit_key])

    def test_the_unit_most_chosen_for_the_category(self, xw):
        self._decide(xw, "t01_committee", xw.v01, 3)
        self._decide(xw, "t01_subcentre", xw.v01, 1)
        unit, conf = routing.suggest_unit(category="labour", region_path=xw.v01.path)
        assert unit == xw.units["t01_committee"] and conf == 0.75
        assert routing.suggest_unit(category="medical", region_path=xw.v01.path) == (None, 0.0)

    def test_per_township(self, xw):
        self._decide(xw, "t01_committee", xw.v01, 3)
        self._decide(xw, "t02_committee", xw.v02, 2)
        assert routing.suggest_unit(category="labour", region_path=xw.v02.path)[0] == xw.units["t02_committee"]
        assert routing.suggest_unit(category="labour", region_path=xw.v01.path)[0] == xw.units["t01_committee"]

    def test_old_decisions_are_forgotten(self, xw):
        self._decide(xw, "t01_committee", xw.v01, 2)
        RoutingDecision.objects.update(decided_at=timezone.now() - dt.timedelta(days=800))
        assert routing.suggest_unit(category="labour", region_path=xw.v01.path) == (None, 0.0)

    def test_the_suggestion_names_the_unit(self, xw):
        self._decide(xw, "t01_committee", xw.v01, 2)
        s = routing.suggest(title="包工头拖欠工资", description="工地包工头拖欠工资三个月。", region_path=xw.v01.path)
        assert s["unit"] == xw.units["t01_committee"].pk and s["unit_name"] == xw.units["t01_committee"].name


class TestApi:
    def test_suggest(self, xw):
        r = ApiClient(xw.clerk_t01).post("/api/v1/routing/suggest", {"title": "包工头拖欠工资",
                                                                      "description": "工地老板拖欠工资。",
                                                                      "region": xw.v01.code})
        assert r.status_code == 200, r.content
        assert r.json()["source"] == "rules"
        r = ApiClient(xw.clerk_t01).post("/api/v1/routing/suggest", {"title": "x", "region": "999999999"})
        assert r.status_code == 422
        assert ApiClient(xw.clerk_t01).post("/api/v1/routing/suggest", {"title": ""}).status_code == 422
        assert ApiClient(xw.user("centre", "auditor")).post("/api/v1/routing/suggest", {"title": "x"}).status_code == 403

    def test_retrain(self, xw):
        assert ApiClient(xw.clerk_t01).post("/api/v1/routing/retrain", {}).status_code == 403
        r = ApiClient(xw.leader).post("/api/v1/routing/retrain", {})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cases"
        training_cases(xw)
        r = ApiClient(xw.leader).post("/api/v1/routing/retrain", {})
        assert r.status_code == 200, r.content
        out = r.json()
        assert out["model"] and out["n_train"] >= 60 and "labour" in out["labels"]
