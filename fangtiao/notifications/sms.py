"""Text messages to petitioners and parties: a transactional outbox (docs/adr/0019-reliability-outbox.md).

`queue_sms()` writes an `SmsMessage` row and its task (`notifications.sms_send`) in the caller's
transaction: the message exists iff the change it tells of commits. The task hands the message to
the backend named by FANGTIAO_SMS_BACKEND and marks it sent. Every backend de-duplicates by the
message id (the log backend's unique row, the file stub's scan under a file lock, the HTTP gateway's
`Idempotency-Key`), so a task run again after a crash between the send and the "sent" mark — or run
by two workers at once — applies its effect once. A message that keeps failing ends `failed` after
FANGTIAO_TASK_MAX_ATTEMPTS attempts and is listed for staff (notifications:sms).

Texts carry no ID numbers and no control characters: names and places are flattened to one line
(a CR/LF in a party's name must not split a gateway's line-based record or forge a second field)."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import urllib.error
import urllib.request
import uuid
from typing import Any, Protocol

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from fangtiao.core.masking import mask_phone
from fangtiao.core.validators import normalize_phone
from fangtiao.notifications.models import SmsDelivery, SmsMessage, SmsStatus

log = logging.getLogger("fangtiao.sms")

SIGNATURE = "【访调】"
MAX_TEXT = 300
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")

KIND_LABELS = {
    "case_accepted": "受理告知", "case_not_accepted": "不予受理告知", "case_replied": "答复告知",
    "session_reminder": "调解提醒",
}


def one_line(value: Any, *, limit: int = 60) -> str:
    """A name or place for a text: control and format characters (CR, LF, tab, bidi overrides)
    become spaces, runs of spaces one, and ID numbers are cut out."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in str(value or ""))
    text = _ID_NUMBER.sub("***", text)
    return " ".join(text.split())[:limit]


def clean_text(text: str) -> str:
    return one_line(text, limit=MAX_TEXT)


def mobile(phone: str) -> str | None:
    """The number as a gateway takes it, or None for a landline or nothing (no SMS then)."""
    v = normalize_phone(phone or "").replace("-", "")
    return v if _MOBILE.match(v) else None


def job_mode() -> str:
    # The send must follow the commit: "inline" (tests) would send inside the business transaction.
    mode = settings.FANGTIAO_JOB_MODE
    return "worker" if mode == "inline" else mode


def queue_sms(*, phone: str, kind: str, text: str, case: Any = None) -> SmsMessage | None:
    """Write a message and its task inside the caller's transaction. None when `phone` is not a mobile."""
    from fangtiao.tasks.services import enqueue

    number = mobile(phone)
    if number is None:
        return None
    msg = SmsMessage.objects.create(message_id=uuid.uuid4(), case=case, kind=kind, phone=number,
                                    text=clean_text(SIGNATURE + text))
    enqueue("notifications.sms_send", key=f"sms:{msg.message_id}", message_id=str(msg.message_id), mode=job_mode())
    return msg


# --- what the domain tells by SMS --------------------------------------------------------------

def _petitioners(case: Any) -> list[Any]:
    from fangtiao.cases.choices import PartyRole

    return [p for p in case.parties.all() if p.role == PartyRole.PETITIONER and p.phone]


def on_case_action(*, case: Any, action: str) -> int:
    """The intake decision and the reply, told to each petitioner with a mobile (条例 第24、32条 ask for
    written notice; the SMS says that it was given and where to read it). Returns the messages queued."""
    texts = {
        "accept": ("case_accepted", "您反映的事项（{number}）已受理，我们将在法定期限内办理并书面答复。"),
        "reject": ("case_not_accepted", "您反映的事项（{number}）不予受理，书面告知已出具，请注意查收。"),
        "reply": ("case_replied", "您反映的事项（{number}）已出具信访处理意见书，请注意查收。"),
    }
    if action not in texts:
        return 0
    kind, template = texts[action]
    n = 0
    for party in _petitioners(case):
        greeting = f"{one_line(party.name, limit=20)}您好，" if party.name else "您好，"
        if queue_sms(phone=party.phone, kind=kind, case=case, text=greeting + template.format(number=case.number)):
            n += 1
    return n


