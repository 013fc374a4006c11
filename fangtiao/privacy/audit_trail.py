"""Who saw what of a case, from the audit log (read-only; fangtiao.audit is not changed): for the
breach workflow of 个保法 第57条 (docs/security.md §6)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

# Events that disclose personal information or content: reveals, exports, copies, views, prints,
# downloads. Matched by action name so that actions other apps add later are found too.
DISCLOSURE_WORDS = ("reveal", "export", "copy", "view", "download", "print", "search", "lookup")


def events_for_case(number: str, *, everything: bool = False) -> list[Any]:
    from fangtiao.audit.models import AuditEvent
    from fangtiao.cases.models import Case
    from fangtiao.privacy.anonymise import related_models
    from fangtiao.privacy.models import RightsRequest

    case = Case.objects.filter(number=number.strip()).first()
    if case is None:
        raise LookupError(f"没有编号为 {number} 的事项")

    touching = Q(subject_type="cases.case", subject_id=str(case.pk))
    # Rows hanging off the case (parties, documents and scans, agreements, consultations, rights
    # requests…): a download or reveal is audited on them, not on the case.
    for model, attname in [*related_models(Case), (RightsRequest, "case_id")]:
        ids = [str(pk) for pk in model._base_manager.filter(**{attname: case.pk}).values_list("pk", flat=True)]
        if ids:
            touching |= Q(subject_type=model._meta.label_lower, subject_id__in=ids)
    # Exports, copies and reveals that name the case in their details (e.g. pii.revealed's "case").
    # (JSON text holds the number as written on PostgreSQL, \u-escaped on SQLite.)
    named = Q(extra_text__contains=f'"{case.number}"') | Q(extra_text__contains=json.dumps(case.number))
    qs = (AuditEvent.objects.annotate(extra_text=Cast("extra", TextField()))
          .filter(touching | named).order_by("at", "id"))
    events = list(qs)
    if everything:
        return events
    return [e for e in events if any(w in e.action for w in DISCLOSURE_WORDS)]
