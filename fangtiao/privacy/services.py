"""Writes of the privacy app: the retention schedule (an audited configuration change), legal
holds, the retention sweep, and the PIPL rights-request workflow. Keyword-only; one transaction per
object; every step audited in that transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.core import crypto
from fangtiao.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.validators import id_number_error, normalize_id_number, normalize_phone, phone_error
from fangtiao.org.permissions import has_capability
from fangtiao.privacy import anonymise as anon
from fangtiao.privacy.choices import (
    OPEN_REQUEST_STATUSES,
    CorrectionField,
    CorrectionOutcome,
    FromDate,
    RecordType,
    RequestStatus,
    RetentionAction,
    Right,
    Verification,
)
from fangtiao.privacy.models import Anonymisation, LegalHold, RetentionRule, RightsRequest

log = logging.getLogger(__name__)
CASE_TYPES = {RecordType.PETITION: "petition", RecordType.DISPUTE: "dispute"}


def ensure_seeded() -> None:
    if not RetentionRule.objects.exists():
        from fangtiao.privacy.register import seed

        seed()


# --- the retention schedule -------------------------------------------------------------------

def rule_update(*, actor: Any, rule_id: int, version: int, years: Any, action: str, from_date: str,
                legal_source: str, verified: bool, active: bool) -> RetentionRule:
    """Change one retention rule (privacy.manage). An audited configuration change with before/after."""
    if not has_capability(actor, "privacy.manage"):
        raise PermissionDenied
    errors: list[FieldError] = []
    try:
        years_n = int(years)
        if not 1 <= years_n <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(FieldError("years", "保存期限应为1至100之间的整数（年）"))
        years_n = 0
    if action not in RetentionAction.values:
        errors.append(FieldError("action", "请选择到期处理方式"))
    if from_date not in FromDate.values:
        errors.append(FieldError("from_date", "请选择起算日"))
    legal_source = (legal_source or "").strip()
    if not legal_source:
        errors.append(FieldError("legal_source", "请填写依据"))
    with transaction.atomic():
        rule = RetentionRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound
        if rule.record_type in CASE_TYPES and action == RetentionAction.DELETE:
            errors.append(FieldError("action", "事项卷宗不能整条删除（关联调解协议、文书和审计记录），请选择匿名化或仅存储"))
        if errors:
            raise ValidationFailed(errors[0].message, errors)
        if rule.version != version:
            raise Conflict("该规则已被他人修改，请刷新后重试", code="stale")
        before = audit.snapshot(rule, ["years", "action", "from_date", "legal_source", "verified", "active"])
        rule.years, rule.action, rule.from_date = years_n, action, from_date
        rule.legal_source, rule.verified, rule.active = legal_source, bool(verified), bool(active)
        rule.version += 1
        rule.updated_at, rule.updated_by = timezone.now(), actor
        rule.save()
        changes = audit.diff(before, audit.snapshot(rule, list(before)))
        audit.record(actor=actor, action="privacy.rule_changed", subject=rule, changes=changes,
                     region_path=getattr(actor, "audit_region_path", ""))
    return rule


# --- legal holds ------------------------------------------------------------------------------

def hold_place(*, actor: Any, case_number: str, reason: str) -> LegalHold:
    from fangtiao.cases.models import Case

    if not has_capability(actor, "privacy.manage"):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors = [] if reason else [FieldError("reason", "请填写保留原因")]
    case = Case.objects.visible_to(actor).filter(number=(case_number or "").strip()).first()
    if case is None:
        errors.append(FieldError("case_number", "未找到该事项编号，或不在您的管辖范围内"))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    with transaction.atomic():
        hold = LegalHold.objects.create(case=case, region_path=case.region_path, reason=reason[:200], placed_by=actor)
        audit.record(actor=actor, action="privacy.hold_placed", subject=case, extra={"reason": hold.reason})
    return hold


def hold_release(*, actor: Any, hold_id: int) -> LegalHold:
    if not has_capability(actor, "privacy.manage"):
        raise PermissionDenied
    with transaction.atomic():
        hold = LegalHold.objects.visible_to(actor).select_for_update().filter(pk=hold_id).first()
        if hold is None:
            raise NotFound
        if hold.released_at is not None:
            raise Conflict("该法律保留已解除")
        hold.released_at, hold.released_by = timezone.now(), actor
        hold.save(update_fields=["released_at", "released_by"])
        audit.record(actor=actor, action="privacy.hold_released", subject=hold.case, extra={"reason": hold.reason})
    return hold


def hold_reasons(case: Any) -> list[str]:
    """Why the sweep must not touch this case now (empty: it may)."""
    from fangtiao.cases.choices import OPEN_STATUSES
    from fangtiao.cases.models import ReviewRequest

    out = []
    if case.status in OPEN_STATUSES:
        out.append("事项尚未办结")
    if case.litigation_pending:
        out.append("涉法涉诉尚未终结")
    if ReviewRequest.objects.filter(case_id=case.pk, answered_on__isnull=True).exists():
        out.append("复查复核尚未答复")
    if LegalHold.objects.filter(case_id=case.pk, released_at__isnull=True).exists():
        out.append("法律保留")
    if RightsRequest.objects.filter(case_id=case.pk, status__in=OPEN_REQUEST_STATUSES).exists():
        out.append("有未办结的个人信息权利请求")
    return out


# --- the sweep --------------------------------------------------------------------------------

def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _done_ids(subject_type: str, action: str = RetentionAction.ANONYMISE) -> QuerySet:
    """Objects the sweep has finished with: anonymised (or deleted); for a 仅存储 rule also those
    already marked — a restricted object becomes due again if its rule is changed to anonymise."""
    actions = [RetentionAction.ANONYMISE, RetentionAction.DELETE]
    if action == RetentionAction.RESTRICT:
        actions.append(RetentionAction.RESTRICT)
    return (Anonymisation.objects.filter(subject_type=subject_type, action__in=actions)
            .annotate(pk_value=Cast("subject_id", BigIntegerField())).values("pk_value"))


def due_queryset(rule: RetentionRule, *, today: dt.date) -> QuerySet:
    """The objects whose period under `rule` has ended, not yet processed, not under a legal hold."""
    from fangtiao.cases.choices import OPEN_STATUSES
    from fangtiao.cases.models import Case, ReviewRequest
    from fangtiao.legalservice.models import Consultation

    cutoff = _years_before(today, rule.years)
    if rule.record_type in CASE_TYPES:
        date_field = "closed_on" if rule.from_date == FromDate.CLOSED else "received_at__date"
        held = LegalHold.objects.filter(released_at__isnull=True).values("case_id")
        reviewing = ReviewRequest.objects.filter(answered_on__isnull=True).values("case_id")
        requested = RightsRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES, case__isnull=False).values("case_id")
        return (Case.objects.filter(kind=CASE_TYPES[rule.record_type], closed_on__isnull=False,
                                    **{f"{date_field}__lte": cutoff})
                .exclude(status__in=OPEN_STATUSES).exclude(litigation_pending=True)
                .exclude(pk__in=held).exclude(pk__in=reviewing).exclude(pk__in=requested)
                .exclude(pk__in=_done_ids("cases.case", rule.action)).order_by("closed_on", "pk"))
    if rule.record_type == RecordType.CONSULTATION:
        field_name = "answered_at__date" if rule.from_date == FromDate.CLOSED else "received_at__date"
        return (Consultation.objects.filter(**{f"{field_name}__lte": cutoff})
                .exclude(case_id__in=Case.objects.filter(status__in=OPEN_STATUSES).values("pk"))
                .exclude(pk__in=_done_ids("legalservice.consultation", rule.action)).order_by("received_at", "pk"))
    field_name = "closed_on" if rule.from_date == FromDate.CLOSED else "received_on"
    return (RightsRequest.objects.filter(status__in=[RequestStatus.ANSWERED, RequestStatus.REFUSED],
                                         **{f"{field_name}__lte": cutoff})
            .exclude(pk__in=_done_ids("privacy.rightsrequest", rule.action)).order_by("received_on", "pk"))


def held_count(rule: RetentionRule, *, today: dt.date) -> int:
    """Closed cases past the period that the sweep skips because of a hold (shown on the page)."""
    from fangtiao.cases.models import Case

    if rule.record_type not in CASE_TYPES:
        return 0
    cutoff = _years_before(today, rule.years)
    past = Case.objects.filter(kind=CASE_TYPES[rule.record_type], closed_on__isnull=False, closed_on__lte=cutoff)
    return past.exclude(pk__in=_done_ids("cases.case", rule.action)).count() - due_queryset(rule, today=today).count()


def _record(rule: RetentionRule, obj: Any, action: str, rows: int, fields: list[str], actor: Any) -> None:
    Anonymisation.objects.create(
        record_type=rule.record_type, subject_type=obj._meta.label_lower, subject_id=str(obj.pk),
        subject_repr=str(getattr(obj, "number", obj.pk))[:200], region_path=getattr(obj, "region_path", "") or "",
        action=action, rule=rule, rule_years=rule.years, rows=rows, fields=fields)
    code = {RetentionAction.ANONYMISE: "privacy.anonymised", RetentionAction.RESTRICT: "privacy.restricted",
            RetentionAction.DELETE: "privacy.deleted"}[action]
    audit.record(actor=actor, action=code, subject=obj if action != RetentionAction.DELETE else None,
                 extra={"record_type": rule.record_type, "rule_years": rule.years, "rows": rows,
                        "fields": fields, "object": f"{obj._meta.label_lower}:{obj.pk}"},
                 region_path=getattr(obj, "region_path", "") or "")


def process_one(*, rule: RetentionRule, pk: int, today: dt.date, actor: Any = None) -> bool:
    """Apply `rule` to one object in its own transaction; False if it is no longer due (idempotent)."""
    with transaction.atomic():
        obj = due_queryset(rule, today=today).select_for_update(of=("self",)).filter(pk=pk).first()
        if obj is None:
            return False
        if rule.record_type in CASE_TYPES and hold_reasons(obj):
            return False
        if rule.action == RetentionAction.RESTRICT:
            _record(rule, obj, RetentionAction.RESTRICT, 0, [], actor)
            return True
        if rule.action == RetentionAction.DELETE:
            if rule.record_type in CASE_TYPES:
                return False  # refused by rule_update too; a stale row never deletes a case
            _record(rule, obj, RetentionAction.DELETE, 1, [], actor)
            type(obj)._base_manager.filter(pk=obj.pk).delete()
            return True
        if rule.record_type in CASE_TYPES:
            rows, fields = anon.anonymise_case_rows(obj)
        elif rule.record_type == RecordType.CONSULTATION:
            rows, fields = _anonymise_consultation(obj), [
                "legalservice.Consultation." + f for f in ("asker_name", "asker_phone", "phone_index", "topic",
                                                           "question", "answer")]
        else:
            rows, fields = _anonymise_request(obj), [
                "privacy.RightsRequest." + f for f in ("requester_name", "requester_id_number", "id_index",
                                                       "requester_phone", "phone_index", "correction_value",
                                                       "content", "answer", "review_note")]
        _record(rule, obj, RetentionAction.ANONYMISE, rows, fields, actor)
        return True


def _anonymise_consultation(c: Any) -> int:
    from fangtiao.legalservice.models import Consultation

    names = {c.asker_name: anon.anonymous_name(c.asker_name)} if c.asker_name else {}
    Consultation.objects.filter(pk=c.pk).update(
        asker_name=anon.anonymous_name(c.asker_name), asker_phone="", phone_index="",
        topic=anon.scrub(c.topic, names), question=anon.scrub(c.question, names), answer=anon.scrub(c.answer, names),
        version=F("version") + 1)
    return 1


def _anonymise_request(r: RightsRequest) -> int:
    names = {r.requester_name: anon.anonymous_name(r.requester_name)} if r.requester_name else {}
    RightsRequest.objects.filter(pk=r.pk).update(
        requester_name=anon.anonymous_name(r.requester_name), requester_id_number="", id_index="",
        requester_phone="", phone_index="", correction_value="", content=anon.scrub(r.content, names),
        answer=anon.scrub(r.answer, names), review_note=anon.scrub(r.review_note, names), version=F("version") + 1)
    return 1


@dataclass
class SweepResult:
    dry_run: bool
    due: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "due": self.due, "done": self.done, "held": self.held, "failed": self.failed}


AFFECTED_TABLES = ("cases_party", "cases_case", "cases_caseevent", "legalservice_consultation",
                   "privacy_rightsrequest", "notifications_smsmessage", "mediation_signature")


def retention_sweep(*, dry_run: bool = False, batch: int | None = None, limit: int | None = None,
                    today: dt.date | None = None, actor: Any = None) -> SweepResult:
    """Process every active rule's due objects in batches (each object its own transaction)."""
    ensure_seeded()
    today = today or timezone.localdate()
    batch = batch or settings.FANGTIAO_PRIVACY_SWEEP_BATCH
    result = SweepResult(dry_run=dry_run)
    for rule in RetentionRule.objects.filter(active=True).order_by("record_type"):
        key = rule.record_type
        qs = due_queryset(rule, today=today)
        result.due[key] = qs.count()
        result.held[key] = held_count(rule, today=today)
        result.done[key] = result.failed[key] = 0
        if dry_run:
            continue
        skipped: set[int] = set()
        while limit is None or result.done[key] < limit:
            ids = list(qs.exclude(pk__in=skipped).values_list("pk", flat=True)[:batch])
            if not ids:
                break
            for pk in ids:
                try:
                    ok = process_one(rule=rule, pk=pk, today=today, actor=actor)
                except Exception:  # one bad row must not stop the schedule; it is retried next run
                    log.exception("privacy sweep failed on %s %s", key, pk)
                    ok = False
                    result.failed[key] += 1
                if ok:
                    result.done[key] += 1
                else:
                    skipped.add(pk)
                if limit is not None and result.done[key] >= limit:
                    break
    if not dry_run and sum(result.done.values()):
        _release_residue()
    return result


