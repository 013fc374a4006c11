"""Backup and verified restore on the engine of the run (SQLite or PostgreSQL): a small drill of
generated cases and encrypted attachments, and the tamper cases — a flipped byte of the archive, a
missing attachment and a changed row each fail, naming what is wrong; a non-empty target is refused."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from fangtiao.backup import archive
from fangtiao.bench import generate as gen
from fangtiao.cases.models import Case, Party
from fangtiao.core import crypto
from fangtiao.core.piiscan import scan

pytestmark = pytest.mark.django_db(transaction=True)
N_CASES, N_FILES = 200, 50


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def target(tmp_path):
    """An empty database of the run's engine to restore into (PostgreSQL: a scratch database, dropped after)."""
    if connection.vendor == "sqlite":
        yield archive.Target("sqlite", path=str(tmp_path / "restored.sqlite3"))
        return
    import psycopg

    here = archive.Target.current()
    name = f"{connection.settings_dict['NAME']}_r{uuid.uuid4().hex[:6]}"
    with psycopg.connect(here.url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield archive.Target("postgresql", url=here.url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(here.url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drill_data(media: Path) -> list[str]:
    gen.generate(N_CASES)
    names = []
    for i in range(N_FILES):
        data = crypto.encrypt_bytes(b"%PDF-1.7 " + os.urandom(512 + i * 16), context="documents.file")
        names.append(default_storage.save(f"documents/scans/2026/11/drill-{i}.pdf.enc", ContentFile(data)))
    return names


def test_backup_restore_verify_and_tampering(media, target, tmp_path):
    names = _drill_data(media)
    out = tmp_path / "bk"
    call_command("backup", "--out", f"{out}/")
    (path,) = out.glob("*.ftbak")
    manifest_cases = Case.objects.count()
    assert manifest_cases >= N_CASES and len(names) == N_FILES

    # The archive is ciphertext: no plaintext ID or mobile number, not even a party's known one.
    assert scan([path])[1] == []
    party = Party.objects.exclude(id_number="").first()
    assert party.id_number.encode() not in path.read_bytes()

    opts = ["--target-url", target.url] if target.vendor == "postgresql" else ["--target", target.path]
    restored_media = tmp_path / "restored-media"
    call_command("restore", "--from", str(path), *opts, "--media-root", str(restored_media), "--verify")
    report = archive.verify_archive(path, target=target, media_root=restored_media)
    assert report.ok
    cases = next(c for c in report.checks if c.name == "cases_case")
    assert cases.ok and sum(1 for c in report.checks if c.kind == "附件") == N_FILES

    # A second restore into the now non-empty target is refused without --force.
    with pytest.raises(CommandError, match="不是空库"):
        call_command("restore", "--from", str(path), *opts, "--media-root", str(tmp_path / "m2"))

    # One flipped byte anywhere in the archive: the restore fails and nothing is written.
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    bad = tmp_path / "flipped.ftbak"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CommandError, match="校验失败|已损坏"):
        call_command("restore", "--from", str(bad), *opts, "--media-root", str(tmp_path / "m3"), "--force")
    assert not (tmp_path / "m3").exists()

    # A missing attachment and a changed row: verify names them.
    (restored_media / names[7]).unlink()
    if target.vendor == "sqlite":
        with sqlite3.connect(target.path) as c:
            c.execute("UPDATE cases_case SET title = title || '改' WHERE id = (SELECT min(id) FROM cases_case)")
    else:
        import psycopg

        with psycopg.connect(target.url, autocommit=True) as c:
            c.execute("UPDATE cases_case SET title = title || '改' WHERE id = (SELECT min(id) FROM cases_case)")
    with pytest.raises(CommandError) as exc:
        call_command("restore", "--from", str(path), *opts, "--media-root", str(restored_media), "--verify-only")
    assert "cases_case" in str(exc.value) and names[7] in str(exc.value)
    failed = {c.name for c in archive.verify_archive(path, target=target, media_root=restored_media).failures}
    assert {"cases_case", names[7]} <= failed and "cases_party" not in failed


def test_chunks_are_bound_to_their_place(tmp_path):
    """Dropping or swapping whole chunks (not only flipping bytes) is detected too."""
    import io

    data = os.urandom(archive.CHUNK * 2 + 100)
    enc = io.BytesIO()
    archive.encrypt_stream(io.BytesIO(data), enc)
    blob = enc.getvalue()
    out = io.BytesIO()
    archive.decrypt_stream(io.BytesIO(blob), out)
    assert out.getvalue() == data
    with pytest.raises(archive.BackupError):
        archive.decrypt_stream(io.BytesIO(blob[: len(blob) - 200]), io.BytesIO())  # truncated
    header = len(archive.MAGIC) + 2 + len(crypto.current_alg()) + len(crypto.current_kid()) + 8
    first = 5 + archive.CHUNK + 16
    swapped = blob[:header] + blob[header + first:header + 2 * first] + blob[header:header + first] + blob[header + 2 * first:]
    with pytest.raises(archive.BackupError):
        archive.decrypt_stream(io.BytesIO(swapped), io.BytesIO())
