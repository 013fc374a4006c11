"""The exhaustive permission matrix (issue 9; security-reliability.md §6 items 1 and 3; ADR 0022).

Dimensions enumerated (the test computes their product and asserts it equals the cells requested):
- every role: anonymous + every org.choices.Role (a user of that role at township T11, D1 for
  the grandchild relation);
- every endpoint: every URL pattern and API operation of `core.access_policy.endpoints()` (the
  Django admin site as one endpoint, its index);
- the jurisdiction relation (own, child, grandchild, parent, sibling, other district) — only where
  the URL carries the id of a case, unit, region or staff member;
- the sensitivity label (0/1/2 against the user's clearance) — only where that id is a case's.

The expected cell comes from the written matrix (`core.access_policy.POLICIES`) and the capability
table (`org.permissions.CAPABILITIES`), never from the view: anonymous → 302 to the login page (401 in
the API), missing capability → 403, object outside jurisdiction or clearance → 404, else "past the
gate" (2xx/3xx, or 400/409/422 for the empty write body). A denied write changes no row.
Coverage (Zulip-style): every endpoint has ≥ 1 success and every non-public one ≥ 1 denial, except
the endpoints named in GATE_ONLY (their object is not in the fixture: the gate is still checked)."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client

from fangtiao.core.access_policy import (
    ADMIN_SITE,
    CAPABILITY,
    CASE_ASSIGNED_ONLY_ROLES,
    LOGIN,
    OBJECT_RELATIONS,
    PUBLIC,
    Endpoint,
    endpoints,
    policy_for,
)
from fangtiao.core.testing.matrix import LABELS, RELATIONS, matrix_world
from fangtiao.org.choices import Role
from fangtiao.org.permissions import CAPABILITIES

# The suite's run spans relation × label on every API object operation and on the UI pages in DEEP_UI
# (the other UI object pages read the same selectors: their own-object cell only); FANGTIAO_MATRIX=full
# spans them on every object URL (≈ 6,600 cells, minutes on this machine).
FULL = os.environ.get("FANGTIAO_MATRIX") == "full"
DEEP_UI = frozenset({"cases:detail", "cases:receipt", "cases:act", "cases:reveal", "mediation:agree",
                     "documents:case", "org:unit", "org:region", "org:staff_detail"})
ROLES = ("anonymous", *[r.value for r in Role])
SUCCESS = {200, 201, 202, 204, 301, 302, 303, 304, 400, 409, 422}
MISSING = 999_999_999  # an id no fixture row has
# Apps whose rows a denied request may legitimately write (the audit trail of the denial, sessions,
# request bookkeeping); every other table is fingerprinted around denied writes.
UNTRACKED_APPS = {"audit", "sessions", "admin", "contenttypes", "auth"}


@pytest.fixture(scope="module")
def mw(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with matrix_world(django_db_blocker) as world:
        yield world


def _is_object(ep: Endpoint) -> str | None:
    p = policy_for(ep.key)
    return p.obj if p is not None else None


def _dimensions(ep: Endpoint) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(relations, labels) enumerated for this endpoint."""
    obj = _is_object(ep)
    if obj in OBJECT_RELATIONS and (FULL or ep.api or ep.key in DEEP_UI):
        return tuple(RELATIONS), (LABELS if obj == "case" else (0,))
    return ("own",), (0,)


def _reaches_objects(ep: Endpoint, role: str) -> bool:
    """Whether the role's cells of this endpoint span the relation × label dimensions: a role that
    fails the gate (anonymous, or without the capability) is refused before any object is looked up,
    so its cells collapse to one (the expected 302/401/403 whatever the object)."""
    p = policy_for(ep.key)
    if p is None or role == "anonymous":
        return False
    if p.kind != CAPABILITY:
        return True
    return any(role in CAPABILITIES[c] for c in p.capabilities)


def _fill(ep: Endpoint, values: dict[str, Any]) -> str:
    """The concrete URL: converters replaced by the values (by parameter name, else a default)."""
    if ep.api:
        path = re.sub(r"\{(?:\w+:)?(\w+)\}", lambda m: str(values.get(m.group(1), MISSING)), ep.route)
        return "/api/v1" + path
    if ep.key == "admin:*" or ep.key.startswith("admin:"):
        return "/admin/"
    route = ep.route
    if route.startswith("^"):
        route = route.lstrip("^").rstrip("$").replace("\\", "")
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: str(values.get(m.group(2), MISSING if m.group(1) == "int" else "x")),
                  route)
    return "/" + path


