"""What the CSP promises, checked in the source (ASVS V3.4.3, V14.2.3; ADR 0021): no template has an
inline script, an inline event handler, a javascript: URL, htmx's eval-based attributes (hx-on*,
js: values, event filters) or a script or stylesheet from another origin; the vendored htmx runs with
eval switched off. The heavy tools (bandit, semgrep and its rule tests) run in `make security-lint`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import fangtiao

ROOT = Path(fangtiao.__file__).resolve().parent
TEMPLATES = sorted(p for p in ROOT.rglob("*.html") if "static" not in p.parts)
PY_MARKUP = sorted(p for p in ROOT.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts)

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:json|ld\+json)\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
HX_EVAL = re.compile(r"""\bhx-on[:\-\w]*\s*=|\bhx-vals\s*=\s*["']\s*js:|\bhx-vars\s*=|\bhx-trigger\s*=\s*["'][^"']*\[""", re.I)
FOREIGN = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\s(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)


def test_there_are_templates_to_check():
    assert len(TEMPLATES) >= 50


@pytest.mark.parametrize("rule", ["inline script", "event handler", "javascript: URL", "htmx eval",
                                  "foreign origin", "style element"])
def test_no_template_breaks_the_csp(rule):
    pattern = {"inline script": INLINE_SCRIPT, "event handler": HANDLER, "javascript: URL": JS_URL,
               "htmx eval": HX_EVAL, "foreign origin": FOREIGN, "style element": STYLE_ELEMENT}[rule]
    found = []
    for path in TEMPLATES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(re.sub(r"\{#.*?#\}|<!--.*?-->", "", line)):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    # markup written in Python (format_html in views) is held to the same rules
    for path in PY_MARKUP:
        text = path.read_text(encoding="utf-8")
        if "format_html" not in text and "mark_safe" not in text and "hx-" not in text:
            continue
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.lstrip().startswith("#") and pattern.search(line.replace("\\'", "'")):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not found, "\n".join(found)


def test_htmx_runs_without_eval_and_without_injected_styles():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    meta = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", base)
    assert meta, "base.html configures htmx"
    config = json.loads(meta.group(1))
    assert config["allowEval"] is False and config["includeIndicatorStyles"] is False
    assert config["allowScriptTags"] is False and config["historyCacheSize"] == 0
    # the indicator styles htmx would have injected as a <style> element live in app.css
    assert ".htmx-indicator" in (ROOT / "static" / "fangtiao" / "app.css").read_text(encoding="utf-8")
    # every page that loads htmx gets the config: only base.html loads it
    loaders = [p for p in TEMPLATES if "htmx" in p.read_text(encoding="utf-8") and "htmx.min.js" in
               p.read_text(encoding="utf-8")]
    assert [p.name for p in loaders] == ["base.html"]


def test_semgrep_rules_and_their_tests_are_in_the_repository():
    rules = ROOT.parent / "tools" / "semgrep" / "django-security.yml"
    text = rules.read_text(encoding="utf-8")
    ids = re.findall(r"^\s+- id: (\S+)", text, re.M)
    assert {"fangtiao-mark-safe", "fangtiao-template-safe-filter", "fangtiao-template-from-string",
            "fangtiao-sql-string-formatting", "fangtiao-shell-true", "fangtiao-unsafe-deserialisation",
            "fangtiao-audit-bulk-write", "fangtiao-raw-host-header"} <= set(ids)
    samples = (rules.with_suffix(".py").read_text(encoding="utf-8") +
               rules.with_suffix(".html").read_text(encoding="utf-8"))
    for rule_id in ids:
        assert f"ruleid: {rule_id}" in samples, f"{rule_id} has no rule test"
