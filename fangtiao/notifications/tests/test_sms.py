"""The SMS outbox (issue 9; security-reliability.md §4.3, §6 item 26; ADR 0019): a message is a row of
the business transaction, sent afterwards by a task through the configured backend, and applied once
however often its task runs — after a crash between the send and the "sent" mark, or by two workers
at once. A message that keeps failing ends `failed` and is listed for staff within their jurisdiction."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from fangtiao.cases.tests.factories import act, actor_for, extend_world, make_case, person
from fangtiao.core.errors import Conflict
from fangtiao.core.masking import mask_phone
from fangtiao.core.tests.concurrency.harness import file_database, in_thread, run_threads
from fangtiao.notifications import sms
from fangtiao.notifications.models import SmsDelivery, SmsMessage, SmsStatus
from fangtiao.tasks import services as tasks
from fangtiao.tasks.models import Task, TaskStatus


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def due_now(message: SmsMessage) -> Task:
    """The message's task, made due now (skipping the backoff a failure set)."""
    task = Task.objects.get(key=f"sms:{message.message_id}")
    Task.objects.filter(pk=task.pk).update(run_after=task.created_at)
    return task


@pytest.fixture
def stub(settings: Any, tmp_path: Path) -> Path:
    settings.FANGTIAO_SMS_BACKEND = "file"
    settings.FANGTIAO_SMS_FILE = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def test_accept_writes_the_message_in_the_transaction_and_a_stale_edit_writes_none(xw: Any) -> None:
    case = make_case(xw, parties=[person(phone="13800138000"), person(role="respondent", phone="13900139000")])
    officer = actor_for(xw, case, "accept")
    with pytest.raises(Conflict):
        act(case, officer, "accept", version=case.version + 5)  # rolled back: no message
    assert not SmsMessage.objects.exists()
    act(case, officer, "accept")
    msg = SmsMessage.objects.get()  # the petitioner only, not the respondent
    assert (msg.kind, msg.status, msg.phone, msg.case_id) == ("case_accepted", SmsStatus.PENDING, "13800138000", case.pk)
    assert msg.text.startswith("【访调】") and case.number in msg.text and "已受理" in msg.text
    task = Task.objects.get(key=f"sms:{msg.message_id}")
    assert (task.name, task.status, task.args) == ("notifications.sms_send", TaskStatus.PENDING,
                                                   {"message_id": str(msg.message_id)})
    with connection.cursor() as cur:  # encrypted at rest
        cur.execute("SELECT phone FROM notifications_smsmessage")
        assert "13800138000" not in cur.fetchone()[0]


def test_no_mobile_no_message(xw: Any) -> None:
    case = make_case(xw, parties=[person(phone="0576-84123456")])
    act(case, actor_for(xw, case, "accept"), "accept")
    assert not SmsMessage.objects.exists()


def test_the_log_backend_delivers_once_and_a_second_run_is_a_no_op(xw: Any) -> None:
    case = make_case(xw)
    act(case, actor_for(xw, case, "accept"), "accept")
    msg = SmsMessage.objects.get()
    assert tasks.drain(budget_seconds=10) == 1
    msg.refresh_from_db()
    assert (msg.status, msg.attempts) == (SmsStatus.SENT, 1) and msg.sent_at is not None
    assert sms.send(message_id=str(msg.message_id)) == "skipped"
    sms.LogBackend().send(message_id=str(msg.message_id), phone=msg.phone, text=msg.text)  # a redelivery
    assert SmsDelivery.objects.filter(message_id=msg.message_id).count() == 1


def test_a_crash_between_the_send_and_the_sent_mark_applies_the_effect_once(xw: Any, stub: Path,
                                                                           monkeypatch: Any) -> None:
    case = make_case(xw)
    act(case, actor_for(xw, case, "accept"), "accept")
    msg = SmsMessage.objects.get()
    real = sms.FileBackend.send

    def send_then_die(self: Any, **kw: Any) -> None:
        real(self, **kw)
        raise SystemError("进程在发送之后、标记之前中断")

    monkeypatch.setattr(sms.FileBackend, "send", send_then_die)
    task = due_now(msg)
    assert tasks.run_task(task.pk) is False  # the effect happened, the mark did not
    assert SmsMessage.objects.get().status == SmsStatus.PENDING
    assert Task.objects.get(pk=task.pk).status == TaskStatus.PENDING  # back off, then again
    monkeypatch.setattr(sms.FileBackend, "send", real)
    due_now(msg)
    assert tasks.run_task(task.pk) is True
    assert [x["message_id"] for x in lines(stub)] == [str(msg.message_id)]
    assert SmsMessage.objects.get().status == SmsStatus.SENT


