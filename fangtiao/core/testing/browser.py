"""Browser-test fixtures: Playwright driving the *system* Chromium (never `playwright install`).

Fixtures:
  browser        session-scoped headless Chromium (no sandbox, no background networking)
  page           a fresh context per test (zh-CN, Asia/Shanghai, 1400x900, downloads on);
                 on failure a screenshot is saved into the test's tmp_path
  browser_login  browser_login(username, password) logs in through the real login form

Test modules using these fixtures mark themselves `pytestmark = pytest.mark.browser`; any test that
requests `page`/`browser` also gets the marker added at collection time."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

BROWSER_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No connections of Chromium's own (updates, sync, field trials …): the network is closed here.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DEFAULT_TIMEOUT_MS = 10_000
NOT_FOUND = "未找到系统 Chromium：运行 make test 会通过 apt-get 安装 chromium；或设置 FANGTIAO_CHROMIUM"
BROWSER_FIXTURES = {"browser", "page", "browser_login"}


def find_chromium() -> str | None:
    """The Chromium to drive: $FANGTIAO_CHROMIUM, else the first system binary found."""
    configured = os.environ.get("FANGTIAO_CHROMIUM", "").strip()
    if configured:
        path = configured if os.path.isabs(configured) else shutil.which(configured)
        return path if path and os.access(path, os.X_OK) else None
    for candidate in CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _require_chromium() -> str:
    path = find_chromium()
    if path:
        return path
    configured = os.environ.get("FANGTIAO_CHROMIUM", "").strip()
    detail = f"（FANGTIAO_CHROMIUM={configured} 不可执行）" if configured else ""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{NOT_FOUND}{detail}（CI 环境中测试命令必须先安装 Chromium）", pytrace=False)
    pytest.skip(f"{NOT_FOUND}{detail}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a browser fixture carry the `browser` marker (so `-m "not browser"` works),
    and run last: once Playwright has started, its event loop stays marked as running in the main
    thread for the rest of the session, which other tests (async_to_sync …) must not inherit.
    Runs after pytest-django's own reordering; the sort is stable."""
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Keep each phase's report on the item (item.rep_setup/rep_call/rep_teardown) for the page fixture."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


def _pin_db_connections() -> None:
    """Make the test body use the same Django connections as before Playwright started.

    Between sync calls Playwright leaves its event loop marked as running in this thread. Django's
    `connections` is an asgiref Local(thread_critical=True): with a running loop it switches from
    thread-local storage to a context-var storage, so the test body (and pytest-django's flush)
    would get *new* connection objects: for in-memory SQLite not the connection the live server
    thread shares, and without `_test_serialized_contents` (serialized_rollback would silently stop
    restoring). Put the thread-local connections into the context storage too."""
    from django.db import connections

    loop = asyncio._get_running_loop()
    if loop is None:
        return
    asyncio._set_running_loop(None)
    try:
        thread_conns = {alias: connections[alias] for alias in connections}
    finally:
        asyncio._set_running_loop(loop)
    for alias, conn in thread_conns.items():
        current = connections[alias]
        if current is conn:
            continue
        if hasattr(current, "_test_serialized_contents") and not hasattr(conn, "_test_serialized_contents"):
            conn._test_serialized_contents = current._test_serialized_contents
        if not current.in_atomic_block:
            current.close()
        connections[alias] = conn


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _require_chromium()
    # Playwright's sync API keeps an asyncio loop running in this thread; Django would then refuse
    # ORM calls from the test body (SynchronousOnlyOperation). The test itself is synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=executable, headless=True, args=BROWSER_ARGS)
            _pin_db_connections()
            try:
                yield b
            finally:
                b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^\w.-]+", "_", nodeid)[-120:]


@pytest.fixture
def asset_errors() -> list[str]:
    """Static assets (CSS/JS) the page failed to load, as "404 http://…/static/…" strings."""
    return []


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Path, asset_errors: list[str]) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
        viewport={"width": 1400, "height": 900},
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()

    def _on_response(response: Any) -> None:
        if response.status >= 400 and "/static/" in response.url:
            asset_errors.append(f"{response.status} {response.url}")

    pg.on("response", _on_response)
    _pin_db_connections()
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            shot = tmp_path / f"failure-{_safe_name(request.node.nodeid)}.png"
            try:
                pg.screenshot(path=str(shot), full_page=True)
                print(f"\n[browser] 失败截图: {shot}\n[browser] 当前页面: {pg.url}")
            except Exception as exc:  # a screenshot must never mask the real failure
                print(f"\n[browser] 无法保存失败截图: {exc}")
        context.close()


@pytest.fixture
def browser_login(page: Any, live_server: Any, asset_errors: list[str]) -> Callable[[str, str], Any]:
    """browser_login(username, password) → the page, logged in and showing 工作台.

    Fails at once when the page's CSS/JS did not load: every journey depends on htmx and Tabler."""
    from playwright.sync_api import expect

    def _login(username: str, password: str) -> Any:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("账号").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        error = page.locator(".alert-danger")
        expect(page.locator("h2.page-title").or_(error)).to_be_visible()
        if error.count():
            pytest.fail(f"{username} 登录失败：{error.inner_text()}", pytrace=False)
        expect(page.locator("h2.page-title")).to_have_text("工作台")
        page.wait_for_load_state("load")
        if asset_errors:
            pytest.fail("页面的静态资源没有加载（htmx/Tabler 不可用，浏览器测试无从进行；"
                        "查看 settings 的 STATICFILES_DIRS 与静态文件查找器）：\n  "
                        + "\n  ".join(asset_errors), pytrace=False)
        return page

    return _login
