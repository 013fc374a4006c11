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

# The regexes of security-reliability.md §6 item 12, bounded by anything but ASCII letters and digits
# (so the digits inside a hex request id or a hash are not taken for a phone number).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")


def redact(text: str) -> str:
    """`110101199003071234` → `110101********1234`, `13812345678` → `138****5678`."""
    text = ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def contains_pii(text: str) -> bool:
    return bool(ID_NUMBER.search(text) or MOBILE.search(text))


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
