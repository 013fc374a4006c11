"""Helpers of the portal tests: request bodies and taking a case through the lifecycle."""

from __future__ import annotations

from typing import Any

OFFICER_PASSWORD = "Off-Passw0rd-1"
GOOD_ID = "331003198001011231"  # invented; valid GB 11643 check digit


def petition_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "petition", "name": "王小二", "id_number": GOOD_ID, "phone": "13812345678",
        "address": "东城街道上洋村1号", "region": "331003001201", "category": "property",
        "title": "小区物业费上涨未经业主大会", "facts": "物业公司自2026年3月起将物业费由每平方米1.5元上调为2.5元。",
        "demands": "请求责令物业公司恢复原收费标准。",
    }
    body.update(overrides)
    return body


def dispute_body(**overrides: Any) -> dict[str, Any]:
    body = {"kind": "dispute", "category": "neighbour", "title": "邻居加建房屋致我家墙体开裂",
            "facts": "邻居今年4月加建三层，我家东墙出现裂缝。", "demands": "请求对方赔偿修缮费用。", "other_party": "李某"}
    return petition_body(**{**body, **overrides})


def act(case: Any, officer: Any, action: str, **data: Any) -> Any:
    from fangtiao.cases.models import Case
    from fangtiao.cases.services import case_act

    version = Case.objects.get(pk=case.pk).version
    return case_act(case=case.pk, actor=officer, action=action, data={"version": version, **data})


def reply(case: Any, officer: Any, unit: Any, *, outcome: str = "support") -> Any:
    """accept → route (to handling at the same unit) → reply, through the lifecycle service."""
    act(case, officer, "accept", notice="您反映的事项已依法受理。")
    act(case, officer, "route", to="handling", unit=unit.pk, task="请依法办理")
    return act(case, officer, "reply", outcome=outcome, request="请求恢复原收费标准",
               facts="经调查，物业公司调价未经业主大会表决。", opinion="责令物业公司恢复原收费标准。",
               basis="《物业管理条例》第7条")
