"""Every change to a case: intake (one registration, one number) and the lifecycle actions.

Each action runs `case_act()`: lock the row, check version (409), state (409), role and holding
unit (403), jurisdiction (404), the transition's guard, validate input (422), apply the
handler, stop/start the clocks the table names, write the timeline event and the audit event —
all in one transaction. Notifications are rows in the same transaction (an outbox)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError as PydanticError

from fangtiao.audit import services as audit
from fangtiao.cases.choices import OPEN_STATUSES, Channel, Kind, PartyType, Status
from fangtiao.cases.models import Case, CaseEvent, CaseLink, Party
from fangtiao.cases.schemas import CaseIn, PartyIn
from fangtiao.cases.workflow import BY_ACTION, TRANSITIONS, Transition
from fangtiao.clocks import services as clocks
from fangtiao.core import crypto
from fangtiao.core.api import translate_validation_errors
from fangtiao.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.numbering import chinese_year_number, next_number
from fangtiao.core.pinyin import search_key
from fangtiao.core.validators import id_number_error, normalize_id_number, normalize_phone, phone_error
from fangtiao.org.choices import Clearance
from fangtiao.org.models import DisputeCategory, Region, Unit
from fangtiao.org.permissions import has_capability

LEVEL_RANK = {"village": 0, "township": 1, "district": 2, "city": 3, "province": 4}
QUERY_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the window
MAX_REPRESENTATIVES = 5  # 信访工作条例 第20条第3款
COLLECTIVE_HEADCOUNT = 5
# 第19条第3款 bars a superior only 在规定期限内: while none of these periods of the earlier matter has run out.
HANDLING_PERIODS = ("petition.handling", "review.answer", "re_review.answer")


# --- helpers ---------------------------------------------------------------------------------

def query_code_hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"query-code:{code.strip().upper()}".encode(), hashlib.sha256).hexdigest()


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(12))


def event(case: Case, action: str, *, actor: Any = None, note: str = "", public: bool = True,
          data: Mapping[str, Any] | None = None, unit: Any = None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, action=action, actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=(getattr(actor, "name", "") or getattr(actor, "username", "")) if actor is not None else "系统",
        unit=unit if unit is not None else getattr(actor, "unit", None), note=note, public=public,
        data={k: str(v) for k, v in (data or {}).items()},
    )


def competent_rank(region: Region) -> int:
    """本级 for a matter at this place: the township for village and township matters (villages are
    not state organs), else the place's own level (信访工作条例 第20条第1款)."""
    return max(LEVEL_RANK.get(region.level, 2), LEVEL_RANK["township"])


def _party_keys(p: PartyIn) -> tuple[str, str, str]:
    idn = normalize_id_number(p.id_number) if p.id_number else ""
    phone = normalize_phone(p.phone) if p.phone else ""
    id_index = crypto.blind_index(idn, purpose="id") if idn else ""
    phone_index = crypto.blind_index(phone, purpose="phone") if phone else ""
    np_index = crypto.blind_index(f"{p.name.strip()}|{phone}", purpose="name_phone") if (p.name.strip() and phone) else ""
    return id_index, phone_index, np_index


# --- intake ----------------------------------------------------------------------------------

