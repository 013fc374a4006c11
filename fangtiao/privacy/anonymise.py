"""Anonymisation of one object when its retention period ends (个保法 第47条; 网络数据安全管理条例
第24条). A cross-cutting privacy operation: it writes other apps' rows directly (there is no
per-app "forget" service), inside one transaction per object, and records what it did in
privacy.Anonymisation and the audit log (docs/adr/0018-privacy-retention-and-rights.md).

What a case's anonymisation does:
- every natural-person party: name → surname + 某 (王某某, 欧阳某), ID number, phone, address,
  employer and residence village cleared together with their blind indexes and the pinyin key;
  organisations keep their name and credit code, their phone is cleared;
- the case's free text and every text column of the rows that point at the case (timeline,
  transfers, reviews, mediation records and agreements, findings, warnings, notifications…):
  ID numbers, mobile and landline numbers → 「[已删除]」, the parties' full names → masked names;
- encrypted columns of those rows (e.g. an SMS's phone) are cleared with their indexes; handwritten
  signature images are cleared.
Not rewritten: generated document files and signed scans (the archived 卷宗, kept encrypted at rest
under the archive's own period), the audit log (append-only, its own retention), the screening text
index's bigrams (no number survives bigramming)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import F

from fangtiao.core.fields import EncryptedCharField

REMOVED = "[已删除]"
# 18-digit ID numbers (last may be X), old 15-digit ones, mainland mobiles (optionally +86), landlines.
ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "端木", "长孙", "宇文",
    "司徒", "申屠", "南宫", "独孤", "西门", "轩辕", "呼延", "澹台", "闻人", "万俟", "赫连", "钟离", "太史",
})
# Columns that identify records, hold digests or ciphertext, or are codes: never scrubbed as text.
NOT_TEXT = frozenset({
    "number", "region_path", "sha256", "docx_sha256", "pdf_sha256", "context_sha256", "context", "code", "key",
    "doc_type", "kind", "source", "external_id", "action", "suggested_category", "chosen_category", "instalment",
    "words", "court_number", "status", "stage",
})
CLEARED = frozenset({("mediation", "signature", "image")})  # images of a person's handwriting
NAME_COLUMNS = frozenset({("mediation", "participant", "name"), ("legalservice", "consultation", "asker_name")})


def anonymous_name(name: str) -> str:
    """王小明 → 王某某, 欧阳娜娜 → 欧阳某某, 王 → 王某; "" stays ""."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.endswith("某") and len(name) <= 4:
        return name  # already anonymised
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "某" * max(len(name) - len(surname), 1)


def scrub(text: str, names: dict[str, str] | None = None) -> str:
    """ID numbers and phone numbers removed; the given full names replaced by their masks."""
    if not text:
        return text
    out = ID_RE.sub(REMOVED, text)
    out = PHONE_RE.sub(REMOVED, out)
    out = LANDLINE_RE.sub(REMOVED, out)
    for full, masked in sorted((names or {}).items(), key=lambda kv: -len(kv[0])):
        if len(full) >= 2 and full != masked:
            out = out.replace(full, masked)
    return out


