"""Authenticated encryption of personal fields at rest, and blind indexes for exact lookups.

Stored field value (ADR 0004, ADR 0016):
- ``v2:<alg>:<key id>:<base64(nonce || ciphertext+tag)>`` — written now; ``alg`` is ``a256gcm``
  (AES-256-GCM) or ``sm4gcm`` (SM4-GCM, GB/T 32907, for 密评 GB/T 39786-2021), chosen by
  FANGTIAO_FIELD_CIPHER. The header (version, algorithm, key id) and the context are bound as AAD, so
  neither can be swapped unnoticed.
- ``v1:<key id>:<base64(nonce || ciphertext+tag)>`` — AES-256-GCM with the context as AAD; still
  read, rewritten as v2 by ``fangtiao rotate-keys``.

Keys: the first key of FANGTIAO_FIELD_KEYS encrypts, every key listed decrypts. Without configured
keys (demo, tests) a key is derived from SECRET_KEY with HKDF, which production refuses. SM4 takes a
128-bit key: it is derived from the 256-bit field key with HKDF-SM3, so one key inventory serves both.

Files: ``FTENC2 <alg len><alg><kid len><kid> nonce ct+tag`` (header bound as AAD); ``FTENC1`` files
(AES-GCM, context only) are still read.

Blind index: HMAC (SHA-256 or SM3 by FANGTIAO_BLIND_INDEX_ALG) of the normalised value with a separate
key, so equal values can be found (repeat detection) without storing them in clear. Changing the
index key or algorithm needs a re-index: ``fangtiao rotate-keys`` does it.

Only `cryptography` (OpenSSL) primitives are used (ASVS V11.2.1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as chmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v2"
LEGACY_PREFIX = "v1"
AES = "a256gcm"
SM4 = "sm4gcm"
# Setting value → header name.
CIPHERS = {"aes-256-gcm": AES, "sm4-gcm": SM4}
INDEX_ALGS = ("hmac-sha256", "hmac-sm3")
NONCE = 12
TAG = 16


class DecryptionError(ValueError):
    """A stored value or file that is malformed, tampered with, or under an unknown algorithm."""


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
        if not kid or len(raw) != 32 or ":" in kid or not kid.isascii() or len(kid) > 32:
            raise ImproperlyConfigured("FANGTIAO_FIELD_KEYS entries must be 'kid:base64(32 bytes)'")
        keys[kid] = raw
        first = first or kid
    return first, keys


def _keyring() -> tuple[str, dict[str, bytes]]:
    return _keys(settings.FANGTIAO_FIELD_KEYS, settings.SECRET_KEY)


def current_alg() -> str:
    name = getattr(settings, "FANGTIAO_FIELD_CIPHER", "aes-256-gcm") or "aes-256-gcm"
    if name not in CIPHERS:
        raise ImproperlyConfigured(f"FANGTIAO_FIELD_CIPHER must be one of {', '.join(CIPHERS)}")
    return CIPHERS[name]


def current_kid() -> str:
    return _keyring()[0]


def _key(kid: str) -> bytes:
    keys = _keyring()[1]
    if kid not in keys:
        raise ImproperlyConfigured(f"No field key {kid!r} configured to decrypt stored data")
    return keys[kid]


@lru_cache(maxsize=16)
def _sm4_key(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=16, salt=b"fangtiao-sm4", info=b"sm4-gcm").derive(key)


def _seal(alg: str, key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    if alg == AES:
        return AESGCM(key).encrypt(nonce, data, aad)
    if alg == SM4:
        enc = Cipher(algorithms.SM4(_sm4_key(key)), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        ct = enc.update(data) + enc.finalize()
        return ct + enc.tag
    raise DecryptionError(f"unknown cipher {alg!r}")


def _open(alg: str, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(nonce) != NONCE or len(sealed) < TAG:
        raise DecryptionError("ciphertext too short")
    try:
        if alg == AES:
            return AESGCM(key).decrypt(nonce, sealed, aad)
        if alg == SM4:
            dec = Cipher(algorithms.SM4(_sm4_key(key)), modes.GCM(nonce, sealed[-TAG:])).decryptor()
            dec.authenticate_additional_data(aad)
            return dec.update(sealed[:-TAG]) + dec.finalize()
    except InvalidTag as exc:
        raise DecryptionError("authentication failed: the value was altered or the key/context is wrong") from exc
    raise DecryptionError(f"unknown cipher {alg!r}")


def _b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("malformed ciphertext") from exc
    if base64.b64encode(raw).decode("ascii") != text:  # unused trailing bits altered
        raise DecryptionError("malformed ciphertext")
    return raw


# --- fields ---------------------------------------------------------------------------------

def encrypt(plaintext: str, *, context: str = "", alg: str | None = None, kid: str | None = None) -> str:
    """Encrypt with the current algorithm and key; `context` (e.g. "org.mediator.phone") is bound as AAD."""
    alg = alg or current_alg()
    kid = kid or current_kid()
    header = f"{PREFIX}:{alg}:{kid}"
    nonce = os.urandom(NONCE)
    sealed = _seal(alg, _key(kid), nonce, plaintext.encode("utf-8"), f"{header}\x00{context}".encode())
    return f"{header}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def parse_header(token: str) -> tuple[str, str, str]:
    """(version, algorithm, key id) of a stored value."""
    if token.startswith(PREFIX + ":"):
        parts = token.split(":", 3)
        if len(parts) == 4:
            return parts[0], parts[1], parts[2]
    elif token.startswith(LEGACY_PREFIX + ":"):
        parts = token.split(":", 2)
        if len(parts) == 3:
            return parts[0], AES, parts[1]
    raise DecryptionError("unknown ciphertext version")


def decrypt(token: str, *, context: str = "") -> str:
    version, alg, kid = parse_header(token)
    if version == PREFIX:
        header, b64 = token.rsplit(":", 1)
        aad = f"{header}\x00{context}".encode()
    else:
        b64 = token.split(":", 2)[2]
        aad = context.encode()
    raw = _b64(b64)
    plain = _open(alg, _key(kid), raw[:NONCE], raw[NONCE:], aad)
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:  # pragma: no cover - authenticated, so only a bug gets here
        raise DecryptionError("not text") from exc


def is_current(token: str) -> bool:
    """Written with today's algorithm and key (nothing for rotate-keys to do)."""
    try:
        version, alg, kid = parse_header(token)
    except DecryptionError:
        return False
    return version == PREFIX and alg == current_alg() and kid == current_kid()


