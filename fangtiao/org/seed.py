"""Reference data every installation has: the role table and the dispute-type code table.

Seeded by migration 0002; `ensure_reference_data()` is safe to repeat (tests that flush
tables call it through the test world)."""

from __future__ import annotations

from fangtiao.org.choices import DISPUTE_CATEGORIES, Role


def ensure_reference_data(role_model: type | None = None, category_model: type | None = None) -> None:
    if role_model is None or category_model is None:
        from fangtiao.org.models import DisputeCategory
        from fangtiao.org.models import Role as RoleModel

        role_model, category_model = RoleModel, DisputeCategory
    for code, name in Role.choices:
        role_model.objects.get_or_create(code=code, defaults={"name": name})
    for i, (code, name) in enumerate(DISPUTE_CATEGORIES, start=1):
        category_model.objects.get_or_create(code=code, defaults={"name": name, "sort": i * 10})
