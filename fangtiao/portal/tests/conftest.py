"""Fixtures of the portal tests: a clean cache (the rate-limit counters live there) around every
test and a petition officer of the district centre."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from fangtiao.portal.tests.helpers import OFFICER_PASSWORD


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def officer(world: Any) -> Any:
    from fangtiao.org.services import staff_create

    return staff_create(actor=None, username="portal_officer", name="信访干部庚", unit=world.units["centre"],
                        roles=["officer", "leader"], password=OFFICER_PASSWORD)