def _release_residue() -> None:
    """Residual data (GB/T 22239 8.1.4.10): fold the WAL into the file (SQLite, secure_delete=ON
    zeroes the freed cells) or VACUUM the rewritten tables (PostgreSQL: dead tuples hold the old
    ciphertext until then). Only outside a transaction (never inside a test's)."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elif connection.vendor == "postgresql":
            existing = set(connection.introspection.table_names(cur))
            for table in AFFECTED_TABLES:
                if table in existing:
                    cur.execute(f'VACUUM "{table}"')  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters


def sweep_job(**_: Any) -> dict[str, Any]:
    """The periodic `privacy.retention_sweep` (tasks.registry)."""
    return retention_sweep().as_dict()


# --- PIPL rights requests -----------------------------------------------------------------------

def request_due_on(received: dt.date) -> dt.date:
    """The answer date: FANGTIAO_PRIVACY_REQUEST_DAYS working days after receipt (UNVERIFIED default 15)."""
    from fangtiao.clocks.calendar import add_working_days
    from fangtiao.clocks.services import work_calendar

    days = settings.FANGTIAO_PRIVACY_REQUEST_DAYS
    cal = work_calendar(received, received + dt.timedelta(days=days * 2 + 40))
    return add_working_days(received, days, calendar=cal)


def _next_number(year: int) -> str:
    prefix = f"个信{year}-"
    last = (RightsRequest.objects.select_for_update().filter(number__startswith=prefix)
            .order_by("-id").values_list("number", flat=True).first())
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def request_register(*, actor: Any, data: Mapping[str, Any]) -> RightsRequest:
    """登记: who, which right, which case, how the identity was verified."""
    from fangtiao.cases.models import Case

    if not has_capability(actor, "privacy.requests"):
        raise PermissionDenied
    unit = getattr(actor, "unit", None)
    errors: list[FieldError] = []
    name = str(data.get("requester_name") or "").strip()
    if not name:
        errors.append(FieldError("requester_name", "请填写请求人姓名"))
    elif len(name) > 100:
        errors.append(FieldError("requester_name", "姓名不能超过100个字"))
    idn = str(data.get("requester_id_number") or "").strip()
    phone = str(data.get("requester_phone") or "").strip()
    if idn:
        if msg := id_number_error(idn):
            errors.append(FieldError("requester_id_number", msg))
        idn = normalize_id_number(idn)
    if phone:
        if msg := phone_error(phone):
            errors.append(FieldError("requester_phone", msg))
        phone = normalize_phone(phone)
    if not idn and not phone:
        errors.append(FieldError("requester_id_number", "身份证号码和联系电话至少填写一项（用于查找本人信息）"))
    right = str(data.get("right") or "")
    if right not in Right.values:
        errors.append(FieldError("right", "请选择请求事项"))
    verification = str(data.get("verification") or "")
    if verification not in Verification.values:
        errors.append(FieldError("verification", "请选择身份核验方式"))
    note = str(data.get("verification_note") or "").strip()
    if verification == Verification.OTHER and not note:
        errors.append(FieldError("verification_note", "选择「其他方式」时请说明如何核验身份"))
    content = str(data.get("content") or "").strip()
    if not content:
        errors.append(FieldError("content", "请填写请求内容"))
    correction_field = str(data.get("correction_field") or "")
    correction_value = str(data.get("correction_value") or "").strip()
    if right == Right.CORRECT:
        if correction_field not in CorrectionField.values:
            errors.append(FieldError("correction_field", "更正补充请求请选择更正项目"))
        if not correction_value:
            errors.append(FieldError("correction_value", "请填写更正后的内容"))
    else:
        correction_field, correction_value = "", ""
    case = None
    if data.get("case_number"):
        case = Case.objects.visible_to(actor).filter(number=str(data["case_number"]).strip()).first()
        if case is None:
            errors.append(FieldError("case_number", "未找到该事项编号，或不在您的管辖范围内"))
    if unit is None:
        errors.append(FieldError("unit", "您的账号未设单位，不能登记"))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    received = timezone.localdate()
    with transaction.atomic():
        r = RightsRequest.objects.create(
            number=_next_number(received.year), unit=unit,
            region_path=case.region_path if case is not None else unit.region.path, case=case,
            requester_name=name, requester_id_number=idn, id_index=crypto.blind_index(idn, purpose="id") if idn else "",
            requester_phone=phone, phone_index=crypto.blind_index(phone, purpose="phone") if phone else "",
            right=right, content=content[:20000], verification=verification, verification_note=note[:200],
            correction_field=correction_field, correction_value=correction_value, received_on=received,
            due_on=request_due_on(received), registered_by=actor)
        audit.record(actor=actor, action="privacy.request_registered", subject=r,
                     extra={"right": right, "verification": verification, "case": case.number if case else ""})
    return r


def _lock_request(actor: Any, pk: int, version: int | None) -> RightsRequest:
    if not has_capability(actor, "privacy.requests"):
        raise PermissionDenied
    r = RightsRequest.objects.visible_to(actor).select_for_update().filter(pk=pk).first()
    if r is None:
        raise NotFound
    if version is not None and r.version != version:
        raise Conflict("该请求已被他人处理，请刷新后重试", code="stale")
    return r


def request_review(*, actor: Any, pk: int, version: int | None = None, note: str = "") -> RightsRequest:
    """审查: take the request into review (the identity check and the scope are examined)."""
    with transaction.atomic():
        r = _lock_request(actor, pk, version)
        if r.status != RequestStatus.REGISTERED:
            raise Conflict("只有已登记的请求可以开始审查")
        r.status, r.reviewed_by, r.review_note = RequestStatus.REVIEWING, actor, (note or "").strip()[:5000]
        r.version += 1
        r.save(update_fields=["status", "reviewed_by", "review_note", "version"])
        audit.record(actor=actor, action="privacy.request_reviewed", subject=r, changes={"status": ["registered", "reviewing"]})
    return r


def _apply_correction(r: RightsRequest) -> str:
    """Through the owning app's service if one exists; none does for cases.Party (no party-edit
    service in cases.services), so the correction is recorded for manual action."""
    return CorrectionOutcome.MANUAL


def request_answer(*, actor: Any, pk: int, version: int | None = None, answer: str) -> RightsRequest:
    """答复: done, with the answer (and, for 查阅复制, the copy given)."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed.on("answer", "请填写答复内容")
    with transaction.atomic():
        r = _lock_request(actor, pk, version)
        if r.status != RequestStatus.REVIEWING:
            raise Conflict("请先审查，再答复")
        if r.right == Right.ACCESS and not r.copy_made:
            raise ValidationFailed.on("answer", "查阅复制请求请先生成个人信息副本，再答复")
        if r.right == Right.CORRECT:
            r.correction_outcome = _apply_correction(r)
        r.status, r.answer, r.closed_by, r.closed_on = RequestStatus.ANSWERED, answer[:20000], actor, timezone.localdate()
        r.version += 1
        r.save(update_fields=["status", "answer", "closed_by", "closed_on", "correction_outcome", "version"])
        audit.record(actor=actor, action="privacy.request_answered", subject=r,
                     changes={"status": ["reviewing", "answered"]},
                     extra={"right": r.right, "correction": r.correction_outcome,
                            "late": r.closed_on > r.due_on})
    return r