def _validate_intake(data: CaseIn, actor: Any) -> tuple[list[FieldError], dict[str, Any]]:
    errors: list[FieldError] = []
    resolved: dict[str, Any] = {}
    region = Region.objects.filter(code=data.region, active=True).first()
    if region is None:
        errors.append(FieldError("region", "发生地区划代码不存在"))
    else:
        resolved["region"] = region
    if data.category:
        cat = DisputeCategory.objects.filter(code=data.category, active=True).first()
        if cat is None:
            errors.append(FieldError("category", f"纠纷类型代码“{data.category}”无效"))
        resolved["category"] = cat
    elif data.kind == Kind.DISPUTE:
        errors.append(FieldError("category", "矛盾纠纷须选择纠纷类型"))
    if data.kind == Kind.PETITION and not data.nature:
        errors.append(FieldError("nature", "信访事项须区分建议意见类、检举控告类或申诉求决类（第29–31条）"))
    if data.kind == Kind.DISPUTE and data.nature:
        errors.append(FieldError("nature", "矛盾纠纷不区分信访事项性质"))
    if data.channel == Channel.PHONE and data.kind == Kind.PETITION and not data.oral_record.strip():
        errors.append(FieldError("oral_record", "来电信访为口头信访，须如实记录信访人所述（第19条）"))
    if data.channel == Channel.VISIT and data.kind == Kind.PETITION and not data.oral_record.strip() \
            and not data.description.strip():
        errors.append(FieldError("oral_record", "口头信访须如实记录信访人所述（第19条）"))
    if not (data.demands.strip() or data.description.strip() or data.oral_record.strip()):
        errors.append(FieldError("demands", "请填写请求或事实"))
    if data.occurred_on and data.occurred_on > timezone.localdate():
        errors.append(FieldError("occurred_on", "发生日期不能晚于今天"))
    if not data.parties:
        errors.append(FieldError("parties", "请至少登记一名信访人或当事人"))
    if not any(p.role == "petitioner" for p in data.parties):
        errors.append(FieldError("parties", "请至少登记一名信访人（申请人）"))
    reps = sum(1 for p in data.parties if p.is_representative and p.role == "petitioner")
    if any(p.is_representative and p.role != "petitioner" for p in data.parties):
        errors.append(FieldError("parties", "代表人应当是信访人（申请人）一方推选的人员"))
    if reps > MAX_REPRESENTATIVES:
        errors.append(FieldError("parties", f"集体访推选的代表不得超过{MAX_REPRESENTATIVES}人（信访工作条例 第20条第3款）"))
    if data.headcount >= COLLECTIVE_HEADCOUNT and reps == 0 and data.channel == Channel.VISIT:
        errors.append(FieldError("parties", "多人走访的，请登记推选的代表（不超过5人）"))
    for i, p in enumerate(data.parties):
        if p.id_number:
            if p.type == PartyType.PERSON:
                msg = id_number_error(p.id_number)
                if msg:
                    errors.append(FieldError(f"parties.{i}.id_number", msg))
            elif len(p.id_number.strip()) != 18:
                errors.append(FieldError(f"parties.{i}.id_number", "统一社会信用代码应为18位"))
        if p.phone:
            msg = phone_error(p.phone)
            if msg:
                errors.append(FieldError(f"parties.{i}.phone", msg))
        if p.type == PartyType.ORGANISATION and not p.name.strip():
            errors.append(FieldError(f"parties.{i}.name", "请填写单位名称"))
        if p.village.strip():
            village = Region.objects.filter(code=p.village.strip(), active=True).first()
            if village is None:
                errors.append(FieldError(f"parties.{i}.village", "户籍或居住村（社区）区划代码不存在"))
            resolved.setdefault("villages", {})[i] = village
    if data.accused_unit is not None:
        accused = Unit.objects.filter(pk=data.accused_unit).first()
        if accused is None:
            errors.append(FieldError("accused_unit", "被检举控告单位不存在"))
        resolved["accused_unit"] = accused
    if data.accused_unit is not None and data.nature != "accusation":
        errors.append(FieldError("accused_unit", "只有检举控告类事项登记被检举控告单位"))
    return errors, resolved


def similar_earlier(*, parties: list[PartyIn], region: Region | None, category: Any = None,
                    exclude_id: int | None = None, limit: int = 10, text: str = "") -> list[dict[str, Any]]:
    """Earlier matters likely about the same thing — 同人 (the petitioners' ID number, else name +
    phone), 同事 (the text, the place and the dispute type) — best first, with the reasons
    (screening.similar holds the index and the scoring)."""
    from fangtiao.screening.similar import person_keys, similar_matters

    id_keys, np_keys = person_keys(parties)
    hits = similar_matters(text=text, id_keys=id_keys, np_keys=np_keys, region_path=region.path if region else "",
                           category_id=getattr(category, "pk", None), exclude_id=exclude_id, limit=limit)
    return [{"case": h.case, "score": h.score, "same_matter": h.same_matter, "same_person": h.same_person, "same_place": h.same_place,
             "text_score": h.text_score, "reasons": h.reasons, "shared_terms": h.shared_terms} for h in hits]


