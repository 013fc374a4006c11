"""Encrypted backup archives with a manifest, restore, and verification (ADR 0016; docs/security.md §4).

Archive = one file, ``FTBAK1`` + algorithm + key id + nonce prefix, then authenticated chunks
(AES-256-GCM or SM4-GCM as FANGTIAO_FIELD_CIPHER, 1 MiB each; the chunk number and a last-chunk
flag are bound as AAD, so a flipped, reordered, dropped or truncated chunk fails the restore). Inside:
a tar of

- ``db.sqlite3`` (SQLite online backup API — never a copy of the file and its -wal) or ``db.dump``
  (``pg_dump -Fc`` taken on an exported snapshot, argument lists, no shell);
- ``media/<name>`` for every stored file (encrypted documents stay encrypted: their stored bytes);
- ``manifest.json``: per table the row count and a SHA-256 over its rows in primary-key order
  (canonical JSON per row; comparable on one engine, not across engines), the SHA-256 and size of every
  file, the app version, the applied migrations, the engine and ``created_at``.

The key: FANGTIAO_BACKUP_KEY (base64 of 32 bytes, key id ``@backup``), else the current field key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore with argument lists, never a shell
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import connection

from fangtiao.core import crypto

MAGIC = b"FTBAK1"
CHUNK = 1 << 20
BACKUP_KID = "@backup"
FORMAT = 1


class BackupError(Exception):
    """A backup that cannot be made, read or restored (message in Chinese for the operator)."""


# --- encryption of the whole archive ---------------------------------------------------------

def _backup_key() -> tuple[str, bytes]:
    raw = getattr(settings, "FANGTIAO_BACKUP_KEY", "")
    if raw:
        try:
            key = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured("FANGTIAO_BACKUP_KEY must be base64 of 32 bytes") from exc
        if len(key) != 32:
            raise ImproperlyConfigured("FANGTIAO_BACKUP_KEY must be base64 of 32 bytes")
        return BACKUP_KID, key
    kid = crypto.current_kid()
    return kid, crypto._key(kid)


def _key_for(kid: str) -> bytes:
    if kid == BACKUP_KID:
        got, key = _backup_key()
        if got != BACKUP_KID:
            raise BackupError("该备份用 FANGTIAO_BACKUP_KEY 加密，但当前未配置该密钥")
        return key
    return crypto._key(kid)


def encrypt_stream(src: BinaryIO, dst: BinaryIO) -> None:
    alg = crypto.current_alg()
    kid, key = _backup_key()
    prefix = os.urandom(8)
    a, k = alg.encode(), kid.encode()
    header = MAGIC + bytes([len(a)]) + a + bytes([len(k)]) + k + prefix
    dst.write(header)
    i = 0
    chunk = src.read(CHUNK)
    while True:
        nxt = src.read(CHUNK)
        last = not nxt
        flag = b"\x01" if last else b"\x00"
        sealed = crypto._seal(alg, key, prefix + i.to_bytes(4, "big"), chunk, header + i.to_bytes(8, "big") + flag)
        dst.write(flag + len(sealed).to_bytes(4, "big") + sealed)
        if last:
            return
        chunk, i = nxt, i + 1


def decrypt_stream(src: BinaryIO, dst: BinaryIO) -> None:
    def need(n: int) -> bytes:
        b = src.read(n)
        if len(b) != n:
            raise BackupError("备份文件不完整（被截断）")
        return b

    if need(len(MAGIC)) != MAGIC:
        raise BackupError("不是访调通备份文件")
    n = need(1)[0]
    a = need(n)
    m = need(1)[0]
    k = need(m)
    prefix = need(8)
    header = MAGIC + bytes([n]) + a + bytes([m]) + k + prefix
    try:
        alg, kid = a.decode("ascii"), k.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BackupError("备份文件头已损坏") from exc
    key = _key_for(kid)
    i = 0
    while True:
        flag = need(1)
        if flag not in (b"\x00", b"\x01"):
            raise BackupError(f"备份文件第 {i + 1} 块已损坏或被篡改")
        size = int.from_bytes(need(4), "big")
        if size > CHUNK + 64:
            raise BackupError(f"备份文件第 {i + 1} 块已损坏或被篡改")
        try:
            plain = crypto._open(alg, key, prefix + i.to_bytes(4, "big"), need(size), header + i.to_bytes(8, "big") + flag)
        except crypto.DecryptionError as exc:
            raise BackupError(f"备份文件第 {i + 1} 块校验失败：已损坏、被篡改或密钥不符") from exc
        dst.write(plain)
        if flag == b"\x01":
            if src.read(1):
                raise BackupError("备份文件末尾有多余数据")
            return
        i += 1


# --- canonical digests -----------------------------------------------------------------------

def _canon(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "b64:" + base64.b64encode(bytes(v)).decode()
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"dec:{v}"
    if isinstance(v, float):
        return f"f:{v!r}"
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dt.timedelta):
        return f"td:{v.total_seconds()!r}"
    return v


def _row_bytes(row: tuple[Any, ...]) -> bytes:
    return json.dumps([_canon(v) for v in row], ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode("utf-8") + b"\n"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(cur: Any) -> list[tuple[str, list[str], int]]:
    cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    out = []
    for name, sql in cur.fetchall():
        if (sql or "").upper().startswith("CREATE VIRTUAL"):
            continue  # FTS tables: their rows are in their shadow tables, which are listed
        info = cur.execute(f"PRAGMA table_info({_q(name)})").fetchall()  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters
        pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        out.append((name, pk, len(info)))
    return out


def _pg_tables(cur: Any) -> list[tuple[str, list[str], int]]:
    cur.execute(
        "SELECT c.relname, (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),"
        " ARRAY(SELECT a.attname FROM pg_index i JOIN unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ON true"
        "       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
        "       WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.ord)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [(name, list(pk or []), ncols) for name, ncols, pk in cur.fetchall()]


def table_digests(cur: Any, vendor: str) -> dict[str, dict[str, Any]]:
    """{table: {"rows": n, "sha256": hex}} over every table, rows streamed in primary-key order."""
    tables = _sqlite_tables(cur) if vendor == "sqlite" else _pg_tables(cur)
    out: dict[str, dict[str, Any]] = {}
    for name, pk, ncols in tables:
        order = ", ".join(_q(c) for c in pk) if pk else ", ".join(str(i) for i in range(1, ncols + 1))
        cur.execute(f"SELECT * FROM {_q(name)} ORDER BY {order}")  # noqa: S608 - names from the catalogue, quoted  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters
        h, n = hashlib.sha256(), 0
        while True:
            rows = cur.fetchmany(2000)
            if not rows:
                break
            for row in rows:
                h.update(_row_bytes(tuple(row)))
            n += len(rows)
        out[name] = {"rows": n, "sha256": h.hexdigest()}
    return out


def _migrations(cur: Any) -> list[str]:
    try:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    except Exception:  # noqa: BLE001 - an empty database has no table
        return []
    return [f"{a}.{n}" for a, n in cur.fetchall()]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("fangtiao")
    except Exception:  # noqa: BLE001
        return "unknown"


# --- files -----------------------------------------------------------------------------------

def _walk(storage: Any, path: str = "") -> Iterator[str]:
    dirs, files = storage.listdir(path)
    for f in sorted(files):
        yield f"{path}/{f}" if path else f
    for d in sorted(dirs):
        yield from _walk(storage, f"{path}/{d}" if path else d)


def stored_files(storage: Any = None) -> list[str]:
    storage = storage or default_storage
    try:
        return [n for n in _walk(storage) if not PurePosixPath(n).name.startswith(".")]
    except FileNotFoundError:
        return []


def _sha256_file(fh: BinaryIO) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    for block in iter(lambda: fh.read(1 << 16), b""):
        h.update(block)
        size += len(block)
    return h.hexdigest(), size


# --- databases -------------------------------------------------------------------------------

@dataclass
class Target:
    vendor: str  # sqlite | postgresql
    path: str = ""  # SQLite file
    url: str = ""  # PostgreSQL conninfo URL

    @classmethod
    def current(cls, alias: str = "default") -> Target:
        from django.db import connections

        sd = connections[alias].settings_dict
        if connections[alias].vendor == "sqlite":
            return cls("sqlite", path=str(sd["NAME"]))
        if connections[alias].vendor != "postgresql":
            raise BackupError(f"不支持的数据库：{connections[alias].vendor}")
        user = sd.get("USER") or ""
        pw = sd.get("PASSWORD") or ""
        auth = f"{user}:{pw}@" if pw else (f"{user}@" if user else "")
        host = sd.get("HOST") or "127.0.0.1"
        port = f":{sd['PORT']}" if sd.get("PORT") else ""
        return cls("postgresql", url=f"postgresql://{auth}{host}{port}/{sd['NAME']}")

    @classmethod
    def parse(cls, value: str) -> Target:
        if value.startswith(("postgres://", "postgresql://")):
            return cls("postgresql", url=value.replace("postgres://", "postgresql://", 1))
        if value.startswith("sqlite:///"):
            return cls("sqlite", path=unquote(value[len("sqlite:///") - 1:]) if value.startswith("sqlite:////") else unquote(value[len("sqlite:///"):]))
        return cls("sqlite", path=value)

    @property
    def label(self) -> str:
        if self.vendor == "sqlite":
            return self.path
        u = urlparse(self.url)
        return f"postgresql://{u.hostname}:{u.port or 5432}{u.path}"


def _pg_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    pw = urlparse(url).password
    if pw:
        env["PGPASSWORD"] = unquote(pw)
    return env


def _pg_url_no_password(url: str) -> str:
    u = urlparse(url)
    if u.password is None:
        return url
    netloc = f"{u.username}@{u.hostname}" + (f":{u.port}" if u.port else "")
    return u._replace(netloc=netloc).geturl()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"未找到 {name}（请安装 PostgreSQL 客户端）")
    return path


def _pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


# --- backup ----------------------------------------------------------------------------------

@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    size: int
    seconds: float


def _tar_add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def create_backup(out: str | Path, *, storage: Any = None, say: Callable[[str], None] = lambda _m: None) -> BackupResult:
    """Back up the default database and every stored file into one encrypted archive."""
    t0 = time.monotonic()
    storage = storage or default_storage
    as_dir = str(out).endswith(("/", os.sep)) or Path(out).is_dir()
    out = Path(out)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    if as_dir:
        out.mkdir(parents=True, exist_ok=True)
        out = out / f"fangtiao-{stamp}.ftbak"
    out.parent.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    manifest: dict[str, Any] = {"format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                                "app_version": _version(), "engine": vendor}
    with tempfile.TemporaryDirectory(prefix="ftbak-", dir=out.parent) as tmp:
        tar_path = Path(tmp) / "backup.tar"
        with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
            if vendor == "sqlite":
                db_file = Path(tmp) / "db.sqlite3"
                connection.ensure_connection()
                dst = sqlite3.connect(db_file)
                try:
                    connection.connection.backup(dst)  # the online backup API: WAL content included
                    dst.execute("PRAGMA journal_mode=DELETE")
                    cur = dst.cursor()
                    manifest["tables"] = table_digests(cur, "sqlite")
                    manifest["migrations"] = _migrations(cur)
                finally:
                    dst.close()
                tar.add(db_file, arcname="db.sqlite3")
                db_file.unlink()
            elif vendor == "postgresql":
                target = Target.current()
                dump = Path(tmp) / "db.dump"
                conn = _pg_connect(target.url)
                try:
                    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
                    proc = subprocess.run(  # noqa: S603
                        [_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(dump),
                         "-d", _pg_url_no_password(target.url)],
                        env=_pg_env(target.url), capture_output=True, text=True, check=False)
                    if proc.returncode:
                        raise BackupError(f"pg_dump 失败：{proc.stderr.strip()[:500]}")
                    cur = conn.cursor()
                    manifest["tables"] = table_digests(cur, "postgresql")
                    manifest["migrations"] = _migrations(cur)
                    conn.execute("COMMIT")
                finally:
                    conn.close()
                tar.add(dump, arcname="db.dump")
                dump.unlink()
            else:
                raise BackupError(f"不支持的数据库：{vendor}")
            say(f"数据库：{len(manifest['tables'])} 张表，{sum(t['rows'] for t in manifest['tables'].values())} 行")
            files: dict[str, dict[str, Any]] = {}
            for name in stored_files(storage):
                with storage.open(name, "rb") as fh:
                    digest, size = _sha256_file(fh)
                    fh.seek(0)
                    info = tarfile.TarInfo(f"media/{name}")
                    info.size = size
                    info.mtime = int(time.time())
                    tar.addfile(info, fh)
                files[name] = {"sha256": digest, "size": size}
            manifest["files"] = files
            say(f"附件：{len(files)} 个，{sum(f['size'] for f in files.values())} 字节")
            _tar_add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode())
        partial = out.with_name(out.name + ".partial")
        with open(tar_path, "rb") as src, open(partial, "wb") as dst_f:
            encrypt_stream(src, dst_f)
            dst_f.flush()
            os.fsync(dst_f.fileno())
        partial.replace(out)
    return BackupResult(out, manifest, out.stat().st_size, time.monotonic() - t0)


# --- restore and verify ----------------------------------------------------------------------

@dataclass
class Check:
    kind: str  # 表 / 附件 / 完整性 / 迁移
    name: str
    expected: str
    actual: str
    ok: bool


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def table(self, *, all_rows: bool = False) -> str:
        rows = self.checks if all_rows else [c for c in self.checks if not c.ok or c.kind in ("完整性", "合计")]
        lines = [f"{'类别':<4} {'名称':<48} {'备份':>16} {'恢复后':>16}  结果"]
        for c in rows:
            lines.append(f"{c.kind:<4} {c.name[:48]:<48} {c.expected[:16]:>16} {c.actual[:16]:>16}  {'一致' if c.ok else '不一致'}")
        return "\n".join(lines)


def read_archive(archive: str | Path, into: Path) -> dict[str, Any]:
    """Decrypt and unpack; returns the manifest. Files land under `into` (db.*, media/, manifest.json)."""
    tar_path = into / "backup.tar"
    with open(archive, "rb") as src, open(tar_path, "wb") as dst:
        decrypt_stream(src, dst)
    with tarfile.open(tar_path, "r") as tar:
        for member in tar.getmembers():
            p = PurePosixPath(member.name)
            if not member.isfile() or p.is_absolute() or ".." in p.parts:
                raise BackupError(f"备份中的条目不安全：{member.name}")
        tar.extractall(into, filter="data")
    tar_path.unlink()
    try:
        return json.loads((into / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError("备份中缺少清单 manifest.json") from exc


def _is_empty(target: Target) -> bool:
    if target.vendor == "sqlite":
        if not Path(target.path).exists() or Path(target.path).stat().st_size == 0:
            return True
        con = sqlite3.connect(target.path)
        try:
            return not con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        finally:
            con.close()
    conn = _pg_connect(target.url)
    try:
        return not conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')").fetchone()[0]
    finally:
        conn.close()


def _media_dir(media_root: str | Path | None) -> Path:
    return Path(media_root) if media_root else Path(settings.MEDIA_ROOT)


def restore(archive: str | Path, *, target: Target, media_root: str | Path | None = None, force: bool = False,
            say: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Restore an archive into an empty target database and media directory; returns the manifest."""
    media = _media_dir(media_root)
    with tempfile.TemporaryDirectory(prefix="ftrestore-") as tmp_s:
        tmp = Path(tmp_s)
        manifest = read_archive(archive, tmp)
        if manifest.get("engine") != target.vendor:
            raise BackupError(f"备份来自 {manifest.get('engine')}，不能恢复到 {target.vendor}")
        if not force:
            if not _is_empty(target):
                raise BackupError(f"目标数据库 {target.label} 不是空库；确认覆盖请加 --force")
            if media.exists() and any(p.is_file() for p in media.rglob("*")):
                raise BackupError(f"目标附件目录 {media} 不是空的；确认覆盖请加 --force")
        if target.vendor == "sqlite":
            Path(target.path).parent.mkdir(parents=True, exist_ok=True)
            src = sqlite3.connect(tmp / "db.sqlite3")
            dst = sqlite3.connect(target.path)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
            finally:
                src.close()
                dst.close()
        else:
            args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "-d", _pg_url_no_password(target.url)]
            if force:
                args[1:1] = ["--clean", "--if-exists"]
            proc = subprocess.run([*args, str(tmp / "db.dump")], env=_pg_env(target.url),  # noqa: S603
                                  capture_output=True, text=True, check=False)
            if proc.returncode:
                raise BackupError(f"pg_restore 失败：{proc.stderr.strip()[:500]}")
        say(f"数据库已恢复到 {target.label}")
        n = 0
        root = tmp / "media"
        for name in manifest.get("files", {}):
            src_file = root / name
            if not src_file.is_file():
                continue  # verify names it
            dest = (media / name).resolve()
            if not str(dest).startswith(str(media.resolve()) + os.sep):
                raise BackupError(f"附件路径不安全：{name}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_file, dest)
            n += 1
        say(f"附件已恢复 {n} 个到 {media}")
    return manifest


def verify(manifest: dict[str, Any], *, target: Target, media_root: str | Path | None = None) -> Report:
    """Recompute counts, digests, file checksums and the integrity check on the target; compare."""
    report = Report()
    if target.vendor == "sqlite":
        con = sqlite3.connect(target.path)
        try:
            cur = con.cursor()
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
            report.checks.append(Check("完整性", "PRAGMA integrity_check", "ok", str(integrity), integrity == "ok"))
            actual = table_digests(cur, "sqlite")
            migrations = _migrations(cur)
        finally:
            con.close()
    else:
        conn = _pg_connect(target.url)
        try:
            cur = conn.cursor()
            actual = table_digests(cur, "postgresql")
            migrations = _migrations(cur)
        finally:
            conn.close()
        report.checks.append(Check("完整性", "pg_restore --exit-on-error", "ok", "ok", True))
    expected = manifest.get("tables", {})
    for name in sorted(set(expected) | set(actual)):
        e, a = expected.get(name), actual.get(name)
        if e is None or a is None:
            report.checks.append(Check("表", name, "有" if e else "无", "有" if a else "无", False))
            continue
        if e["rows"] != a["rows"]:
            report.checks.append(Check("表", name, f"{e['rows']} 行", f"{a['rows']} 行", False))
        else:
            report.checks.append(Check("表", name, e["sha256"][:12], a["sha256"][:12], e["sha256"] == a["sha256"]))
    report.checks.append(Check("迁移", "django_migrations", str(len(manifest.get("migrations", []))), str(len(migrations)),
                               manifest.get("migrations", []) == migrations))
    media = _media_dir(media_root)
    for name, meta in sorted(manifest.get("files", {}).items()):
        path = media / name
        if not path.is_file():
            report.checks.append(Check("附件", name, meta["sha256"][:12], "缺失", False))
            continue
        with open(path, "rb") as fh:
            digest, _size = _sha256_file(fh)
        report.checks.append(Check("附件", name, meta["sha256"][:12], digest[:12], digest == meta["sha256"]))
    tables = [c for c in report.checks if c.kind == "表"]
    files = [c for c in report.checks if c.kind == "附件"]
    report.checks.append(Check("合计", f"表 {len(tables)} 张，附件 {len(files)} 个",
                               f"{sum(t['rows'] for t in expected.values())} 行", f"{sum(t['rows'] for t in actual.values())} 行",
                               all(c.ok for c in tables + files)))
    return report


def verify_archive(archive: str | Path, *, target: Target, media_root: str | Path | None = None) -> Report:
    with tempfile.TemporaryDirectory(prefix="ftverify-") as tmp:
        manifest = read_archive(archive, Path(tmp))
    return verify(manifest, target=target, media_root=media_root)
