"""POST /api/v1/public/petitions: online submission without login (信访工作条例 第17、21条)."""

from __future__ import annotations

from typing import Any

import pytest

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case
from fangtiao.cases.services import query_code_hash
from fangtiao.core.testing.api import ApiClient
from fangtiao.notifications.models import Notification
from fangtiao.portal.tests.helpers import GOOD_ID, dispute_body, petition_body

URL = "/api/v1/public/petitions"


def post(body: Any, **headers: str) -> Any:
    return ApiClient().post(URL, body, **headers)


def test_petition_is_registered_online_at_the_district_centre(world: Any) -> None:
    r = post(petition_body())
    assert r.status_code == 201, r.content
    data = r.json()
    assert set(data) == {"number", "query_code"}
    case = Case.objects.get(number=data["number"])
    assert case.number.startswith("黄岩矛调访调〔")
    assert case.channel == "online" and case.kind == "petition" and case.nature == "claim"
    assert case.registered_unit == world.units["centre"] and case.holder_unit == world.units["centre"]
    assert case.registered_by is None
    assert case.region == world.v01
    assert case.status == "registered" and not case.identity_incomplete
    assert case.query_code_hash == query_code_hash(data["query_code"])
    assert len(data["query_code"]) == 12
    party = case.parties.get()
    assert party.name == "王小二" and party.id_number == GOOD_ID and party.phone == "13812345678"
    # 第23条: the acceptance notice is due within 15 days; the clock runs at the centre.
    assert case.clocks.filter(code="petition.acceptance_notice", state="running").exists()
    assert AuditEvent.objects.filter(action="case.registered", subject_id=str(case.pk), actor_id=None).exists()
    assert Notification.objects.filter(unit=world.units["centre"], kind="online", case=case).exists()


def test_mediation_application_has_the_other_party(world: Any) -> None:
    r = post(dispute_body())
    assert r.status_code == 201, r.content
    case = Case.objects.get(number=r.json()["number"])
    assert case.kind == "dispute" and case.nature == "" and case.source == "application"
    assert case.category_id == "neighbour"
    assert list(case.parties.values_list("role", "name")) == [("petitioner", "王小二"), ("respondent", "李某")]


def test_petition_nature_can_be_chosen(world: Any) -> None:
    r = post(petition_body(nature="suggestion", category=""))
    assert r.status_code == 201, r.content
    assert Case.objects.get(number=r.json()["number"]).nature == "suggestion"


def test_intake_unit_is_the_deepest_centre_above_the_place(world: Any) -> None:
    from fangtiao.org import services as org

    township_centre = org.unit_create(actor=None, name="东城街道矛调中心", short_name="东城矛调", kind="centre",
                                      level="township", region=world.t01, parent=None)
    r = post(petition_body(region=world.v01.code))
    assert r.status_code == 201, r.content
    assert Case.objects.get(number=r.json()["number"]).registered_unit == township_centre
    r = post(petition_body(region=world.v02.code))
    assert Case.objects.get(number=r.json()["number"]).registered_unit == world.units["centre"]


@pytest.mark.parametrize(("override", "field", "message"), [
    ({"name": ""}, "name", "请填写姓名"),
    ({"phone": ""}, "phone", "请填写手机号码，以便接收办理情况"),
    ({"phone": "0576-84123456"}, "phone", "请填写11位手机号码"),
    ({"phone": "1381234567"}, "phone", "手机号码应为以1开头的11位数字"),
    ({"id_number": "331003198001011232"}, "id_number", "身份证号码校验位不正确，请核对"),
    ({"id_number": "33100319800101"}, "id_number", "身份证号码应为18位"),
    ({"id_number": "331003208001011231"}, "id_number", "身份证号码中的出生日期不合理"),
    ({"address": " "}, "address", "请填写住址（信访工作条例 第19条）"),
    ({"region": ""}, "region", "请选择事发地所在的乡镇（街道）或村（社区）"),
    ({"region": "110101001001"}, "region", "请从列表中选择事发地所在的乡镇（街道）或村（社区）"),
    ({"region": "331003"}, "region", "请从列表中选择事发地所在的乡镇（街道）或村（社区）"),
    ({"category": "nonsense"}, "category", "请从列表中选择纠纷类型"),
    ({"title": "a"}, "title", "请用一句话概括您反映的问题（至少2个字）"),
    ({"facts": ""}, "facts", "请写明事实经过"),
    ({"demands": ""}, "demands", "请写明您的请求"),
    ({"occurred_on": "2999-01-01"}, "occurred_on", "发生日期不能晚于今天"),
])
def test_bad_input_is_a_422_with_the_field_in_chinese(world: Any, override: dict[str, Any], field: str, message: str) -> None:
    r = post(petition_body(**override))
    assert r.status_code == 422, r.content
    body = r.json()
    assert {"field": field, "message": message} in body["errors"], body
    assert body["detail"] == message
    assert not Case.objects.exists()


