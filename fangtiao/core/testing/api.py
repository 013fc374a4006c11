"""Helpers for API tests: a client that speaks bearer tokens."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from fangtiao.org.services import token_issue


class ApiClient:
    def __init__(self, user: Any = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token_issue(user=user)}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, params or {}, **self.headers)

    def post(self, path: str, body: Any, **extra: str) -> Any:
        data = body if isinstance(body, str) else json.dumps(body)
        return self.client.post(path, data=data, content_type="application/json", **self.headers, **extra)

    def delete(self, path: str) -> Any:
        return self.client.delete(path, **self.headers)