@transaction.atomic
def case_register(*, actor: Any, data: CaseIn | Mapping[str, Any], unit: Unit | None = None,
                  received_at: dt.datetime | None = None) -> tuple[Case, str]:
    """Register a matter once, with one number (信访工作条例 第21、22条: every petition is registered).

    Returns the case and its citizen query code (shown once: only its hash is kept)."""
    if not isinstance(data, CaseIn):
        try:
            data = CaseIn.model_validate(dict(data))
        except PydanticError as exc:
            errs = translate_validation_errors(exc.errors())
            raise ValidationFailed(errors=[FieldError(e["field"], e["message"]) for e in errs]) from exc
    if actor is not None:
        if not has_capability(actor, "case.register"):
            raise PermissionDenied("您没有登记事项的权限")
        unit = actor.unit
    if unit is None:
        raise ValidationFailed.on("unit", "登记单位不能为空")
    errors, resolved = _validate_intake(data, actor)
    if errors:
        raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试", errors=errors)
    region: Region = resolved["region"]
    now = received_at or timezone.now()
    today = timezone.localdate(now)
    year = today.year
    seq = next_number(scope="case", unit_id=unit.pk, year=year)
    people = [p for p in data.parties if p.role == "petitioner"]
    # 第23条 exempts the notice only when no petitioner can be reached: no one with name and address.
    identity_incomplete = not any(p.name.strip() and p.address.strip() for p in people)
    oral = data.channel in (Channel.VISIT, Channel.PHONE) and bool(data.oral_record.strip())
    reception_rank = LEVEL_RANK.get(unit.level, 2)
    skip = data.channel == Channel.VISIT and reception_rank >= competent_rank(region) + 2
    case = Case(
        number=chinese_year_number(unit.short_name, year, seq, word="访调"), number_unit=unit, number_year=year,
        number_seq=seq, kind=data.kind, nature=data.nature or "", channel=data.channel,
        source="application" if data.kind == Kind.DISPUTE else "", title=data.title.strip(),
        description=data.description.strip(), reasons=data.reasons.strip(), demands=data.demands.strip(),
        oral=oral, oral_record=data.oral_record.strip(), category=resolved.get("category"), region=region,
        region_path=region.path, occurred_on=data.occurred_on, amount=data.amount, headcount=data.headcount,
        is_collective=data.headcount >= COLLECTIVE_HEADCOUNT, is_skip_level=skip, skip_level_risk=data.skip_level_declared,
        is_escalation_risk=data.escalation_risk,
        identity_incomplete=identity_incomplete, administrative_dispute=data.administrative_dispute,
        litigation_pending=data.litigation_pending, accused_unit=resolved.get("accused_unit"),
        # 检举控告类: labelled 涉及检举揭发 at registration (信访工作条例 第30条第3款; ADR 0022).
        sensitivity=Clearance.ACCUSATION if data.nature == "accusation" else Clearance.NORMAL,
        registered_unit=unit, registered_by=actor, received_at=now, holder_unit=unit,
    )
    code = new_query_code()
    case.query_code_hash = query_code_hash(code)
    case.save()
    for i, p in enumerate(data.parties):
        id_index, phone_index, np_index = _party_keys(p)
        Party.objects.create(
            case=case, role=p.role, type=p.type, name=p.name.strip(),
            id_number=normalize_id_number(p.id_number) if p.id_number else "", id_index=id_index,
            phone=normalize_phone(p.phone) if p.phone else "", phone_index=phone_index, name_phone_index=np_index,
            address=p.address.strip(), is_representative=p.is_representative, sort=i,
            village=resolved.get("villages", {}).get(i), employer=p.employer.strip(),
            search_key=search_key(p.name.strip(), person=p.type == PartyType.PERSON),
        )
    # 同人+同事: link earlier matters; a matter accepted and within its handling period that is
    # raised again above the handling organ is recorded but not accepted (第19条第3款).
    duplicate_of = None
    terminated = None
    from fangtiao.screening.similar import case_text

    hits = similar_earlier(parties=data.parties, region=region, category=resolved.get("category"), exclude_id=case.pk,
                           limit=50, text=case_text(case.title, case.description, case.demands))
    related = 0
    for hit in hits:
        other: Case = hit["case"]
        if not hit["same_matter"]:
            continue
        if not hit["same_person"]:
            # The same matter raised by someone else: linked as related (a collective matter in the
            # making), not a repeat petition — 重复信访 needs a petitioner in common (同人).
            if related < 5:
                CaseLink.objects.get_or_create(case=case, other=other, defaults={
                    "kind": "related", "reason": "；".join(hit["reasons"])[:200], "score": hit["score"]})
                related += 1
            continue
        kind = "repeat"
        if other.review_stage == "final" and other.kind == Kind.PETITION:
            kind = "terminated"  # 第36条: after 复核 the same facts and reasons are not accepted again
            terminated = terminated or other
        elif other.status in OPEN_STATUSES and other.accepted_on and other.status != Status.REGISTERED \
                and reception_rank > LEVEL_RANK.get(other.holder_unit.level, 2) \
                and not other.clocks.filter(code__in=HANDLING_PERIODS, due_on__lt=today,
                                            state__in=["running", "paused", "overdue"]).exists():
            kind = "duplicate_pending"
            duplicate_of = duplicate_of or other
        CaseLink.objects.get_or_create(case=case, other=other, defaults={"kind": kind, "reason": "；".join(hit["reasons"])[:200],
                                                                          "score": hit["score"]})
        case.is_repeat = True
    event(case, "register", actor=actor, unit=unit, note=f"{case.get_channel_display()}登记", data={"number": case.number})
    if data.kind == Kind.PETITION:
        if duplicate_of is None:
            clocks.clock_start(case=case, code="petition.disposition", start_on=today, holder_unit=unit)
        if identity_incomplete:
            clocks.clock_exempt(case=case, code="petition.acceptance_notice", on=today,
                                note="信访人姓名（名称）、住址不清，依法免于书面告知（第23条）")
        elif duplicate_of is None:
            clocks.clock_start(case=case, code="petition.acceptance_notice", start_on=today, holder_unit=unit)
    if terminated is not None and duplicate_of is None and data.kind == Kind.PETITION:
        case.status = Status.NOT_ACCEPTED
        case.not_accepted_reason = (f"同一信访事项已经复核终结（{terminated.number}），以同一事实和理由提出的，"
                                    "不再受理（信访工作条例 第36条）")
        case.lawful_channel = "other"
        event(case, "reject", actor=actor, unit=unit, note=case.not_accepted_reason)
        clocks.clock_cancel(case=case, on=today)
    if duplicate_of is not None:
        case.status = Status.NOT_ACCEPTED
        case.not_accepted_reason = (f"同一事项已由{duplicate_of.holder_unit.name}受理（{duplicate_of.number}），"
                                    "尚在办理期限内，上级机关不予受理（信访工作条例 第19条第3款）")
        case.lawful_channel = "other"
        event(case, "reject", actor=actor, unit=unit, note=case.not_accepted_reason)
    case.save()
    from fangtiao.screening.hooks import case_registered

    case_registered(case=case, actor=actor, hits=hits)
    case.similar_hits = hits  # the intake answer shows them (API.md: `similar`) without a second lookup
    audit.record(actor=actor, action="case.registered", subject=case,
                 changes={"status": [None, case.status], "number": [None, case.number]},
                 extra={"channel": case.channel, "kind": case.kind, "flags": case.flags})
    return case, code


