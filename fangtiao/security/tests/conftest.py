from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.utils import timezone

from fangtiao.core.testing.world import PASSWORD


@contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    """Time travel: every timezone.now() (ours, Django's sessions and auth) answers `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def sec(world):  # type: ignore[no-untyped-def]
    from fangtiao.org import services

    return services.staff_create(actor=None, username="sec_admin", name="安全员甲", unit=world.units["centre"],
                                 roles=["security"], password=PASSWORD)


def post_login(client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1", **extra):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def now() -> dt.datetime:
    return timezone.now()