def on_session_reminder(*, session: Any, where: str) -> int:
    """The parties of a mediation session, reminded of its time and place (人民调解法 第22条)."""
    when = timezone.localtime(session.starts_at)
    n = 0
    for party in session.case.parties.all():
        if not party.phone:
            continue
        text = (f"{one_line(party.name, limit=20)}您好，您参加的调解定于{when.month}月{when.day}日{when:%H:%M}"
                f"在{one_line(where, limit=60)}进行，请准时参加。")
        if queue_sms(phone=party.phone, kind="session_reminder", case=session.case, text=text):
            n += 1
    return n


# --- backends -----------------------------------------------------------------------------------

class Backend(Protocol):
    def send(self, *, message_id: str, phone: str, text: str) -> None: ...


class LogBackend:
    """Default: no network. A delivery row per message id (unique: a second send is a no-op)."""

    def send(self, *, message_id: str, phone: str, text: str) -> None:
        _, created = SmsDelivery.objects.get_or_create(message_id=message_id)
        log.info("短信%s：%s %s", "已记录" if created else "重复（已忽略）", message_id, mask_phone(phone))


class FileBackend:
    """The SMS stub of the fault tests: one JSON line per delivered message in FANGTIAO_SMS_FILE,
    appended under an exclusive file lock after a scan for the message id (a gateway that
    de-duplicates). The number is written masked: the stub is not a second store of phones."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or settings.FANGTIAO_SMS_FILE

    def send(self, *, message_id: str, phone: str, text: str) -> None:
        import fcntl
        import os

        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                for line in fh:
                    if line.strip() and json.loads(line).get("message_id") == message_id:
                        return
                fh.seek(0, os.SEEK_END)
                fh.write(json.dumps({"message_id": message_id, "phone": mask_phone(phone), "text": text,
                                     "at": timezone.now().isoformat()}, ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class HttpBackend:
    """A generic gateway: POST JSON {message_id, phone, text} to FANGTIAO_SMS_HTTP_URL with the
    message id as `Idempotency-Key` (the gateway must drop a repeat). 2xx and 409 (seen before) are
    delivered; anything else raises and the task retries with a backoff."""

    def send(self, *, message_id: str, phone: str, text: str) -> None:
        url = settings.FANGTIAO_SMS_HTTP_URL
        if not url:
            raise RuntimeError("FANGTIAO_SMS_HTTP_URL 未配置")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message_id}
        if settings.FANGTIAO_SMS_HTTP_TOKEN:
            headers["Authorization"] = f"Bearer {settings.FANGTIAO_SMS_HTTP_TOKEN}"
        data = json.dumps({"message_id": message_id, "phone": phone, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310 - https URL from settings
        try:
            with urllib.request.urlopen(request, timeout=settings.FANGTIAO_SMS_HTTP_TIMEOUT) as response:  # noqa: S310  # nosec B310  # — https gateway URL from the operator's settings (checked at start-up), never from a request
                response.read(1024)
        except urllib.error.HTTPError as exc:
            if exc.code != 409:
                raise RuntimeError(f"短信网关返回 {exc.code}") from None


BACKENDS: dict[str, type] = {"log": LogBackend, "file": FileBackend, "http": HttpBackend}


def backend() -> Backend:
    return BACKENDS[settings.FANGTIAO_SMS_BACKEND]()


# --- the task -----------------------------------------------------------------------------------

def send(*, message_id: str) -> str:
    """The task `notifications.sms_send`: deliver one message. Each run counts an attempt before the
    send (a run killed mid-send counts too); a failure raises for the task's backoff until the
    attempts are used up, then the message ends `failed` (and the task done: nothing left to try)."""
    mine = SmsMessage.objects.filter(message_id=message_id, status=SmsStatus.PENDING)
    msg = mine.first()
    if msg is None:
        return "skipped"  # sent already (a redelivered task), failed, or gone with its case
    mine.update(attempts=F("attempts") + 1)
    attempts = msg.attempts + 1
    max_attempts = settings.FANGTIAO_TASK_MAX_ATTEMPTS
    if attempts > max_attempts:
        mine.update(status=SmsStatus.FAILED, last_error="发送进程中断次数过多，已停止重试")
        return "failed"
    try:
        backend().send(message_id=str(msg.message_id), phone=msg.phone, text=msg.text)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        if attempts >= max_attempts:
            mine.update(status=SmsStatus.FAILED, last_error=error)
            log.error("短信 %s 发送失败，已停止重试：%s", message_id, error)
            return "failed"
        mine.update(last_error=error)
        raise
    mine.update(status=SmsStatus.SENT, sent_at=timezone.now(), last_error="")
    return "sent"
