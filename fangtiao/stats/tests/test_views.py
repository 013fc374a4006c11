"""The dashboards (stats.views): the leader's overview, the township comparison and the mediators'
page — rendered for the district leader and a township leader (who sees only its own figures),
403 without stats.view, 404 for a region outside, Chinese messages for a bad month, Excel exports
checked against the counts (and audited), links to the cases behind a figure, bounded queries."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case
from fangtiao.cases.selectors import case_list
from fangtiao.cases.tests.factories import frozen, make_case
from fangtiao.screening.choices import ACTIVE_WARNING
from fangtiao.screening.models import EarlyWarning
from fangtiao.stats import services

V02 = "331003002201"  # 下叶村 (西城街道)


@pytest.fixture(scope="module")
def _data(_shared_world, django_db_blocker):
    """Built once per module inside the shared world's transaction (each test runs in a savepoint)."""
    with django_db_blocker.unblock():
        return build(_shared_world)


@pytest.fixture
def data(_data, xw):
    return _data


def build(xw):
    """This year: three matters in 东城 (two petitions by visit, one dispute by phone, one of them
    repeat), one in 西城; a year ago: one petition in 东城. Active warnings: two in 东城, one in 西城."""
    today = timezone.localdate()
    cases = {
        "a": make_case(xw, channel="visit"),
        "b": make_case(xw, channel="visit"),
        "c": make_case(xw, channel="phone", kind="dispute", nature=None),
        "d": make_case(xw, actor=xw.clerk_t02, channel="visit", region=V02),
    }
    with frozen(today - dt.timedelta(days=366)):
        cases["old"] = make_case(xw, channel="visit", occurred_on=f"{today.year - 1}-01-01")
    Case.objects.filter(pk=cases["b"].pk).update(is_repeat=True)  # the rollups are rebuilt below
    for i, (region, level, kind) in enumerate(((xw.v01, "red", "repeat"), (xw.t01, "orange", "overdue"),
                                               (xw.v02, "red", "repeat"))):
        unit = xw.units["t01_subcentre"] if region.path.startswith(xw.t01.path) else xw.units["t02_subcentre"]
        EarlyWarning.objects.create(key=f"test-{i}", kind=kind, level=level, title=f"预警{i}", region=region,
                                    region_path=region.path, owner_unit=unit)
    services.rebuild()
    return cases


@pytest.fixture
def t01_leader(xw):
    return xw.user("t01_subcentre", "leader")


def active_warnings(path: str = "") -> int:
    return EarlyWarning.objects.filter(status__in=ACTIVE_WARNING, region_path__startswith=path).count()


def page(client, user, name="stats:overview", **params):
    """GET the page; an export states its reason unless the test passes reason=None."""
    client.force_login(user)
    if params.get("export") and "reason" not in params:
        params["reason"] = "核对统计数"
    return client.get(reverse(name), {k: v for k, v in params.items() if v is not None})


def text_of(html: str, tid: str) -> str:
    m = re.search(rf'data-testid="{re.escape(tid)}"[^>]*>(.*?)</(?:td|div)>', html, re.S)
    assert m, f"{tid} not on the page"
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


def links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


