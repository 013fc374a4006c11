"""The written permission matrix (issue 9; ASVS V8.1.1/V8.1.2; ADR 0022).

Every URL pattern of the URLconf and every operation of the JSON API declares here who may reach
it. `fangtiao/core/tests/test_view_policies.py` walks `django.urls.get_resolver()` and the ninja
routers and fails on any pattern or operation without an entry, on an entry for something that no
longer exists, and on a `public` entry outside `PUBLIC_ALLOWLIST`;
`test_permission_matrix.py` requests every entry as every role and checks each cell against this
table and `fangtiao.org.permissions.CAPABILITIES`.

A policy is one of
- `public`: anyone, no login (only what `PUBLIC_ALLOWLIST` names);
- `login`: any signed-in staff member (the page shows only the caller's own data);
- `capability`: a signed-in user holding ANY of `capabilities` (403 otherwise); with `obj`, the URL
  carries the id of an object that must also be in the caller's jurisdiction — and, for a case or
  anything hanging off one, at or below the caller's clearance — else 404, as if it did not exist;
- `admin-site`: Django's admin site (is_staff; each model's Django permission).

Keys: the URL name (`namespace:name`) for views; `API <METHOD> <path>` for an API operation (path as
ninja declares it under /api/v1); `admin:*` covers the whole admin site.

Which objects are visible at which relation (`OBJECT_RELATIONS`) is data too: a case is seen in the
caller's subtree (own division, child, grandchild), never at the parent, a sibling or another
district; registry objects (regions, units) are also seen up the chain (escalation targets)."""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC, LOGIN, CAPABILITY, ADMIN_SITE = "public", "login", "capability", "admin-site"


@dataclass(frozen=True)
class Policy:
    kind: str
    capabilities: tuple[str, ...] = ()
    obj: str | None = None  # "case", "unit", "region", "staff", or another model name (scoped, 404 outside)
    # "workflow": past the gate, the case workflow may still refuse the named action (403);
    # "district": only users of a district-level unit (subsidies.services), 403 below
    note: str = ""

    def __str__(self) -> str:
        if self.kind != CAPABILITY:
            return self.kind
        return "capability:" + "|".join(self.capabilities) + (f" object:{self.obj}" if self.obj else "")


def cap(*capabilities: str, obj: str | None = None, note: str = "") -> Policy:
    return Policy(CAPABILITY, tuple(capabilities), obj, note)


P = Policy(PUBLIC)
L = Policy(LOGIN)
A = Policy(ADMIN_SITE)

# What may be public at all (§6 item 4): sign-in and its steps, health, the OpenAPI document, and the
# citizens' portal — its guide, submit and track pages and the matching API operations.
PUBLIC_ALLOWLIST = frozenset({
    "login", "logout", "healthz",
    "portal:guide", "portal:submit", "portal:submitted", "portal:legal", "portal:legal_done", "portal:track",
    "portal:rate",
    "api:openapi-json", "api:openapi-view", "api:api-root",
    "notifications:unread_count", "API POST /auth/token",
    "API POST /public/petitions", "API GET /public/petitions/{number}", "API POST /public/petitions/{number}/rating",
})
# Name prefixes that may hold public pages added by the authentication work (sign-in steps: OTP,
# enrolment, password reset) — each still needs its own entry below.
PUBLIC_PREFIXES = ("security:login", "security:otp", "security:mfa", "security:enrol", "security:password_reset")

# relation → visible? per object kind (the expected 200-or-404 of the object dimension).
OBJECT_RELATIONS: dict[str, frozenset[str]] = {
    "case": frozenset({"own", "child", "grandchild"}),
    "unit": frozenset({"own", "child", "grandchild", "parent"}),
    "region": frozenset({"own", "child", "grandchild", "parent"}),
    "staff": frozenset({"own", "child", "grandchild"}),
}

