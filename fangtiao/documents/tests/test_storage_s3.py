"""Attachments on object storage (FANGTIAO_STORAGE=s3, settings § attachments), against moto's
in-process S3 (no network): a generated Word file, an uploaded signed scan and a batch print file
land in the bucket under the prefix, encrypted and private, and come back byte for byte through our
own download views; an object gone from the bucket is a Chinese 404 and a store that refuses a 503,
never a 500; the store is never asked for a URL. The same missing-file answer on local disk.

The STORAGES setting is the one settings.py builds from the environment (runpy, as the replica
settings test does), so the environment variables' translation is tested with it."""

from __future__ import annotations

import hashlib
import io
import runpy
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto import mock_aws
from PIL import Image

from fangtiao.cases.tests.factories import make_case
from fangtiao.core import crypto
from fangtiao.core.testing.api import ApiClient
from fangtiao.documents import services
from fangtiao.documents.models import Document, PrintJob, SignedCopy
from fangtiao.documents.storage import PrivateS3Storage

BUCKET = "fangtiao-attachments"
REGION = "cn-north-1"
PREFIX = "xw-district"
ENDPOINT = "http://127.0.0.1:9000"  # a MinIO-style intranet endpoint, answered by moto in-process
FORM = "petition_register"
S3_ENV = {
    "FANGTIAO_STORAGE": "s3", "FANGTIAO_S3_BUCKET": BUCKET, "FANGTIAO_S3_ENDPOINT_URL": ENDPOINT,
    "FANGTIAO_S3_REGION": REGION, "FANGTIAO_S3_ACCESS_KEY": "fangtiao-test", "FANGTIAO_S3_SECRET_KEY": "not-a-secret",
    "FANGTIAO_S3_PREFIX": f"/{PREFIX}/", "FANGTIAO_S3_ADDRESSING_STYLE": "path",
}


def _settings_under(monkeypatch: Any, env: dict[str, str]) -> dict[str, Any]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path("fangtiao/settings.py")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch: Any) -> None:
    """The issued document's own PDF is not what these tests look at: skip the ~1–2 s CJK render."""
    monkeypatch.setattr(services, "render_pdf", lambda layout: (b"%PDF-1.7\n%fake\n%%EOF\n", 1))