def is_encrypted(value: str) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_header(value)
    except DecryptionError:
        return False
    return True


# --- files ----------------------------------------------------------------------------------

FILE_MAGIC = b"FTENC"  # common prefix of every version
FILE_MAGIC_V1 = b"FTENC1"
FILE_MAGIC_V2 = b"FTENC2"


def encrypt_bytes(data: bytes, *, context: str = "", alg: str | None = None, kid: str | None = None) -> bytes:
    """Files at rest (generated documents, uploaded scans, backups)."""
    alg = alg or current_alg()
    kid = kid or current_kid()
    a, k = alg.encode("ascii"), kid.encode("ascii")
    header = FILE_MAGIC_V2 + bytes([len(a)]) + a + bytes([len(k)]) + k
    nonce = os.urandom(NONCE)
    return header + nonce + _seal(alg, _key(kid), nonce, data, header + b"\x00" + context.encode())


def parse_file_header(blob: bytes) -> tuple[bytes, str, str, int]:
    """(magic, algorithm, key id, offset of the nonce)."""
    try:
        if blob.startswith(FILE_MAGIC_V2):
            i = len(FILE_MAGIC_V2)
            n = blob[i]
            alg = blob[i + 1:i + 1 + n].decode("ascii")
            i += 1 + n
            m = blob[i]
            kid = blob[i + 1:i + 1 + m].decode("ascii")
            return FILE_MAGIC_V2, alg, kid, i + 1 + m
        if blob.startswith(FILE_MAGIC_V1):
            i = len(FILE_MAGIC_V1)
            n = blob[i]
            return FILE_MAGIC_V1, AES, blob[i + 1:i + 1 + n].decode("ascii"), i + 1 + n
    except (IndexError, UnicodeDecodeError) as exc:
        raise DecryptionError("malformed encrypted file header") from exc
    raise DecryptionError("not an encrypted Fangtiao file")


def decrypt_bytes(blob: bytes, *, context: str = "") -> bytes:
    magic, alg, kid, start = parse_file_header(blob)
    aad = blob[:start] + b"\x00" + context.encode() if magic == FILE_MAGIC_V2 else context.encode()
    return _open(alg, _key(kid), blob[start:start + NONCE], blob[start + NONCE:], aad)


def is_current_file(blob: bytes) -> bool:
    try:
        magic, alg, kid, _ = parse_file_header(blob)
    except DecryptionError:
        return False
    return magic == FILE_MAGIC_V2 and alg == current_alg() and kid == current_kid()


# --- blind index ----------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _index_key(config: str, secret: str) -> bytes:
    if config:
        return base64.b64decode(config)
    return _derive(b"blind-index")


def index_alg() -> str:
    alg = getattr(settings, "FANGTIAO_BLIND_INDEX_ALG", "hmac-sha256") or "hmac-sha256"
    if alg not in INDEX_ALGS:
        raise ImproperlyConfigured(f"FANGTIAO_BLIND_INDEX_ALG must be one of {', '.join(INDEX_ALGS)}")
    return alg


def blind_index(value: str, *, purpose: str) -> str:
    """Deterministic keyed digest for exact matching; `purpose` separates index families."""
    key = _index_key(settings.FANGTIAO_BLIND_INDEX_KEY, settings.SECRET_KEY)
    msg = f"{purpose}\x00{value}".encode()
    if index_alg() == "hmac-sm3":
        h = chmac.HMAC(key, hashes.SM3())
        h.update(msg)
        return h.finalize().hex()[:40]
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:40]
