"""Key and algorithm rotation for data at rest (ASVS V11.1.1/V11.1.2; ADR 0016; docs/security.md §4).

`rotate()` walks every model for EncryptedCharField columns and FileFields, and re-encrypts each value
or file not written with today's algorithm (FANGTIAO_FIELD_CIPHER) and key (the first of
FANGTIAO_FIELD_KEYS); it recomputes every blind index from the decrypted value, so a new index key or
FANGTIAO_BLIND_INDEX_ALG takes effect. Rows are read and written with raw SQL in primary-key batches,
each batch one transaction; a row changed meanwhile is left alone (the UPDATE compares the old
ciphertext) and counted. Idempotent, hence resumable: a second run finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection, models, transaction

from fangtiao.core import crypto
from fangtiao.core.fields import EncryptedCharField
from fangtiao.core.validators import normalize_id_number, normalize_phone

# Contexts encrypted files are bound to (fangtiao.documents.services.FILE_AAD).
FILE_CONTEXTS = ("documents.file",)
# Models never rewritten here: the audit log is append-only at the database level.
SKIP_APPS = {"audit"}


def _id(v: str) -> str:
    return normalize_id_number(v) if v else ""


def _phone(v: str) -> str:
    return normalize_phone(v) if v else ""


# model label → [(index column, purpose, value from the decrypted row)]; the same as the services write.
INDEXES: dict[str, list[tuple[str, str, Callable[[dict[str, Any]], str]]]] = {
    "cases.party": [
        ("id_index", "id", lambda r: _id(r["id_number"])),
        ("phone_index", "phone", lambda r: _phone(r["phone"])),
        ("name_phone_index", "name_phone",
         lambda r: f"{(r['name'] or '').strip()}|{_phone(r['phone'])}" if (r["name"] or "").strip() and r["phone"] else ""),
    ],
    "org.mediator": [("phone_index", "phone", lambda r: r["phone"])],
    "mediation.mediatorrelation": [("id_index", "id", lambda r: _id(r["id_number"])),
                                   ("phone_index", "phone", lambda r: _phone(r["phone"]))],
    "legalservice.consultation": [("phone_index", "consultation.phone", lambda r: r["asker_phone"])],
    "privacy.rightsrequest": [("id_index", "id", lambda r: _id(r["requester_id_number"])),
                              ("phone_index", "phone", lambda r: _phone(r["requester_phone"]))],
}


@dataclass
class Counts:
    rows_seen: int = 0
    values_rotated: int = 0
    indexes_updated: int = 0
    files_rotated: int = 0
    skipped_concurrent: int = 0
    per_model: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, label: str, key: str, n: int = 1) -> None:
        self.per_model.setdefault(label, {}).setdefault(key, 0)
        self.per_model[label][key] += n


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedCharField]]]:
    out = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label in SKIP_APPS:
            continue
        fields = [f for f in meta.concrete_fields if isinstance(f, EncryptedCharField)]
        if fields:
            out.append((model, fields))
    return out


def file_models() -> list[tuple[type[models.Model], list[models.FileField]]]:
    out = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label in SKIP_APPS:
            continue
        fields = [f for f in meta.concrete_fields if isinstance(f, models.FileField)]
        if fields:
            out.append((model, fields))
    return out


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _rotate_model(model: type[models.Model], fields: list[EncryptedCharField], *, batch: int, dry_run: bool,
                  counts: Counts) -> None:
    meta = model._meta
    label = meta.label_lower
    table, pk = meta.db_table, meta.pk.column
    specs = [(meta.get_field(col), purpose, fn) for col, purpose, fn in INDEXES.get(label, [])]
    extra_cols = sorted({f.column for f in meta.concrete_fields
                         if label in INDEXES and f.name in {"name"} and not isinstance(f, EncryptedCharField)})
    cols = [f.column for f in fields] + [s[0].column for s in specs] + extra_cols
    last: Any = None
    while True:
        where = f"WHERE {_q(pk)} > %s " if last is not None else ""
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SELECT {_q(pk)}, {', '.join(_q(c) for c in cols)} FROM {_q(table)} {where}"  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
                        f"ORDER BY {_q(pk)} LIMIT %s", ([last] if last is not None else []) + [batch])
            rows = cur.fetchall()
            if not rows:
                return
            for row in rows:
                last = row[0]
                raw = dict(zip(cols, row[1:], strict=True))
                counts.rows_seen += 1
                plain: dict[str, Any] = {}
                sets: dict[str, str] = {}
                for f in fields:
                    stored = raw[f.column] or ""
                    value = crypto.decrypt(stored, context=f._context()) if stored else ""
                    plain[f.name] = value
                    if stored and not crypto.is_current(stored):
                        sets[f.column] = crypto.encrypt(value, context=f._context())
                        counts.values_rotated += 1
                        counts.add(label, f.name)
                for c in extra_cols:
                    plain[c] = raw[c]
                for col_field, purpose, fn in specs:
                    source = fn(plain)
                    want = crypto.blind_index(source, purpose=purpose) if source else ""
                    if (raw[col_field.column] or "") != want:
                        sets[col_field.column] = want
                        counts.indexes_updated += 1
                        counts.add(label, col_field.name)
                if not sets or dry_run:
                    continue
                assign = ", ".join(f"{_q(c)} = %s" for c in sets)
                guard = " AND ".join(f"{_q(f.column)} = %s" for f in fields)
                cur.execute(f"UPDATE {_q(table)} SET {assign} WHERE {_q(pk)} = %s AND {guard}",  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters
                            [*sets.values(), row[0], *(raw[f.column] or "" for f in fields)])
                if cur.rowcount != 1:
                    counts.skipped_concurrent += 1


def _rotate_files(model: type[models.Model], fields: list[models.FileField], *, batch: int, dry_run: bool,
                  counts: Counts) -> None:
    label = model._meta.label_lower
    for f in fields:
        names = (model._default_manager.exclude(**{f.name: ""}).exclude(**{f"{f.name}__isnull": True})
                 .order_by("pk").values_list("pk", f.name))
        for pk, name in names.iterator(chunk_size=batch):
            storage = f.storage
            if not storage.exists(name):
                continue
            with storage.open(name, "rb") as fh:
                blob = fh.read()
            if not blob.startswith(crypto.FILE_MAGIC) or crypto.is_current_file(blob):
                continue
            data = None
            for ctx in FILE_CONTEXTS:
                try:
                    data, used = crypto.decrypt_bytes(blob, context=ctx), ctx
                    break
                except crypto.DecryptionError:
                    continue
            if data is None:
                raise crypto.DecryptionError(f"{label}.{f.name} #{pk}: 文件 {name} 无法用已知上下文解密")
            counts.files_rotated += 1
            counts.add(label, f.name)
            if dry_run:
                continue
            new = crypto.encrypt_bytes(data, context=used)
            storage.delete(name)
            saved = storage.save(name, ContentFile(new))
            if saved != name:
                model._default_manager.filter(pk=pk).update(**{f.name: saved})


def rotate(*, batch: int = 500, dry_run: bool = False, files: bool = True,
           say: Callable[[str], None] = lambda _m: None) -> Counts:
    counts = Counts()
    for model, fields in encrypted_models():
        _rotate_model(model, fields, batch=batch, dry_run=dry_run, counts=counts)
        say(f"{model._meta.label_lower}: {counts.per_model.get(model._meta.label_lower, {}) or '无需轮换'}")
    if files:
        for model, fields in file_models():
            _rotate_files(model, fields, batch=batch, dry_run=dry_run, counts=counts)
    return counts
