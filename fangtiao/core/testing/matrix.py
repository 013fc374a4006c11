"""The seeded world of the permission matrix tests (issue 9, ADR 0022): 3 districts × 3 townships ×
3 villages under one city, the petition network's unit at every division (district 矛调中心,
township 分中心, village 调委会), one user of every role at every level of district 1
(D1, its township T11, its village V111), and three cases — labelled 普通, 敏感 and 涉及检举揭发
— at every division of the tree (117 cases).

Who is cleared for what (User.clearance, org.choices.Clearance) is part of the fixture data:
`CLEARANCE_BY_ROLE`. Relations are named from the user's point of view (`RELATIONS`).

Build it once per test module with `matrix_world(django_db_blocker)` (the same outer-transaction
pattern as cases.tests.factories.shared_world)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from fangtiao.org.choices import Clearance, Role

DISTRICTS = 3
TOWNSHIPS = 3
VILLAGES = 3
LABELS = (Clearance.NORMAL, Clearance.SENSITIVE, Clearance.ACCUSATION)

# Who holds which clearance in the fixture: the accusation handlers (信访干部, 单位负责人) 2, the
# clerks and grid workers 0 (they see only 普通), everyone else 1.
CLEARANCE_BY_ROLE: dict[str, int] = {r.value: Clearance.SENSITIVE for r in Role}
CLEARANCE_BY_ROLE.update({Role.OFFICER: Clearance.ACCUSATION, Role.LEADER: Clearance.ACCUSATION,
                          Role.CLERK: Clearance.NORMAL, Role.GRID: Clearance.NORMAL})

LEVELS = ("district", "township", "village")

# relation → (the level of the user looking, the division of the object): the user is at D1, T11 or V111.
RELATIONS: dict[str, tuple[str, str]] = {
    "own": ("township", "T11"),
    "child": ("township", "V111"),
    "grandchild": ("district", "V111"),
    "parent": ("township", "D1"),
    "sibling": ("township", "T12"),
    "other_district": ("township", "T21"),
}


@dataclass
class MatrixWorld:
    regions: dict[str, Any] = field(default_factory=dict)       # "D1", "T11", "V111" …
    units: dict[str, Any] = field(default_factory=dict)         # same keys: the network unit there
    users: dict[tuple[str, str], Any] = field(default_factory=dict)  # (role, level) → user at D1/T11/V111
    cases: dict[tuple[str, int], Any] = field(default_factory=dict)  # (division, label) → case
    accused_unit: Any = None
    accusation: Any = None                                      # an accusation against accused_unit, at T11

    def user(self, role: str, level: str = "township") -> Any:
        return self.users[(role, level)]

    def visible_case_ids(self, user: Any) -> set[int]:
        """The expected subset for a plain network user: the subtree of the user's division and
        labels up to the user's clearance (the accusation case aside)."""
        path = user.unit.region.path
        return {c.pk for (div, label), c in self.cases.items()
                if c.region_path.startswith(path) and label <= user.clearance}


def _division_keys() -> Iterator[tuple[str, str, str | None]]:
    """(key, level, parent key) top-down: D1, T11, V111, V112, …"""
    for d in range(1, DISTRICTS + 1):
        yield f"D{d}", "district", None
        for t in range(1, TOWNSHIPS + 1):
            yield f"T{d}{t}", "township", f"D{d}"
            for v in range(1, VILLAGES + 1):
                yield f"V{d}{t}{v}", "village", f"T{d}{t}"


