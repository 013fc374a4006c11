"""Project-wide pytest configuration: no network, shared fixtures."""

from __future__ import annotations

import logging
import socket

import pytest

pytest_plugins = ["fangtiao.core.testing.browser", "fangtiao.cases.tests.factories"]

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1", "0.0.0.0")) and "/" not in host:  # noqa: S104
        raise RuntimeError(f"tests must not reach the network ({host})")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


class _PiiLogGuard(logging.Handler):
    """Collects every log record whose text holds a mainland ID-card or mobile number."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.hits: list[str] = []
        self.allowed = False  # a test that logs PII on purpose (of the redaction itself) sets this

    def emit(self, record: logging.LogRecord) -> None:
        from fangtiao.core.logs import contains_pii, redact

        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken record is the logging module's to report
            return
        if contains_pii(text):
            self.hits.append(f"{record.name}: {redact(text)[:200]}")


@pytest.fixture(autouse=True)
def pii_log_guard():  # type: ignore[no-untyped-def]
    """No test may make the application log a plaintext ID or mobile number (ASVS V16.2.5; issue 9
    item 12): every record of our own loggers (down to DEBUG) and of everything else at the root's
    level is checked, whether or not a handler would have written it."""
    guard = _PiiLogGuard()
    root, ours = logging.getLogger(), logging.getLogger("fangtiao")
    level = ours.level
    root.addHandler(guard)
    ours.setLevel(logging.DEBUG)
    try:
        yield guard
    finally:
        root.removeHandler(guard)
        ours.setLevel(level)
    if guard.hits and not guard.allowed:
        pytest.fail("plaintext ID or mobile numbers were logged: " + "; ".join(guard.hits[:3]))


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from fangtiao.core.testing.world import build_world

    return build_world()


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    """login(user) → the Django test client logged in as that user."""

    def _login(user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        return client

    return _login