POLICIES: dict[str, Policy] = {
    # --- core, sign-in ---------------------------------------------------------------------
    "home": L,
    "healthz": P,
    "login": P,
    "logout": P,
    "api:openapi-json": P,
    "api:openapi-view": P,
    "api:api-root": P,  # ninja's root name (for reverse()): no view of its own, no data
    # --- authentication and account security (fangtiao.security) ----------------------------
    "otp_verify": L,  # the second sign-in step: a session that has passed the password only
    "otp_enrol": L,
    "password_change": L,
    "my_sessions": L,
    "security_home": cap("security.manage"),
    "security_end_all": cap("security.manage"),
    "security_unlock": cap("security.manage", obj="lockout"),
    "security_action": cap("security.manage", obj="account_action"),
    # --- personal information: retention, register, rights requests (fangtiao.privacy) -------
    "privacy:retention": cap("privacy.view"),
    "privacy:rule_edit": cap("privacy.manage", obj="retention_rule"),
    "privacy:hold_new": cap("privacy.manage"),
    "privacy:hold_release": cap("privacy.manage", obj="hold"),
    "privacy:register": cap("privacy.view"),
    "privacy:requests": cap("privacy.requests"),
    "privacy:request_new": cap("privacy.requests"),
    "privacy:request": cap("privacy.requests", obj="rights_request"),
    "privacy:request_review": cap("privacy.requests", obj="rights_request"),
    "privacy:request_answer": cap("privacy.requests", obj="rights_request"),
    "privacy:request_refuse": cap("privacy.requests", obj="rights_request"),
    "privacy:request_copy": cap("privacy.requests", obj="rights_request"),
    # --- org -------------------------------------------------------------------------------
    "org:regions": cap("registry.view"),
    "org:region": cap("registry.view", obj="region"),
    "org:units": cap("registry.view"),
    "org:unit_create": cap("registry.manage"),
    "org:unit": cap("registry.view", obj="unit"),
    "org:unit_edit": cap("registry.manage", obj="unit"),
    "org:mediators": cap("registry.view"),
    "org:mediator_create": cap("mediator.manage"),
    "org:mediator": cap("registry.view", obj="mediator"),
    "org:mediator_edit": cap("mediator.manage", obj="mediator"),
    "org:experts": cap("registry.view"),
    "org:expert_create": cap("expert.manage"),
    "org:expert": cap("registry.view", obj="expert"),
    "org:expert_edit": cap("expert.manage", obj="expert"),
    "org:staff": cap("staff.view"),
    "org:staff_detail": cap("staff.view", obj="staff"),
    "org:staffing": cap("staffing.view"),
    "org:reveal": cap("pii.reveal", obj="mediator"),
    # --- audit -----------------------------------------------------------------------------
    "audit:list": cap("audit.view"),
    "audit:detail": cap("audit.view", obj="audit"),
    # --- cases -----------------------------------------------------------------------------
    "cases:list": cap("case.view"),
    "cases:intake": cap("case.register"),
    "cases:hints": cap("case.register"),
    "cases:inbox": cap("case.view"),
    "cases:detail": cap("case.view", obj="case"),
    "cases:receipt": cap("case.view", obj="case"),
    "cases:reissue_code": cap("case.register", obj="case"),
    "cases:act": cap("case.view", obj="case", note="workflow"),
    "cases:reveal": cap("pii.reveal", obj="case"),
    # --- mediation -------------------------------------------------------------------------
    "mediation:workspace": cap("mediation.workspace"),
    "mediation:my_cases": cap("mediation.workspace"),
    "mediation:sessions": cap("mediation.workspace"),
    "mediation:board": cap("mediation.board"),
    "mediation:loads": cap("mediation.board"),
    "mediation:loads_panel": cap("mediation.board"),
    "mediation:suggestions": cap("mediation.board", obj="board_case", note="a case awaiting a mediator"),
    "mediation:assign": cap("mediation.board", obj="board_case", note="a case awaiting a mediator"),
    "mediation:court": cap("mediation.court"),
    "mediation:opinions": cap("mediation.opinions"),
    "mediation:answer_opinion": cap("mediation.opinions", obj="opinion"),
    "mediation:oversight": cap("mediation.oversight"),
    "mediation:overdue": cap("mediation.oversight"),
    "mediation:backlog": cap("mediation.oversight"),
    "mediation:archives": cap("mediation.archive"),
    "mediation:archive": cap("mediation.archive", obj="archive"),
    "mediation:agree": cap("case.view", obj="case"),
    "mediation:sign": cap("case.view", obj="case"),
    "mediation:act": cap("case.view", obj="case", note="workflow"),
    # --- documents -------------------------------------------------------------------------
    "documents:case": cap("documents.view", obj="case"),
    "documents:panel": cap("documents.view", obj="case"),
    "documents:issue": cap("documents.view", obj="case"),
    "documents:case_print": cap("documents.print", obj="case"),
    "documents:pdf": cap("documents.view", obj="case"),
    "documents:docx": cap("documents.view", obj="case"),
    "documents:scan_upload": cap("documents.upload", obj="case"),
    "documents:scan": cap("documents.view", obj="case"),
    "documents:print": cap("documents.print"),
    "documents:job": cap("documents.print", obj="print_job"),
    "documents:job_progress": cap("documents.print", obj="print_job"),
    "documents:job_file": cap("documents.print", obj="print_job"),
    "documents:templates": cap("documents.templates"),
    "documents:template_upload": cap("documents.templates", obj="template"),
    "documents:template_disable": cap("documents.templates", obj="template"),
    "documents:flowchart": cap("case.view"),
    "documents:flowchart_pdf": cap("case.view"),
    # --- screening -------------------------------------------------------------------------
    "screening:warnings": cap("warning.view"),
    "screening:warning": cap("warning.view", obj="warning"),
    "screening:warning_acknowledge": cap("warning.handle", obj="warning"),
    "screening:warning_resolve": cap("warning.handle", obj="warning"),
    "screening:warning_lawyer": cap("warning.handle", obj="warning"),
    "screening:lawyer_assign": cap("warning.handle", obj="warning"),
    "screening:lawyer_record": cap("warning.lawyer", obj="warning"),
    "screening:hotspots": cap("hotspot.view"),
    "screening:hotspot_run": cap("hotspot.compute"),
    "screening:hotspot_progress": cap("hotspot.view", obj="hotspot_run"),
    "screening:hotspot": cap("hotspot.view", obj="hotspot"),
    "screening:rounds": cap("screening.view"),
    "screening:round": cap("screening.view", obj="round"),
    "screening:finding_to_case": cap("case.register", obj="finding"),
    "screening:completion": cap("screening.view"),
    # --- legal service ---------------------------------------------------------------------
    "legalservice:consultations": cap("consultation.view"),
    "legalservice:consultation_new": cap("consultation.record"),
    "legalservice:consultation": cap("consultation.view", obj="consultation"),
    "legalservice:consultation_answer": cap("consultation.record", obj="consultation"),
    "legalservice:consultation_case": cap("case.register", obj="consultation"),
    "legalservice:participations": cap("consultation.view"),
    "legalservice:participation_counts": cap("consultation.view"),
    "legalservice:participation_new": cap("lawyer.participation"),
    "legalservice:case_participation_new": cap("lawyer.participation", obj="case"),
    # --- statistics, assessment, subsidies -------------------------------------------------
    "stats:overview": cap("stats.view"),
    "stats:townships": cap("stats.view"),
    "stats:mediators": cap("stats.view"),
    "stats:reports": cap("stats.view"),
    "stats:report_xlsx": cap("stats.view"),
    "assessment:scores": cap("assessment.view"),
    "assessment:scores_list": cap("assessment.view"),
    "assessment:score": cap("assessment.view", obj="score"),
    "assessment:item_cases": cap("assessment.view", obj="score"),
    "assessment:compute": cap("assessment.manage"),
    "assessment:compute_progress": cap("assessment.view", obj="assessment_run"),
    "assessment:schemes": cap("assessment.view"),
    "assessment:scheme_new": cap("assessment.manage"),
    "assessment:scheme_edit": cap("assessment.manage", obj="scheme"),
    "assessment:commendations": cap("assessment.view"),
    "assessment:commendation_confirm": cap("assessment.manage", obj="commendation"),
    "assessment:accountability": cap("accountability.view"),
    "assessment:accountability_new": cap("accountability.record"),
    "subsidies:batches": cap("subsidy.view"),
    "subsidies:batch_new": cap("subsidy.prepare"),
    "subsidies:batch": cap("subsidy.view", obj="batch"),
    "subsidies:batch_sheet": cap("subsidy.view", obj="batch"),
    "subsidies:batch_action": cap("subsidy.view", obj="batch"),
    "subsidies:rules": cap("subsidy.view", "subsidy.rules"),
    "subsidies:rule_new": cap("subsidy.rules", note="district"),
    "subsidies:rule_edit": cap("subsidy.rules", obj="rule"),
    # --- notifications (the caller's own inbox) --------------------------------------------
    "notifications:index": L,
    "notifications:list": L,
    "notifications:read": L,
    "notifications:unread_count": P,  # the navigation badge: empty for anonymous (no data), no login page in htmx
    "notifications:sms": cap("case.view"),
    # --- the citizens' portal --------------------------------------------------------------
    "portal:guide": P,
    "portal:submit": P,
    "portal:submitted": P,
    "portal:legal": P,
    "portal:legal_done": P,
    "portal:track": P,
    "portal:rate": P,
    # --- the Django admin site -------------------------------------------------------------
    "admin:*": A,
    # --- API v1 ----------------------------------------------------------------------------
    "API GET /meta/enums": L,
    "API POST /auth/token": P,
    "API DELETE /auth/token": L,
    "API GET /me": L,
    "API GET /regions": cap("registry.view"),
    "API GET /regions/{code}": cap("registry.view", obj="region"),
    "API GET /units": cap("registry.view"),
    "API GET /units/{int:unit_id}": cap("registry.view", obj="unit"),
    "API GET /mediators": cap("registry.view"),
    "API GET /mediators/{int:mediator_id}": cap("registry.view", obj="mediator"),
    "API GET /experts": cap("registry.view"),
    "API GET /experts/{int:expert_id}": cap("registry.view", obj="expert"),
    "API GET /staff": cap("staff.view"),
    "API GET /staff/{int:user_id}": cap("staff.view", obj="staff"),
    "API POST /cases": cap("case.register"),
    "API GET /cases": cap("case.view"),
    "API GET /cases/{int:case_id}": cap("case.view", obj="case"),
    "API GET /cases/{int:case_id}/actions": cap("case.view", obj="case"),
    "API POST /cases/{int:case_id}/actions/{action}": cap("case.view", obj="case", note="workflow"),
    "API GET /cases/{int:case_id}/similar": cap("case.view", obj="case"),
    "API POST /cases/{int:case_id}/parties/{int:party_id}/reveal": cap("pii.reveal", obj="case"),
    "API GET /cases/{int:case_id}/mediator-suggestions": cap("case.view", obj="case"),
    "API GET /cases/{int:case_id}/courts": cap("case.view", obj="case"),
    "API GET /mediation/rooms": cap("case.view"),
    "API GET /confirmations": cap("case.view"),
    "API GET /archives": cap("case.view"),
    "API GET /mediation/confirmation-performance": cap("case.view"),
    "API GET /cases/{case_id}/documents": cap("documents.view", obj="case"),
    "API GET /cases/{case_id}/documents/{doc_type}": cap("documents.view", obj="case"),
    "API POST /cases/{case_id}/documents/{doc_type}/scans": cap("documents.upload", obj="case"),
    "API GET /cases/{case_id}/scans/{scan_id}": cap("documents.view", obj="case"),
    "API POST /documents/print-jobs": cap("documents.print"),
    "API GET /documents/print-jobs/{job_id}": cap("documents.print", obj="print_job"),
    "API GET /documents/print-jobs/{job_id}/file": cap("documents.print", obj="print_job"),
    "API GET /documents/flowchart": cap("case.view"),
    "API GET /warnings": cap("warning.view"),
    "API GET /warnings/{int:warning_id}": cap("warning.view", obj="warning"),
    "API POST /warnings/{int:warning_id}/acknowledge": cap("warning.handle", obj="warning"),
    "API POST /warnings/{int:warning_id}/resolve": cap("warning.handle", obj="warning"),
    "API POST /warnings/{int:warning_id}/lawyer": cap("warning.handle", obj="warning"),
    "API POST /interventions/{int:intervention_id}/assign": cap("warning.handle", obj="intervention"),
    "API POST /interventions/{int:intervention_id}/meeting": cap("warning.lawyer", obj="intervention"),
    "API GET /hotspots": cap("hotspot.view"),
    "API GET /hotspots/{int:hotspot_id}": cap("hotspot.view", obj="hotspot"),
    "API POST /hotspots/runs": cap("hotspot.compute"),
    "API GET /hotspots/runs/{int:run_id}": cap("hotspot.view", obj="hotspot_run"),
    "API GET /screenings": cap("screening.view"),
    "API POST /screenings": cap("screening.record"),
    "API GET /screenings/completion": cap("screening.view"),
    "API GET /screenings/{int:round_id}": cap("screening.view", obj="round"),
    "API POST /screenings/findings/{int:finding_id}/case": cap("case.register", obj="finding"),
    "API POST /screenings/plans": cap("screening.plan"),
    "API POST /routing/suggest": cap("case.register"),
    "API POST /routing/retrain": cap("routing.train"),
    "API GET /consultations": cap("consultation.view"),
    "API POST /consultations": cap("consultation.record"),
    "API GET /consultations/counts": cap("consultation.view"),
    "API GET /consultations/{int:consultation_id}": cap("consultation.view", obj="consultation"),
    "API POST /consultations/{int:consultation_id}/answer": cap("consultation.record", obj="consultation"),
    "API POST /consultations/{int:consultation_id}/case": cap("case.register", obj="consultation"),
    "API POST /cases/{int:case_id}/lawyer-participations": cap("lawyer.participation", obj="case"),
    "API POST /public/petitions": P,
    "API GET /public/petitions/{number}": P,
    "API POST /public/petitions/{number}/rating": P,
    "API GET /stats/summary": cap("stats.view"),
    "API GET /stats/monthly": cap("stats.view"),
    "API GET /stats/breakdown": cap("stats.view"),
    "API GET /assessment/scores": cap("assessment.view"),
    "API GET /assessment/scores/{int:score_id}": cap("assessment.view", obj="score"),
    "API GET /assessment/scores/{int:score_id}/items/{int:item_id}/cases": cap("assessment.view", obj="score"),
    "API POST /assessment/compute": cap("assessment.manage"),
    "API GET /assessment/compute/{int:run_id}": cap("assessment.view", obj="assessment_run"),
    "API GET /assessment/indicators": cap("assessment.view"),
    "API GET /assessment/schemes": cap("assessment.view"),
    "API POST /assessment/schemes": cap("assessment.manage"),
    "API PUT /assessment/schemes/{int:scheme_id}": cap("assessment.manage", obj="scheme"),
    "API GET /assessment/commendations": cap("assessment.view"),
    "API POST /assessment/commendations/propose": cap("assessment.manage"),
    "API POST /assessment/commendations/{int:commendation_id}/confirm": cap("assessment.manage", obj="commendation"),
    "API GET /assessment/accountability": cap("accountability.view"),
    "API POST /assessment/accountability": cap("accountability.record"),
    "API GET /subsidies": cap("subsidy.view"),
    "API GET /subsidies/batches": cap("subsidy.view"),
    "API POST /subsidies/batches": cap("subsidy.prepare"),
    "API GET /subsidies/batches/{int:batch_id}": cap("subsidy.view", obj="batch"),
    "API GET /subsidies/batches/{int:batch_id}/sheet": cap("subsidy.view", obj="batch"),
    "API POST /subsidies/batches/{int:batch_id}/actions/{action}": cap("subsidy.view", obj="batch"),
    "API GET /subsidies/rules": cap("subsidy.view", "subsidy.rules"),
    "API POST /subsidies/rules": cap("subsidy.rules"),
    "API PUT /subsidies/rules/{int:rule_id}": cap("subsidy.rules", obj="rule"),
}