def build_matrix_world() -> MatrixWorld:
    from fangtiao.cases import services as case_services
    from fangtiao.cases.models import Case, Party
    from fangtiao.clocks.seed import ensure_rules
    from fangtiao.org import services
    from fangtiao.org.models import Role as RoleRow
    from fangtiao.org.models import User
    from fangtiao.org.seed import ensure_reference_data

    ensure_reference_data()
    ensure_rules()
    mw = MatrixWorld()
    province = services.region_create(actor=None, code="360000", name="江西省", level="province", kind="province", parent=None)
    city = services.region_create(actor=None, code="361000", name="抚州市", level="city", kind="city", parent=province)
    codes: dict[str, str] = {}
    unit_kind = {"district": ("centre", "矛盾纠纷综合化解中心"), "township": ("subcentre", "联合调解分中心"),
                 "village": ("village_committee", "人民调解委员会")}
    for key, level, parent in _division_keys():
        if level == "district":
            code, up = f"3610{key[1]}2", city
        elif level == "township":
            code, up = f"{codes[parent]}{int(key[2]):03d}", mw.regions[parent]
        else:
            code, up = f"{codes[parent]}{200 + int(key[3]):03d}", mw.regions[parent]
        codes[key] = code
        kind = {"district": "district", "township": "town", "village": "village"}[level]
        mw.regions[key] = services.region_create(actor=None, code=code, name=f"{key}区划", level=level, kind=kind, parent=up)
        ukind, uname = unit_kind[level]
        mw.units[key] = services.unit_create(actor=None, name=f"{key}{uname}", short_name=f"{key}单位", kind=ukind,
                                             level=level, region=mw.regions[key])
    mw.accused_unit = services.unit_create(actor=None, name="D1住房和城乡建设局", short_name="D1住建", kind="line_department",
                                           level="district", region=mw.regions["D1"])
    roles = {r.code: r for r in RoleRow.objects.all()}
    for level, key in zip(LEVELS, ("D1", "T11", "V111"), strict=True):
        for role in Role:
            u = User.objects.create(username=f"m_{key}_{role.value}", name=f"{key}{role.label}", unit=mw.units[key],
                                    clearance=CLEARANCE_BY_ROLE[role.value], is_staff=role == Role.ADMIN)
            u.roles.set([roles[role.value]])
            mw.users[(role.value, level)] = u
    for role in (Role.OFFICER, Role.CLERK):
        u = User.objects.create(username=f"m_accused_{role.value}", name=f"住建{role.label}", unit=mw.accused_unit,
                                clearance=Clearance.ACCUSATION)
        u.roles.set([roles[role.value]])
        mw.users[(role.value, "accused")] = u
    # One case registered through the services; the other 116 are copies of its rows moved to each
    # division and label (registration's similarity search and clocks cost seconds per case).
    first, _code = case_services.case_register(actor=None, unit=mw.units["T11"], data=_intake(codes["T11"], 0, 0))
    template = Case.objects.get(pk=first.pk)
    party = template.parties.get()
    n = 0
    for key, _level, _parent in _division_keys():
        for label in LABELS:
            n += 1
            if key == "T11" and label == 0:
                mw.cases[(key, label)] = template
                continue
            c = Case.objects.get(pk=template.pk)
            c.pk = c.id = None
            c.number = f"矩阵{n:03d}"
            c.number_seq = 1000 + n
            c.region, c.region_path = mw.regions[key], mw.regions[key].path
            c.holder_unit = c.registered_unit = c.number_unit = mw.units[key]
            c.sensitivity = label
            c.title = f"矩阵事项{n}号（标记{label}）"
            c.save()
            p = Party.objects.get(pk=party.pk)
            p.pk = p.id = None
            p.case = c
            p.save()
            mw.cases[(key, label)] = c
    accusation, _code = case_services.case_register(
        actor=None, unit=mw.units["T11"],
        data=_intake(codes["T11"], n + 1, 0, nature="accusation", accused_unit=mw.accused_unit.pk, title="举报住建局违规收费"))
    mw.accusation = Case.objects.get(pk=accusation.pk)
    for k, u in list(mw.users.items()):
        mw.users[k] = User.objects.select_related("unit__region").get(pk=u.pk)
    return mw


def _intake(region_code: str, n: int, label: int, **overrides: Any) -> dict[str, Any]:
    from fangtiao.cases.tests.factories import id_number, mobile

    body: dict[str, Any] = {
        "channel": "visit", "kind": "petition", "nature": "claim", "title": f"矩阵事项{n}号（标记{label}）",
        "description": f"矩阵测试事项{n}：邻里通道纠纷。", "reasons": "通行受阻。", "demands": "恢复通行。",
        "oral_record": f"信访人口述矩阵事项{n}。", "category": "neighbour", "region": region_code,
        "occurred_on": "2026-01-15", "headcount": 1,
        "parties": [{"role": "petitioner", "type": "person", "name": f"矩阵{n}", "id_number": id_number(seq=9000 + n),
                     "phone": mobile(90000 + n), "address": f"矩阵路{n}号", "is_representative": False}],
    }
    body.update(overrides)
    return body


@contextmanager
def matrix_world(django_db_blocker: Any) -> Iterator[MatrixWorld]:
    """The matrix world for a whole test module, inside a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        with django_db_blocker.unblock():
            mw = build_matrix_world()
        yield mw
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
