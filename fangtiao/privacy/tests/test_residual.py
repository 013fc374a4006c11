"""Residual data (GB/T 22239 8.1.4.10; security-reliability.md §6 item 14): after a case is
anonymised and the WAL checkpointed, neither its ID number nor the old ciphertext of it (nor the
phone's) occurs in the bytes of the SQLite file. The child process works on a file copy of the
migrated test database with the product's own connection settings (secure_delete=ON, WAL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

# Decided at collection, so that PostgreSQL runs pay no transactional flush for a skip.
pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="a property of the SQLite file; PostgreSQL: VACUUM after the sweep + key destruction (docs/security.md §6)")


@pytest.mark.django_db(transaction=True)  # VACUUM INTO needs no open transaction; nothing is written here
def test_anonymised_id_number_leaves_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "residual.sqlite3"
    with connection.cursor() as cur:
        cur.execute("VACUUM INTO %s", [str(path)])
    env = {**os.environ, "FANGTIAO_TESTING": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "fangtiao.privacy.tests.residual_probe", str(path)],
                         capture_output=True, text=True, env=env, timeout=240, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["secure_delete"] == 1
    assert report["done"]["case.dispute"] == 1
    # The probe means something: the ciphertexts were in the file before the sweep...
    assert report["before"]["id_cipher"] and report["before"]["phone_cipher"]
    # ...and nothing of them is left after it (plaintext never was there: encrypted at rest).
    assert report["after"] == {"id_plain": False, "id_cipher": False, "phone_plain": False, "phone_cipher": False}
