"""The Celery app of the broker tests: the real one (fangtiao.tasks.celery_app) plus the test
targets, run as its own process (`celery -A fangtiao.tasks.tests.celery_test_app worker`)."""

from __future__ import annotations

from fangtiao.tasks import registry
from fangtiao.tasks.celery_app import app
from fangtiao.tasks.tests import targets

registry.TASKS.update(targets.TASKS)
registry.PERIODIC = (*registry.PERIODIC, *targets.PERIODIC)

__all__ = ["app"]
