import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from fangtiao.core import crypto
from fangtiao.core.crypto import _keys


def test_round_trip_and_random_nonce():
    a = crypto.encrypt("13912345678", context="t.phone")
    b = crypto.encrypt("13912345678", context="t.phone")
    assert a != b  # a fresh nonce each time: equal values do not look equal at rest
    assert crypto.decrypt(a, context="t.phone") == "13912345678"
    assert "13912345678" not in a


def test_context_is_bound():
    token = crypto.encrypt("secret", context="org_mediator.phone")
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        crypto.decrypt(token, context="org_user.phone")


def test_tampering_detected():
    token = crypto.encrypt("secret", context="c")
    header, b64 = token.rsplit(":", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{header}:{base64.b64encode(bytes(raw)).decode()}", context="c")


def test_key_rotation(settings):
    k1 = base64.b64encode(b"1" * 32).decode()
    k2 = base64.b64encode(b"2" * 32).decode()
    settings.FANGTIAO_FIELD_KEYS = f"k1:{k1}"
    old = crypto.encrypt("old value", context="c")
    settings.FANGTIAO_FIELD_KEYS = f"k2:{k2},k1:{k1}"
    new = crypto.encrypt("new value", context="c")
    assert new.split(":")[2] == "k2"
    assert crypto.decrypt(old, context="c") == "old value"
    settings.FANGTIAO_FIELD_KEYS = f"k2:{k2}"
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(old, context="c")


def test_bad_key_config():
    with pytest.raises(ImproperlyConfigured):
        _keys("k1:not-base64!!", "s")
    with pytest.raises(ImproperlyConfigured):
        _keys("k1:" + base64.b64encode(b"short").decode(), "s")


def test_blind_index_is_deterministic_and_keyed():
    assert crypto.blind_index("13912345678", purpose="phone") == crypto.blind_index("13912345678", purpose="phone")
    assert crypto.blind_index("13912345678", purpose="phone") != crypto.blind_index("13912345678", purpose="id")
    assert "13912345678" not in crypto.blind_index("13912345678", purpose="phone")


def test_phone_is_ciphertext_in_the_database(world):
    m = world.mediators["wang_t01"]
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM org_mediator WHERE id = %s", [m.pk])
        stored = cur.fetchone()[0]
    assert stored.startswith("v2:a256gcm:") and "13912345678" not in stored
    m.refresh_from_db()
    assert m.phone == "13912345678"
    assert m.phone_masked == "139****5678"


def test_serialised_value_is_ciphertext_and_loads_back(world):
    """dumpdata/loaddata carry `enc:` + ciphertext, never the plaintext (issue 9, §6 item 12)."""
    from django.core import serializers

    from fangtiao.org.models import Mediator

    data = serializers.serialize("json", [world.mediators["wang_t01"]])
    assert "13912345678" not in data and '"phone": "enc:v2:' in data
    assert next(serializers.deserialize("json", data)).object.phone == "13912345678"
    field = Mediator._meta.get_field("phone")
    assert field.to_python("enc:v2:a256gcm:d0:AAAA") == "enc:v2:a256gcm:d0:AAAA"  # looks like it, stays text
