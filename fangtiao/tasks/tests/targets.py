"""Task targets for the tests. Each execution appends a line to FANGTIAO_TEST_RUNS_FILE (O_APPEND,
so concurrent runs and separate worker processes do not mix lines), or to RUNS in this process, so
a test counts how often a task really ran."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from fangtiao.tasks import registry

RUNS: list[dict[str, Any]] = []
_lock = threading.Lock()

TASKS = {
    "test.record": "fangtiao.tasks.tests.targets:record",
    "test.boom": "fangtiao.tasks.tests.targets:boom",
    "test.slow": "fangtiao.tasks.tests.targets:slow",
}
PERIODIC = (registry.Periodic("test.tick", "fangtiao.tasks.tests.targets:record", every=600, kwargs={"tick": True}),)


def _note(entry: dict[str, Any]) -> None:
    path = os.environ.get("FANGTIAO_TEST_RUNS_FILE")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(entry, sort_keys=True) + "\n").encode())
        finally:
            os.close(fd)
        return
    with _lock:
        RUNS.append(entry)


def record(**kwargs: Any) -> None:
    _note(kwargs)


def boom(**kwargs: Any) -> None:
    _note(kwargs)
    raise RuntimeError("目标失败")


def slow(**kwargs: Any) -> None:
    _note({**kwargs, "at": "start"})
    time.sleep(float(kwargs.get("seconds", 3)))
    _note({**kwargs, "at": "end"})
