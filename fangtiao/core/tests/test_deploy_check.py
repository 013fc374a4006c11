"""`fangtiao check --deploy --fail-level WARNING` on the production settings (security-reliability.md
§2.1, §6 item 18; ADR 0021): a subprocess with production environment values — not the test settings,
which are LOCAL — exits 0 with no unsilenced warning; every silenced check is commented in settings.py;
the production settings give __Host- cookies, HSTS with includeSubDomains and no debug or test routes."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

import fangtiao

ROOT = Path(fangtiao.__file__).resolve().parent
FANGTIAO = Path(sys.executable).with_name("fangtiao")


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FANGTIAO_", "DATABASE_", "REDIS_", "CELERY_", "DJANGO_", "PYTEST"))}
    env.update({
        "FANGTIAO_SECRET_KEY": secrets.token_urlsafe(48),  # 64 random characters
        "FANGTIAO_ALLOWED_HOSTS": "fangtiao.example.gov.cn",
        "FANGTIAO_CSRF_TRUSTED_ORIGINS": "https://fangtiao.example.gov.cn",
        "FANGTIAO_FIELD_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "FANGTIAO_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "FANGTIAO_BACKUP_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "FANGTIAO_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'prod.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "fangtiao.settings",
    })
    return env


@pytest.fixture(scope="module")
def prod(tmp_path_factory) -> dict[str, str]:
    return production_env(tmp_path_factory.mktemp("prod"))


def test_check_deploy_passes_at_warning_level_on_production_settings(prod):
    done = subprocess.run([str(FANGTIAO), "check", "--deploy", "--fail-level", "WARNING"], env=prod,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout + done.stderr, done.stdout + done.stderr
    assert "WARNINGS" not in done.stdout + done.stderr


SCRIPT = r"""
import json, django
django.setup()
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

def walk(r, prefix=""):
    for p in r.url_patterns:
        if isinstance(p, URLResolver):
            yield from walk(p, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)

print(json.dumps({
    "routes": sorted(walk(get_resolver())),
    "debug": settings.DEBUG, "local": settings.LOCAL,
    "silenced": settings.SILENCED_SYSTEM_CHECKS,
    "cookies": [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_SECURE,
                settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE,
                settings.CSRF_COOKIE_SAMESITE, settings.SESSION_COOKIE_DOMAIN, settings.CSRF_COOKIE_DOMAIN],
    "hsts": [settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_SSL_REDIRECT],
    "apps": settings.INSTALLED_APPS, "middleware": settings.MIDDLEWARE,
    "media": str(settings.MEDIA_ROOT), "static": str(settings.STATIC_ROOT),
    "upload_perms": settings.FILE_UPLOAD_PERMISSIONS,
}))
"""


def test_production_settings_values_and_urlconf(prod):
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=prod, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    s = json.loads(done.stdout.strip().splitlines()[-1])
    assert s["debug"] is False and s["local"] is False
    assert s["cookies"] == ["__Host-sessionid", "__Host-csrftoken", True, True, True, "Lax", "Lax", None, None]
    assert s["hsts"][0] >= 31_536_000 and s["hsts"][1] is True and s["hsts"][2] is True
    assert s["upload_perms"] == 0o600
    # no debug toolbar, no test or development routes in the production URLconf (V15.2.3)
    bad = [r for r in s["routes"] if re.search(r"__debug__|(^|/)tests?(/|$)|silk|debug", r)]
    assert not bad, bad
    assert not any("debug_toolbar" in a or "django_extensions" in a for a in s["apps"])
    assert "fangtiao.core.security_headers.SecurityHeadersMiddleware" in s["middleware"]
    media, static = Path(s["media"]).resolve(), Path(s["static"]).resolve()
    assert media != static and static not in media.parents and media not in static.parents
    assert not media.is_relative_to(ROOT / "static")


def test_every_silenced_check_has_a_comment():
    """SILENCED_SYSTEM_CHECKS: each id named in settings.py is explained by a comment just above."""
    text = (ROOT / "settings.py").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(text):
        if "SILENCED_SYSTEM_CHECKS" in line and "=" in line.split("SILENCED_SYSTEM_CHECKS")[1][:3]:
            ids = re.findall(r'"([a-z_]+\.[A-Z]\d{3})"', line)
            assert ids, line
            above = "\n".join(text[max(0, i - 6):i])
            for check in ids:
                assert check in above, f"{check} silenced without a comment naming it"
