"""Lists and search return exactly the allowed subset (security-reliability.md §6 item 2, ASVS V8.4.1;
ADR 0022): on 3 districts × 3 townships × 3 villages with cases labelled 0/1/2 at every division, each
role's case list (API and page) and search hold exactly the IDs of its subtree up to its clearance;
the accusation is never seen by the accused unit; an object above the clearance is a 404 like one
outside the jurisdiction; an exception in the permission check denies."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client

from fangtiao.core.testing.matrix import matrix_world

CASE_READERS = [("clerk", "township"), ("clerk", "village"), ("officer", "district"), ("officer", "township"),
                ("leader", "village"), ("mediator", "township"), ("committee_head", "district"), ("grid", "village")]


@pytest.fixture(scope="module")
def mw(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with matrix_world(django_db_blocker) as world:
        yield world


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _expected(mw: Any, user: Any, role: str) -> set[int]:
    ids = mw.visible_case_ids(user)
    acc = mw.accusation
    if role in ("officer", "leader") and acc.region_path.startswith(user.unit.region.path) \
            and acc.accused_unit_id != user.unit_id and acc.sensitivity <= user.clearance:
        ids.add(acc.pk)
    return ids


def _xlsx_cells(data: bytes) -> set[str]:
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    return {str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v is not None}


def _api_ids(client: Client, **params: Any) -> tuple[set[int], int]:
    r = client.get("/api/v1/cases", {"page_size": 200, **params})
    assert r.status_code == 200, r.content
    body = r.json()
    return {i["id"] for i in body["items"]}, body["count"]


@pytest.mark.parametrize(("role", "level"), CASE_READERS)
def test_case_list_and_search_are_exactly_the_subtree_up_to_the_clearance(mw: Any, db: Any, role: str, level: str) -> None:
    from fangtiao.org.permissions import has_capability

    user = mw.user(role, level)
    client = _client(user)
    if not has_capability(user, "case.view"):
        assert client.get("/api/v1/cases").status_code == 403
        return
    want = _expected(mw, user, role)
    got, count = _api_ids(client)
    assert got == want and count == len(want)
    # the subtree and the labels, spelled out: nothing from outside, nothing above the clearance
    from fangtiao.cases.models import Case

    rows = Case.objects.filter(pk__in=got)
    assert all(c.region_path.startswith(user.unit.region.path) for c in rows)
    assert all(c.sensitivity <= user.clearance for c in rows)
    # search (q=) narrows within the same subset
    found, _ = _api_ids(client, q="矩阵事项")
    assert found == {pk for pk in want if pk != mw.accusation.pk} & found and found <= want
    assert found == {c.pk for c in Case.objects.filter(pk__in=want, title__contains="矩阵事项")}
    # the Excel export (with its reason) holds exactly the same cases, by number
    from fangtiao.org.permissions import has_capability as can

    if can(user, "export.xlsx"):
        r = client.get("/cases/", {"export": "xlsx", "reason": "矩阵核对"})
        assert r.status_code == 200
        numbers = _xlsx_cells(b"".join(r.streaming_content) if r.streaming else r.content)
        expected_numbers = set(Case.objects.filter(pk__in=want).values_list("number", flat=True))
        all_numbers = set(Case.objects.values_list("number", flat=True))
        assert numbers & all_numbers == expected_numbers
    # the list page shows the same rows (by title)
    page = client.get("/cases/", {"q": "矩阵事项"}).content.decode()
    for (div, label), case in mw.cases.items():
        if case.pk not in want and case.title in page:
            pytest.fail(f"{role}@{level} sees {div}/{label} on the list page")


@pytest.mark.parametrize("label", [0, 1, 2])
def test_detail_above_the_clearance_is_a_404_like_outside_the_jurisdiction(mw: Any, db: Any, label: int) -> None:
    clerk, mediator, officer = mw.user("clerk"), mw.user("mediator"), mw.user("officer")  # clearances 0, 1, 2
    case = mw.cases[("V111", label)]
    for user in (clerk, mediator, officer):
        c = _client(user)
        want = 200 if label <= user.clearance else 404
        assert c.get(f"/api/v1/cases/{case.pk}").status_code == want, (user.username, label)
        assert c.get(f"/cases/{case.pk}/").status_code == want
        # an action on it is refused the same way, and nothing changes
        before = case.__class__.objects.get(pk=case.pk).version
        r = c.post(f"/api/v1/cases/{case.pk}/actions/report_major", {"version": before, "note": "核实"},
                   content_type="application/json")
        if want == 404:
            assert r.status_code == 404
            assert case.__class__.objects.get(pk=case.pk).version == before
    outside = mw.cases[("T21", 0)]
    assert _client(officer).get(f"/api/v1/cases/{outside.pk}").status_code == 404


def test_the_accused_unit_never_sees_the_accusation(mw: Any, db: Any) -> None:
    acc = mw.accusation
    assert acc.sensitivity == 2 and acc.nature == "accusation"  # labelled at registration
    for role in ("officer", "clerk"):
        c = _client(mw.user(role, "accused"))  # clearance 2, unit = the accused, in district D1
        assert c.get(f"/api/v1/cases/{acc.pk}").status_code == 404
        assert acc.pk not in _api_ids(c)[0]
    assert _client(mw.user("officer", "district")).get(f"/api/v1/cases/{acc.pk}").status_code == 200


def test_an_exception_in_the_permission_check_denies(mw: Any, db: Any) -> None:
    """Fail closed (ASVS V16.5.3): a permission check that raises gives no data and changes nothing."""
    officer = mw.user("officer")
    case = mw.cases[("T11", 0)]
    c = Client(raise_request_exception=False)
    c.force_login(officer)
    with mock.patch("fangtiao.org.permissions.CAPABILITIES", new={}):  # every lookup raises KeyError
        r1 = c.get(f"/api/v1/cases/{case.pk}")
        r2 = c.get("/cases/")
        before = case.__class__.objects.get(pk=case.pk).version
        r3 = c.post(f"/api/v1/cases/{case.pk}/actions/report_major", {"version": before, "note": "核实"},
                    content_type="application/json")
    for r in (r1, r2, r3):
        assert r.status_code >= 400, r.status_code
        assert case.title not in r.content.decode()
    assert case.__class__.objects.get(pk=case.pk).version == before
    with mock.patch("fangtiao.cases.access.clearance_of", side_effect=RuntimeError("broken")):
        r = c.get(f"/api/v1/cases/{case.pk}")
    assert r.status_code >= 400 and case.title not in r.content.decode()
