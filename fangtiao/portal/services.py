"""The public portal's state changes: online submission and the petitioner's satisfaction rating.

Both act without a login (actor=None: the audit log records the client address and request id
from the request context). Rules not owned here are reused: intake validation, numbering, clocks
and linking are `cases.services.case_register`'s."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError as PydanticError

from fangtiao.audit import services as audit
from fangtiao.cases import services as cases
from fangtiao.cases.choices import Channel, Kind, Nature, PartyRole, PartyType, Satisfaction
from fangtiao.cases.models import Case
from fangtiao.clocks import services as clocks
from fangtiao.core import crypto
from fangtiao.core.api import translate_validation_errors
from fangtiao.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from fangtiao.core.idempotency import check_key, fingerprint, run_idempotent
from fangtiao.core.validators import id_number_error, normalize_phone, phone_error
from fangtiao.notifications.services import notify_unit
from fangtiao.org.models import DisputeCategory
from fangtiao.portal import selectors
from fangtiao.portal.rules import rating_state
from fangtiao.portal.schemas import PetitionIn

# case_register's field names → the portal form's.
_FIELD_MAP = {
    "parties": "name", "parties.0.name": "name", "parties.0.id_number": "id_number", "parties.0.phone": "phone",
    "parties.0.address": "address", "parties.1.name": "other_party", "parties.1.id_number": "other_party",
    "description": "facts", "oral_record": "facts",
}


def _parse(data: PetitionIn | Mapping[str, Any]) -> PetitionIn:
    if isinstance(data, PetitionIn):
        return data
    try:
        return PetitionIn.model_validate(dict(data))
    except PydanticError as exc:
        errs = translate_validation_errors(exc.errors())
        raise ValidationFailed(detail=errs[0]["message"] if len(errs) == 1 else "输入有误，请检查后重试",
                               errors=[FieldError(e["field"], e["message"]) for e in errs]) from exc


def _validate(d: PetitionIn, today: dt.date) -> tuple[list[FieldError], dict[str, Any]]:
    """The online form's own requirements, each with the citizen's wording. 信访工作条例 第19条:
    a petition states the petitioner's name and address, the request, the facts and the reasons."""
    errors: list[FieldError] = []
    resolved: dict[str, Any] = {}
    if not d.name.strip():
        errors.append(FieldError("name", "请填写姓名"))
    phone = normalize_phone(d.phone)
    if not phone:
        errors.append(FieldError("phone", "请填写手机号码，以便接收办理情况"))
    elif not phone.startswith("1"):
        errors.append(FieldError("phone", "请填写11位手机号码"))
    else:
        msg = phone_error(phone)
        if msg:
            errors.append(FieldError("phone", msg))
    if d.id_number.strip():
        msg = id_number_error(d.id_number)
        if msg:
            errors.append(FieldError("id_number", msg))
    if not d.address.strip():
        errors.append(FieldError("address", "请填写住址（信访工作条例 第19条）"))
    region = selectors.intake_region(d.region)
    if region is None:
        errors.append(FieldError("region", "请从列表中选择事发地所在的乡镇（街道）或村（社区）" if d.region.strip()
                                 else "请选择事发地所在的乡镇（街道）或村（社区）"))
    else:
        unit = selectors.intake_unit_for(region)
        if unit is None:
            errors.append(FieldError("region", "该地暂未开通网上受理，请到当地矛调中心窗口反映"))
        resolved.update(region=region, unit=unit)
    if d.category.strip():
        if not DisputeCategory.objects.filter(code=d.category.strip(), active=True).exists():
            errors.append(FieldError("category", "请从列表中选择纠纷类型"))
    elif d.kind == Kind.DISPUTE:
        errors.append(FieldError("category", "申请调解请选择纠纷类型"))
    if len(d.title.strip()) < 2:
        errors.append(FieldError("title", "请用一句话概括您反映的问题（至少2个字）"))
    if not d.facts.strip():
        errors.append(FieldError("facts", "请写明事实经过"))
    if not d.demands.strip():
        errors.append(FieldError("demands", "请写明您的请求"))
    if d.kind == Kind.DISPUTE and not d.other_party.strip():
        errors.append(FieldError("other_party", "申请调解请填写对方当事人的姓名或名称"))
    if d.occurred_on and d.occurred_on > today:
        errors.append(FieldError("occurred_on", "发生日期不能晚于今天"))
    return errors, resolved


