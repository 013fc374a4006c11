"""Builders shared by the screening and early-warning tests (the cases factories give the world).

- `petitioner()`: one person's intake dict; pass the same dict again for the same person (同人).
- `register(xw, title=..., ...)`: a matter registered through `case_register` (so the screening hooks
  run: text index, warnings, routing decision), optionally received in the past (`days_ago`).
- `warnings_of(kind, case=None)`: the EarlyWarning rows of a kind (optionally of one case).
- `warning(xw, ...)`: a warning raised directly through `warning_raise` (owner: the 东城 sub-centre).
- `rule(kind, enabled=True, **params)`: a WarningRule row overriding the defaults.
- People: `t01_leader(xw)`, `t02_leader(xw)`, `screener(xw)` (the 上洋村 committee head), `lawyer_user(xw)`.
- The invented texts the tests share (no real complaint is quoted).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from fangtiao.cases.models import Case
from fangtiao.cases.services import case_register
from fangtiao.cases.tests.factories import fresh, intake, person
from fangtiao.org import services as org_services
from fangtiao.org.models import Expert, User
from fangtiao.screening.models import EarlyWarning, WarningRule
from fangtiao.screening.services import warning_raise

_seq = itertools.count(1)

# --- invented texts ------------------------------------------------------------------------------

PARKING = ("翠竹苑小区物业乱收停车费",
           "翠竹苑小区物业公司从今年五月起向业主每月收取停车费二百八十元，业委会没有召开业主大会就同意了收费方案，"
           "大多数业主不同意，物业还把消防通道划成收费车位。",
           "请求停止收取停车费，恢复消防通道。")
PARKING_REWORDED = ("翠竹苑物业违规收取停车费",
                    "翠竹苑业委会未经业主大会就同意物业公司的收费方案，物业从五月开始每月收停车费二百八十元，"
                    "消防通道也被划成了收费车位，业主普遍反对。",
                    "要求停收停车费，把消防通道恢复原状。")
ELEVATOR = ("翠竹苑小区电梯长期故障无人维修",
            "翠竹苑小区三号楼电梯坏了两个多月，物业公司说维修资金申请不下来，让业主自己凑钱修理，老人上下楼很困难。",
            "请求督促物业尽快修好电梯。")
WAGES = ("城南工地拖欠农民工工资",
         "我在城南安置房工地做了八个月钢筋工，包工头拖欠工资三万二千元，说好中秋前结清，至今一分未付，电话也不接。",
         "请求帮助讨回被拖欠的工资三万二千元。")
NOISE = ("搅拌站夜间施工噪音扰民",
         "上洋村东边的混凝土搅拌站每天夜里十二点以后还在生产，噪音很大，粉尘满天飞，村民晚上睡不着觉。",
         "请求责令搅拌站停止夜间生产并治理粉尘。")
BENIGN = ("邻居违章搭建影响采光",
          "隔壁邻居在自家院子里搭了一个两层的铁皮棚，挡住了我家客厅的阳光，多次协商没有结果。",
          "请求拆除违章搭建的铁皮棚。")


# --- people --------------------------------------------------------------------------------------

def petitioner(**overrides: Any) -> dict[str, Any]:
    """One person's party dict (fresh ID number and phone); reuse the dict for the same person."""
    return person(**overrides)


def t01_leader(xw: Any) -> User:
    return xw.user("t01_subcentre", "leader")


def t02_leader(xw: Any) -> User:
    return xw.user("t02_subcentre", "leader")


def screener(xw: Any) -> User:
    """The head of the 上洋村 mediation committee: screens and records rounds of 上洋村."""
    return xw.user("v01_committee", "committee_head")


def lawyer_user(xw: Any) -> User:
    """The test world's lawyer (孙律师) logs in as expert_user."""
    return xw.w.users["expert_user"]


def other_lawyer(xw: Any, *, with_login: bool = True, status: str = "active") -> Expert:
    """A second lawyer of the expert pool, with their own expert-only login."""
    n = next(_seq)
    user = None
    if with_login:
        user = org_services.staff_create(actor=None, username=f"lawyer{n}", name=f"周律师{n}", unit=xw.units["centre"],
                                         roles=["expert"], password="Test-Passw0rd!")
    expert = org_services.expert_create(actor=None, name=f"周律师{n}", kind="lawyer", fields=["民事"],
                                        unit=xw.units["centre"], organisation="某某律师事务所", user=user)
    if status != "active":
        Expert.objects.filter(pk=expert.pk).update(status=status)
    return Expert.objects.select_related("user").get(pk=expert.pk)


# --- cases ---------------------------------------------------------------------------------------

def register(xw: Any, text: tuple[str, str, str] = BENIGN, *, parties: list[dict[str, Any]] | None = None,
             region: str | None = None, days_ago: int = 0, at: dt.datetime | None = None, actor: Any = "default",
             category: str | None = "property", **overrides: Any) -> Case:
    """A matter registered through the services (the screening hooks run inside)."""
    if actor == "default":
        actor = xw.w.users["clerk_t01"]
    title, description, demands = text
    body = intake(title=title, description=description, demands=demands, oral_record="", reasons="",
                  category=category, region=region or xw.v01.code, occurred_on=None,
                  **({"parties": parties} if parties is not None else {}), **overrides)
    received_at = at or (timezone.now() - dt.timedelta(days=days_ago) if days_ago else None)
    case, _code = case_register(actor=actor, data=body, received_at=received_at)
    return fresh(case)


# --- warnings ------------------------------------------------------------------------------------

def warnings_of(kind: str, case: Case | None = None) -> list[EarlyWarning]:
    qs = EarlyWarning.objects.filter(kind=kind)
    if case is not None:
        qs = qs.filter(case=case)
    return list(qs.order_by("id"))


def warning(xw: Any, *, key: str | None = None, kind: str = "emotion", level: str = "orange", case: Case | None = None,
            region: Any = None, owner: Any = None) -> EarlyWarning:
    w, _what = warning_raise(key=key or f"test:{next(_seq)}", kind=kind, level=level, title="测试预警：信访人情绪激动",
                             reasons=["接待人员评估：情绪激动，有激化风险"], region=region or xw.t01,
                             owner_unit=owner or xw.units["t01_subcentre"], case=case)
    return w


def rule(kind: str, *, enabled: bool = True, **params: Any) -> WarningRule:
    row, _ = WarningRule.objects.update_or_create(kind=kind, defaults={"enabled": enabled, "params": params})
    return row


def fields(exc_info: Any) -> set[str]:
    """The field names of a raised ValidationFailed (pytest.raises info or the exception)."""
    exc = getattr(exc_info, "value", exc_info)
    return {e.field for e in exc.errors}


def on_postgres(reason: str) -> Any:
    """A strict xfail on PostgreSQL only (the bug does not show on SQLite)."""
    return pytest.mark.xfail(connection.vendor == "postgresql", strict=True, reason=reason)