def reissue_query_code(*, actor: Any, case: Case) -> str:
    """A new query code for the citizen (the old one stops working); audited."""
    with transaction.atomic():
        locked = _lock_visible(case.pk, actor)
        code = new_query_code()
        Case.objects.filter(pk=locked.pk).update(query_code_hash=query_code_hash(code))
        audit.record(actor=actor, action="case.query_code_reissued", subject=locked)
    return code


# --- lifecycle -------------------------------------------------------------------------------

def _lock_visible(pk: int, actor: Any) -> Case:
    """Lock the case row if the actor may see it (404 otherwise). The common cases — in the actor's
    subtree, or held/registered by the actor's unit — are decided in Python without a second query."""
    from fangtiao.cases.access import case_scope_path, clearance_allows, may_read_accusations

    case = Case.objects.select_for_update(of=("self",)).filter(pk=pk).select_related("region", "holder_unit").first()
    if case is None:
        raise NotFound("未找到该事项，或不在您的管辖范围内")
    accusation_ok = case.nature != "accusation" or (may_read_accusations(actor) and case.accused_unit_id != actor.unit_id)
    path = case_scope_path(actor)
    in_subtree = path is not None and case.region_path.startswith(path)
    near = in_subtree or (actor.unit_id and actor.unit_id in (case.holder_unit_id, case.registered_unit_id))
    if not clearance_allows(actor, case):  # above the actor's clearance: as if it did not exist
        raise NotFound("未找到该事项，或不在您的管辖范围内")
    if accusation_ok and near and not (actor.role_codes == {"expert"} and not actor.is_superuser):
        return case
    if not Case.objects.visible_to(actor).filter(pk=pk).exists():
        raise NotFound("未找到该事项，或不在您的管辖范围内")
    return case


