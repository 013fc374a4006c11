"""The public online consultation request (网上法律咨询): linked from the home page, creates a
待答复 consultation at the territorial unit of the asker's place and shows its number once; bad
input gives Chinese errors and changes nothing; the portal's submit rate limit applies."""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from fangtiao.legalservice.models import Consultation


def body(xw: Any, **kw: str) -> dict[str, str]:
    data = {"name": "李四", "phone": "13800001111", "region": xw.v01.code, "category": "",
            "topic": "工资拖欠怎么办", "question": "老板欠薪三个月，我该怎么维权？"}
    data.update(kw)
    return data


def test_home_links_to_the_form(xw: Any, client: Any) -> None:
    assert 'href="/portal/legal/"' in client.get("/portal/").content.decode()
    page = client.get("/portal/legal/").content.decode()
    assert "咨询内容" in page and xw.v01.name in page


def test_request_waits_at_the_territorial_unit_number_shown_once(xw: Any, client: Any) -> None:
    r = client.post("/portal/legal/", body(xw))
    assert r.status_code == 302 and r["Location"] == "/portal/legal/done/"
    c = Consultation.objects.get()
    assert (c.status, c.channel, c.unit) == ("pending", "online", xw.units["t01_subcentre"])
    assert c.asker_phone == "13800001111" and c.recorded_by is None
    page = client.get("/portal/legal/done/").content.decode()
    assert c.number in page and xw.units["t01_subcentre"].name in page
    assert client.get("/portal/legal/done/").status_code == 302  # shown once
    # Staff of that unit see it waiting for an answer.
    client.force_login(xw.user("t01_subcentre", "clerk"))
    assert 'data-testid="answer-form"' in client.get(f"/legal/consultations/{c.pk}/").content.decode()


def test_bad_phone_chinese_error_nothing_changed(xw: Any, client: Any) -> None:
    for bad, message in [({"phone": "12345"}, "手机"), ({"phone": ""}, "手机"), ({"name": ""}, "请填写姓名"),
                         ({"region": "999999"}, "所在地"), ({"question": ""}, "请填写咨询内容")]:
        r = client.post("/portal/legal/", body(xw, **bad))
        assert r.status_code == 422, bad
        page = r.content.decode()
        assert "提交未成功" in page and message in page, (bad, message)
    assert not Consultation.objects.exists()


@override_settings(FANGTIAO_PORTAL_SUBMIT_LIMIT=2)
def test_rate_limited(xw: Any, client: Any) -> None:
    assert client.post("/portal/legal/", body(xw, name="")).status_code == 422  # invalid ones count too
    assert client.post("/portal/legal/", body(xw)).status_code == 302
    r = client.post("/portal/legal/", body(xw))
    assert r.status_code == 429 and "请求过于频繁" in r.content.decode() and int(r["Retry-After"]) >= 1
    assert Consultation.objects.count() == 1
    assert client.post("/portal/legal/", body(xw), REMOTE_ADDR="10.1.2.3").status_code == 302
