"""Algorithm agility (ASVS V11.2.2, 密评): AES-256-GCM and SM4-GCM behind one header, old v1 values
still read, and tamper detection as a property (security-reliability.md §6 item 13: 1,000 random
single-byte flips over field values and file blobs, 100 % detected)."""

import base64
import os
import random

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fangtiao.core import crypto

K1 = base64.b64encode(b"1" * 32).decode()
K2 = base64.b64encode(b"2" * 32).decode()


@pytest.fixture(params=["aes-256-gcm", "sm4-gcm"])
def cipher(request, settings):
    settings.FANGTIAO_FIELD_CIPHER = request.param
    return crypto.CIPHERS[request.param]


def _samples(rng: random.Random) -> list[str]:
    return ["", "1", "13912345678", "33100319800101123X", "浙江省台州市黄岩区东城街道某村12号",
            "".join(rng.choice("0123456789甲乙丙abc ") for _ in range(rng.randint(1, 300)))]


def test_round_trip_names_the_algorithm(cipher):
    rng = random.Random(1)
    for value in _samples(rng):
        token = crypto.encrypt(value, context="cases.party.phone")
        assert token.startswith(f"v2:{cipher}:d0:")
        assert crypto.decrypt(token, context="cases.party.phone") == value
        assert crypto.is_encrypted(token) and crypto.is_current(token)
        blob = crypto.encrypt_bytes(value.encode(), context="documents.file")
        assert blob.startswith(crypto.FILE_MAGIC_V2) and crypto.is_current_file(blob)
        assert crypto.decrypt_bytes(blob, context="documents.file") == value.encode()


def test_values_of_either_algorithm_read_under_the_other(settings):
    settings.FANGTIAO_FIELD_CIPHER = "sm4-gcm"
    sm4 = crypto.encrypt("13912345678", context="c")
    sm4_file = crypto.encrypt_bytes(b"scan", context="f")
    settings.FANGTIAO_FIELD_CIPHER = "aes-256-gcm"
    assert not crypto.is_current(sm4) and not crypto.is_current_file(sm4_file)
    assert crypto.decrypt(sm4, context="c") == "13912345678"
    assert crypto.decrypt_bytes(sm4_file, context="f") == b"scan"


def test_legacy_v1_values_and_files_still_decrypt(settings):
    settings.FANGTIAO_FIELD_KEYS = f"k1:{K1}"
    nonce = os.urandom(12)
    v1 = f"v1:k1:{base64.b64encode(nonce + AESGCM(b'1' * 32).encrypt(nonce, b'13912345678', b'ctx')).decode()}"
    assert crypto.decrypt(v1, context="ctx") == "13912345678"
    assert crypto.is_encrypted(v1) and not crypto.is_current(v1)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(v1, context="other")
    f1 = b"FTENC1" + bytes([2]) + b"k1" + nonce + AESGCM(b"1" * 32).encrypt(nonce, b"pdf", b"documents.file")
    assert crypto.decrypt_bytes(f1, context="documents.file") == b"pdf"
    assert not crypto.is_current_file(f1)


def test_wrong_aad_or_swapped_header_is_rejected(cipher, settings):
    settings.FANGTIAO_FIELD_KEYS = f"k2:{K2},k1:{K1}"
    token = crypto.encrypt("33100319800101123X", context="cases.party.id_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="cases.party.phone")
    # Claiming the other algorithm or the other key for the same bytes fails authentication.
    other = crypto.SM4 if cipher == crypto.AES else crypto.AES
    for forged in (token.replace(f":{cipher}:", f":{other}:"), token.replace(":k2:", ":k1:")):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(forged, context="cases.party.id_number")
    blob = crypto.encrypt_bytes(b"%PDF-1.7 scan", context="documents.file")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(blob, context="documents.other")


def _flip(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    out = bytearray(data)
    out[i] ^= rng.randrange(1, 256)
    return bytes(out)


def test_every_random_single_byte_flip_is_detected(settings):
    """1,000 flips: 500 over stored field values, 500 over file blobs, both algorithms, two keys."""
    settings.FANGTIAO_FIELD_KEYS = f"k2:{K2},k1:{K1}"
    rng = random.Random(20261129)
    detected = total = 0
    for n in range(500):
        settings.FANGTIAO_FIELD_CIPHER = "sm4-gcm" if n % 2 else "aes-256-gcm"
        value = rng.choice(_samples(rng))
        token = crypto.encrypt(value, context="cases.party.address").encode("utf-8")
        bad = _flip(token, rng)
        total += 1
        try:
            crypto.decrypt(bad.decode("utf-8"), context="cases.party.address")
        except Exception:  # noqa: BLE001 - DecryptionError, ImproperlyConfigured (unknown kid), UnicodeDecodeError
            detected += 1
        blob = crypto.encrypt_bytes(value.encode() + os.urandom(rng.randint(0, 64)), context="documents.file")
        total += 1
        try:
            crypto.decrypt_bytes(_flip(blob, rng), context="documents.file")
        except Exception:  # noqa: BLE001
            detected += 1
    assert total == 1000 and detected == total


@pytest.mark.parametrize("alg", ["hmac-sha256", "hmac-sm3"])
def test_blind_index_algorithms(settings, alg):
    settings.FANGTIAO_BLIND_INDEX_ALG = alg
    a = crypto.blind_index("13912345678", purpose="phone")
    assert a == crypto.blind_index("13912345678", purpose="phone") and len(a) == 40
    assert a != crypto.blind_index("13912345678", purpose="id")
    settings.FANGTIAO_BLIND_INDEX_ALG = "hmac-sm3" if alg == "hmac-sha256" else "hmac-sha256"
    assert crypto.blind_index("13912345678", purpose="phone") != a  # a switch needs a re-index
