"""Hot spots (热点): a run over a window clusters the matters (three issues written by different
people plus noise), with labels, sizes, trend against the window before, members and progress; the
API shows each user their own part; periodic runs skip an unchanged window; stale runs are taken over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.core.testing.api import ApiClient
from fangtiao.screening import hotspots
from fangtiao.screening.models import Hotspot, HotspotMember, HotspotRun
from fangtiao.screening.tests.support import (
    BENIGN,
    NOISE,
    PARKING,
    PARKING_REWORDED,
    WAGES,
    petitioner,
    register,
    t01_leader,
    t02_leader,
)

PARKING_MORE = [
    PARKING, PARKING_REWORDED,
    ("翠竹苑停车费问题", "翠竹苑小区的物业每个月向我们收二百八十元停车费，业委会没开业主大会就同意了，消防通道还被划了车位。",
     "请停止收停车费。"),
    ("反映翠竹苑小区停车收费", "我是翠竹苑业主，物业公司五月份开始收停车费，每月二百八十元，这个收费方案业主大会根本没有表决过。",
     "要求取消停车收费。"),
]
WAGES_MORE = [
    WAGES,
    ("城南安置房工地欠薪", "城南安置房项目的包工头欠我们钢筋工八个月的工资，一共三万多元，答应中秋节前给，到现在也没给。",
     "请帮我们讨要工资。"),
    ("讨要城南工地工资", "本人在城南安置房工地干钢筋活，包工头拖欠工资三万二千元不给，打电话也不接。", "要求包工头支付拖欠的工资。"),
    ("城南工地包工头拖欠工资", "我们几个农民工在城南安置房工地做钢筋工，包工头至今拖欠工资，中秋前说好结清却一直拖着。",
     "请求责令包工头结清工资。"),
]
NOISE_MORE = [
    NOISE,
    ("上洋村搅拌站噪音粉尘", "上洋村东面的搅拌站半夜还在生产，机器声音太吵，粉尘也很大，村民没法休息。", "要求搅拌站夜间停产。"),
    ("投诉混凝土搅拌站夜间生产", "混凝土搅拌站在上洋村东边，每天晚上十二点后还开工，噪音和粉尘严重影响村民睡觉。",
     "请求治理搅拌站噪音粉尘。"),
    ("搅拌站扰民", "上洋村村民反映，村东搅拌站夜里生产噪音扰民，粉尘污染严重。", "请有关部门处理搅拌站。"),
]
NOISE_DOCS = [
    BENIGN,
    ("山林界址纠纷", "本组承包的山林与邻村交界，对方砍了界址内的二十多棵杉树，村里调解两次没有结果。", "请求确认山林界址。"),
    ("离婚后抚养费纠纷", "离婚后前夫三年没有支付女儿的抚养费，每月应付一千五百元，多次催要没有结果。", "要求支付抚养费。"),
    ("电动车被撞医药费", "在院桥路口骑电动车被一辆面包车撞伤，住院十二天，司机只付了两千元就不管了。", "要求赔偿医药费和误工费。"),
]


# Unrelated matters that share only everyday words (我家, 赔偿) with one another.
GENERIC_NOISE = [
    ("邻居违章搭建挡光", "隔壁在我家窗前搭了铁皮棚，挡住了我家的光线。", "要求拆除并赔偿损失。"),
    ("宠物狗咬伤孩子", "楼下的狗咬伤了我家孩子，打疫苗花了两千元。", "要求狗主人赔偿医药费。"),
    ("装修损坏管道", "楼上装修把我家的下水管道弄坏了，卫生间返水。", "要求赔偿维修费用。"),
]


def window():
    end = timezone.localdate()
    return end - dt.timedelta(days=29), end


def build(xw):
    """Three issues of four matters each in the window (wages in both townships), noise, and one
    parking matter in the window before (so parking is rising)."""
    ids = {"parking": [], "wages": [], "noise": []}
    for i, text in enumerate(PARKING_MORE):
        ids["parking"].append(register(xw, text, parties=[petitioner()], days_ago=2 + i).pk)
    for i, text in enumerate(WAGES_MORE):
        region = xw.v01.code if i < 2 else xw.v02.code
        actor = xw.clerk_t01 if i < 2 else xw.clerk_t02
        ids["wages"].append(register(xw, text, parties=[petitioner()], days_ago=3 + i, region=region, actor=actor,
                                     category="labour").pk)
    for i, text in enumerate(NOISE_MORE):
        ids["noise"].append(register(xw, text, parties=[petitioner()], days_ago=4 + i, category="environment").pk)
    for i, text in enumerate(NOISE_DOCS):
        register(xw, text, parties=[petitioner()], days_ago=5 + i, category="other")
    register(xw, PARKING, parties=[petitioner()], days_ago=40)  # the window before
    return ids


def computed(xw, django_capture_on_commit_callbacks, actor=None):
    start, end = window()
    with django_capture_on_commit_callbacks(execute=True):
        run = hotspots.run_request(actor=actor or xw.leader, start=start, end=end)
    run.refresh_from_db()
    return run


def by_members(run):
    out = {}
    for h in Hotspot.objects.filter(run=run):
        out[frozenset(HotspotMember.objects.filter(hotspot=h).values_list("case_id", flat=True))] = h
    return out


class TestRun:
    def test_three_clusters_with_labels_sizes_trend_and_members(self, xw, django_capture_on_commit_callbacks):
        ids = build(xw)
        run = computed(xw, django_capture_on_commit_callbacks)
        assert run.status == "done", run.message
        assert run.n_cases == 12 + len(NOISE_DOCS)
        assert (run.percent, run.progress_done, run.progress_total) == (100, run.progress_total, run.progress_total)
        assert run.finished_at is not None and run.source_max_id > 0
        spots = by_members(run)
        # each issue is one hot spot with exactly its four matters
        assert {frozenset(v) for v in ids.values()} <= set(spots), ({k: v.label for k, v in spots.items()}, ids)
        parking = spots[frozenset(ids["parking"])]
        wages = spots[frozenset(ids["wages"])]
        noise = spots[frozenset(ids["noise"])]
        assert {parking.size, wages.size, noise.size} == {4}
        assert "停车" in parking.label or "翠竹苑" in parking.label
        assert "工资" in wages.label or "城南" in wages.label
        assert "搅拌站" in noise.label
        assert (parking.previous_size, parking.trend) == (1, "rising")
        assert (noise.previous_size, noise.trend) == (0, "new")
        assert parking.region_id == xw.v01.pk and wages.region_id == xw.district.pk
        assert AuditEvent.objects.filter(action="hotspot.computed").count() == 1

    def test_everyday_words_make_no_hot_spot(self, xw, django_capture_on_commit_callbacks):
        build(xw)
        for i, text in enumerate(GENERIC_NOISE):
            register(xw, text, parties=[petitioner()], days_ago=6 + i, category="neighbour")
        run = computed(xw, django_capture_on_commit_callbacks)
        assert sorted(h.size for h in Hotspot.objects.filter(run=run)) == [4, 4, 4], \
            [(h.label, h.size) for h in Hotspot.objects.filter(run=run)]

    def test_request_validation_and_permission(self, xw):
        today = timezone.localdate()
        for start, end in ((today, today - dt.timedelta(days=1)), (today - dt.timedelta(days=400), today),
                           (today, today + dt.timedelta(days=1))):
            with pytest.raises(ValidationFailed):
                hotspots.run_request(actor=xw.leader, start=start, end=end)
        with pytest.raises(PermissionDenied):
            hotspots.run_request(actor=xw.clerk_t01, start=today - dt.timedelta(days=7), end=today)
        with pytest.raises(PermissionDenied):
            hotspots.run_request(actor=xw.user("t01_committee", "committee_head"), start=today, end=today)
        assert not HotspotRun.objects.exists()

    def test_the_same_window_queued_twice_is_one_run(self, xw):
        start, end = window()
        a = hotspots.run_request(actor=xw.leader, start=start, end=end)
        b = hotspots.run_request(actor=t01_leader(xw), start=start, end=end)
        assert a.pk == b.pk and a.status == "queued"

    def test_a_stale_running_run_is_taken_over(self, xw):
        start, end = window()
        register(xw, PARKING, parties=[petitioner()])
        old = timezone.now() - dt.timedelta(minutes=30)
        stale = HotspotRun.objects.create(window_start=start, window_end=end, status="running", started_at=old,
                                          heartbeat_at=old)
        fresh = HotspotRun.objects.create(window_start=start - dt.timedelta(days=1), window_end=end, status="running",
                                          started_at=timezone.now(), heartbeat_at=timezone.now())
        assert hotspots.run_pending() == 1
        stale.refresh_from_db()
        fresh.refresh_from_db()
        assert stale.status == "done" and stale.n_cases == 1
        assert fresh.status == "running"
        assert hotspots.run_one(fresh.pk) is None  # someone else is on it

    def test_a_done_run_is_not_run_again(self, xw, django_capture_on_commit_callbacks):
        run = computed(xw, django_capture_on_commit_callbacks)
        assert run.status == "done"
        assert hotspots.run_one(run.pk) is None


class TestPeriodic:
    def test_skips_when_nothing_is_new(self, xw, settings):
        settings.FANGTIAO_HOTSPOT_WINDOW_DAYS = 30
        today = timezone.localdate()
        register(xw, PARKING, parties=[petitioner()], days_ago=3)
        run = hotspots.ensure_periodic(today=today)
        assert run is not None and run.status == "queued"
        assert (run.window_start, run.window_end) == (today - dt.timedelta(days=30), today - dt.timedelta(days=1))
        assert hotspots.ensure_periodic(today=today) is None  # queued already
        assert hotspots.run_pending() == 1
        assert hotspots.ensure_periodic(today=today) is None  # done, nothing new
        register(xw, WAGES, parties=[petitioner()], category="labour")
        again = hotspots.ensure_periodic(today=today)
        assert again is not None and again.pk != run.pk

    def test_a_failed_run_is_retried_only_after_a_while(self, xw, settings):
        settings.FANGTIAO_HOTSPOT_WINDOW_DAYS = 30
        today = timezone.localdate()
        end = today - dt.timedelta(days=1)
        HotspotRun.objects.create(window_start=end - dt.timedelta(days=29), window_end=end, status="failed")
        assert hotspots.ensure_periodic(today=today) is None
        HotspotRun.objects.update(created_at=timezone.now() - dt.timedelta(hours=7))
        assert hotspots.ensure_periodic(today=today) is not None


class TestApi:
    def test_list_and_detail_by_jurisdiction(self, xw, django_capture_on_commit_callbacks):
        ids = build(xw)
        run = computed(xw, django_capture_on_commit_callbacks)
        spots = by_members(run)
        parking = spots[frozenset(ids["parking"])]
        wages = spots[frozenset(ids["wages"])]
        start, end = window()
        r = ApiClient(xw.leader).get("/api/v1/hotspots", {"from": start.isoformat(), "to": end.isoformat()})
        assert r.status_code == 200, r.content
        out = r.json()
        assert out["run"]["id"] == run.pk and out["run"]["status"] == "done" and out["run"]["progress"] == 100
        assert out["count"] == len(spots) and {h["id"] for h in out["items"]} == {h.pk for h in spots.values()}
        item = next(h for h in out["items"] if h["id"] == parking.pk)
        assert set(item["members"]) == set(ids["parking"]) and item["trend"] == "rising" and item["size"] == 4
        # a t02 leader: the t01-only hot spot is hidden, the district-wide one shows only t02 members
        r = ApiClient(t02_leader(xw)).get("/api/v1/hotspots")
        assert r.status_code == 200
        seen = {h["id"] for h in r.json()["items"]}
        assert parking.pk not in seen
        assert ApiClient(t02_leader(xw)).get(f"/api/v1/hotspots/{parking.pk}").status_code == 404
        r = ApiClient(t01_leader(xw)).get(f"/api/v1/hotspots/{parking.pk}")
        assert r.status_code == 200 and set(r.json()["members"]) == set(ids["parking"])
        r = ApiClient(xw.leader).get(f"/api/v1/hotspots/{wages.pk}")
        assert set(r.json()["members"]) == set(ids["wages"])
        # region filter
        r = ApiClient(xw.leader).get("/api/v1/hotspots", {"region": xw.t01.code})
        assert parking.pk in {h["id"] for h in r.json()["items"]} and wages.pk not in {h["id"] for h in r.json()["items"]}

    def test_a_township_sees_its_part_of_a_district_wide_hot_spot(self, xw, django_capture_on_commit_callbacks):
        ids = build(xw)
        run = computed(xw, django_capture_on_commit_callbacks)
        wages = by_members(run)[frozenset(ids["wages"])]
        r = ApiClient(t02_leader(xw)).get(f"/api/v1/hotspots/{wages.pk}")
        assert r.status_code == 200
        assert set(r.json()["members"]) == set(ids["wages"][2:])
        assert {c["id"] for c in r.json()["cases"]} == set(ids["wages"][2:])
        r = ApiClient(t02_leader(xw)).get("/api/v1/hotspots")
        assert wages.pk in {h["id"] for h in r.json()["items"]}

    def test_the_list_shows_only_members_the_user_may_see(self, xw, django_capture_on_commit_callbacks):
        ids = build(xw)
        run = computed(xw, django_capture_on_commit_callbacks)
        wages = by_members(run)[frozenset(ids["wages"])]
        r = ApiClient(t02_leader(xw)).get("/api/v1/hotspots")
        item = next(h for h in r.json()["items"] if h["id"] == wages.pk)
        assert set(item["members"]) == set(ids["wages"][2:])

    def test_post_run_and_progress(self, xw, django_capture_on_commit_callbacks):
        register(xw, PARKING, parties=[petitioner()], days_ago=1)
        start, end = window()
        with django_capture_on_commit_callbacks(execute=True):
            r = ApiClient(xw.leader).post("/api/v1/hotspots/runs", {"from": start.isoformat(), "to": end.isoformat()})
        assert r.status_code == 202, r.content
        run_id = r.json()["id"]
        r = ApiClient(xw.leader).get(f"/api/v1/hotspots/runs/{run_id}")
        assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["progress"] == 100
        assert r.json()["n_cases"] == 1
        assert ApiClient(xw.clerk_t01).post("/api/v1/hotspots/runs", {"from": start.isoformat(),
                                                                        "to": end.isoformat()}).status_code == 403
        r = ApiClient(xw.leader).post("/api/v1/hotspots/runs", {"from": end.isoformat(), "to": start.isoformat()})
        assert r.status_code == 422
        assert ApiClient(xw.leader).get("/api/v1/hotspots/runs/999999").status_code == 404

    def test_no_run_yet(self, xw):
        r = ApiClient(xw.leader).get("/api/v1/hotspots")
        assert r.status_code == 200 and r.json() == {"run": None, "items": [], "count": 0}
