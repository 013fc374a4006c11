"""Settings of the server `fangtiao bench` starts: the project's settings with the benchmark's
floor views mounted (fangtiao.bench.urls). Never used outside the benchmark."""

from fangtiao.settings import *  # noqa: F403

ROOT_URLCONF = "fangtiao.bench.urls"
