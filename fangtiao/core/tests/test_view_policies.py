"""Every view declares its access policy (security-reliability.md §6 item 4; ADR 0022).

The URLconf and the ninja routers are walked (core.access_policy.endpoints), never a hand-kept list,
so a new URL or API operation without an entry in core.access_policy.POLICIES fails here."""

from __future__ import annotations

from fangtiao.core.access_policy import (
    CAPABILITY,
    POLICIES,
    PUBLIC,
    PUBLIC_ALLOWLIST,
    endpoints,
    is_allowed_public,
    policy_for,
)
from fangtiao.org.permissions import CAPABILITIES


def test_every_url_pattern_and_api_operation_declares_a_policy() -> None:
    undeclared = sorted(e.key for e in endpoints() if policy_for(e.key) is None)
    assert not undeclared, f"declare these in fangtiao/core/access_policy.py: {undeclared}"


def test_no_policy_for_what_no_longer_exists() -> None:
    keys = {e.key for e in endpoints()}
    stale = sorted(k for k in POLICIES if not k.endswith(":*") and k not in keys)
    assert not stale, stale


def test_public_only_on_the_allowlist() -> None:
    public = {e.key for e in endpoints() if policy_for(e.key).kind == PUBLIC}
    assert public, "the login page at least is public"
    assert all(is_allowed_public(k) for k in public), sorted(k for k in public if not is_allowed_public(k))
    # the portal, sign-in and health are public — and the case list, the audit log and the admin are not
    assert {"login", "healthz", "portal:submit", "portal:track", "API POST /public/petitions"} <= public
    assert not public & {"cases:list", "cases:detail", "audit:list", "API GET /cases", "API GET /cases/{int:case_id}"}
    assert {k for k in public if not k.startswith("security:")} <= PUBLIC_ALLOWLIST


def test_every_declared_capability_exists() -> None:
    unknown = sorted((k, c) for k, p in POLICIES.items() if p.kind == CAPABILITY for c in p.capabilities
                     if c not in CAPABILITIES)
    assert not unknown, unknown
    assert all(p.capabilities for p in POLICIES.values() if p.kind == CAPABILITY)


def test_object_urls_are_scoped() -> None:
    """A URL that carries an object id of a case-like model declares the object (404 outside)."""
    unscoped = []
    for e in endpoints():
        p = policy_for(e.key)
        if p.kind != CAPABILITY:
            continue
        if any(t in e.route for t in ("<int:pk>", "{int:case_id}", "{case_id}", "<int:case_id>")) and not p.obj:
            unscoped.append(e.key)
    assert not unscoped, unscoped
