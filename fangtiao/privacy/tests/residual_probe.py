"""Run in a child process by test_residual.py against a FILE SQLite database (a migrated copy):
register a case with a known ID number, close it 11 years ago, run the retention sweep, checkpoint
the WAL, and report whether the ID number's plaintext or its old ciphertext still occur in the file
bytes (GB/T 22239 8.1.4.10; security-reliability.md §6 item 14)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path


def main(path: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangtiao.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from fangtiao.cases import services as cases
    from fangtiao.cases.models import Case, Party
    from fangtiao.cases.tests.factories import id_number, intake, mobile, person
    from fangtiao.core.testing.world import build_world
    from fangtiao.privacy.services import retention_sweep

    world = build_world()
    idn, phone = id_number(seq=4242), mobile(4242)
    case, _ = cases.case_register(actor=world.users["clerk_t01"], data=intake(
        kind="dispute", nature=None, parties=[person(name="欧阳小明", id_number=idn, phone=phone)],
        description=f"当事人身份证{idn}"))
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=timezone.localdate() - dt.timedelta(days=4100))
    party = Party.objects.get(case=case)
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM cases_party WHERE id = %s", [party.pk])
        id_cipher, phone_cipher = cur.fetchone()
        cur.execute("PRAGMA secure_delete")
        secure_delete = cur.fetchone()[0]
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def occurs() -> dict[str, bool]:
        data = Path(path).read_bytes() + (Path(path + "-wal").read_bytes() if Path(path + "-wal").exists() else b"")
        return {"id_plain": idn.encode() in data, "id_cipher": id_cipher.encode() in data,
                "phone_plain": phone.encode() in data, "phone_cipher": phone_cipher.encode() in data}

    before = occurs()
    result = retention_sweep()
    connection.close()
    after = occurs()
    print(json.dumps({"secure_delete": secure_delete, "before": before, "after": after, "done": result.done,
                      "wal_bytes": Path(path + "-wal").stat().st_size if Path(path + "-wal").exists() else 0}))


if __name__ == "__main__":
    main(sys.argv[1])
