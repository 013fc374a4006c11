"""`fangtiao rotate-keys`: every encrypted column of every model re-encrypted under the new key and
algorithm, blind indexes recomputed for a new index algorithm, a dry run changing nothing, idempotent,
audited; afterwards the old key can go."""

import base64

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Party
from fangtiao.cases.tests.factories import extend_world, intake, person
from fangtiao.core import crypto
from fangtiao.core.rotation import encrypted_models
from fangtiao.core.testing.api import ApiClient
from fangtiao.documents.models import PrintJob
from fangtiao.org.models import Mediator

K1 = base64.b64encode(b"1" * 32).decode()
K2 = base64.b64encode(b"2" * 32).decode()


@pytest.fixture
def old_keys(settings):
    settings.FANGTIAO_FIELD_KEYS = f"k1:{K1}"
    settings.FANGTIAO_FIELD_CIPHER = "aes-256-gcm"
    settings.FANGTIAO_BLIND_INDEX_ALG = "hmac-sha256"
    return settings


def _raw(table, col):
    with connection.cursor() as cur:
        cur.execute(f"SELECT {col} FROM {table} WHERE {col} <> '' ORDER BY id")  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
        return [r[0] for r in cur.fetchall()]


def test_discovers_every_encrypted_column():
    found = {f"{m._meta.label_lower}.{f.name}" for m, fs in encrypted_models() for f in fs}
    assert {"cases.party.id_number", "cases.party.phone", "cases.party.address", "org.mediator.phone",
            "legalservice.consultation.asker_phone", "mediation.mediatorrelation.id_number"} <= found


def test_rotate_keys_algorithm_and_index(old_keys, world, capsys, tmp_path):
    settings = old_keys
    settings.MEDIA_ROOT = str(tmp_path / "media")
    xw = extend_world(world)
    # An encrypted file under the old key (a batch-print PDF), found through its FileField.
    name = default_storage.save("documents/print/2026/11/p.pdf.enc",
                                ContentFile(crypto.encrypt_bytes(b"%PDF-1.7 old", context="documents.file")))
    PrintJob.objects.create(kind="archive", unit=world.users["clerk_t01"].unit, created_by=world.users["clerk_t01"], file=name)
    p = person()
    assert ApiClient(xw.clerk_t01).post("/api/v1/cases", intake(parties=[p])).status_code == 201
    before = _raw("cases_party", "id_number") + _raw("org_mediator", "phone")
    assert before and all(v.startswith("v2:a256gcm:k1:") for v in before)

    settings.FANGTIAO_FIELD_KEYS = f"k2:{K2},k1:{K1}"
    settings.FANGTIAO_FIELD_CIPHER = "sm4-gcm"
    settings.FANGTIAO_BLIND_INDEX_ALG = "hmac-sm3"
    call_command("rotate-keys", "--dry-run", "--batch", "2")
    assert "需要重新加密字段值" in capsys.readouterr().out
    assert _raw("cases_party", "id_number") + _raw("org_mediator", "phone") == before
    assert not AuditEvent.objects.filter(action="crypto.rotated").exists()

    call_command("rotate-keys", "--batch", "2")
    out = capsys.readouterr().out
    after = _raw("cases_party", "id_number") + _raw("cases_party", "phone") + _raw("org_mediator", "phone")
    assert after and all(v.startswith("v2:sm4gcm:k2:") for v in after), after
    party = Party.objects.get()
    assert party.id_number == p["id_number"] and party.id_index == crypto.blind_index(p["id_number"], purpose="id")
    assert Party.objects.filter(phone_index=crypto.blind_index(p["phone"], purpose="phone")).exists()
    m = Mediator.objects.get(pk=world.mediators["wang_t01"].pk)
    assert m.phone == "13912345678" and m.phone_index == crypto.blind_index("13912345678", purpose="phone")
    event = AuditEvent.objects.get(action="crypto.rotated")
    assert event.extra["cipher"] == "sm4gcm" and event.extra["key"] == "k2" and event.extra["values"] > 0
    assert "已重新加密字段值" in out and event.extra["files"] == 1
    with default_storage.open(name, "rb") as fh:
        blob = fh.read()
    assert blob.startswith(b"FTENC2\x06sm4gcm\x02k2") and crypto.decrypt_bytes(blob, context="documents.file") == b"%PDF-1.7 old"

    # Idempotent: nothing left to do; and the old key can be retired.
    call_command("rotate-keys")
    assert AuditEvent.objects.filter(action="crypto.rotated").latest("id").extra["values"] == 0
    assert AuditEvent.objects.filter(action="crypto.rotated").latest("id").extra["indexes"] == 0
    assert AuditEvent.objects.filter(action="crypto.rotated").latest("id").extra["files"] == 0
    settings.FANGTIAO_FIELD_KEYS = f"k2:{K2}"
    assert Party.objects.get().phone == p["phone"]
