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
        target = self.path(name)
        existed = os.path.lexists(target)  # Storage.save picked a free name; O_EXCL keeps it ours
        try:
            name = super()._save(name, content)
            fd = os.open(self.path(name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            return name
        except OSError:
            if not existed:
                with contextlib.suppress(OSError):
                    os.remove(target)
            raise
