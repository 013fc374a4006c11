"""Lawyers' participation pages: the list (filters, jurisdiction, Excel export), the counts per lawyer,
the record form (capability 403, a case outside the jurisdiction 404, Chinese errors that change
nothing) and the link from the consultation list."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from openpyxl import load_workbook

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import make_case
from fangtiao.legalservice import services
from fangtiao.legalservice.models import LawyerParticipation
from fangtiao.org import services as org_services

TODAY = timezone.localdate()


def clerk(xw):
    return xw.user("t01_subcentre", "clerk")


def lawyer(xw):
    return xw.w.experts["lawyer"]


def second_lawyer(xw):
    return org_services.expert_create(actor=None, name="周律师", kind="lawyer", fields=["民事"], unit=xw.units["centre"],
                                      organisation="某某二所", specialties=[], phone="13700000001")


def record(xw, case, who=None, kind="mediation", role="explain", days_ago=0, actor=None):
    return services.participation_record(actor=actor or clerk(xw), case_id=case.pk, lawyer=(who or lawyer(xw)).pk,
                                         kind=kind, role=role, held_on=TODAY - dt.timedelta(days=days_ago),
                                         note="释明法律规定")


def table(response):
    """The counts table of the page (the lawyer filter above it lists every lawyer)."""
    return response.content.decode().split('data-testid="counts-table"', 1)[1]


def body(case_number, lawyer_id, **kw):
    data = {"case_number": case_number, "lawyer": str(lawyer_id), "kind": "petition_meeting", "role": "agent",
            "held_on": TODAY.isoformat(), "note": "代理信访人参加接谈"}
    data.update(kw)
    return data


def test_record_by_case_number_and_from_the_case(xw, client):
    case = make_case(xw)
    client.force_login(clerk(xw))
    page = client.get("/legal/participations/new/")
    assert page.status_code == 200 and "孙律师" in page.content.decode()
    r = client.post("/legal/participations/new/", body(case.number, lawyer(xw).pk))
    assert r.status_code == 302 and r["Location"].startswith("/legal/participations/?case=")
    p = LawyerParticipation.objects.get(case=case)
    assert (p.kind, p.role, p.held_on, p.region_path) == ("petition_meeting", "agent", TODAY, case.region_path)
    assert AuditEvent.objects.filter(action="lawyer.participated").count() == 1
    page = client.get(f"/legal/cases/{case.pk}/participations/new/")
    assert page.status_code == 200 and case.number in page.content.decode()
    r = client.post(f"/legal/cases/{case.pk}/participations/new/", body("", lawyer(xw).pk, kind="mediation",
                                                                        held_on="2026年1月5日"))
    assert r.status_code == 302
    assert LawyerParticipation.objects.filter(case=case, kind="mediation", held_on=dt.date(2026, 1, 5)).exists()


def test_permission_and_jurisdiction(xw, client):
    case = make_case(xw)
    client.force_login(xw.user("t01_subcentre", "auditor"))  # neither lawyer.participation nor consultation.view
    assert client.get("/legal/participations/new/").status_code == 403
    assert client.post(f"/legal/cases/{case.pk}/participations/new/", body("", lawyer(xw).pk)).status_code == 403
    assert client.get("/legal/participations/").status_code == 403
    assert client.get("/legal/participations/lawyers/").status_code == 403
    client.force_login(xw.user("t01_subcentre", "leader"))  # may view, may not record
    assert client.get("/legal/participations/").status_code == 200
    assert client.get("/legal/participations/new/").status_code == 403
    west = xw.user("t02_subcentre", "clerk")
    client.force_login(west)
    assert client.get(f"/legal/cases/{case.pk}/participations/new/").status_code == 404
    assert client.post(f"/legal/cases/{case.pk}/participations/new/", body("", lawyer(xw).pk)).status_code == 404
    assert client.get("/legal/cases/999999/participations/new/").status_code == 404
    r = client.post("/legal/participations/new/", body(case.number, lawyer(xw).pk))  # typed: not theirs
    assert r.status_code == 422 and "事项不存在或不在您的管辖范围内" in r.content.decode()
    assert not LawyerParticipation.objects.exists()
    record(xw, case)
    page = client.get("/legal/participations/").content.decode()  # 西城 does not see 东城's
    assert case.number not in page and "共 0 条" in page


def test_bad_input_is_chinese_and_changes_nothing(xw, client):
    case = make_case(xw)
    client.force_login(clerk(xw))
    before = AuditEvent.objects.count()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()  # now, not at import (midnight)
    cases = [
        (body(case.number, lawyer(xw).pk, held_on=tomorrow), "日期不能晚于今天"),
        (body(case.number, lawyer(xw).pk, held_on="明天"), "日期格式不正确"),
        (body(case.number, lawyer(xw).pk, kind="lunch"), "请从列表中选择参与类型"),
        (body(case.number, "", role="explain"), "请选择律师"),
        (body(case.number, 999999), "请从列表中选择律师"),
        (body("", lawyer(xw).pk), "请填写事项编号"),
        (body(case.number, lawyer(xw).pk, note="长" * 4001), "情况不能超过4000个字"),
    ]
    for data, message in cases:
        r = client.post("/legal/participations/new/", data)
        assert r.status_code == 422, message
        assert message in r.content.decode(), message
    assert not LawyerParticipation.objects.exists()
    assert AuditEvent.objects.count() == before


def test_list_filters_counts_and_export(xw, client):
    case, other = make_case(xw), make_case(xw)
    zhou = second_lawyer(xw)
    record(xw, case)
    record(xw, case, kind="petition_meeting", role="agent", days_ago=3)
    record(xw, other, who=zhou, days_ago=10)
    client.force_login(clerk(xw))
    page = client.get("/legal/participations/").content.decode()
    assert "共 3 条" in page and "按律师统计" in page
    assert "共 1 条" in client.get("/legal/participations/", {"lawyer": zhou.pk}).content.decode()
    assert "共 1 条" in client.get("/legal/participations/", {"kind": "petition_meeting"}).content.decode()
    since = (TODAY - dt.timedelta(days=5)).isoformat()
    assert "共 2 条" in client.get("/legal/participations/", {"date_from": since}).content.decode()
    assert "共 1 条" in client.get("/legal/participations/", {"case": other.number}).content.decode()
    bad = client.get("/legal/participations/", {"date_from": "2026-06-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()
    assert client.get("/legal/participations/", {"kind": "lunch"}).status_code == 200
    r = client.get("/legal/participations/", {"export": "xlsx", "reason": "核对", "lawyer": lawyer(xw).pk})
    assert r.status_code == 200 and "spreadsheet" in r["Content-Type"]
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("日期", "律师", "律师事务所", "参与类型", "作用")
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {"孙律师"} and {r[5] for r in rows[1:]} == {case.number}
    counts = table(client.get("/legal/participations/lawyers/"))
    assert "孙律师" in counts and "周律师" in counts and counts.index("孙律师") < counts.index("周律师")
    r = client.get("/legal/participations/lawyers/", {"export": "xlsx", "reason": "核对"})
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("律师", "律师事务所", "参与调解", "参与信访接谈", "合计", "涉及事项")
    assert rows[1] == ("孙律师", "某某律师事务所", 1, 1, 2, 1) and rows[2] == ("周律师", "某某二所", 1, 0, 1, 1)
    assert AuditEvent.objects.filter(action="export.xlsx").count() >= 2


def test_counts_respect_jurisdiction_and_expert_cannot_export(xw, client):
    record(xw, make_case(xw))
    client.force_login(xw.user("t02_subcentre", "officer"))
    assert "孙律师" not in table(client.get("/legal/participations/lawyers/"))
    client.force_login(xw.w.users["expert_user"])  # consultation.view, no export.xlsx
    assert client.get("/legal/participations/lawyers/").status_code == 200
    assert client.get("/legal/participations/lawyers/", {"export": "xlsx", "reason": "核对"}).status_code == 403


def test_consultation_list_links_to_participations(xw, client):
    client.force_login(clerk(xw))
    page = client.get("/legal/consultations/").content.decode()
    assert 'data-testid="participations-link"' in page and "/legal/participations/" in page


def test_an_accusation_the_user_may_not_open_is_not_listed(xw, client):
    """检举控告 (legal-rules item 8): the place is not enough — a mediator of the township who may not
    open the accusation must not read its title on the lawyers' list or count it."""
    secret = make_case(xw, nature="accusation", accused_unit=xw.unit("line_dept").pk, title="举报某某村书记侵占补偿款")
    record(xw, secret, actor=xw.user("t01_subcentre", "officer"))
    client.force_login(xw.user("t01_committee", "mediator"))
    page = client.get("/legal/participations/")
    assert page.status_code == 200 and "举报某某村书记侵占补偿款" not in page.content.decode()
    assert "孙律师" not in table(client.get("/legal/participations/lawyers/"))
    client.force_login(xw.user("t01_subcentre", "officer"))
    assert "举报某某村书记侵占补偿款" in client.get("/legal/participations/").content.decode()