def test_mediation_needs_a_category_and_the_other_party(world: Any) -> None:
    r = post(dispute_body(category="", other_party=""))
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert errors == {"category": "申请调解请选择纠纷类型", "other_party": "申请调解请填写对方当事人的姓名或名称"}
    assert r.json()["detail"] == "输入有误，请检查后重试"


@pytest.mark.parametrize(("body", "field"), [
    ({**petition_body(), "kind": "complaint"}, "kind"),
    ({k: v for k, v in petition_body().items() if k != "kind"}, "kind"),
    ({**petition_body(), "title": "长" * 201}, "title"),
    ({**petition_body(), "occurred_on": "昨天"}, "occurred_on"),
])
def test_schema_errors_are_422_in_chinese(world: Any, body: dict[str, Any], field: str) -> None:
    r = post(body)
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in errors)
    assert not Case.objects.exists()


def test_unparseable_body_is_422(world: Any) -> None:
    r = post("{not json")
    assert r.status_code == 422
    assert r.json()["detail"] == "请求体不是有效的 JSON"


def test_idempotent_repeat_returns_the_first_receipt(world: Any) -> None:
    first = post(petition_body(), HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(petition_body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert Case.objects.count() == 1
    other = post(petition_body(), HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.json()["number"] != first.json()["number"]
    assert Case.objects.count() == 2


def test_the_stored_first_answer_keeps_the_code_only_encrypted(world: Any) -> None:
    from fangtiao.core.models import IdempotencyRecord

    first = post(petition_body(), HTTP_IDEMPOTENCY_KEY="k-sealed").json()
    record = IdempotencyRecord.objects.get()
    assert record.user_id == 0 and "k-sealed" not in record.key
    assert first["query_code"] not in str(record.response)
    assert set(record.response) == {"number", "query_code_sealed"}


def test_idempotency_key_is_scoped_to_the_client_address(world: Any) -> None:
    first = post(petition_body(), HTTP_IDEMPOTENCY_KEY="same", REMOTE_ADDR="10.0.0.1")
    second = post(petition_body(), HTTP_IDEMPOTENCY_KEY="same", REMOTE_ADDR="10.0.0.2")
    assert first.json()["number"] != second.json()["number"]
    assert second.json()["query_code"] != first.json()["query_code"]


def test_bad_idempotency_key_is_400(world: Any) -> None:
    r = post(petition_body(), HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Case.objects.exists()


def test_failed_submission_is_not_replayed(world: Any) -> None:
    bad = post(petition_body(name=""), HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 422
    good = post(petition_body(), HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


def test_no_login_needed_and_no_csrf(world: Any) -> None:
    from django.test import Client

    r = Client(enforce_csrf_checks=True).post(URL, data=petition_body(), content_type="application/json")
    assert r.status_code == 201, r.content


def test_openapi_lists_the_public_endpoints(world: Any) -> None:
    paths = ApiClient().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/public/petitions" in paths
    assert "/api/v1/public/petitions/{number}" in paths
    assert "/api/v1/public/petitions/{number}/rating" in paths
