"""Project-wide pytest configuration: no network, shared fixtures."""

from __future__ import annotations

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
