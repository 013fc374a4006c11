"""Local attachment storage that never leaves a partial file (issue 9, load and faults; ADR 0020).

Django's FileSystemStorage creates the file and then writes it chunk by chunk: when the disk fills
up midway (ENOSPC, EDQUOT) the exception propagates and the truncated file stays on disk, under a
name that no row will ever point at, or — worse — that a retry's row could be confused with. Here a
failed write removes what it wrote, and a finished one is fsynced before the row that points at it
is committed, so a crash after the commit cannot leave a row pointing at an empty file."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from django.core.files.storage import FileSystemStorage


class SafeFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        full = None
        try:
            name = super()._save(name, content)
            full = self.path(name)
            fd = os.open(full, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            return name
        except OSError:
            # The file our attempt created (FileSystemStorage opens with O_EXCL, so a name that
            # existed before is never ours: on FileExistsError it picks another name and retries).
            target = full or self.path(name)
            with contextlib.suppress(OSError):
                if os.path.isfile(target) and (full is not None or os.path.getsize(target) < _size(content)):
                    os.remove(target)
            raise


def _size(content: Any) -> int:
    try:
        return int(content.size)
    except (AttributeError, TypeError, ValueError):
        return 1 << 62
