"""Authenticated encryption of personal fields at rest, and blind indexes for exact lookups.

Format of a stored value: ``v1:<key id>:<base64(nonce || ciphertext+tag)>`` with AES-256-GCM.
The key id makes rotation possible: the first key of FANGTIAO_FIELD_KEYS encrypts, every key
listed decrypts. Without configured keys (demo, tests) a key is derived from SECRET_KEY with
HKDF, which is refused in production by `check --deploy` style checks (see docs/security).
Blind index: HMAC-SHA256 of the normalised value with a separate key, so equal values can be
found (repeat detection) without storing them in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fangtiao-field-keys", info=label).derive(
        settings.SECRET_KEY.encode()
    )


@lru_cache(maxsize=8)
def _keys(config: str, secret: str) -> tuple[str, dict[str, bytes]]:
    if not config:
        return "d0", {"d0": _derive(b"field-encryption")}
    keys: dict[str, bytes] = {}
    first = ""
    for item in config.split(","):
        kid, _, b64 = item.strip().partition(":")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"FANGTIAO_FIELD_KEYS: key {kid!r} is not base64") from exc
        if not kid or len(raw) != 32:
            raise ImproperlyConfigured("FANGTIAO_FIELD_KEYS entries must be 'kid:base64(32 bytes)'")
        keys[kid] = raw
        first = first or kid
    return first, keys


def _keyring() -> tuple[str, dict[str, bytes]]:
    return _keys(settings.FANGTIAO_FIELD_KEYS, settings.SECRET_KEY)


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt with the current key; `context` (e.g. "org_mediator.phone") is bound as AAD."""
    kid, keys = _keyring()
    nonce = os.urandom(12)
    ct = AESGCM(keys[kid]).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + ct).decode('ascii')}"


def decrypt(token: str, *, context: str = "") -> str:
    prefix, kid, b64 = token.split(":", 2)
    if prefix != PREFIX:
        raise ValueError("unknown ciphertext version")
    _, keys = _keyring()
    if kid not in keys:
        raise ImproperlyConfigured(f"No field key {kid!r} configured to decrypt stored data")
    raw = base64.b64decode(b64)
    return AESGCM(keys[kid]).decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")


FILE_MAGIC = b"FTENC1"


def encrypt_bytes(data: bytes, *, context: str = "") -> bytes:
    """Files at rest (generated documents, uploaded scans): ``FTENC1 <kid len> <kid> nonce ct+tag``."""
    kid, keys = _keyring()
    nonce = os.urandom(12)
    kid_b = kid.encode("ascii")
    return FILE_MAGIC + bytes([len(kid_b)]) + kid_b + nonce + AESGCM(keys[kid]).encrypt(nonce, data, context.encode())


def decrypt_bytes(blob: bytes, *, context: str = "") -> bytes:
    if not blob.startswith(FILE_MAGIC):
        raise ValueError("not an encrypted Fangtiao file")
    n = blob[len(FILE_MAGIC)]
    start = len(FILE_MAGIC) + 1
    kid = blob[start:start + n].decode("ascii")
    _, keys = _keyring()
    if kid not in keys:
        raise ImproperlyConfigured(f"No field key {kid!r} configured to decrypt stored data")
    raw = blob[start + n:]
    return AESGCM(keys[kid]).decrypt(raw[:12], raw[12:], context.encode())


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":") and value.count(":") >= 2


@lru_cache(maxsize=4)
def _index_key(config: str, secret: str) -> bytes:
    if config:
        return base64.b64decode(config)
    return _derive(b"blind-index")


def blind_index(value: str, *, purpose: str) -> str:
    """Deterministic keyed digest for exact matching; `purpose` separates index families."""
    key = _index_key(settings.FANGTIAO_BLIND_INDEX_KEY, settings.SECRET_KEY)
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()[:40]
