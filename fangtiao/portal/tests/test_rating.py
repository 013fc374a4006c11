"""POST /api/v1/public/petitions/{number}/rating: 满意/基本满意/不满意, once, after the reply or
closing, within FANGTIAO_RATING_DAYS (国信发〔2014〕16号; window UNVERIFIED, legal-rules §6)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case, CaseEvent
from fangtiao.core.errors import Conflict, NotFound
from fangtiao.core.testing.api import ApiClient
from fangtiao.portal import rules, services
from fangtiao.portal.tests.helpers import act, petition_body, reply


def submit() -> tuple[Case, str]:
    r = ApiClient().post("/api/v1/public/petitions", petition_body())
    assert r.status_code == 201, r.content
    return Case.objects.get(number=r.json()["number"]), r.json()["query_code"]


def rate(number: str, code: str, satisfaction: str = "satisfied", comment: str = "", **extra: str) -> Any:
    return ApiClient().post(f"/api/v1/public/petitions/{quote(number)}/rating",
                            {"code": code, "satisfaction": satisfaction, "comment": comment}, **extra)


def test_before_the_reply_rating_is_409(world: Any, officer: Any) -> None:
    case, code = submit()
    r = rate(case.number, code)
    assert r.status_code == 409
    assert r.json() == {"detail": "该事项尚未答复或办结，暂不能评价", "errors": []}
    act(case, officer, "accept")
    assert rate(case.number, code).status_code == 409
    case.refresh_from_db()
    assert case.satisfaction == "" and case.rated_at is None
    assert not AuditEvent.objects.filter(action="case.rated").exists()


def test_after_the_reply_once_only(world: Any, officer: Any) -> None:
    case, code = submit()
    reply(case, officer, world.units["centre"])
    r = rate(case.number, code, "basically", comment="答复及时，但希望尽快落实。")
    assert r.status_code == 200, r.content
    p = r.json()
    assert p["rating"]["satisfaction"] == "basically" and p["rating"]["satisfaction_label"] == "基本满意"
    assert p["rating"]["allowed"] is False and p["rating"]["rated_at"]
    assert p["events"][-1]["text"] == "您已对办理情况作出评价"
    case.refresh_from_db()
    assert case.satisfaction == "basically" and case.rated_at is not None
    ev = CaseEvent.objects.filter(case=case, action="rate").get()
    assert ev.public and ev.actor is None and ev.data["comment"] == "答复及时，但希望尽快落实。"
    audit = AuditEvent.objects.filter(action="case.rated", subject_id=str(case.pk)).get()
    assert audit.actor_id is None and audit.changes == {"satisfaction": ["", "basically"]}
    assert audit.extra["comment"] == "答复及时，但希望尽快落实。"
    # The 参评 clock started by the reply is met.
    assert case.clocks.get(code="satisfaction.window").state == "met"

    again = rate(case.number, code, "unsatisfied")
    assert again.status_code == 409
    assert again.json() == {"detail": "该事项已经评价，每个事项只能评价一次", "errors": []}
    case.refresh_from_db()
    assert case.satisfaction == "basically"
    assert AuditEvent.objects.filter(action="case.rated").count() == 1


def test_outside_the_window_is_409_and_the_window_is_the_rule_tables(world: Any, officer: Any) -> None:
    """The deadline is the due date of the `satisfaction.window` clock the reply started."""
    from fangtiao.clocks.models import Clock

    case, code = submit()
    reply(case, officer, world.units["centre"])
    today = timezone.localdate()
    clock = Clock.objects.get(case=case, code="satisfaction.window")
    assert clock.due_on >= today + dt.timedelta(days=30)
    Clock.objects.filter(pk=clock.pk).update(due_on=today - dt.timedelta(days=1))
    r = rate(case.number, code)
    assert r.status_code == 409
    assert r.json()["detail"] == "已超过评价期限（答复或办结之日起30日内），不能再评价"
    Clock.objects.filter(pk=clock.pk).update(due_on=today)
    assert rate(case.number, code).status_code == 200


def test_the_last_day_of_the_window_is_still_open(world: Any, officer: Any) -> None:
    case, code = submit()
    reply(case, officer, world.units["centre"])
    Case.objects.filter(pk=case.pk).update(replied_on=timezone.localdate() - dt.timedelta(days=30))
    assert rate(case.number, code).status_code == 200


def test_closed_without_reply_counts_from_closing(world: Any, officer: Any) -> None:
    case, code = submit()
    act(case, officer, "reject", reason="不属于本机关职权范围", channel="other")
    assert rate(case.number, code).status_code == 409  # not accepted, not yet closed
    act(case, officer, "close", note="已告知")
    r = rate(case.number, code, "unsatisfied")
    assert r.status_code == 200, r.content
    assert r.json()["rating"]["deadline"] == (timezone.localdate() + dt.timedelta(days=30)).isoformat()


def test_matters_sent_to_court_arbitration_or_review_are_not_rated(world: Any, officer: Any) -> None:
    case, code = submit()
    act(case, officer, "reject", reason="属于诉讼事项", channel="litigation")
    act(case, officer, "close")
    r = rate(case.number, code)
    assert r.status_code == 409
    assert "国信发〔2014〕16号 第4条" in r.json()["detail"]


def test_wrong_code_when_rating_is_the_same_404(world: Any, officer: Any) -> None:
    case, code = submit()
    reply(case, officer, world.units["centre"])
    wrong = rate(case.number, "ABCDEFGHJKLM" if code != "ABCDEFGHJKLM" else "MLKJHGFEDCBA")
    unknown = rate("黄岩矛调访调〔2026〕99999号", code)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert wrong.json() == {"detail": "未找到该事项，请核对编号和查询码", "errors": []}
    case.refresh_from_db()
    assert case.satisfaction == ""


@pytest.mark.parametrize("body", [
    {"code": "X", "satisfaction": "great"},
    {"code": "X"},
    {"code": "X", "satisfaction": "satisfied", "comment": "长" * 1001},
])
def test_bad_rating_input_is_422(world: Any, body: dict[str, Any]) -> None:
    r = ApiClient().post("/api/v1/public/petitions/x/rating", body)
    assert r.status_code == 422
    assert r.json()["errors"]


def test_idempotent_rating_repeat_returns_the_first_answer(world: Any, officer: Any) -> None:
    case, code = submit()
    reply(case, officer, world.units["centre"])
    first = rate(case.number, code, HTTP_IDEMPOTENCY_KEY="r-1")
    again = rate(case.number, code, HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert AuditEvent.objects.filter(action="case.rated").count() == 1


def test_service_checks(world: Any, officer: Any) -> None:
    case, code = submit()
    with pytest.raises(NotFound):
        services.case_rate(number=case.number, code="WRONGCODE234", satisfaction="satisfied")
    with pytest.raises(Conflict) as exc:
        services.case_rate(number=case.number, code=code, satisfaction="satisfied")
    assert exc.value.code == "not_ratable_yet"
    reply(case, officer, world.units["centre"])
    late = timezone.localdate() + dt.timedelta(days=31)
    with pytest.raises(Conflict) as exc:
        services.case_rate(number=case.number, code=code, satisfaction="satisfied", today=late)
    assert exc.value.code == "window_closed"
    state = rules.rating_state(Case.objects.get(pk=case.pk), timezone.localdate())
    assert state.allowed and state.deadline == timezone.localdate() + dt.timedelta(days=30)
