"""0 plaintext ID or mobile numbers at rest (security-reliability.md §6 item 12): a populated database
FILE (parties, mediators, staff with ID numbers and phones, written through the API and services),
its `dumpdata`, a backup made by `fangtiao backup`, and everything logged at DEBUG while requests
carried those numbers in their POST bodies (SQL is logged only under DEBUG=True; its parameters are
ciphertext and blind indexes). And the scanner itself finds, masks and
exits 1."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from fangtiao.cases.models import Party
from fangtiao.cases.tests.factories import extend_world, id_number, intake, mobile, person
from fangtiao.core.piiscan import scan, scan_bytes
from fangtiao.core.testing.api import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


def test_scanner_finds_masks_and_ignores_digests(tmp_path, capsys):
    idn, phone = id_number(seq=7), mobile(8)
    log = tmp_path / "access.log"
    log.write_text(f"POST /x id={idn}&tel={phone}\nblind=deadbeef{phone}cafe n=1{phone}9 t=0.{idn} bad={idn[:17]}0\n")
    hits = [(h.kind, h.masked) for h in scan_bytes(log.read_bytes())]
    assert hits == [("id", idn[:6] + "********" + idn[-4:]), ("mobile", phone[:3] + "****" + phone[-4:])]
    with pytest.raises(SystemExit) as exc:
        call_command("pii-scan", str(tmp_path))
    out = capsys.readouterr().out
    assert exc.value.code == 1 and idn not in out and phone not in out and "****" in out


def test_no_plaintext_pii_in_db_file_dump_backup_or_logs(world, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    xw = extend_world(world)
    logfile = tmp_path / "app.log"
    handler = logging.FileHandler(logfile, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s %(args)s"))
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(n) for n in ("django", "django.request", "fangtiao"))]
    old_levels = [lg.level for lg in loggers]
    root.addHandler(handler)
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    people = [person(), person(), person(role="respondent")]
    try:
        api = ApiClient(xw.clerk_t01)
        for parties in ([people[0], people[2]], [people[1]]):
            r = api.post("/api/v1/cases", intake(parties=parties))
            assert r.status_code == 201, r.content
        bad = api.post("/api/v1/cases", intake(parties=[person(id_number=people[0]["id_number"][:17] + "0")]))
        assert bad.status_code == 422  # a refused body with PII is logged as refused, not echoed
    finally:
        root.removeHandler(handler)
        for lg, level in zip(loggers, old_levels, strict=True):
            lg.setLevel(level)
        handler.close()
    known = [p["id_number"] for p in people] + [p["phone"] for p in people] + ["13912345678"]
    assert Party.objects.count() == 3
    assert "Unprocessable Entity: /api/v1/cases" in logfile.read_text("utf-8")  # the requests were logged

    dump = tmp_path / "dump.json"
    with open(dump, "w", encoding="utf-8") as fh:
        call_command("dumpdata", stdout=fh)
    call_command("backup", "--out", str(tmp_path / "bk") + "/")
    paths = [logfile, dump, tmp_path / "bk"]
    if connection.vendor == "sqlite":
        db_file = tmp_path / "fangtiao.sqlite3"
        dst = sqlite3.connect(db_file)
        connection.connection.backup(dst)
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        dst.close()
        with connection.cursor() as cur:  # the file does hold the parties (as ciphertext)
            cur.execute("SELECT phone FROM cases_party ORDER BY id")
            stored = cur.fetchone()[0]
        assert stored.encode() in db_file.read_bytes()
        paths.append(db_file)
    n, hits = scan(paths)
    assert n >= 3 and hits == [], [str(h) for h in hits[:10]]
    blob = b"".join(Path(p).read_bytes() for p in [logfile, dump, *(tmp_path / "bk").glob("*")])
    assert not [k for k in known if k.encode() in blob]
    # dumpdata carries ciphertext that loads back to the same values.
    assert '"phone": "enc:v2:' in dump.read_text("utf-8")