@pytest.fixture
def bucket(settings: Any, monkeypatch: Any) -> Any:
    """A moto bucket and the settings' STORAGES pointing at it; yields a boto3 client of the bucket."""
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", ENDPOINT)
    built = _settings_under(monkeypatch, S3_ENV)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION, endpoint_url=ENDPOINT, aws_access_key_id="fangtiao-test",
                              aws_secret_access_key="not-a-secret")  # noqa: S106
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        settings.STORAGES = built["STORAGES"]
        yield client
        settings.STORAGES = {**built["STORAGES"], "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def clerk(xw: Any) -> Any:
    return xw.w.users["clerk_t01"]


@pytest.fixture
def row(xw: Any, clerk: Any) -> Document:
    return services.document_issue(case=make_case(xw), doc_type=FORM, actor=clerk)


def _object(client: Any, name: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")["Body"].read()


def _keys(client: Any) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (250, 250, 245)).save(buf, "PNG")
    return buf.getvalue()


def _private(client: Any, key: str) -> bool:
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    return not any("AllUsers" in g["Grantee"].get("URI", "") or "AuthenticatedUsers" in g["Grantee"].get("URI", "")
                   for g in grants)


# --- settings ----------------------------------------------------------------------------------------

def test_settings_build_a_private_s3_storage_from_the_environment(monkeypatch: Any) -> None:
    built = _settings_under(monkeypatch, S3_ENV)
    default = built["STORAGES"]["default"]
    assert default["BACKEND"] == "fangtiao.documents.storage.PrivateS3Storage"
    assert default["OPTIONS"] == {
        "bucket_name": BUCKET, "endpoint_url": ENDPOINT, "region_name": REGION, "access_key": "fangtiao-test",
        "secret_key": "not-a-secret", "location": PREFIX, "addressing_style": "path", "signature_version": "s3v4",
        "default_acl": "private", "querystring_auth": True, "file_overwrite": False,
    }
    assert built["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")
    monkeypatch.setenv("FANGTIAO_STORAGE", "local")
    assert runpy.run_path("fangtiao/settings.py")["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")


@pytest.mark.parametrize(("env", "message"), [
    ({"FANGTIAO_STORAGE": "ftp"}, "FANGTIAO_STORAGE must be local or s3"),
    ({"FANGTIAO_S3_BUCKET": ""}, "FANGTIAO_S3_BUCKET"),
    ({"FANGTIAO_S3_ENDPOINT_URL": "minio.intranet:9000"}, "FANGTIAO_S3_ENDPOINT_URL must start with http"),
    ({"FANGTIAO_S3_SECRET_KEY": ""}, "go together"),
    ({"FANGTIAO_S3_ADDRESSING_STYLE": "dns"}, "FANGTIAO_S3_ADDRESSING_STYLE"),
])
def test_bad_storage_settings_are_loud(monkeypatch: Any, env: dict[str, str], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        _settings_under(monkeypatch, {**S3_ENV, **env})


def test_the_store_is_never_asked_for_a_url(bucket: Any) -> None:
    assert isinstance(default_storage, PrivateS3Storage) or isinstance(default_storage._wrapped, PrivateS3Storage)
    with pytest.raises(NotImplementedError, match="下载页面"):
        default_storage.url("documents/x.docx.enc")


# --- stored in the bucket, downloaded through the views ---------------------------------------------

def test_a_generated_document_is_in_the_bucket_and_downloads_byte_identically(bucket: Any, row: Document,
                                                                             clerk: Any, client: Any,
                                                                             media: Path) -> None:
    assert row.docx.name.startswith("documents/") and row.docx.name.endswith(".docx.enc")
    key = f"{PREFIX}/{row.docx.name}"
    assert key in _keys(bucket) and f"{PREFIX}/{row.pdf.name}" in _keys(bucket)
    assert all(k.startswith(f"{PREFIX}/documents/") for k in _keys(bucket))
    stored = _object(bucket, row.docx.name)
    assert stored.startswith(crypto.FILE_MAGIC) and b"word/document.xml" not in stored  # encrypted at rest
    assert _private(bucket, key)
    assert not media.exists() or not any(media.rglob("*.enc"))  # nothing on the local disk

    client.force_login(clerk)
    r = client.get(f"/documents/cases/{row.case_id}/documents/{row.pk}/docx/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    assert r.content == crypto.decrypt_bytes(stored, context=services.FILE_AAD)
    assert hashlib.sha256(r.content).hexdigest() == row.docx_sha256
    assert r.content.startswith(b"PK")  # a Word file (zip)
    # The API reads the same object.
    api = ApiClient(clerk).get(f"/api/v1/cases/{row.case_id}/documents/{FORM}", {"format": "docx"})
    assert api.status_code == 200 and api.content == r.content


def test_an_uploaded_signed_scan_is_in_the_bucket_and_downloads_byte_identically(bucket: Any, row: Document,
                                                                                 clerk: Any, client: Any) -> None:
    data = _png()
    client.force_login(clerk)
    r = client.post(f"/documents/cases/{row.case_id}/documents/{row.pk}/scans/",
                    {"file": SimpleUploadedFile("协议签章件.png", data, content_type="image/png"), "note": "已盖章"},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content.decode()[:500]
    scan = SignedCopy.objects.get(document=row)
    key = f"{PREFIX}/{scan.file.name}"
    assert scan.file.name.startswith("documents/scans/") and key in _keys(bucket) and _private(bucket, key)
    assert data not in _object(bucket, scan.file.name)

    r = client.get(f"/documents/cases/{row.case_id}/scans/{scan.pk}/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    assert r.content == data and r["Content-Type"] == "image/png"


def test_a_print_file_is_in_the_bucket_and_downloads_through_the_view(bucket: Any, xw: Any, clerk: Any,
                                                                      client: Any, monkeypatch: Any) -> None:
    drawn = b"%PDF-1.7\n% the batch\n%%EOF\n"
    monkeypatch.setattr(services, "render_many", lambda layouts, title, day: (drawn, len(layouts)))
    case = make_case(xw)
    job = services.print_request(actor=clerk, kind="case", case=case)
    assert job.status == "done", job.error
    assert job.file.name.startswith("documents/print/") and f"{PREFIX}/{job.file.name}" in _keys(bucket)
    client.force_login(clerk)
    r = client.get(f"/documents/print/{job.pk}/file/")
    assert r.status_code == 200 and r.content == drawn


# --- a missing object, a refusing store ----------------------------------------------------------------

def test_an_object_missing_from_the_bucket_is_a_chinese_404(bucket: Any, row: Document, clerk: Any,
                                                            client: Any) -> None:
    scan = services.scan_upload(row=row, data=_png(), name="签章件.png", note="", actor=clerk)
    job = PrintJob.objects.create(kind="case", unit=row.case.holder_unit, case=row.case, created_by=clerk,
                                  status="done", file="documents/print/2026/01/gone.pdf.enc")
    for name in (row.docx.name, scan.file.name):
        bucket.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")
    client.force_login(clerk)
    for url in (f"/documents/cases/{row.case_id}/documents/{row.pk}/docx/",
                f"/documents/cases/{row.case_id}/scans/{scan.pk}/",
                f"/documents/print/{job.pk}/file/"):
        r = client.get(url)
        assert r.status_code == 404, url
        page = r.content.decode()
        assert "文件在存储中已找不到" in page and 'data-testid="documents-error"' in page, url
    api = ApiClient(clerk).get(f"/api/v1/cases/{row.case_id}/scans/{scan.pk}")
    assert api.status_code == 404 and "文件在存储中已找不到" in api.json()["detail"]


def test_a_store_that_refuses_is_a_503_not_a_500(bucket: Any, row: Document, clerk: Any, client: Any,
                                                 monkeypatch: Any) -> None:
    def refuse(self: Any, name: str, mode: str = "rb") -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                           "ResponseMetadata": {"HTTPStatusCode": 403}}, "HeadObject")

    monkeypatch.setattr(PrivateS3Storage, "_open", refuse)
    client.force_login(clerk)
    r = client.get(f"/documents/cases/{row.case_id}/documents/{row.pk}/docx/")
    assert r.status_code == 503 and "文件存储暂时无法访问" in r.content.decode()


def test_a_file_missing_from_the_local_disk_is_a_chinese_404(row: Document, clerk: Any, client: Any) -> None:
    default_storage.delete(row.docx.name)
    client.force_login(clerk)
    r = client.get(f"/documents/cases/{row.case_id}/documents/{row.pk}/docx/")
    assert r.status_code == 404 and "文件在存储中已找不到" in r.content.decode()
