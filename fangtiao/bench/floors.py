"""The second floor of `fangtiao bench` (issue 8): bare views doing only the database work of an
operation with raw SQL, under the same server as the real endpoints (`fangtiao.bench.settings`
mounts them; the production URLconf never does).

- `GET /bench-floor/sql/<name>/<i>`: runs the `i`-th SQL statement the harness captured for the
  operation `name` before the server started (`FANGTIAO_BENCH_FLOORS`, a JSON file: the page query
  of the list exactly as the selector builds it, a case row by id, the candidate probe of the
  similar-matter lookup, the hand-written count of the summary) and answers its rows as JSON. No
  authentication, no session, no ORM objects, no count, no serialization beyond `json.dumps`.
- `POST /bench-floor/intake`: the rows an intake writes — the case, its parties, its registration
  event, two clocks, 32 text-index keys, one audit row — as plain INSERTs in one transaction from
  the same JSON body. No validation, no numbering lock, no encryption or blind indexes, no repeat
  detection, no working-day calendar, no idempotency record: "intake ≥ 40 % of the floor's
  throughput" compares the product's intake with the writes it cannot avoid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from fangtiao.bench.generate import BENCH_USERNAME

FLOORS_ENV = "FANGTIAO_BENCH_FLOORS"


@cache
def _floors() -> dict[str, list[list[Any]]]:
    path = os.environ.get(FLOORS_ENV, "")
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else {}


@require_GET
def sql_floor(request: HttpRequest, name: str, i: int) -> HttpResponse:
    statements = _floors().get(name)
    if not statements:
        return JsonResponse({"detail": "no such floor"}, status=404)
    sql, params = statements[i % len(statements)]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cols = [c[0] for c in cur.description or ()]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    return HttpResponse(json.dumps({"items": rows}, default=str, ensure_ascii=False), content_type="application/json")


# --- intake --------------------------------------------------------------------------------------

_BY_TYPE: dict[str, Any] = {
    "boolean": False, "smallint": 0, "integer": 0, "bigint": 0, "numeric": 0, "character varying": "", "text": "",
    "jsonb": "{}", "date": None, "timestamp with time zone": None,
}


@cache
def _required(table: str) -> dict[str, str]:
    """NOT NULL columns without a database default (the ORM fills them; raw SQL must too)."""
    with connection.cursor() as cur:
        cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                    "AND table_schema = current_schema() AND is_nullable = 'NO' AND column_default IS NULL", [table])
        return dict(cur.fetchall())


def _insert(cur: Any, table: str, values: dict[str, Any], now: dt.datetime) -> int:
    row = {}
    for col, kind in _required(table).items():
        if col == "id":
            continue
        default = _BY_TYPE.get(kind, "")
        row[col] = now if kind == "timestamp with time zone" else now.date() if kind == "date" else default
    row.update(values)
    cols = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    cur.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id", list(row.values()))  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
    return int(cur.fetchone()[0])


@cache
def _refs(region_code: str) -> dict[str, Any]:
    """The ids an intake of this village refers to (looked up once per process)."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, path FROM org_region WHERE code = %s", [region_code])
        region_id, path = cur.fetchone()
        cur.execute("SELECT id FROM org_unit ORDER BY id LIMIT 1")
        unit_id = cur.fetchone()[0]
        # registered_by set: the generator counts cases without one as its own (a rerun must find its N).
        cur.execute("SELECT id FROM org_user WHERE username = %s", [BENCH_USERNAME])
        user_id = cur.fetchone()[0]
        cur.execute("SELECT id FROM clocks_clockrule ORDER BY id LIMIT 2")
        rules = [r[0] for r in cur.fetchall()]
        cur.execute("CREATE SEQUENCE IF NOT EXISTS bench_floor_seq START 1000000000")
    return {"region_id": region_id, "path": path, "unit_id": unit_id, "rules": rules, "user_id": user_id}


@csrf_exempt
@require_POST
def intake_floor(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    refs = _refs(body["region"])
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT nextval('bench_floor_seq')")
        seq = int(cur.fetchone()[0])
        case_id = _insert(cur, "cases_case", {
            "number": f"底线{seq}", "number_year": now.year, "number_seq": seq, "number_unit_id": refs["unit_id"],
            "version": 1, "kind": body["kind"], "nature": body.get("nature", ""), "channel": body["channel"],
            "status": "registered", "title": body["title"], "description": body["description"],
            "demands": body.get("demands", ""), "oral_record": body.get("oral_record", ""),
            "region_id": refs["region_id"], "region_path": refs["path"], "headcount": 1,
            "holder_unit_id": refs["unit_id"], "registered_unit_id": refs["unit_id"], "registered_by_id": refs["user_id"],
            "category_id": body.get("category"), "search_text": body["title"] + body["description"],
        }, now)
        for k, p in enumerate(body.get("parties", [])):
            _insert(cur, "cases_party", {"case_id": case_id, "role": p["role"], "type": "person", "name": p["name"],
                                         "id_number": p.get("id_number", ""), "phone": p.get("phone", ""),
                                         "address": p.get("address", ""), "sort": k}, now)
        _insert(cur, "cases_caseevent", {"case_id": case_id, "at": now, "action": "registered", "data": "{}"}, now)
        for rule_id in refs["rules"]:
            _insert(cur, "clocks_clock", {"case_id": case_id, "rule_id": rule_id, "code": "floor", "state": "running",
                                          "started_on": now.date(), "due_on": now.date(),
                                          "holder_unit_id": refs["unit_id"]}, now)
        digest = hashlib.blake2b(request.body, digest_size=8).digest()
        keys = [int.from_bytes(digest, "big", signed=True) ^ k for k in range(32)]
        cur.executemany("INSERT INTO screening_textkey (key, case_id) VALUES (%s, %s)", [(k, case_id) for k in keys])
        _insert(cur, "audit_auditevent", {"at": now, "action": "case.registered", "success": True,
                                          "subject_type": "cases.case", "subject_id": str(case_id),
                                          "region_path": refs["path"], "changes": "{}", "extra": "{}"}, now)
    return JsonResponse({"id": case_id}, status=201)