def xlsx(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


class TestOverview:
    def test_leader_sees_the_district_with_last_year_and_the_links(self, client, xw, data):
        r = page(client, xw.leader)
        assert r.status_code == 200
        html = r.content.decode()
        assert text_of(html, "card-total-value") == "4"
        assert text_of(html, "card-petitions-value") == "3"
        assert text_of(html, "card-repeat-value") == "1"
        assert "三下降" in html
        delta = text_of(html, "card-petitions-delta")  # 3 now against 1 a year earlier: up, in red
        assert "↑" in delta and "+2" in delta
        assert 'id="stats-charts" type="application/json"' in html
        assert "<script>" not in html  # no inline script: data through json_script only
        for key in ("trend", "channel", "category", "level", "resolution", "mediation", "confirmations", "backlog",
                    "warnings"):
            assert f'data-chart="{key}"' in html and f'data-testid="export-{key}"' in html, key
        assert text_of(html, "warnings-total") == str(active_warnings())

    def test_a_figure_links_to_the_cases_behind_it(self, client, xw, data):
        html = page(client, xw.leader).content.decode()
        href = next(h for h in links(html) if h.startswith(reverse("cases:list")) and "flag=repeat" in h)
        q = {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}
        today = timezone.localdate()
        assert q["received_from"] == f"{today:%Y}-01-01" and q["received_to"] == f"{today:%Y-%m-%d}"
        shown = client.get(href)
        assert shown.status_code == 200
        assert data["b"].number in shown.content.decode() and data["a"].number not in shown.content.decode()
        petitions = next(h for h in links(html) if "kind=petition" in h)
        q = {k: v[0] for k, v in parse_qs(urlparse(petitions).query).items()}
        assert case_list(user=xw.leader, filters={"kind": "petition", "received_from": dt.date.fromisoformat(q["received_from"]),
                                                  "received_to": dt.date.fromisoformat(q["received_to"])}).count() == 3

    def test_township_leader_sees_only_its_own_figures(self, client, xw, data, t01_leader):
        r = page(client, t01_leader)
        assert r.status_code == 200
        html = r.content.decode()
        assert text_of(html, "card-total-value") == "3"  # not 西城's matter
        assert text_of(html, "warnings-total") == str(active_warnings(xw.t01.path))
        assert f'value="{xw.t02.code}"' not in html  # 西城 is not offered
        assert page(client, t01_leader, region=xw.t02.code).status_code == 404
        assert page(client, t01_leader, region=xw.district.code).status_code == 404
        assert page(client, t01_leader, region=xw.v01.code).status_code == 200

    def test_leader_narrows_to_a_township(self, client, xw, data):
        html = page(client, xw.leader, region=xw.t02.code).content.decode()
        assert text_of(html, "card-total-value") == "1"
        assert f"region={xw.t02.code}" in html

    def test_the_period_is_months_and_bad_input_is_explained(self, client, xw, data):
        today = timezone.localdate()
        last_year = today.year - 1
        html = page(client, xw.leader, **{"from": f"{last_year}-01", "to": f"{last_year}-12"}).content.decode()
        assert text_of(html, "card-total-value") == "1"
        for bad in ({"from": "2026-13"}, {"to": "abc"}, {"from": "1999-01"}, {"from": "2026-05", "to": "2026-01"},
                    {"from": "2001-01", "to": "2026-12"}):
            r = page(client, xw.leader, **bad)
            assert r.status_code == 200, bad
            assert 'data-testid="period-error"' in r.content.decode(), bad
            assert text_of(r.content.decode(), "card-total-value") == "4"  # the default period instead
        assert page(client, xw.leader, region="abc").status_code == 404
        assert page(client, xw.leader, region="999999999").status_code == 404
        assert page(client, xw.leader, export="xlsx", table="nope").status_code == 404

    def test_without_stats_view_403(self, client, xw, data):
        for name in ("stats:overview", "stats:townships", "stats:mediators"):
            assert page(client, xw.clerk_t01, name).status_code == 403
            assert page(client, xw.clerk_t01, name, export="xlsx", table="summary").status_code == 403
        client.logout()
        assert client.get(reverse("stats:overview")).status_code == 302

    def test_excel_exports_equal_the_counts_and_are_audited(self, client, xw, data):
        rows = xlsx(page(client, xw.leader, export="xlsx", table="channel"))
        assert rows[0] == ["来源渠道", "事项数", "占比（%）"]
        assert {r[0]: r[1] for r in rows[1:]} == {"来访": 3, "来电": 1}
        summary = {r[0]: r for r in xlsx(page(client, xw.leader, export="xlsx", table="summary"))[1:]}
        assert summary["事项总数"][1:4] == [4, 1, 3]
        assert summary["信访事项"][1:3] == [3, 1]
        warnings = {r[0]: r for r in xlsx(page(client, xw.leader, export="xlsx", table="warnings"))[1:]}
        repeat = EarlyWarning.objects.filter(status__in=ACTIVE_WARNING, kind="repeat")
        assert warnings["重复信访"][1:] == [repeat.filter(level=lv).count() for lv in ("red", "orange", "yellow")] + [repeat.count()]
        assert warnings["合计"][-1] == active_warnings()
        trend = xlsx(page(client, xw.leader, export="xlsx", table="trend"))
        assert sum(r[1] for r in trend[1:]) == 3 and sum(r[2] for r in trend[1:]) == 1
        events = AuditEvent.objects.filter(action="export.xlsx", actor_id=xw.leader.pk)
        assert events.count() == 4
        assert any("领导驾驶舱·按来源渠道" in str(e.extra) for e in events)
        assert {e.extra["reason"] for e in events} == {"核对统计数"}

    def test_an_export_without_a_reason_is_refused_and_not_audited(self, client, xw, data):
        r = page(client, xw.leader, export="xlsx", table="channel", reason=None)
        assert r.status_code == 302 and "export" not in r["Location"]  # back to the dashboard, with the message
        assert "导出事由" in client.get(r["Location"]).content.decode()
        assert page(client, xw.leader, export="xlsx", table="channel", reason="  ").status_code == 302
        assert not AuditEvent.objects.filter(action="export.xlsx", actor_id=xw.leader.pk).exists()

    def test_query_count_is_bounded(self, client, xw, data, django_assert_max_num_queries, t01_leader):
        client.force_login(xw.leader)
        client.get(reverse("stats:overview"))  # warm the session
        with django_assert_max_num_queries(30):
            assert client.get(reverse("stats:overview")).status_code == 200
        client.force_login(t01_leader)
        with django_assert_max_num_queries(30):
            assert client.get(reverse("stats:overview")).status_code == 200
        # A village is below the rollups: stats.selectors counts it directly, one grouped query per
        # source for each series, the same for a year as for a month.
        with django_assert_max_num_queries(70):
            assert client.get(reverse("stats:overview"), {"region": xw.v01.code, "from": "2026-01", "to": "2026-12"}).status_code == 200


class TestTownships:
    def test_one_row_per_township_sortable_with_links(self, client, xw, data):
        html = page(client, xw.leader, "stats:townships").content.decode()
        assert text_of(html, f"total-{xw.t01.code}") == "3"
        assert text_of(html, f"total-{xw.t02.code}") == "1"
        assert f"region={xw.t01.code}" in html and reverse("stats:overview") in html
        asc = page(client, xw.leader, "stats:townships", sort="total", dir="asc").content.decode()
        assert asc.index(f"township-{xw.t02.code}") < asc.index(f"township-{xw.t01.code}")
        desc = page(client, xw.leader, "stats:townships", sort="total", dir="desc").content.decode()
        assert desc.index(f"township-{xw.t01.code}") < desc.index(f"township-{xw.t02.code}")
        assert page(client, xw.leader, "stats:townships", sort="bogus").status_code == 200

    def test_township_leader_sees_its_own_row_only(self, client, xw, data, t01_leader):
        html = page(client, t01_leader, "stats:townships").content.decode()
        assert f"township-{xw.t01.code}" in html and f"township-{xw.t02.code}" not in html
        assert page(client, t01_leader, "stats:townships", region=xw.t02.code).status_code == 404

    def test_excel(self, client, xw, data):
        rows = xlsx(page(client, xw.leader, "stats:townships", export="xlsx", table="townships"))
        assert rows[0][:3] == ["乡镇（街道）", "事项总数", "信访事项"]
        by_name = {r[0]: r for r in rows[1:]}
        assert by_name[xw.t01.name][1:3] == [3, 2] and by_name[xw.t02.name][1] == 1
        sorted_rows = xlsx(page(client, xw.leader, "stats:townships", export="xlsx", table="townships", sort="total",
                                dir="asc"))
        assert sorted_rows[0][1] == "事项总数"  # the sort arrow is for the screen only
        assert [r[0] for r in sorted_rows[1:]] == [xw.t02.name, xw.t01.name]

    def test_query_count_is_bounded(self, client, xw, data, django_assert_max_num_queries):
        client.force_login(xw.leader)
        client.get(reverse("stats:townships"))
        with django_assert_max_num_queries(15):
            assert client.get(reverse("stats:townships")).status_code == 200


class TestMediators:
    def test_district_leader_sees_every_mediator(self, client, xw, data):
        html = page(client, xw.leader, "stats:mediators").content.decode()
        for key in ("wang_t01", "shan_t01", "li_t02", "zhao_v01", "qian_district"):
            assert f'data-testid="mediator-{xw.mediators[key].pk}"' in html, key

    def test_committee_head_sees_the_committee_and_search_by_initials(self, client, xw, data):
        html = page(client, xw.head_t01, "stats:mediators").content.decode()
        shown = {k for k in ("wang_t01", "shan_t01", "li_t02", "zhao_v01", "qian_district")
                 if f'data-testid="mediator-{xw.mediators[k].pk}"' in html}
        assert shown == {"wang_t01", "shan_t01"}
        html = page(client, xw.head_t01, "stats:mediators", q="wxm").content.decode()
        assert f'mediator-{xw.mediators["wang_t01"].pk}"' in html and f'mediator-{xw.mediators["shan_t01"].pk}"' not in html
        assert '<input type="hidden" name="q" value="wxm">' in html  # the export keeps the search

    def test_excel_and_queries(self, client, xw, data, django_assert_max_num_queries):
        rows = xlsx(page(client, xw.leader, "stats:mediators", export="xlsx", table="mediators"))
        assert rows[0][:3] == ["调解员", "所属调委会", "主持调解"]
        assert {r[0] for r in rows[1:]} >= {"王小明", "李建国"}
        client.force_login(xw.leader)
        client.get(reverse("stats:mediators"))
        with django_assert_max_num_queries(12):
            assert client.get(reverse("stats:mediators")).status_code == 200


def test_control_characters_and_bad_pages_are_not_errors(client, xw):
    client.force_login(xw.leader)
    assert client.get(reverse("stats:mediators"), {"q": "王\x00", "page": "abc"}).status_code == 200
    assert client.get(reverse("stats:mediators"), {"page": "99999999999"}).status_code == 200
    assert client.get(reverse("stats:reports"), {"region": "33\x001"}).status_code == 404
    assert client.get(reverse("stats:overview"), {"region": "\x00"}).status_code in (200, 404)


def href_of(html: str, tid: str) -> str:
    m = re.search(rf'data-testid="{re.escape(tid)}"[^>]*><a href="([^"]+)"', html)
    assert m, f"{tid} is not a link"
    return m.group(1).replace("&amp;", "&")


def params(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}


def listed_count(client, href: str) -> int:
    r = client.get(href)
    assert r.status_code == 200
    m = re.search(r'data-testid="list-count">共 (\d+) 条', r.content.decode())
    assert m
    return int(m.group(1))


class TestStatisticsLinks:
    """Mediation, the village share, confirmations, backlog and the rates' numerators link to the
    case list with the figure's own day and filters; following a link lists the figure's cases."""

    @pytest.fixture
    def gen(self, xw, data):
        from fangtiao.mediation.models import Mediation
        from fangtiao.stats.tests.gen import generate

        ids = generate(xw, n=200)
        services.rebuild()
        return ids, Mediation

    def test_the_links_carry_the_figures_filters_and_list_its_cases(self, client, xw, gen):
        from fangtiao.stats import reference

        ids, Mediation = gen
        html = page(client, xw.leader, **{"from": "2025-01", "to": "2025-12"}).content.decode()
        year = {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)}
        figures = reference.counts(xw.district.path, year["start"], year["end"])[""]

        q = params(href_of(html, "summary-mediated"))
        assert q == {"mediated_from": "2025-01-01", "mediated_to": "2025-12-31"}
        rounds = Mediation.objects.filter(status__in=["agreed", "failed"], ended_on__year=2025)
        assert int(text_of(html, "summary-mediated")) == figures["mediated"] == rounds.count()
        # a case with two rounds ended in the period is one case on the list
        assert listed_count(client, href_of(html, "summary-mediated")) == rounds.values("case_id").distinct().count()

        share = params(href_of(html, "summary-village_level_share"))
        assert share == {"mediated_from": "2025-01-01", "mediated_to": "2025-12-31", "mediation_outcome": "agreed",
                         "mediation_level": "village"}
        assert params(href_of(html, "summary-mediation_success_rate"))["mediation_outcome"] == "agreed"
        village = rounds.filter(status="agreed", unit__level="village")
        assert listed_count(client, href_of(html, "summary-village_level_share")) == village.values("case_id").distinct().count()
        assert params(href_of(html, "resolution-agreed-village")) == share  # the whole months of the breakdown

        assert params(href_of(html, "summary-confirmations")) == {"confirmed_from": "2025-01-01", "confirmed_to": "2025-12-31"}
        resolved = href_of(html, "summary-backlog_resolved")
        assert params(resolved) == {"backlog_resolved_from": "2025-01-01", "backlog_resolved_to": "2025-12-31"}
        # one backlog record per generated case: as many cases as the figure
        assert listed_count(client, resolved) == int(text_of(html, "summary-backlog_resolved")) == figures["backlog_resolved"] > 0

        marked = href_of(html, "backlog_marked-2025-03")
        assert params(marked) == {"backlog_marked_from": "2025-03-01", "backlog_marked_to": "2025-03-31"}
        assert listed_count(client, marked) == int(text_of(html, "backlog_marked-2025-03"))
        assert params(href_of(html, "mediated-2025-03")) == {"mediated_from": "2025-03-01", "mediated_to": "2025-03-31"}
        assert params(href_of(html, "mediation_agreed-2025-03"))["mediation_outcome"] == "agreed"
        assert params(href_of(html, "confirmations-2025-03")) == {"confirmed_from": "2025-03-01", "confirmed_to": "2025-03-31"}

        # a rate links to its numerator: received in the period and the class of the latest clock
        for code, key, value, measure in (("accepted_on_time_rate", "acceptance", "on_time", "acc_timely"),
                                          ("closed_on_time_rate", "handling", "on_time", "rep_on_time"),
                                          ("participation_rate", "evaluation", "rated", "rated"),
                                          ("satisfaction_rate", "evaluation", "satisfied", "rated_satisfied")):
            href = href_of(html, f"summary-{code}")
            assert params(href) == {"received_from": "2025-01-01", "received_to": "2025-12-31", key: value}
            assert listed_count(client, href) == figures[measure], code

    def test_a_townships_counts_link_to_its_cases(self, client, xw, gen):
        html = page(client, xw.leader, "stats:townships", **{"from": "2025-01", "to": "2025-12"}).content.decode()
        href = href_of(html, f"mediated-{xw.t01.code}")
        assert params(href) == {"mediated_from": "2025-01-01", "mediated_to": "2025-12-31", "region": xw.t01.code}
        assert params(href_of(html, f"backlog_resolved-{xw.t01.code}"))["backlog_resolved_to"] == "2025-12-31"
        assert listed_count(client, href_of(html, f"backlog_resolved-{xw.t01.code}")) == int(
            text_of(html, f"backlog_resolved-{xw.t01.code}"))