def _role_ok(actor: Any, t: Transition) -> bool:
    return actor.is_superuser or bool(t.roles & actor.role_codes)


def _holder_ok(actor: Any, case: Case, t: Transition) -> bool:
    """The unit holding the case acts; for the mediation rows marked `assigned`, so does a mediator
    assigned to the case from another committee (人民调解法 第19条: the committee may appoint them)."""
    if not t.holder_only or actor.unit_id == case.holder_unit_id:
        return True
    if t.extra.get("assigned"):
        from fangtiao.mediation.selectors import is_assigned

        return is_assigned(case, actor)
    return False


def why_not(case: Case, actor: Any, t: Transition) -> str | None:
    """None if `actor` may take `t` on `case` now, else the Chinese reason."""
    if case.status not in t.sources:
        return f"事项当前状态为“{case.get_status_display()}”，不能{t.label}"
    if case.kind not in t.kinds:
        return f"{case.get_kind_display()}不适用“{t.label}”"
    if not _role_ok(actor, t):
        return f"您的角色不能{t.label}"
    if not _holder_ok(actor, case, t):
        return f"只有当前办理单位（{case.holder_unit.name}）可以{t.label}"
    if t.guard is not None:
        reason = t.guard(case)
        if reason:
            return reason
    extra = t.permission()
    if extra is not None:
        return extra(case, actor)  # nosec B610  # — false positive: a transition's permission callable named extra, not QuerySet.extra()
    return None


def available_actions(*, case: Case, actor: Any) -> list[Transition]:
    return [t for t in TRANSITIONS if why_not(case, actor, t) is None]


