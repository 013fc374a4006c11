"""The portal's configurable figures: read at call time from Django settings (so tests can lower
them with override_settings), else from the environment, else the defaults below.

| setting / env                          | default | meaning                                             |
|----------------------------------------|---------|-----------------------------------------------------|
| FANGTIAO_RATING_DAYS                   | 30      | days after the reply (or closing) a rating is taken |
| FANGTIAO_PORTAL_SUBMIT_LIMIT           | 5       | online submissions per client address per window    |
| FANGTIAO_PORTAL_SUBMIT_WINDOW          | 3600    | seconds                                             |
| FANGTIAO_PORTAL_LOOKUP_FAIL_LIMIT      | 20      | failed number+code lookups per address per window   |
| FANGTIAO_PORTAL_LOOKUP_LIMIT           | 30      | all lookups (and ratings) per address per window    |
| FANGTIAO_PORTAL_LOOKUP_WINDOW          | 3600    | seconds                                             |
| FANGTIAO_PORTAL_CASE_FAIL_LIMIT        | 10      | failed lookups of one case number per window, then  |
|                                        |         | 429 for that number (any address) and an audit event|

The lookup figures are security-reliability §6 item 11 (ASVS V6.6.3, issue 9): ≤ 30 lookups per
address per hour, ≤ 10 failures per case per hour.

The rating window: 国信发〔2014〕16号 sets up the petitioner's evaluation but the number of days
was not found in an authoritative text (legal-rules §6, **UNVERIFIED**), hence configurable."""

from __future__ import annotations

from django.conf import settings

from fangtiao.env import env_int

DEFAULTS: dict[str, int] = {
    "FANGTIAO_RATING_DAYS": 30,
    "FANGTIAO_PORTAL_SUBMIT_LIMIT": 5,
    "FANGTIAO_PORTAL_SUBMIT_WINDOW": 3600,
    "FANGTIAO_PORTAL_LOOKUP_FAIL_LIMIT": 20,
    "FANGTIAO_PORTAL_LOOKUP_LIMIT": 30,
    "FANGTIAO_PORTAL_LOOKUP_WINDOW": 3600,
    "FANGTIAO_PORTAL_CASE_FAIL_LIMIT": 10,
}


def value(name: str) -> int:
    configured = getattr(settings, name, None)
    if configured is not None:
        return int(configured)
    return env_int(name, DEFAULTS[name], minimum=1)


def rating_days() -> int:
    return value("FANGTIAO_RATING_DAYS")