def _values(mw: Any, ep: Endpoint, user: Any, relation: str, label: int) -> dict[str, Any]:
    """Parameter values for the cell: the object at `relation` from the user, else the user's own."""
    obj = _is_object(ep)
    division = RELATIONS[relation][1]
    case = mw.cases[(division, label)]
    if case.pk not in _parties:
        _parties[case.pk] = case.parties.first()
    party = _parties[case.pk]
    values: dict[str, Any] = {"action": "accept", "field": "phone", "kind": "mediator", "doc_type": "acceptance_notice",
                              "code": mw.regions[division].code, "number": "X"}
    if obj == "case":
        values.update(pk=case.pk, case_id=case.pk, party=party.pk, party_id=party.pk)
    elif obj == "unit":
        values.update(pk=mw.units[division].pk, unit_id=mw.units[division].pk)
    elif obj == "staff":
        other = mw.user("clerk", {"township": "township", "district": "district"}[RELATIONS[relation][0]])
        target = {"own": mw.user("clerk", "township"), "child": mw.user("clerk", "village"),
                  "grandchild": mw.user("clerk", "village"), "parent": mw.user("clerk", "district")}.get(relation)
        if target is None:
            target = _stranger(mw, division)
        values.update(pk=target.pk, user_id=target.pk)
        del other
    elif obj == "region":
        pass  # the code above
    return values


_strangers: dict[str, Any] = {}
_parties: dict[int, Any] = {}


def _stranger(mw: Any, division: str) -> Any:
    from fangtiao.org.models import User

    if division not in _strangers:
        _strangers[division] = User.objects.create(username=f"m_stranger_{division}", name=f"{division}外人",
                                                   unit=mw.units[division])
    return _strangers[division]


def _visible(mw: Any, obj: str | None, role: str, user: Any, relation: str, label: int) -> bool:
    if obj is None:
        return True
    if obj not in OBJECT_RELATIONS:
        return False  # a MISSING id: refused (404, or 403 where a further rule comes first) past the gate
    if relation not in OBJECT_RELATIONS[obj]:
        return False
    if obj == "case":
        return role not in CASE_ASSIGNED_ONLY_ROLES and label <= user.clearance
    return True


def _expected(ep: Endpoint, role: str, user: Any, relation: str, label: int, mw: Any) -> str:
    """'ok', 'login', 'forbidden', 'notfound' or 'denied' (403 or 404: both reasons hold)."""
    p = policy_for(ep.key)
    if p is None:
        return "undeclared"
    if p.kind == PUBLIC:
        return "notfound" if ep.key in NO_FIXTURE else "ok"
    if role == "anonymous":
        return "login"
    if p.kind == LOGIN:
        return "ok"
    if p.kind == ADMIN_SITE:
        return "ok" if user.is_staff else "login"
    assert p.kind == CAPABILITY
    has = any(role in CAPABILITIES[c] for c in p.capabilities)
    visible = _visible(mw, p.obj, role, user, relation, label)
    if not has:
        return "forbidden" if visible else "denied"
    if p.obj is not None and p.obj not in OBJECT_RELATIONS:
        return "denied"
    if p.note == "district" and user.unit.level != "district":
        return "forbidden"
    if not visible or ep.key in SUBOBJECT_MISSING:
        return "notfound"
    return "workflow" if p.note == "workflow" else "ok"


def _matches(expected: str, status: int, ep: Endpoint, response: Any) -> bool:
    if expected == "ok":
        return status in SUCCESS
    if expected == "workflow":  # past the gate; the workflow may refuse this action to this role (403)
        return status in SUCCESS or status == 403
    if expected == "login":
        if ep.api:
            return status == 401
        return status == 302 and "login" in response.get("Location", "")
    if ep.api and expected in ("forbidden", "notfound", "denied") and status == 422:
        return True  # refused by the operation's schema before its gate ran: nothing reached the view
    if expected == "forbidden":
        return status == 403
    if expected == "notfound":
        return status == 404
    return status in (403, 404)


def _fingerprint() -> tuple[Any, ...]:
    from django.db import connection

    tables = sorted({m._meta.db_table for m in apps.get_models()
                     if m._meta.app_label not in UNTRACKED_APPS and not m._meta.proxy and m._meta.managed})
    counts = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(f"SELECT {counts}")  # noqa: S608 - table names from the model registry
        rows = list(zip(tables, cur.fetchone(), strict=True))
    from fangtiao.cases.models import Case

    rows.append(tuple(Case.objects.order_by("pk").values_list("version", "status", "holder_unit_id")))
    return tuple(rows)


def _request(client: Client, ep: Endpoint, url: str) -> Any:
    if ep.api:
        method = ep.method.lower()
        kwargs = {"content_type": "application/json", "data": "{}"} if method in ("post", "put", "patch", "delete") else {}
        return getattr(client, method)(url, **kwargs)
    r = client.get(url)
    if r.status_code == 405:
        r = client.post(url, {"reason": "矩阵核对"})  # a reveal's reason is checked before its gate
    return r