def _scrub_json(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return scrub(value, names)
    if isinstance(value, list):
        return [_scrub_json(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, names) for k, v in value.items()}
    return value


def _index_columns(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.name.endswith("_index") and isinstance(f, models.CharField)]


@functools.cache
def related_models(target: type[models.Model]) -> list[tuple[type[models.Model], str]]:
    """(model, fk attname) of every concrete model with a foreign key to `target` (privacy and audit excluded)."""
    out = []
    for model in apps.get_models():
        if model._meta.app_label in {"privacy", "audit"} or model is target:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model is target:
                out.append((model, f.attname))
                break
    return sorted(out, key=lambda mf: mf[0]._meta.label)


def _rewrite_rows(model: type[models.Model], rows: list[models.Model], names: dict[str, str]) -> tuple[int, set[str]]:
    """Scrub the text and clear the encrypted columns of `rows`; bulk-update the changed ones."""
    label = (model._meta.app_label, model._meta.model_name)
    indexes = _index_columns(model)
    changed_rows, touched = [], set()
    for row in rows:
        changed = set()
        for f in model._meta.concrete_fields:
            if f.is_relation or f.primary_key or getattr(f, "choices", None):
                continue
            value = getattr(row, f.attname)
            if isinstance(f, EncryptedCharField) or (*label, f.name) in CLEARED:
                if value:
                    setattr(row, f.attname, "")
                    changed.add(f.name)
                    for idx in indexes:
                        if getattr(row, idx):
                            setattr(row, idx, "")
                            changed.add(idx)
            elif f.name in NOT_TEXT or "加密" in str(f.verbose_name):
                continue
            elif (*label, f.name) in NAME_COLUMNS and value:
                new = anonymous_name(value)
                if new != value:
                    setattr(row, f.attname, new)
                    changed.add(f.name)
            elif isinstance(f, models.JSONField) and value:
                new = _scrub_json(value, names)
                if json.dumps(new, sort_keys=True, default=str) != json.dumps(value, sort_keys=True, default=str):
                    setattr(row, f.attname, new)
                    changed.add(f.name)
            elif isinstance(f, models.CharField | models.TextField) and isinstance(value, str) and value:
                new = scrub(value, names)
                if new != value:
                    setattr(row, f.attname, new[: f.max_length] if f.max_length else new)
                    changed.add(f.name)
        if changed:
            changed_rows.append(row)
            touched |= changed
    if changed_rows:
        model._base_manager.bulk_update(changed_rows, sorted(touched), batch_size=200)
    return len(changed_rows), {f"{model._meta.label}.{n}" for n in touched}


CASE_TEXT = ("title", "description", "reasons", "demands", "oral_record", "acceptance_notice", "not_accepted_reason",
             "extension_reason", "reply_request", "reply_facts", "reply_opinion", "reply_basis", "outcome_note",
             "forwarded_to")


def anonymise_case_rows(case: Any) -> tuple[int, list[str]]:
    """Rewrite one case and everything that points at it. Call inside a transaction holding the case's lock."""
    from fangtiao.cases.choices import PartyType
    from fangtiao.cases.models import Case, Party
    from fangtiao.cases.search import case_search_text

    names: dict[str, str] = {}
    touched: set[str] = set()
    rows = 0
    parties = list(Party.objects.filter(case_id=case.pk))
    for p in parties:
        if p.type == PartyType.PERSON:
            masked = anonymous_name(p.name)
            if p.name and p.name != masked:
                names[p.name] = masked
            values = {"name": masked, "id_number": "", "id_index": "", "phone": "", "phone_index": "",
                      "name_phone_index": "", "address": "", "employer": "", "village": None, "search_key": ""}
        else:
            values = {"phone": "", "phone_index": "", "name_phone_index": ""}
        for k, v in values.items():
            setattr(p, k, v)
        touched |= {f"cases.Party.{k}" for k in values}
    if parties:
        Party.objects.bulk_update(parties, sorted({k for p in parties for k in (
            ["name", "id_number", "id_index", "phone", "phone_index", "name_phone_index", "address", "employer",
             "village", "search_key"])}), batch_size=200)
        rows += len(parties)
    # Rows pointing at the parties (notices, signatures, obligations…) and at the case.
    for model, attname in related_models(Party):
        if model is Party:
            continue
        found = list(model._base_manager.filter(**{attname + "__in": [p.pk for p in parties]}))
        n, fields = _rewrite_rows(model, found, names)
        rows, touched = rows + n, touched | fields
    for model, attname in related_models(Case):
        if model is Party:
            continue
        found = list(model._base_manager.filter(**{attname: case.pk}))
        n, fields = _rewrite_rows(model, found, names)
        rows, touched = rows + n, touched | fields
    values = {name: scrub(getattr(case, name), names) for name in CASE_TEXT}
    values = {k: v for k, v in values.items() if v != getattr(case, k)}
    search_text = case_search_text(case.number, values.get("title", case.title), values.get("description", case.description))
    Case.objects.filter(pk=case.pk).update(**values, search_text=search_text, version=F("version") + 1)
    touched |= {f"cases.Case.{k}" for k in values}
    return rows + 1, sorted(touched)
