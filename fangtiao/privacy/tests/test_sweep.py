"""The retention schedule and the sweep: what is due is anonymised (names masked, ID numbers,
phones and addresses cleared with their blind indexes, free text scrubbed), once, audited per
object; what is not due or under a legal hold is untouched; the schedule is an audited setting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case, Party, ReviewRequest
from fangtiao.cases.tests.factories import make_case, mobile, person
from fangtiao.core.errors import Conflict, PermissionDenied, ValidationFailed
from fangtiao.privacy import services
from fangtiao.privacy.anonymise import anonymous_name, scrub
from fangtiao.privacy.models import Anonymisation, LegalHold, RetentionRule
from fangtiao.privacy.register import seed

pytestmark = pytest.mark.django_db


def _closed(xw: Any, *, years_ago: float, kind: str = "dispute", **parties: Any) -> tuple[Case, dict[str, Any]]:
    p = person(name="欧阳小明", **parties)
    case = make_case(xw, parties=[p], kind=kind, nature=None if kind == "dispute" else "claim",
                     description=f"申请人欧阳小明（身份证{p['id_number']}，电话{p['phone']}）称邻居占道。")
    closed = timezone.localdate() - dt.timedelta(days=int(365.25 * years_ago))
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=closed)
    return Case.objects.get(pk=case.pk), p


def test_names_and_patterns() -> None:
    assert anonymous_name("王小明") == "王某某"
    assert anonymous_name("欧阳娜娜") == "欧阳某某"
    assert anonymous_name("王") == "王某"
    assert anonymous_name("王某某") == "王某某"
    assert anonymous_name("") == ""
    text = "身份证33100319800101123X，手机138 1234 5678，座机0576-84123456，金额12000元，编号2026001，张三来访"
    out = scrub(text, {"张三": "张某"})
    assert "33100319800101123X" not in out and "138 1234 5678" not in out and "84123456" not in out
    assert "12000元" in out and "2026001" in out and "张某来访" in out


def test_due_case_is_anonymised_once_and_audited(xw: Any) -> None:
    seed()
    case, p = _closed(xw, years_ago=11)
    party = Party.objects.get(case=case)
    assert party.id_index and party.phone_index
    result = services.retention_sweep()
    assert result.done["case.dispute"] == 1
    party.refresh_from_db()
    assert party.name == "欧阳某某"
    assert (party.id_number, party.id_index, party.phone, party.phone_index, party.name_phone_index, party.address) == (
        "", "", "", "", "", "")
    case.refresh_from_db()
    assert p["id_number"] not in case.description and p["phone"] not in case.description
    assert "欧阳小明" not in case.description and "欧阳某某" in case.description
    assert not Party.objects.filter(id_index__in=[p["id_number"]]).exists()
    a = Anonymisation.objects.get(subject_type="cases.case", subject_id=str(case.pk))
    assert a.action == "anonymise" and "cases.Party.id_number" in a.fields
    events = AuditEvent.objects.filter(action="privacy.anonymised", subject_id=str(case.pk))
    assert events.count() == 1
    assert p["id_number"] not in str(events[0].extra)
    # Idempotent: a second run finds nothing and writes nothing.
    again = services.retention_sweep()
    assert again.done["case.dispute"] == 0 and again.due["case.dispute"] == 0
    assert AuditEvent.objects.filter(action="privacy.anonymised", subject_id=str(case.pk)).count() == 1


def test_not_due_held_and_open_cases_are_untouched(xw: Any, django_assert_max_num_queries: Any) -> None:
    seed()
    young, _ = _closed(xw, years_ago=9)
    litigating, _ = _closed(xw, years_ago=11)
    Case.objects.filter(pk=litigating.pk).update(litigation_pending=True)
    held, _ = _closed(xw, years_ago=11)
    LegalHold.objects.create(case=held, region_path=held.region_path, reason="诉讼中")
    reviewing, _ = _closed(xw, years_ago=11)
    ReviewRequest.objects.create(case=reviewing, stage="review", organ=xw.units["centre"],
                                 requested_on=timezone.localdate())
    still_open, _ = _closed(xw, years_ago=11)
    Case.objects.filter(pk=still_open.pk).update(status="mediating")
    petition, _ = _closed(xw, years_ago=11, kind="petition")
    before = {c.pk: Party.objects.get(case=c).id_index for c in (young, litigating, held, reviewing, still_open)}
    dry = services.retention_sweep(dry_run=True)
    assert dry.due["case.dispute"] == 0 and dry.due["case.petition"] == 1 and dry.held["case.dispute"] == 4
    assert Party.objects.get(case=petition).id_index  # dry run changed nothing
    with django_assert_max_num_queries(200):
        result = services.retention_sweep()
    assert result.done == {"case.dispute": 0, "case.petition": 1, "consultation": 0, "rights_request": 0}
    for pk, index in before.items():
        assert Party.objects.get(case_id=pk).id_index == index
    assert Party.objects.get(case=petition).id_index == ""
    # Released hold: due at the next run.
    LegalHold.objects.filter(case=held).update(released_at=timezone.now())
    assert services.retention_sweep().done["case.dispute"] == 1


def test_batched_with_limit(xw: Any) -> None:
    seed()
    cases = [_closed(xw, years_ago=12)[0] for _ in range(3)]
    assert services.retention_sweep(batch=1, limit=2).done["case.dispute"] == 2
    assert services.retention_sweep(batch=1).done["case.dispute"] == 1
    assert Anonymisation.objects.filter(subject_id__in=[str(c.pk) for c in cases]).count() == 3


def test_consultation_anonymised(xw: Any) -> None:
    from fangtiao.legalservice import services as ls
    from fangtiao.legalservice.models import Consultation

    seed()
    phone = mobile()
    c = ls.consultation_record(actor=xw.users["clerk_t01"], channel="visit", asker_name="周秀兰", asker_phone=phone,
                               region="331003001201", category=None, topic="物业费",
                               question=f"我的电话{phone}，物业多收费怎么办？", answer="", lawyer=None,
                               duration_minutes=None)
    Consultation.objects.filter(pk=c.pk).update(received_at=timezone.now() - dt.timedelta(days=365 * 4))
    assert services.retention_sweep().done["consultation"] == 1
    c.refresh_from_db()
    assert (c.asker_name, c.asker_phone, c.phone_index) == ("周某某", "", "")
    assert phone not in c.question


def test_rule_change_is_audited_and_checked(xw: Any) -> None:
    seed()
    rule = RetentionRule.objects.get(record_type="case.petition")
    security = xw.user("centre", "security")
    officer = xw.user("centre", "officer")
    args = {"rule_id": rule.pk, "version": rule.version, "years": 30, "action": "anonymise", "from_date": "closed",
            "legal_source": "本地档案规定", "verified": True, "active": True}
    with pytest.raises(PermissionDenied):
        services.rule_update(actor=officer, **args)
    with pytest.raises(ValidationFailed) as bad:
        services.rule_update(actor=security, **{**args, "years": 0, "legal_source": " "})
    assert {e.field for e in bad.value.errors} == {"years", "legal_source"}
    with pytest.raises(ValidationFailed) as delete:
        services.rule_update(actor=security, **{**args, "action": "delete"})
    assert delete.value.errors[0].field == "action"
    rule.refresh_from_db()
    assert rule.years == 10 and rule.version == 1
    services.rule_update(actor=security, **args)
    with pytest.raises(Conflict):
        services.rule_update(actor=security, **args)  # stale version
    rule.refresh_from_db()
    assert (rule.years, rule.version, rule.verified) == (30, 2, True)
    ev = AuditEvent.objects.get(action="privacy.rule_changed")
    assert ev.changes["years"] == [10, 30] and ev.actor_id == security.pk


def test_retention_page_and_permissions(xw: Any, login: Any) -> None:
    seed()
    security = xw.user("centre", "security")
    rule = RetentionRule.objects.get(record_type="case.petition")
    page = login(security).get("/privacy/")
    assert page.status_code == 200 and "信访事项" in page.content.decode()
    assert login(xw.user("t01_subcentre", "clerk")).get("/privacy/").status_code == 403
    assert login(xw.user("centre", "officer")).post(f"/privacy/rules/{rule.pk}/edit/", {}).status_code == 403
    c = login(security)
    bad = c.post(f"/privacy/rules/{rule.pk}/edit/", {"years": "abc", "from_date": "closed", "action": "anonymise",
                                                     "legal_source": "x", "version": rule.version})
    assert bad.status_code == 422 and "请填写整数年数" in bad.content.decode()
    ok = c.post(f"/privacy/rules/{rule.pk}/edit/", {"years": "12", "from_date": "closed", "action": "anonymise",
                                                    "legal_source": "x", "active": "on", "version": rule.version})
    assert ok.status_code == 302
    assert RetentionRule.objects.get(pk=rule.pk).years == 12
    # Legal hold from the page: a case outside the security admin's reach is a field error, not a hold.
    case = make_case(xw)
    r = c.post("/privacy/holds/new/", {"case_number": "不存在", "reason": "诉讼"})
    assert r.status_code == 422 and not LegalHold.objects.exists()
    r = c.post("/privacy/holds/new/", {"case_number": case.number, "reason": "行政诉讼中"})
    assert r.status_code == 302 and LegalHold.objects.get().case_id == case.pk
    assert services.hold_reasons(case) == ["事项尚未办结", "法律保留"]


def test_restrict_then_anonymise_and_delete_consultations(xw: Any) -> None:
    from fangtiao.legalservice import services as ls
    from fangtiao.legalservice.models import Consultation

    seed()
    case, p = _closed(xw, years_ago=11)
    RetentionRule.objects.filter(record_type="case.dispute").update(action="restrict")
    assert services.retention_sweep().done["case.dispute"] == 1
    assert Party.objects.get(case=case).id_index  # 仅存储: marked, not rewritten
    assert Anonymisation.objects.get(subject_id=str(case.pk)).action == "restrict"
    assert AuditEvent.objects.filter(action="privacy.restricted", subject_id=str(case.pk)).count() == 1
    assert services.retention_sweep().done["case.dispute"] == 0
    RetentionRule.objects.filter(record_type="case.dispute").update(action="anonymise")
    assert services.retention_sweep().done["case.dispute"] == 1
    assert Party.objects.get(case=case).id_index == ""
    c = ls.consultation_record(actor=xw.users["clerk_t01"], channel="visit", asker_name="周秀兰",
                               asker_phone=mobile(), region="331003001201", topic="物业费", question="怎么办？")
    Consultation.objects.filter(pk=c.pk).update(received_at=timezone.now() - dt.timedelta(days=365 * 4))
    RetentionRule.objects.filter(record_type="consultation").update(action="delete")
    assert services.retention_sweep().done["consultation"] == 1
    assert not Consultation.objects.filter(pk=c.pk).exists()
    assert AuditEvent.objects.filter(action="privacy.deleted").count() == 1
