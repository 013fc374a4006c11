"""Scan files for plaintext personal numbers (security-reliability.md §6 item 12; docs/security.md §4).

Looked for, in the raw bytes of any file (SQLite databases with their -wal/-shm, dumps, backups,
application and access logs):
- ID numbers: ``\\d{17}[\\dXx]`` whose GB 11643-1999 check digit is right (cuts random digit runs);
- mobile numbers: ``1[3-9]\\d{9}``.
Either must stand alone: not inside a longer run of ASCII letters or digits (so hex digests such as
blind indexes, audit hashes and file checksums do not count), nor the decimals of a number (0.0031…). Hits are printed masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fangtiao.core.masking import mask_id_number, mask_phone
from fangtiao.core.validators import id_check_char

_ID = re.compile(rb"(?<![0-9A-Za-z])(?<!\d\.)(\d{17}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(rb"(?<![0-9A-Za-z])(?<!\d\.)(1[3-9]\d{9})(?![0-9A-Za-z])")
_CHUNK = 4 << 20
_OVERLAP = 32


@dataclass(frozen=True)
class Hit:
    path: str
    offset: int
    kind: str  # id | mobile
    masked: str

    def __str__(self) -> str:
        return f"{self.path}:{self.offset}: {'身份证号' if self.kind == 'id' else '手机号'} {self.masked}"


def _valid_id(v: bytes) -> bool:
    s = v.decode("ascii").upper()
    return id_check_char(s[:17]) == s[17]


def scan_bytes(data: bytes, *, path: str = "", base: int = 0) -> Iterator[Hit]:
    for m in _ID.finditer(data):
        if _valid_id(m.group(1)):
            yield Hit(path, base + m.start(1), "id", mask_id_number(m.group(1).decode()))
    for m in _MOBILE.finditer(data):
        yield Hit(path, base + m.start(1), "mobile", mask_phone(m.group(1).decode()))


def scan_file(path: Path) -> list[Hit]:
    hits: dict[tuple[int, str], Hit] = {}
    with open(path, "rb") as fh:
        pos, tail = 0, b""
        while True:
            block = fh.read(_CHUNK)
            if not block:
                break
            data = tail + block
            start = pos - len(tail)
            for h in scan_bytes(data, path=str(path), base=start):
                # A match touching the end of the buffer may continue in the next block: rescanned there.
                end = h.offset - start + (18 if h.kind == "id" else 11)
                if end >= len(data) and len(block) == _CHUNK:
                    continue
                hits.setdefault((h.offset, h.kind), h)
            tail = data[-_OVERLAP:]
            pos += len(block)
    return sorted(hits.values(), key=lambda h: h.offset)


def files_under(paths: Iterable[str | Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for p in map(Path, paths):
        candidates = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p, Path(f"{p}-wal"), Path(f"{p}-shm"), Path(f"{p}-journal")]
        for c in candidates:
            if c.is_file() and c.resolve() not in seen:
                seen.add(c.resolve())
                yield c


def scan(paths: Iterable[str | Path]) -> tuple[int, list[Hit]]:
    """(files scanned, hits) over files and directories (recursively); a DB path brings its -wal/-shm."""
    n, hits = 0, []
    for f in files_under(paths):
        n += 1
        hits.extend(scan_file(f))
    return n, hits
