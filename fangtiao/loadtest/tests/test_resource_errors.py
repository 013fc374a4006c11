"""A full disk or an unavailable database answers 507/503 with a generic body (ResourceErrorMiddleware),
and a write that fails midway leaves no partial file (SafeFileSystemStorage) — ADR 0020. The same on
real processes: test_faults.py."""

from __future__ import annotations

import errno
import json
import sqlite3

import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.test import RequestFactory

from fangtiao.core.middleware import (
    RESOURCE_BUSY_DETAIL,
    STORAGE_FULL_DETAIL,
    ResourceErrorMiddleware,
    resource_error_status,
)
from fangtiao.core.storage import SafeFileSystemStorage
from fangtiao.loadtest.client import LEAK_RE


def _chained(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except Exception as exc:  # noqa: BLE001 - returns the chained exception
        return exc


@pytest.mark.parametrize(("exc", "status"), [
    (OSError(errno.ENOSPC, "No space left on device", "/srv/fangtiao/media/x.enc"), 507),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), 507),
    (_chained(OperationalError("database or disk is full"), sqlite3.OperationalError("database or disk is full")), 507),
    (_chained(OperationalError("database is locked"), sqlite3.OperationalError("database is locked")), 503),
    (OperationalError("terminating connection due to administrator command"), 503),
    (_chained(RuntimeError("wrapped"), OSError(errno.ENOSPC, "No space left on device")), 507),
    (OSError(errno.EACCES, "Permission denied"), None),
    (RuntimeError("a bug"), None),
    (ValueError("database is locked"), None),  # the words alone are not a database error
])
def test_which_exceptions_are_resource_errors(exc: Exception, status: int | None) -> None:
    assert resource_error_status(exc) == status


@pytest.mark.parametrize(("path", "exc", "status", "detail"), [
    ("/api/v1/cases", OSError(errno.ENOSPC, "No space left on device", "/srv/fangtiao/media/documents/a.enc"), 507,
     STORAGE_FULL_DETAIL),
    ("/api/v1/public/petitions", OperationalError('could not translate host name "db" SELECT 1 FROM cases_case'), 503,
     RESOURCE_BUSY_DETAIL),
])
def test_generic_answer_without_internals(path: str, exc: Exception, status: int, detail: str) -> None:
    middleware = ResourceErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().post(path), exc)
    assert response is not None and response.status_code == status
    body = response.content.decode()
    assert json.loads(body) == {"detail": detail, "errors": []}
    assert response["Retry-After"].isdigit() and response["Cache-Control"] == "no-store"
    assert not LEAK_RE.search(body) and "/srv/" not in body and "cases_case" not in body


def test_a_page_gets_a_short_chinese_page() -> None:
    middleware = ResourceErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().get("/cases/"), OSError(errno.ENOSPC, "full"))
    assert response is not None and response.status_code == 507
    assert response["Content-Type"].startswith("text/html") and STORAGE_FULL_DETAIL in response.content.decode()


def test_other_exceptions_stay_with_django() -> None:
    middleware = ResourceErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    assert middleware.process_exception(RequestFactory().get("/api/v1/cases"), KeyError("x")) is None


@pytest.mark.django_db
def test_through_the_whole_stack(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A public lookup whose database read fails answers 503, in the API's error shape."""
    from fangtiao.portal import selectors

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(selectors, "case_by_number_and_code", broken)
    response = client.get("/api/v1/public/petitions/X-1?code=abc")
    assert response.status_code == 503, response.content
    assert response.json() == {"detail": RESOURCE_BUSY_DETAIL, "errors": []}
    assert response["Retry-After"].isdigit()


class _FailingContent(ContentFile):
    """Two chunks: the first is written, the second hits a full disk."""

    def chunks(self, chunk_size=None):  # type: ignore[no-untyped-def]
        yield b"x" * 1000
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_leaves_no_partial_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    storage = SafeFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError, match="No space left"):
        storage.save("documents/scans/a.enc", _FailingContent(b"", name="a.enc"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    # A finished write is kept whole.
    name = storage.save("documents/scans/b.enc", ContentFile(b"y" * 5000))
    assert (tmp_path / name).read_bytes() == b"y" * 5000


def test_raised_outside_a_view_the_500_handler_answers_the_same() -> None:
    """handler500 runs inside Django's except block: an ENOSPC from a middleware is a 507, a bug a 500."""
    from fangtiao.core.views import server_error

    request = RequestFactory().post("/api/v1/cases")
    try:
        raise OSError(errno.ENOSPC, "No space left on device", "/var/lib/fangtiao/sessions")
    except OSError:
        response = server_error(request)
    assert response.status_code == 507 and json.loads(response.content)["detail"] == STORAGE_FULL_DETAIL
    try:
        raise KeyError("a bug")
    except KeyError:
        response = server_error(request)
    assert response.status_code == 500
