"""The legal-basis register: every personal field the models hold is listed (data minimisation,
GB/T 22239 8.1.4.11; 个保法 第6条), the seeded table matches the code, the page and its Excel export."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from openpyxl import load_workbook

from fangtiao.core.fields import EncryptedCharField
from fangtiao.privacy.models import RegisterEntry
from fangtiao.privacy.register import ENTRIES, registered_fields, seed

PERSONAL_NAMES = {"name", "address", "phone", "id_number"}


def personal_fields() -> set[str]:
    out = set()
    for model in apps.get_models():
        if not model.__module__.startswith("fangtiao."):
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, EncryptedCharField) or f.name in PERSONAL_NAMES:
                out.add(f"{model._meta.label}.{f.name}")
    return out


def test_every_personal_field_is_in_the_register() -> None:
    missing = personal_fields() - registered_fields()
    assert not missing, f"个人信息字段未登记法律依据和目的（fangtiao/privacy/register.py）：{sorted(missing)}"


def test_register_lists_only_existing_fields() -> None:
    stale = set()
    for name in registered_fields():
        app_model, _, field = name.rpartition(".")
        try:
            apps.get_model(app_model)._meta.get_field(field)
        except LookupError:
            stale.add(name)
        except Exception:
            stale.add(name)
    assert not stale, sorted(stale)


@pytest.mark.django_db
def test_seed_is_idempotent_and_page_exports(world: Any, login: Any) -> None:
    seed()
    seed()
    assert RegisterEntry.objects.count() == len(ENTRIES)
    entry = RegisterEntry.objects.get(code="party.identity")
    assert entry.basis == "duty" and entry.sensitive and "cases.Party.id_number" in entry.fields
    assert entry.retention.record_type == "case.petition"
    officer = world.users["officer"]
    page = login(officer).get("/privacy/register/")
    assert page.status_code == 200 and "履行法定职责" in page.content.decode()
    filtered = login(officer).get("/privacy/register/", {"basis": "not_personal"})
    assert "身份信息" not in filtered.content.decode()
    assert login(officer).get("/privacy/register/", {"basis": "nonsense"}).status_code == 200
    xlsx = login(officer).get("/privacy/register/", {"export": "xlsx", "reason": "合规检查"})
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "数据类别" and len(rows) == len(ENTRIES) + 1
    assert login(world.users["clerk_t01"]).get("/privacy/register/").status_code == 403
