"""The project's URLs plus the benchmark floors (fangtiao.bench.floors); mounted only by
fangtiao.bench.settings, i.e. in the server `fangtiao bench` starts."""

from django.urls import path

from fangtiao.bench import floors
from fangtiao.urls import handler403, handler404, handler500
from fangtiao.urls import urlpatterns as project_urls

urlpatterns = [
    path("bench-floor/sql/<str:name>/<int:i>", floors.sql_floor, name="bench-floor-sql"),
    path("bench-floor/intake", floors.intake_floor, name="bench-floor-intake"),
    *project_urls,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
