"""Query-count assertions that do not depend on an exact number chosen by hand: a list must
cost the same number of queries for a page of 1 as for a page of many (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)
