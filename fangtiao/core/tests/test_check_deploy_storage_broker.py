"""`fangtiao check-deploy`: the attachment storage (a probe written, read back and deleted — on local
disk, and on object storage against moto's in-process S3 after a HEAD of the bucket) and, with
FANGTIAO_TASK_BACKEND=celery, the broker as Celery connects to it (kombu) — the Redis and RabbitMQ
on the loopback reachable, a closed port and a refused login not."""

from __future__ import annotations

import runpy
import socket
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.test import override_settings
from moto import mock_aws

from fangtiao.core.testing.topology import unavailable
from fangtiao.core.tests.test_check_deploy import PRODUCTION, _closed_port, _json

pytestmark = pytest.mark.django_db

BUCKET = "fangtiao-check"
REGION = "cn-north-1"
PREFIX = "district-331003"
ENDPOINT = "http://127.0.0.1:9000"  # answered by moto in-process
ONLY = ("--skip", "django,settings,database,migrations,cache,worker,clock")
REDIS = "redis://127.0.0.1:6379/15"
RABBIT = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture(autouse=True)
def production(monkeypatch: Any) -> Any:
    monkeypatch.delenv("FANGTIAO_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    with override_settings(**PRODUCTION):
        yield


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _s3_settings(monkeypatch: Any, endpoint: str = ENDPOINT, bucket: str = BUCKET) -> dict[str, Any]:
    env = {"FANGTIAO_STORAGE": "s3", "FANGTIAO_S3_BUCKET": bucket, "FANGTIAO_S3_ENDPOINT_URL": endpoint,
           "FANGTIAO_S3_REGION": REGION, "FANGTIAO_S3_ACCESS_KEY": "check", "FANGTIAO_S3_SECRET_KEY": "not-a-secret",
           "FANGTIAO_S3_PREFIX": PREFIX}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path("fangtiao/settings.py")["STORAGES"]


@pytest.fixture
def s3(settings: Any, monkeypatch: Any) -> Any:
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", ENDPOINT)
    storages = _s3_settings(monkeypatch)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION, endpoint_url=ENDPOINT, aws_access_key_id="check",
                              aws_secret_access_key="not-a-secret")  # noqa: S106
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        settings.STORAGES, settings.FANGTIAO_STORAGE = storages, "s3"
        yield client
        settings.STORAGES = {**storages, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
        settings.FANGTIAO_STORAGE = "local"


def _listening(url: str) -> None:
    host, port = ("127.0.0.1", 6379) if url.startswith("redis") else ("127.0.0.1", 5672)
    try:
        with socket.create_connection((host, port), timeout=1):
            pass
    except OSError:
        unavailable(f"no broker on {host}:{port}")  # a skip here, a failure under CI


# ------------------------------------------------------------------ storage: local disk
def test_local_disk_is_written_read_back_and_cleaned(media: Path) -> None:
    code, results = _json(*ONLY)
    storage = results["storage"]
    assert code == 0 and storage["status"] == "ok", storage
    assert "本地磁盘可写入、读回和删除" in storage["message"] and str(media) in storage["message"]
    assert list(media.iterdir()) == []  # the probe is gone


def test_an_unwritable_media_root_fails(settings: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = str(blocker / "media")
    code, results = _json(*ONLY)
    storage = results["storage"]
    assert code == 1 and storage["status"] == "fail" and "无法写入" in storage["message"]
    assert "FANGTIAO_MEDIA_ROOT" in storage["hint"]


# ------------------------------------------------------------------ storage: object storage
def test_object_storage_is_probed_under_the_prefix(s3: Any, monkeypatch: Any) -> None:
    from storages.backends.s3 import S3Storage

    seen: list[str] = []
    save = S3Storage._save

    def spy(self: Any, name: str, content: Any) -> Any:  # the keys the probe writes
        seen.append(self._normalize_name(name))
        return save(self, name, content)

    monkeypatch.setattr(S3Storage, "_save", spy)
    code, results = _json(*ONLY)
    storage = results["storage"]
    assert code == 0 and storage["status"] == "ok", storage
    assert "对象存储可写入、读回和删除" in storage["message"] and BUCKET in storage["message"]
    assert f"前缀 {PREFIX}/" in storage["message"] and ENDPOINT in storage["message"]
    assert len(seen) == 1 and seen[0].startswith(f"{PREFIX}/.check-deploy-")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0  # deleted again


def test_a_missing_bucket_fails(s3: Any) -> None:
    s3.delete_bucket(Bucket=BUCKET)
    code, results = _json(*ONLY)
    storage = results["storage"]
    assert code == 1 and storage["status"] == "fail" and f"没有存储桶 {BUCKET}" in storage["message"]
    assert "FANGTIAO_S3_BUCKET" in storage["hint"]


def test_an_unreachable_object_store_fails(settings: Any, monkeypatch: Any) -> None:
    settings.STORAGES = _s3_settings(monkeypatch, endpoint=f"http://127.0.0.1:{_closed_port()}")
    settings.FANGTIAO_STORAGE = "s3"
    try:
        code, results = _json(*ONLY)
    finally:
        settings.FANGTIAO_STORAGE = "local"
    storage = results["storage"]
    assert code == 1 and storage["status"] == "fail" and "无法连接对象存储" in storage["message"]
    assert "FANGTIAO_S3_ENDPOINT_URL" in storage["hint"]


# ------------------------------------------------------------------ broker with the Celery backend
@pytest.mark.parametrize(("url", "transport"), [(REDIS, "redis"), (RABBIT, "amqp")])
def test_a_reachable_celery_broker_passes(media: Path, url: str, transport: str) -> None:
    _listening(url)
    with override_settings(FANGTIAO_TASK_BACKEND="celery", FANGTIAO_BROKER_URL=url):
        code, results = _json(*ONLY)
    broker = results["broker"]
    assert code == 0 and broker["status"] == "ok", broker
    assert "Celery 任务后端" in broker["message"] and transport in broker["message"]
    assert "guest:guest" not in broker["message"]  # the password is never printed


@pytest.mark.parametrize("scheme", ["redis://127.0.0.1:{port}/0", "amqp://guest:guest@127.0.0.1:{port}//"])
def test_an_unreachable_celery_broker_fails(media: Path, scheme: str) -> None:
    with override_settings(FANGTIAO_TASK_BACKEND="celery", FANGTIAO_BROKER_URL=scheme.format(port=_closed_port())):
        code, results = _json(*ONLY)
    broker = results["broker"]
    assert code == 1 and broker["status"] == "fail" and "无法连接" in broker["message"]
    assert "FANGTIAO_BROKER_URL" in broker["hint"] and "guest:guest" not in broker["message"]


def test_a_refused_login_is_named(media: Path) -> None:
    _listening(RABBIT)
    with override_settings(FANGTIAO_TASK_BACKEND="celery", FANGTIAO_BROKER_URL="amqp://guest:wrong@127.0.0.1:5672//"):
        code, results = _json(*ONLY)
    broker = results["broker"]
    assert code == 1 and broker["status"] == "fail" and "拒绝登录" in broker["message"]
    assert "wrong" not in broker["message"] and "口令" in broker["hint"]


def test_the_celery_backend_without_a_broker_url_fails(media: Path) -> None:
    with override_settings(FANGTIAO_TASK_BACKEND="celery", FANGTIAO_BROKER_URL=""):
        code, results = _json(*ONLY)
    assert code == 1 and results["broker"]["status"] == "fail" and "FANGTIAO_BROKER_URL" in results["broker"]["message"]


def test_the_database_backend_only_needs_a_tcp_port(media: Path) -> None:
    """A broker URL that Celery would refuse (no such virtual host) passes when Celery is not used."""
    _listening(RABBIT)
    with override_settings(FANGTIAO_TASK_BACKEND="db", FANGTIAO_BROKER_URL="amqp://guest:wrong@127.0.0.1:5672//"):
        code, results = _json(*ONLY)
    assert code == 0 and results["broker"]["status"] == "ok" and "Celery" not in results["broker"]["message"]