def test_a_message_that_keeps_failing_ends_failed_and_staff_see_it(xw: Any, settings: Any, monkeypatch: Any,
                                                                   login: Any) -> None:
    settings.FANGTIAO_TASK_MAX_ATTEMPTS = 2
    case = make_case(xw)
    act(case, actor_for(xw, case, "accept"), "accept")
    msg = SmsMessage.objects.get()

    def down(self: Any, **kw: Any) -> None:
        raise ConnectionError("短信网关不可达")

    monkeypatch.setattr(sms.LogBackend, "send", down)
    task = due_now(msg)
    assert tasks.run_task(task.pk) is False
    due_now(msg)
    tasks.run_task(task.pk)
    msg.refresh_from_db()
    assert (msg.status, msg.attempts) == (SmsStatus.FAILED, 2) and "短信网关不可达" in msg.last_error
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE  # nothing left to retry
    assert not SmsDelivery.objects.exists()

    page = login(xw.user(case.holder_unit, "officer")).get("/inbox/notifications/sms/?status=failed")
    assert page.status_code == 200
    body = page.content.decode()
    assert case.number in body and "发送失败" in body and mask_phone(msg.phone) in body and msg.phone not in body
    other = login(xw.w.users["clerk_t02"]).get("/inbox/notifications/sms/")  # another township: not theirs
    assert other.status_code == 200 and case.number not in other.content.decode()
    assert login(xw.user(case.holder_unit, "auditor")).get("/inbox/notifications/sms/").status_code == 403


def test_cr_lf_and_control_characters_in_names_and_places_stay_on_one_line(xw: Any, stub: Path) -> None:
    name = "王\r\n五\u202e 33100319800101001X"
    case = make_case(xw, parties=[person(name=name[:40])])
    act(case, actor_for(xw, case, "accept"), "accept")
    msg = SmsMessage.objects.get()
    assert "\r" not in msg.text and "\n" not in msg.text and "\u202e" not in msg.text
    assert "33100319800101001X" not in msg.text  # no ID numbers in a text
    assert tasks.drain(budget_seconds=10) == 1
    assert len(stub.read_text(encoding="utf-8").splitlines()) == 1
    assert lines(stub)[0]["text"] == msg.text and lines(stub)[0]["phone"].count("*") == 4
    assert sms.one_line("甲\x00乙\t丙\u2028丁") == "甲 乙 丙 丁"


def test_the_session_reminder_texts_each_party_with_a_mobile_once(xw: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from fangtiao.mediation import services as mediation
    from fangtiao.mediation.models import Room, Session
    from fangtiao.mediation.tests.support import mediating_case, mediator

    case = mediating_case(xw)
    room = Room.objects.create(unit=xw.units["t01_committee"], name="第一调解室\r\n（二楼）")
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    act(case, mediator(xw), "book_session", starts_at=start.isoformat(), room=room.pk)
    s = Session.objects.get(case=case)
    before = SmsMessage.objects.count()
    assert mediation.tick(now=s.starts_at - dt.timedelta(hours=23))["session_reminders"] == 1
    assert mediation.tick(now=s.starts_at - dt.timedelta(hours=22))["session_reminders"] == 0
    texts = list(SmsMessage.objects.filter(kind="session_reminder").values_list("text", flat=True))
    mobiles = [p for p in case.parties.all() if sms.mobile(p.phone)]
    assert len(texts) == len(mobiles) >= 1 and SmsMessage.objects.count() == before + len(mobiles)
    assert all(f"{start.month}月{start.day}日09:00" in t for t in texts) and all("\n" not in t and "第一调解室" in t for t in texts)


def test_the_http_backend_posts_with_the_message_id_as_idempotency_key(settings: Any) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            repeat = any(k == self.headers["Idempotency-Key"] for k, _ in seen)
            seen.append((self.headers["Idempotency-Key"], body))
            self.send_response(409 if repeat else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.FANGTIAO_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/sms"
        settings.FANGTIAO_SMS_HTTP_TOKEN = ""
        backend = sms.HttpBackend()
        backend.send(message_id="m-1", phone="13800138000", text="【访调】测试")
        backend.send(message_id="m-1", phone="13800138000", text="【访调】测试")  # 409: delivered before
        assert [k for k, _ in seen] == ["m-1", "m-1"] and seen[0][1]["phone"] == "13800138000"
        settings.FANGTIAO_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}"
        server.RequestHandlerClass = type("Broken", (Gateway,), {"do_POST": lambda self: (self.send_response(503),
                                                                                         self.end_headers())})
        with pytest.raises(RuntimeError, match="503"):
            backend.send(message_id="m-2", phone="13800138000", text="x")
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_apply_each_message_once(world: Any, stub: Path, tmp_path: Path) -> None:
    """Two workers drain the same outbox at once, and two more run one message's send side by side
    (as after a lease ran out): every message reaches the stub once."""
    xw = extend_world(world)
    for _ in range(3):
        case = make_case(xw)
        act(case, actor_for(xw, case, "accept"), "accept")
    ids = [str(m) for m in SmsMessage.objects.values_list("message_id", flat=True)]
    with file_database(tmp_path):
        results, errors = run_threads(2, lambda i: sms.send(message_id=ids[0]))
        assert errors == [] and sorted(results) in (["sent", "sent"], ["sent", "skipped"])
        results, errors = run_threads(2, lambda i: tasks.drain(worker=f"w{i}", budget_seconds=20))
        assert errors == [] and sum(results) >= 2
        statuses = in_thread(lambda: sorted(SmsMessage.objects.values_list("status", flat=True)))
    assert statuses == [SmsStatus.SENT] * 3
    delivered = [x["message_id"] for x in lines(stub)]
    assert sorted(delivered) == sorted(ids)
