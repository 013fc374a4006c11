"""The record form and a consultation's page: record → detail (masked phone), answer, 转为事项 →
the case; bad input shows Chinese errors and changes nothing; 403 without the capability, 404
outside the jurisdiction, 409 on a stale version."""

from __future__ import annotations

from fangtiao.audit.models import AuditEvent
from fangtiao.legalservice.models import Consultation
from fangtiao.legalservice.tests.test_consultations import clerk, record


def form_body(xw, **kw):
    body = {"channel": "visit", "asker_name": "张三", "asker_phone": "13912340000", "region": xw.v01.code,
            "category": "", "topic": "土地承包纠纷咨询", "question": "承包地被占用怎么办？",
            "answer": "可申请调解或仲裁。", "lawyer": str(xw.w.experts["lawyer"].pk), "duration_minutes": "20"}
    body.update(kw)
    return body


def test_record_then_detail_masked(xw, client):
    client.force_login(clerk(xw))
    page = client.get("/legal/consultations/new/").content.decode()
    assert "咨询人所在地" in page and xw.v01.name in page and "孙律师" in page
    r = client.post("/legal/consultations/new/", form_body(xw))
    c = Consultation.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/legal/consultations/{c.pk}/"
    assert c.status == "answered" and c.duration_minutes == 20 and c.recorded_by == clerk(xw)
    page = client.get(r["Location"]).content.decode()
    assert c.number in page and "13912340000" not in page and c.phone_masked in page
    assert "答复意见" in page and 'data-testid="answer-form"' not in page and 'data-testid="case-form"' in page
    assert "新增" in client.get("/legal/consultations/").content.decode()


def test_bad_input_chinese_errors_nothing_changed(xw, client):
    client.force_login(clerk(xw))
    before = AuditEvent.objects.count()
    for bad, message in [({"asker_name": ""}, "请填写咨询人姓名"), ({"asker_phone": "12345"}, "电话"),
                         ({"region": "331003002201"}, "请从列表中选择咨询人所在地"), ({"duration_minutes": "0"}, "1到600分钟"),
                         ({"channel": "fax"}, "咨询方式"), ({"lawyer": "abc"}, "值班律师")]:
        r = client.post("/legal/consultations/new/", form_body(xw, **bad))
        assert r.status_code in (400, 422), bad
        assert message in r.content.decode(), bad
    assert Consultation.objects.count() == 0 and AuditEvent.objects.count() == before


def test_answer_pending_and_stale_version(xw, client):
    c = record(xw, answer="")
    client.force_login(clerk(xw))
    assert 'data-testid="answer-form"' in client.get(f"/legal/consultations/{c.pk}/").content.decode()
    r = client.post(f"/legal/consultations/{c.pk}/answer/", {"answer": "", "version": c.version})
    assert r.status_code == 422 and "请填写答复意见" in r.content.decode()
    r = client.post(f"/legal/consultations/{c.pk}/answer/", {"answer": "答复", "version": c.version + 5})
    assert r.status_code == 409 and "刷新" in r.content.decode()
    c.refresh_from_db()
    assert c.status == "pending"
    r = client.post(f"/legal/consultations/{c.pk}/answer/", {"answer": "可以申请仲裁。", "version": c.version})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.status == "answered" and c.answer == "可以申请仲裁。"
    assert "已答复" in client.get(r["Location"]).content.decode()


def test_to_case_links_the_case(xw, client):
    c = record(xw, channel="phone")
    client.force_login(clerk(xw))
    r = client.post(f"/legal/consultations/{c.pk}/case/", {"kind": "petition", "version": c.version})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.status == "referred" and c.case_id
    page = client.get(r["Location"]).content.decode()
    assert f'href="/cases/{c.case_id}/"' in page and c.case.number in page and 'data-testid="case-form"' not in page
    assert client.get(f"/cases/{c.case_id}/").status_code == 200
    r = client.post(f"/legal/consultations/{c.pk}/case/", {"kind": "petition", "version": c.version})
    assert r.status_code == 409 and "已转为事项" in r.content.decode()


def test_permission_and_jurisdiction(xw, client):
    c = record(xw)
    client.force_login(xw.user("t01_subcentre", "auditor"))
    assert client.get("/legal/consultations/new/").status_code == 403
    assert client.post("/legal/consultations/new/", form_body(xw)).status_code == 403
    assert client.get(f"/legal/consultations/{c.pk}/").status_code == 403
    client.force_login(xw.user("t02_subcentre", "clerk"))
    assert client.get(f"/legal/consultations/{c.pk}/").status_code == 404
    assert client.post(f"/legal/consultations/{c.pk}/case/", {"kind": "petition", "version": 1}).status_code == 404
    c.refresh_from_db()
    assert c.case_id is None