def case_act(*, case: Case | int, actor: Any, action: str, data: Mapping[str, Any]) -> Case:
    """Perform one lifecycle action (API: POST /cases/{id}/actions/{action})."""
    t = BY_ACTION.get(action)
    if t is None:
        raise NotFound(f"没有名为“{action}”的操作")
    try:
        payload = t.schema.model_validate(dict(data))
    except PydanticError as exc:
        errs = translate_validation_errors(exc.errors())
        raise ValidationFailed(detail=errs[0]["message"] if len(errs) == 1 else "输入有误，请检查后重试",
                               errors=[FieldError(e["field"], e["message"]) for e in errs]) from exc
    pk = case.pk if isinstance(case, Case) else int(case)
    with transaction.atomic():
        locked = _lock_visible(pk, actor)
        # Compare-and-set on the version (issue 9, ADR 0019): the row lock above is a no-op on SQLite,
        # and whatever a future path forgets to lock, 0 rows updated means someone else wrote first.
        if payload.version != locked.version or not Case.objects.filter(pk=pk, version=payload.version).update(
                version=F("version") + 1):
            raise Conflict("该事项已被他人修改，请刷新后重试", code="stale_version")
        locked.version = payload.version + 1
        reason = why_not(locked, actor, t)
        if reason is not None:
            # 409 for "not now" (state, kind, a guard of the case), 403 for "not you" (role, holding unit).
            if locked.status not in t.sources or locked.kind not in t.kinds:
                raise Conflict(reason, code="not_allowed_now")
            if not _role_ok(actor, t) or not _holder_ok(actor, locked, t):
                raise PermissionDenied(reason)
            if t.guard is not None and t.guard(locked):
                raise Conflict(reason, code="not_allowed_now")
            raise PermissionDenied(reason)
        before = {"status": locked.status, "holder_unit": locked.holder_unit_id}
        today = timezone.localdate()
        started = timezone.now()
        result = t.handler()(locked, actor, payload, today)
        target = result.status if result.status is not None else t.target
        if target is not None:
            locked.status = target
        for code in t.stops:
            clocks.clock_stop(case=locked, code=code, on=today)
        if t.action == "accept" and locked.kind != Kind.PETITION:
            pass  # disputes have no statutory handling period; the mediation clock starts on receipt
        else:
            for code in t.starts:
                if locked.clocks.filter(code=code, state="running", created_at__gte=started).exists():
                    continue  # the handler already started it (e.g. a transfer's objection period)
                holder = None if code.endswith(".request") or code == "satisfaction.window" else locked.holder_unit
                clocks.clock_start(case=locked, code=code, start_on=today, holder_unit=holder)
        if target in (Status.CLOSED, Status.NOT_ACCEPTED, Status.FORWARDED, Status.DIVERTED, Status.WITHDRAWN, Status.ARCHIVED):
            keep = ["review.request", "re_review.request", "satisfaction.window"]
            open_codes = list(locked.clocks.filter(state__in=["running", "paused", "overdue"]).exclude(code__in=keep)
                              .values_list("code", flat=True))
            clocks.clock_cancel(case=locked, codes=open_codes, on=today)
        locked.is_overdue = locked.clocks.filter(state="overdue", holder_unit__isnull=False).exists()
        locked.save()
        event(locked, t.action, actor=actor, note=result.note or t.public_note, public=result.public,
              data=result.data)
        changes = {k: [v, getattr(locked, "holder_unit_id" if k == "holder_unit" else k)] for k, v in before.items()
                   if v != getattr(locked, "holder_unit_id" if k == "holder_unit" else k)}
        audit.record(actor=actor, action=f"case.{t.action}", subject=locked, changes=changes,
                     extra={k: str(v)[:500] for k, v in payload.model_dump(exclude={"version"}).items()})
        from fangtiao.notifications import sms

        sms.on_case_action(case=locked, action=t.action)  # the petitioners' SMS, in this transaction (outbox)
        if locked.holder_unit_id != before["holder_unit"]:
            from fangtiao.screening.hooks import case_routed

            case_routed(case=locked, actor=actor, action=t.action)
        return locked


@transaction.atomic
def party_reveal(*, actor: Any, case_id: int, party_id: int, field: str, reason: str = "") -> str:
    """A party's full ID number, phone or address for a permitted role, audited (个人信息保护法 第51条)."""
    if not has_capability(actor, "pii.reveal"):
        raise PermissionDenied("您没有查看完整个人信息的权限")
    if field not in ("id_number", "phone", "address"):
        raise NotFound()
    party = Party.objects.filter(pk=party_id, case_id=case_id, case__in=Case.objects.visible_to(actor)).select_related("case").first()
    if party is None:
        raise NotFound()
    audit.record(actor=actor, action="pii.revealed", subject=party, extra={"field": field, "reason": reason[:200],
                                                                         "case": party.case.number})
    return getattr(party, field)