def test_every_cell_of_the_matrix(mw: Any, db: Any) -> None:
    eps = sorted(endpoints(), key=lambda e: e.key)
    admin_seen = False
    cases_eps = []
    for ep in eps:
        if ep.key.startswith("admin:"):
            if admin_seen:
                continue
            admin_seen = True
            ep = Endpoint("admin:*", "", "")
        cases_eps.append(ep)
    clients: dict[tuple[str, str], Client] = {}

    def client_for(role: str, level: str) -> tuple[Client, Any]:
        if (role, level) not in clients:
            c = Client()
            if role != "anonymous":
                c.force_login(mw.user(role, level))
            clients[(role, level)] = c
        return clients[(role, level)], (None if role == "anonymous" else mw.user(role, level))

    expected_cells = 0
    tested = 0
    failures: list[str] = []
    outcome: dict[str, Counter[str]] = defaultdict(Counter)
    for ep in cases_eps:
        if policy_for(ep.key) is None:
            failures.append(f"{ep.key}: no declared policy (core.access_policy.POLICIES)")
            continue
        relations, labels = _dimensions(ep)
        deny_writes = ep.method not in ("GET", "") or ep.key.endswith(("_new", "_create", "_edit", "act", "assign", "sign",
                                                                          "issue", "upload", "disable", "confirm", "run",
                                                                          "answer", "record", "read", "compute"))
        cells = []
        for role in ROLES:
            role_relations, role_labels = (relations, labels) if _reaches_objects(ep, role) else (("own",), (0,))
            expected_cells += len(role_relations) * len(role_labels)
            for relation in role_relations:
                level = RELATIONS[relation][0] if len(relations) > 1 else "township"
                if policy_for(ep.key).note == "district" and role != "anonymous":
                    level = "district"
                client, user = client_for(role, level)
                for label in role_labels:
                    want = _expected(ep, role, user, relation, label, mw)
                    cells.append((want in ("ok", "workflow"), role, level, relation, label, client, user, want))
        # The denied cells first, between two fingerprints of every business table: a denial writes nothing.
        cells.sort(key=lambda c: c[0])
        before = _fingerprint() if deny_writes else None
        checked = False
        for allowed, role, level, relation, label, client, user, want in cells:
            if allowed and deny_writes and not checked:
                checked = True
                after = _fingerprint()
                if before != after:
                    changed = [a for a, b in zip(before, after, strict=False) if a != b]
                    failures.append(f"{ep.key}: denied cells changed rows: {str(changed)[:300]}")
            url = _fill(ep, _values(mw, ep, user, relation, label))
            if policy_for(ep.key).kind == PUBLIC:
                cache.clear()  # the portal's per-address rate limits would answer 429 after a few cells
            r = _request(client, ep, url)
            tested += 1
            ok = _matches(want, r.status_code, ep, r)
            outcome[ep.key]["success" if r.status_code in SUCCESS and want in ("ok", "workflow") else
                            "denial" if want != "ok" and ok else "other"] += 1
            if not ok:
                failures.append(f"{ep.key} {role}@{level} {relation} label={label}: want {want}, got {r.status_code} {url}")
        if ep.key in SESSION_ENDING:
            clients.clear()  # signed out (or sessions ended): the next endpoint signs everyone in again
    assert tested == expected_cells
    missing_success = sorted(k for k, c in outcome.items() if not c["success"] and not _gate_only(k))
    missing_denial = sorted(k for k, c in outcome.items()
                            if not c["denial"] and policy_for(k) is not None and policy_for(k).kind != PUBLIC)
    if os.environ.get("FANGTIAO_MATRIX_REPORT"):
        with open(os.environ["FANGTIAO_MATRIX_REPORT"], "w") as fh:  # noqa: PTH123
            fh.write("\n".join(failures) + f"\n\ncells {tested}\nmissing success: {missing_success}\n"
                     f"missing denial: {missing_denial}\n")
    report = "\n".join(failures[:400])
    assert not failures, f"{len(failures)} cells differ from the matrix:\n{report[:6000]}"
    assert not missing_success, missing_success
    assert not missing_denial, missing_denial


# Endpoints that end sessions: every client signs in again after them.
SESSION_ENDING = frozenset({"logout", "security_end_all", "my_sessions", "password_change", "security_action",
                            "API DELETE /auth/token"})
# Public endpoints that answer 404 without a fixture of their own (a citizen's case number and code,
# the API root name that has no view).
NO_FIXTURE = frozenset({"api:api-root", "API GET /public/petitions/{number}", "portal:rate"})
# Case endpoints naming a document, scan or form the matrix world does not issue: 404 past the gate.
SUBOBJECT_MISSING = frozenset({
    "documents:pdf", "documents:docx", "documents:scan", "documents:scan_upload",
    "API GET /cases/{case_id}/documents/{doc_type}", "API GET /cases/{case_id}/scans/{scan_id}",
    "API POST /cases/{case_id}/documents/{doc_type}/scans",
})


def _gate_only(key: str) -> bool:
    """Endpoints whose success cell needs an object the matrix world does not build (warnings, batches,
    schemes, print jobs…): their gate (403 without the capability, 302/401 anonymous) and the 404 of a
    missing id are checked, a success is not (docs/security.md §2 lists them)."""
    p = policy_for(key)
    return key in NO_FIXTURE or key in SUBOBJECT_MISSING or (p is not None and p.obj is not None
                                                               and p.obj not in OBJECT_RELATIONS)