def policy_for(key: str) -> Policy | None:
    """The declared policy of a URL name or API operation key (None: undeclared = denied)."""
    if key in POLICIES:
        return POLICIES[key]
    namespace = key.split(":", 1)[0] if ":" in key and not key.startswith("API ") else ""
    return POLICIES.get(f"{namespace}:*") if namespace else None


def is_allowed_public(key: str) -> bool:
    return key in PUBLIC_ALLOWLIST or key.startswith(PUBLIC_PREFIXES)


# Roles that see only the cases they are asked about (an expert: the opinions requested of them),
# whatever their unit's subtree (cases.access.case_visible_q).
CASE_ASSIGNED_ONLY_ROLES = frozenset({"expert"})


@dataclass(frozen=True)
class Endpoint:
    key: str          # the POLICIES key
    route: str        # Django route ("cases/<int:pk>/") or the API path ("/cases/{int:case_id}")
    method: str       # "" for views (any method), else the API operation's method
    api: bool = False


def endpoints() -> list[Endpoint]:
    """Every URL pattern of the URLconf (recursively) and every operation of the ninja API."""
    from django.urls import URLResolver, get_resolver

    from fangtiao.api import api

    out: list[Endpoint] = []

    def walk(resolver: URLResolver, prefix: str, namespaces: tuple[str, ...]) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = (*namespaces, p.namespace) if p.namespace else namespaces
                walk(p, prefix + str(p.pattern), ns)
                continue
            if getattr(p.callback, "__module__", "") == "ninja.operation":
                continue  # an API path: its operations are listed below, one per method
            name = ":".join((*namespaces, p.name or f"<unnamed {prefix}{p.pattern}>"))
            out.append(Endpoint(name, prefix + str(p.pattern), ""))

    walk(get_resolver(), "", ())
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                for method in op.methods:
                    out.append(Endpoint(f"API {method} {_prefix.rstrip('/')}{path}".replace("  ", " "), path, method, api=True))
    return out
