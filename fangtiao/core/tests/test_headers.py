"""Security headers on every response (security-reliability.md §1.6, §6 item 22; ADR 0021).

The walk enumerates every URL pattern from the URLconf (pages, the API, the admin), fills the path
arguments from a seeded world (one registered case and its people), and GETs each as an anonymous
visitor and as a district leader over HTTPS with the production HSTS values. Every response — 200,
302, 403, 404 or 405 alike — must carry HSTS, the CSP, nosniff, a Referrer-Policy and COOP; every
dynamic one no-store. The same sweep proves GET is side-effect free: the row count of every table is
the same before and after (V3.5.3).
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from fangtiao.cases.tests.factories import extend_world, make_case
from fangtiao.core.security_headers import csp_directives

pytestmark = pytest.mark.django_db

HSTS = {"SECURE_HSTS_SECONDS": 31_536_000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_SSL_REDIRECT": False}
# What a GET may legitimately write: the session row (a sliding idle timeout re-saves it on every
# request, and the session row of the staff client exists before the sweep), and audit events of
# audited reads (an export or a full reveal is itself the event the audit log must hold, §6 item 15).
GET_MAY_WRITE = frozenset({"sessions.Session", "audit.AuditEvent"})
GET_MAY_WRITE_TABLES = frozenset({"django_session", "audit_auditevent", "audit_auditchain", "audit_chainhead"})
# Writes on GET known and reported to their owners (issue 9, docs/security.md §8), each exactly
# where it happens, so any new one still fails: the OTP enrolment page stores the pending
# (unconfirmed) secret it shows as a QR code; the privacy overview seeds its reference tables
# (retention rules, the legal-basis register) on first view. Both are idempotent.
KNOWN_GET_WRITES = frozenset({("/accounts/otp/enrol/", "security_totpdevice", "security.TOTPDevice"),
                              ("/privacy/", "privacy_retentionrule", "privacy.RetentionRule"),
                              ("/privacy/", "privacy_registerentry", "privacy.RegisterEntry")})
_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\S+)", re.I)


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "") -> list[tuple[str, URLPattern, str]]:
    out = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            sub_ns = ns
            if p.namespace:
                sub_ns = f"{ns}:{p.namespace}" if ns else p.namespace
            out += _walk(p, prefix + _pattern_text(p.pattern), sub_ns)
        else:
            out.append((prefix + _pattern_text(p.pattern), p, ns))
    return out


def _pattern_text(pattern: Any) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    assert isinstance(pattern, RegexPattern)
    return str(pattern).lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")


_ROUTE_ARG = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_ARG = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*(?:\([^()]*\)[^()]*)*)\)")


def _fill(text: str, values: dict[str, Any]) -> str:
    """A concrete path for one pattern: converters and named groups replaced by seeded values."""

    def route_arg(m: re.Match[str]) -> str:
        return str(values.get((text, m["name"])) or values.get(m["name"]) or
                   (values["int"] if m["conv"] == "int" else "x"))

    def regex_arg(m: re.Match[str]) -> str:
        body = m["body"]
        if "|" in body and re.fullmatch(r"[\w|]+", body):  # (?P<app_label>audit|cases|…): its first choice
            return body.split("|")[0]
        if body in (r"\d+", "[0-9]+"):
            return str(values["int"])
        return str(values.get(m["name"]) or values["int"])

    path = _ROUTE_ARG.sub(route_arg, text)
    path = _REGEX_ARG.sub(regex_arg, path)
    path = re.sub(r"\(\?:[^()]*\)\??|\.\*|\.\+|[?^$]", "", path)  # what is left of the admin's regexes
    return "/" + path


@pytest.fixture
def seeded(world: Any) -> dict[str, Any]:
    xw = extend_world(world)
    case = make_case(xw)
    party = case.parties.first()
    return {"case": case, "int": case.pk, "pk": case.pk, "case_id": case.pk, "party": party.pk,
            "party_id": party.pk, "code": world.t01.code, "doc_type": "receipt", "staff": world.users["leader"],
            "world": world}


def _urls(seeded: dict[str, Any]) -> list[str]:
    values = dict(seeded)
    for text, _p, _ns in _walk(get_resolver()):
        if text.startswith(("org/units/", "org/staff/")):
            values[(text, "pk")] = seeded["staff"].unit_id if text.startswith("org/units/") else seeded["staff"].pk
    urls = sorted({_fill(text, values) for text, _p, _ns in _walk(get_resolver())})
    return urls


def _counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy}


def _assert_headers(url: str, who: str, response: Any, problems: list[str]) -> None:
    h = response.headers
    hsts = h.get("Strict-Transport-Security", "")
    m = re.search(r"max-age=(\d+)", hsts)
    if not (m and int(m.group(1)) >= 31_536_000 and "includesubdomains" in hsts.lower()):
        problems.append(f"{who} {url} {response.status_code}: HSTS {hsts!r}")
    csp = csp_directives(h.get("Content-Security-Policy", ""))
    sandboxed = "sandbox" in csp
    if not sandboxed:
        for directive, want in (("object-src", ["'none'"]), ("base-uri", ["'none'"]),
                                ("frame-ancestors", ["'none'"])):
            if csp.get(directive) != want:
                problems.append(f"{who} {url} {response.status_code}: CSP {directive} {csp.get(directive)!r}")
        # scripts and form targets: our own origin at most (a generated SVG has 'none')
        for directive, fallback in (("script-src", csp.get("default-src")), ("form-action", None),
                                    ("default-src", None)):
            if csp.get(directive, fallback) not in (["'self'"], ["'none'"]):
                problems.append(f"{who} {url} {response.status_code}: CSP {directive} {csp.get(directive)!r}")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{who} {url} {response.status_code}: nosniff missing")
    if h.get("Referrer-Policy") not in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"):
        problems.append(f"{who} {url} {response.status_code}: Referrer-Policy {h.get('Referrer-Policy')!r}")
    if h.get("Cross-Origin-Opener-Policy") != "same-origin":
        problems.append(f"{who} {url} {response.status_code}: COOP {h.get('Cross-Origin-Opener-Policy')!r}")
    if h.get("X-Frame-Options", "DENY") != "DENY":  # frame-ancestors 'none' (above) is what browsers use now
        problems.append(f"{who} {url} {response.status_code}: X-Frame-Options {h.get('X-Frame-Options')!r}")
    cc = {d.strip().lower() for d in h.get("Cache-Control", "").split(",")}
    if not {"no-store", "private"} <= cc:
        problems.append(f"{who} {url} {response.status_code}: Cache-Control {h.get('Cache-Control')!r}")
    ctype = h.get("Content-Type", "")
    if response.status_code == 200 and sandboxed and ctype.startswith("text/html"):
        problems.append(f"{who} {url}: a downloaded file served as HTML")


def test_every_url_pattern_has_the_headers_for_anonymous_and_staff_and_get_changes_nothing(seeded):
    from django.test import Client

    urls = _urls(seeded)
    assert len(urls) >= 400, "the walk must cover the whole URLconf (pages, API and admin)"
    staff = Client(raise_request_exception=False)
    staff.force_login(seeded["staff"])
    anonymous = Client(raise_request_exception=False)
    errors: list[str] = []
    problems: list[str] = []
    statuses: dict[int, int] = {}
    writes: list[str] = []
    current = ["", ""]
    known = {(url, table) for url, table, _label in KNOWN_GET_WRITES}

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        m = _WRITE.match(sql)
        table = m.group(1).strip('"`').lower() if m else ""
        if m and table not in GET_MAY_WRITE_TABLES and (current[1], table) not in known:
            writes.append(f"{current[0]}: {sql[:90]}")
        return execute(sql, params, many, context)

    with override_settings(**HSTS), connection.execute_wrapper(spy):
        before = _counts()
        for url in urls:
            for who, c in (("anonymous", anonymous), ("staff", staff)):
                current[:] = [f"{who} GET {url}", url]
                response = c.get(url, secure=True)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    errors.append(f"{who} {url} {response.status_code}")
                _assert_headers(url, who, response, problems)
        after = _counts()
    print(statuses)
    assert not problems, "\n".join(problems[:40]) + f"\n… {len(problems)} in all"
    allowed = GET_MAY_WRITE | {label for _url, _table, label in KNOWN_GET_WRITES}
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k] and k not in allowed}
    assert not changed, f"GET requests wrote rows: {changed}\n" + "\n".join(writes[:30])
    assert not writes, "GET requests wrote:\n" + "\n".join(writes[:30])
    assert not errors, errors
    assert statuses.get(200, 0) >= 100, statuses  # the staff walk reaches real pages, not only redirects


@override_settings(**HSTS)
def test_trace_is_refused_and_no_repository_or_listing_is_served(client):
    assert client.generic("TRACE", "/", secure=True).status_code == 405
    assert client.generic("TRACE", "/static/fangtiao/app.css", secure=True).status_code == 405
    for path in ("/.git/HEAD", "/.git/config", "/static/.git/HEAD", "/static/", "/static/fangtiao/",
                 "/static/../settings.py", "/media/", "/var/fangtiao.sqlite3", "/.env"):
        r = client.get(path, secure=True)
        assert r.status_code == 404, path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "object-src 'none'" in r.headers["Content-Security-Policy"]
    static = client.get("/static/fangtiao/app.css", secure=True)
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    assert "frame-ancestors 'none'" in static.headers["Content-Security-Policy"]


PRODUCTION_COOKIES = {
    "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_NAME": "__Host-sessionid",
    "CSRF_COOKIE_NAME": "__Host-csrftoken",
}


@override_settings(**PRODUCTION_COOKIES)
def test_production_cookies_are_host_prefixed_secure_httponly_and_samesite(world, client):
    page = client.get("/accounts/login/", secure=True)
    assert page.status_code == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    r = client.post("/accounts/login/", {"username": "leader", "password": "Test-Passw0rd!",
                                         "csrfmiddlewaretoken": token}, secure=True)
    assert r.status_code == 302
    raw = [v for k, v in r.items() if k.lower() == "set-cookie"] + \
          [m.output(header="").strip() for m in list(page.cookies.values()) + list(r.cookies.values())]
    jar = SimpleCookie()
    for line in raw:
        jar.load(line)
    assert set(jar) >= {"__Host-sessionid", "__Host-csrftoken"}, raw
    assert "sessionid" not in jar and "csrftoken" not in jar
    for name, morsel in jar.items():
        assert morsel["secure"], name
        assert morsel["path"] == "/", name       # __Host-: Path=/ …
        assert not morsel["domain"], name        # … and no Domain
        assert morsel["samesite"].lower() in ("lax", "strict"), name
        assert morsel["httponly"], name          # the session, and the CSRF cookie too (no script reads it)


def test_settings_default_to_the_safe_values():
    """The values the production settings compute are tested in test_deploy_check (a subprocess with
    production environment); here the ones every mode shares."""
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax" and settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF and settings.X_FRAME_OPTIONS == "DENY"
    csp = csp_directives(settings.FANGTIAO_CSP)
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert settings.MIDDLEWARE.index("fangtiao.core.security_headers.SecurityHeadersMiddleware") == \
        settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1


# --- output encoding (V1.2.1–V1.2.3): payloads through the services, out through every page -------

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "javascript:alert(3)")


def test_xss_payloads_in_case_and_party_fields_come_out_escaped(world, client):
    from django.test import Client

    from fangtiao.cases import services as case_services
    from fangtiao.cases.tests.factories import intake, person

    xw = extend_world(world)
    text = " ".join(PAYLOADS)
    body = intake(title="物业纠纷" + PAYLOADS[0], description=text, demands=text, reasons=text, oral_record=text,
                  parties=[person(address="上洋村" + text)])
    case, code = case_services.case_register(actor=xw.w.users["clerk_t01"], data=body)
    staff = Client()
    staff.force_login(world.users["leader"])
    pages = {
        "detail": staff.get(f"/cases/{case.pk}/"),
        "list": staff.get("/cases/"),
        "search": staff.get("/cases/", {"q": PAYLOADS[0]}),
        "receipt": staff.get(f"/cases/{case.pk}/receipt/"),
        "portal": client.post("/portal/track/", {"number": case.number, "code": code}),
    }
    for name, r in pages.items():
        assert r.status_code == 200, (name, r.status_code)
        html = r.content.decode()
        assert "<script>alert(1)</script>" not in html, name
        assert "<img src=x onerror" not in html, name
        assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I), name
        assert re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) is None, \
            f"{name}: an inline script"
        assert not re.search(r"\son[a-z]+\s*=", re.sub(r"&[a-z]+;|&#\d+;", "", html).replace(
            "onerror=alert(2)", "")), f"{name}: an inline event handler"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["detail"].content.decode()


# --- the pages still work under the CSP, in a real Chromium -----------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_run_under_the_csp_without_a_single_violation(page, browser_login, live_server):
    from playwright.sync_api import expect

    from fangtiao.core.testing.world import PASSWORD, build_world

    w = build_world()
    make_case(extend_world(w))
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    browser_login("leader", PASSWORD)
    # htmx: the filter bar swaps the list in place (hx-get, hx-push-url) — no eval needed
    page.goto(f"{live_server.url}/cases/")
    with page.expect_response(lambda r: "/cases/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("form.filter-bar").evaluate("f => f.requestSubmit()")
    # echarts draws the statistics charts from json_script data
    page.goto(f"{live_server.url}/stats/")
    expect(page.locator("[data-chart][data-rendered='1']").first).to_be_attached()
    page.locator("[data-chart][data-rendered='1'] canvas, [data-chart][data-rendered='1'] svg").first.hover()
    # the intake form's own script (party rows from a <template>)
    page.goto(f"{live_server.url}/cases/new/")
    expect(page.locator("[data-intake]")).to_be_visible()
    page.goto(f"{live_server.url}/documents/flowchart/")
    expect(page.get_by_test_id("flowchart-svg")).to_be_visible()
    assert not violations, violations  # Chromium reports every blocked script, style, eval or frame here
