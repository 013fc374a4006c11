"""Journey (issue 9): with MFA required, a password login goes to the enrolment step, the code from
the shown key opens the 工作台; later, with the password expired, the login passes the OTP step and
is held at the forced password change until a new password is set."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from fangtiao.core.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(key_b32: str, at: dt.datetime) -> str:
    from fangtiao.security.services import totp_code

    return totp_code(base64.b32decode(key_b32 + "=" * (-len(key_b32) % 8)), at)


def test_password_then_otp_enrolment_then_forced_change(transactional_db: None, live_server: Any, page: Any,
                                                        settings: Any) -> None:
    from django.utils import timezone

    from fangtiao.security.models import Credential

    settings.FANGTIAO_MFA = "required"
    world = build_world()
    user = world.users["officer"]

    def login() -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("账号").fill("officer")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()

    login()
    expect(page.locator("h2.page-title")).to_have_text("绑定动态口令")
    assert page.locator("svg").count() >= 1
    key = page.locator("#totp-key").inner_text().strip()
    assert len(key) == 32  # 160 bits in base32
    page.get_by_label("动态口令").fill(_code(key, timezone.now()))
    page.get_by_role("button", name="绑定").click()
    expect(page.locator("h2.page-title")).to_have_text("工作台")

    # the password runs out: OTP step, then the forced change before any page
    page.goto(f"{live_server.url}/accounts/sessions/")
    expect(page.locator("h2.page-title")).to_have_text("我的登录会话")
    page.context.clear_cookies()
    Credential.objects.filter(user=user).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    login()
    expect(page.locator("h2.page-title")).to_have_text("动态口令验证")
    page.get_by_label("动态口令").fill(_code(key, timezone.now() + dt.timedelta(seconds=30)))
    page.get_by_role("button", name="验证").click()
    expect(page.locator("h2.page-title")).to_have_text("修改密码")
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("h2.page-title")).to_have_text("修改密码")
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Renewed-Secret-91")
    page.get_by_label("再次输入新密码").fill("Renewed-Secret-91")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator("h2.page-title")).to_be_visible()
    assert not Credential.objects.get(user=user).must_change
    assert Credential.objects.get(user=user).password_changed_at > timezone.now() - dt.timedelta(minutes=5)
