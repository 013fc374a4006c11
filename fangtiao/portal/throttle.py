"""Rate limits of the public portal: fixed-window counters per client address in Django's cache
(locmem in the embedded setup, Redis when REDIS_URL is set, so several web processes share them).

Scopes:
  submit       every online submission attempt (UI and API), valid or not
  lookup       every progress lookup and rating attempt
  lookup_fail  lookups whose number + code did not match; once over its limit, *all* lookups from
               the address are refused, so a correct guess cannot be told apart from a wrong one
  case_fail    failed lookups of one case number from any address (ASVS V6.6.3: ≤ 10 an hour);
               once at its limit every lookup of that number is refused for the rest of the window,
               and the moment it is reached is audited (portal.lookup_locked)

Addresses are kept only as a keyed hash (the cache holds no IP addresses)."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from fangtiao.core.errors import DomainError
from fangtiao.core.middleware import client_ip
from fangtiao.portal import conf

THROTTLED_DETAIL = "请求过于频繁，请稍后再试"


class Throttled(DomainError):
    """429 in the common error shape; `retry_after` seconds until the window ends."""

    def __init__(self, retry_after: int = 60):
        super().__init__(detail=THROTTLED_DETAIL, errors=[], code="throttled", status=429)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window: int


def limit_for(scope: str) -> Limit:
    if scope == "submit":
        return Limit(scope, conf.value("FANGTIAO_PORTAL_SUBMIT_LIMIT"), conf.value("FANGTIAO_PORTAL_SUBMIT_WINDOW"))
    if scope == "lookup":
        return Limit(scope, conf.value("FANGTIAO_PORTAL_LOOKUP_LIMIT"), conf.value("FANGTIAO_PORTAL_LOOKUP_WINDOW"))
    if scope == "lookup_fail":
        return Limit(scope, conf.value("FANGTIAO_PORTAL_LOOKUP_FAIL_LIMIT"), conf.value("FANGTIAO_PORTAL_LOOKUP_WINDOW"))
    if scope == "case_fail":
        return Limit(scope, conf.value("FANGTIAO_PORTAL_CASE_FAIL_LIMIT"), 3600)
    raise ValueError(f"unknown throttle scope {scope!r}")


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client address (also used to scope the portal's Idempotency-Keys)."""
    ip = client_ip(request) or "unknown"
    return hmac.new(settings.SECRET_KEY.encode(), f"portal-ip:{ip}".encode(), hashlib.sha256).hexdigest()[:24]


def _window(limit: Limit, now: float) -> tuple[str, int]:
    index = int(now // limit.window)
    retry_after = max(int((index + 1) * limit.window - now), 1)
    return str(index), retry_after


def _key(limit: Limit, who: str, index: str) -> str:
    return f"portal:rl:{limit.scope}:{who}:{index}"


def current(request: HttpRequest, scope: str) -> int:
    limit = limit_for(scope)
    index, _ = _window(limit, time.time())
    return int(cache.get(_key(limit, client_key(request), index), 0))


def check(request: HttpRequest, scope: str) -> None:
    """Refuse (429) if the scope's counter is already at its limit; counts nothing."""
    limit = limit_for(scope)
    index, retry_after = _window(limit, time.time())
    if int(cache.get(_key(limit, client_key(request), index), 0)) >= limit.limit:
        raise Throttled(retry_after)


def hit(request: HttpRequest, scope: str) -> int:
    """Count one attempt; refuse (429) once the window's count would exceed the limit."""
    limit = limit_for(scope)
    index, retry_after = _window(limit, time.time())
    key = _key(limit, client_key(request), index)
    cache.add(key, 0, timeout=limit.window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window + 5)
        count = 1
    if count > limit.limit:
        raise Throttled(retry_after)
    return count


def lookup_attempt(request: HttpRequest) -> None:
    """Before a number + code lookup: refused while failures are over their limit, then counted."""
    check(request, "lookup_fail")
    hit(request, "lookup")


def lookup_failed(request: HttpRequest) -> None:
    """After a lookup that matched nothing (unknown number or wrong code: the same thing)."""
    limit = limit_for("lookup_fail")
    index, _ = _window(limit, time.time())
    key = _key(limit, client_key(request), index)
    cache.add(key, 0, timeout=limit.window + 5)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=limit.window + 5)


# --- per case number (issue 9) -----------------------------------------------------------------

def _case_key(number: str) -> tuple[str, int, Limit]:
    limit = limit_for("case_fail")
    index, retry_after = _window(limit, time.time())
    who = hmac.new(settings.SECRET_KEY.encode(), f"portal-case:{number}".encode(), hashlib.sha256).hexdigest()[:24]
    return _key(limit, who, index), retry_after, limit


def case_check(number: str) -> None:
    """Refuse (429) a lookup of a case number that has had too many failed lookups this hour."""
    key, retry_after, limit = _case_key(number)
    if int(cache.get(key, 0)) >= limit.limit:
        raise Throttled(retry_after)


def case_failed(number: str) -> bool:
    """Count a failed lookup of `number` (known or not: the same); True when this one reached the limit."""
    key, _, limit = _case_key(number)
    cache.add(key, 0, timeout=limit.window + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=limit.window + 5)
        count = 1
    return count == limit.limit