def _fail(errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试", errors=errors)


@transaction.atomic
def petition_submit(*, data: PetitionIn | Mapping[str, Any], received_at: dt.datetime | None = None) -> tuple[Case, str]:
    """Register an online petition or mediation application (channel 网上; 信访工作条例 第17、21条;
    人民调解法 第17条: mediation on a party's application) at the district's 矛调中心, with no
    acting user. Returns the case and its query code, which exists nowhere else in clear."""
    d = _parse(data)
    today = timezone.localdate(received_at) if received_at else timezone.localdate()
    errors, resolved = _validate(d, today)
    if errors:
        raise _fail(errors)
    parties = [{"role": PartyRole.PETITIONER, "type": PartyType.PERSON, "name": d.name.strip(),
                "id_number": d.id_number.strip(), "phone": d.phone.strip(), "address": d.address.strip()}]
    if d.other_party.strip():
        parties.append({"role": PartyRole.RESPONDENT, "type": d.other_party_type, "name": d.other_party.strip()})
    intake = {
        "channel": Channel.ONLINE, "kind": d.kind,
        "nature": (d.nature or Nature.CLAIM) if d.kind == Kind.PETITION else None,
        "title": d.title.strip(), "description": d.facts.strip(), "reasons": d.reasons.strip(),
        "demands": d.demands.strip(), "category": d.category.strip() or None, "region": resolved["region"].code,
        "occurred_on": d.occurred_on, "parties": parties,
    }
    try:
        case, code = cases.case_register(actor=None, data=intake, unit=resolved["unit"], received_at=received_at)
    except ValidationFailed as exc:
        mapped = [FieldError(_FIELD_MAP.get(e.field, e.field), e.message) for e in exc.errors]
        raise _fail(mapped or [FieldError("__all__", exc.detail)]) from exc
    notify_unit(unit_id=resolved["unit"].pk, kind="online", case=case,
                title=f"网上{'调解申请' if d.kind == Kind.DISPUTE else '信访'}：{case.number} {case.title[:40]}",
                body=f"事发地：{resolved['region'].name}")
    return case, code


# --- idempotent submission ----------------------------------------------------------------------

IDEMPOTENCY_USER = 0  # the portal's records; keys are scoped by a hash of the client address


def scoped_idempotency_key(*, client: str, raw: str | None, scope: str = "") -> str | None:
    """The citizen's Idempotency-Key (or the form's one-time token), scoped to the client address
    hash and to `scope` (the phone number of a submission, the query code of a rating), so nobody
    replays somebody else's receipt by guessing their key. None when no key was sent."""
    raw = check_key(raw)  # 400 for a malformed key (issue 9)
    if raw is None:
        return None
    digest = hashlib.sha256(f"{raw}|{scope}".encode()).hexdigest()[:48]
    return f"portal:{client[:32]}:{digest}"


def seal_code(number: str, code: str) -> str:
    """The query code encrypted (AES-GCM, field keys) and bound to its case number: how it is kept
    in a stored idempotent answer or a session until shown — never in clear."""
    return crypto.encrypt(code, context=f"portal.receipt:{number}")


def unseal_code(number: str, sealed: str) -> str:
    return crypto.decrypt(sealed, context=f"portal.receipt:{number}")


def petition_submit_once(*, key: str | None, endpoint: str, data: PetitionIn | Mapping[str, Any]) -> dict[str, str]:
    """`petition_submit` under an idempotency key: a repeat returns the first receipt and creates
    nothing. The stored first answer holds the query code only sealed."""

    def run() -> tuple[int, Any]:
        case, code = petition_submit(data=data)
        return 201, {"number": case.number, "query_code_sealed": seal_code(case.number, code)}

    body = data.model_dump(mode="json") if isinstance(data, PetitionIn) else dict(data)
    _, stored = run_idempotent(key=key, user_id=IDEMPOTENCY_USER, endpoint=endpoint, fn=run,
                               request_hash=fingerprint(body))  # the same key with another body: 422
    return {"number": stored["number"], "query_code": unseal_code(stored["number"], stored["query_code_sealed"])}


# --- rating ------------------------------------------------------------------------------------

def case_rate(*, number: str, code: str, satisfaction: str, comment: str = "",
              today: dt.date | None = None) -> Case:
    """The petitioner's rating — 满意 / 基本满意 / 不满意 — once, after the reply or closing, within
    the window (国信发〔2014〕16号; 信访工作条例 第21条: petitioners can query and evaluate).

    404 for a wrong number or code (the same answer for both), 409 with the reason otherwise."""
    if satisfaction not in Satisfaction.values:
        raise ValidationFailed.on("satisfaction", "请选择满意、基本满意或不满意")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationFailed.on("comment", "意见建议不能超过1000字")
    with transaction.atomic():
        case = selectors.case_by_number_and_code(number=number, code=code, for_update=True)
        if case is None:
            raise NotFound(selectors.NOT_FOUND_DETAIL)
        now = timezone.now()
        today = today or timezone.localdate(now)
        state = rating_state(case, today)
        if not state.allowed:
            raise Conflict(state.reason, code=state.code)
        label = Satisfaction(satisfaction).label
        case.satisfaction = satisfaction
        case.rated_at = now
        case.save(update_fields=["satisfaction", "rated_at", "updated_at"])
        clocks.clock_stop(case=case, code="satisfaction.window", on=today)
        cases.event(case, "rate", actor=None, unit=case.holder_unit, note=f"信访人评价：{label}",
                    data={"satisfaction": satisfaction, "comment": comment})
        audit.record(actor=None, action="case.rated", subject=case, changes={"satisfaction": ["", satisfaction]},
                     extra={"comment": comment, "deadline": state.deadline, "channel": "portal"})
    return case
