"""JSON log lines without personal data (fangtiao.core.logs; ASVS V16.2.3–V16.2.5, V16.4.1)."""

from __future__ import annotations

import json
import logging

import pytest

from fangtiao.core import context
from fangtiao.core.logs import JsonFormatter, contains_pii, redact


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("号码 13812345678 无效")
        except ValueError:
            import sys

            exc_info = sys.exc_info()
    return logging.LogRecord("fangtiao.test", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_one_json_line_per_record_with_utc_time_and_request_id() -> None:
    with context.bound(context.RequestContext(request_id="abc123")):
        line = JsonFormatter().format(_record("姓名 %s\n伪造的第二条 {\"level\": \"INFO\"}", "张三"))
    assert "\n" not in line  # a CR/LF in the data stays inside one record (log injection)
    out = json.loads(line)
    assert out["message"].startswith("姓名 张三\n伪造的第二条")
    assert out["time"].endswith("+00:00") and out["level"] == "WARNING" and out["request_id"] == "abc123"


def test_id_and_mobile_numbers_are_masked_in_message_and_traceback() -> None:
    out = json.loads(JsonFormatter().format(_record("身份证 %s 手机 %s", "11010519491231002X", "13912345678", exc=True)))
    assert "11010519491231002X" not in json.dumps(out, ensure_ascii=False)
    assert "110105********002X" in out["message"] and "139****5678" in out["message"]
    assert out["exception"] == "ValueError" and "13812345678" not in out["traceback"]


@pytest.mark.parametrize(("text", "hit"), [
    ("13812345678", True), ("电话：13812345678。", True), ("110105199003071239", True),
    ("11010519491231002x", True),
    ("110105199003071238", False),               # wrong check digit: a random 18-digit key
    ("0.13812345678", False),                    # the decimals of a number
    ("12812345678", False),                      # no mobile prefix 12
    ("138123456789", False),                     # 12 digits: not a mobile number
    ("a3f13812345678c9", False),                 # digits inside a hex id
    ("请求 job-5e13812345678ab", False),
    ("1101051990030712390", False),              # 19 digits
])
def test_what_counts_as_pii(text: str, hit: bool) -> None:
    assert contains_pii(text) is hit
    assert (redact(text) != text) is hit


def test_the_suite_guard_catches_a_logged_phone(pii_log_guard) -> None:  # type: ignore[no-untyped-def]
    logging.getLogger("fangtiao.cases").debug("发送短信到 %s", "13812345678")
    assert pii_log_guard.hits and "138****5678" in pii_log_guard.hits[0] and "13812345678" not in pii_log_guard.hits[0]
    pii_log_guard.allowed = True  # this test logged one on purpose
