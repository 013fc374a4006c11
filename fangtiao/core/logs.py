"""Application logs as JSON lines without personal data (ASVS V16.2.1–V16.2.5, V16.4.1; PIPL 第51条).

One JSON object per line: UTC time with offset, level, logger, message, the request id (or the
`job-…` id of background work) and, for errors, the exception type — never the traceback's local
values and never the request body. JSON encoding keeps a CR/LF inside a message in one record (log
injection). Before a record leaves the process every mainland ID-card number and mobile number in
its text is masked, so a careless `logger.info("… %s", party.phone)` cannot put one into a log file;
the test suite goes further and fails any test during which such a record was emitted at all
(conftest.py, `pii_log_guard`)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

from fangtiao.core import context

# The regexes of security-reliability.md §6 item 12, as `fangtiao pii-scan` applies them
# (core.piiscan): standing alone — not inside a run of ASCII letters or digits (hex ids, hashes) nor
# the decimals of a number — and, for an ID number, with a right GB 11643 check digit (so a random
# 18-digit key is not taken for one).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")


def _valid_id(m: re.Match[str]) -> bool:
    from fangtiao.core.validators import id_check_char

    number = (m.group(1) + m.group(2) + m.group(3)).upper()
    return id_check_char(number[:17]) == number[17]


def redact(text: str) -> str:
    """`11010519491231002X` → `110105********002X`, `13812345678` → `138****5678`."""
    text = ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(3)}" if _valid_id(m) else m.group(0), text)
    return MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def contains_pii(text: str) -> bool:
    return any(_valid_id(m) for m in ID_NUMBER.finditer(text)) or bool(MOBILE.search(text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = context.current()
        out = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": ctx.request_id if ctx else "",
        }
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = record.exc_info[0].__name__
            # The traceback names code, not data; its last line (the exception's text) may carry values.
            out["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)