def request_refuse(*, actor: Any, pk: int, version: int | None = None, reason: str, basis: str) -> RightsRequest:
    """拒绝: the reasons and their legal basis are required (个保法 第50条)."""
    reason, basis = (reason or "").strip(), (basis or "").strip()
    errors = []
    if not reason:
        errors.append(FieldError("refusal_reason", "拒绝须说明理由（个保法 第50条）"))
    if not basis:
        errors.append(FieldError("refusal_basis", "请填写拒绝的法律依据"))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    with transaction.atomic():
        r = _lock_request(actor, pk, version)
        if r.status not in OPEN_REQUEST_STATUSES:
            raise Conflict("该请求已办结")
        old = r.status
        r.status, r.refusal_reason, r.refusal_basis = RequestStatus.REFUSED, reason[:5000], basis[:200]
        r.closed_by, r.closed_on = actor, timezone.localdate()
        r.version += 1
        r.save(update_fields=["status", "refusal_reason", "refusal_basis", "closed_by", "closed_on", "version"])
        audit.record(actor=actor, action="privacy.request_refused", subject=r, changes={"status": [old, "refused"]},
                     extra={"basis": r.refusal_basis})
    return r


def request_copy(*, actor: Any, pk: int, reason: str) -> tuple[RightsRequest, list[tuple[str, str, str, str]]]:
    """The person's data for a 查阅复制 request: every party row (by the ID-number or phone blind
    index) and consultation (by phone) in the actor's jurisdiction. Audited as an export with a reason."""
    from fangtiao.privacy.selectors import person_data

    reason = (reason or "").strip()
    with transaction.atomic():
        r = _lock_request(actor, pk, None)
        if r.right != Right.ACCESS:
            raise Conflict("只有查阅复制请求可以生成个人信息副本")
        if r.status != RequestStatus.REVIEWING:
            raise Conflict("请求在审查中才可生成副本")
        if not reason:
            raise ValidationFailed.on("reason", "导出个人信息副本须说明理由")
        if not has_capability(actor, "pii.reveal"):
            raise PermissionDenied("生成副本需要「查看完整手机号/身份证号」权限")
        rows = person_data(user=actor, id_index=r.id_index, phone_index=r.phone_index)
        if not r.copy_made:
            r.copy_made = True
            r.version += 1
            r.save(update_fields=["copy_made", "version"])
        audit.record(actor=actor, action="privacy.copy_exported", subject=r,
                     extra={"reason": reason[:200], "rows": len(rows), "case": r.case.number if r.case_id else ""})
    return r, rows
