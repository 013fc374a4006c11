# ruff: noqa  -- deliberately insecure samples the rules must find
# Rule tests for django-security.yml: `semgrep --test tools/semgrep/` (run by `make security-lint`).
# Lines after `ruleid:` must be found, lines after `ok:` must not.
import os
import pickle
import subprocess

import yaml
from django.db import connection
from django.template import Template
from django.utils.safestring import mark_safe

from fangtiao.audit.models import AuditEvent


def views(request, name, rows, qs):
    # ruleid: fangtiao-mark-safe
    html = mark_safe("<b>" + name + "</b>")
    # ruleid: fangtiao-template-from-string
    page = Template(request.POST["body"])
    with connection.cursor() as cur:
        # ruleid: fangtiao-sql-string-formatting
        cur.execute(f"SELECT * FROM cases_case WHERE title = '{name}'")
        # ruleid: fangtiao-sql-string-formatting
        cur.execute("SELECT * FROM cases_case WHERE title = '%s'" % name)
        # ok: fangtiao-sql-string-formatting
        cur.execute("SELECT * FROM cases_case WHERE title = %s", [name])
    # ruleid: fangtiao-sql-string-formatting
    qs.extra(where=[f"title = '{name}'"])
    # ruleid: fangtiao-shell-true
    subprocess.run(f"convert {name}", shell=True)
    # ok: fangtiao-shell-true
    subprocess.run(["convert", name], check=True)
    # ruleid: fangtiao-shell-true
    os.system("ls " + name)
    # ruleid: fangtiao-unsafe-deserialisation
    obj = pickle.loads(rows)
    # ruleid: fangtiao-unsafe-deserialisation
    cfg = yaml.load(rows)
    # ok: fangtiao-unsafe-deserialisation
    cfg = yaml.safe_load(rows)
    # ruleid: fangtiao-audit-bulk-write
    AuditEvent.objects.filter(pk=1).update(success=True)
    # ruleid: fangtiao-audit-bulk-write
    AuditEvent.objects.bulk_create(rows)
    # ruleid: fangtiao-raw-host-header
    host = request.META["HTTP_HOST"]
    # ok: fangtiao-raw-host-header
    host = request.get_host()
    return html, page, obj, cfg, host
