"""The consultation list page: scoped, masked, exported; the nav entry by capability."""

from __future__ import annotations

from fangtiao.legalservice.tests.test_consultations import clerk, record


def test_list_page_scoped_masked_and_exported(xw, client):
    mine = record(xw, topic="本街道的咨询")
    client.force_login(xw.user("t02_subcentre", "clerk"))
    assert "本街道的咨询" not in client.get("/legal/consultations/").content.decode()
    client.force_login(clerk(xw))
    page = client.get("/legal/consultations/", {"q": "本街道"}).content.decode()
    assert mine.number in page and "13912340000" not in page and "法律服务" in page
    r = client.get("/legal/consultations/", {"export": "xlsx", "reason": "核对"})
    assert r.status_code == 200 and "spreadsheet" in r["Content-Type"]


def test_no_capability(xw, client):
    client.force_login(xw.user("t01_subcentre", "auditor"))
    assert client.get("/legal/consultations/").status_code == 403
    assert "法律服务" not in client.get("/").content.decode()
