"""Where the documents' files live (settings § attachments): local disk by default, or a bucket of an
S3-compatible object store with FANGTIAO_STORAGE=s3.

Either way a file is only ever read through the storage API (`FieldFile.open()`, `default_storage`)
by our own download views, after the jurisdiction check and with an audit row. The object store is
never asked for a URL: a presigned or public link would bypass both, so `url()` refuses."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """S3Storage with the private ACL (set in settings) that never hands out a URL, and that gives up
    on a store that does not answer within seconds (boto3's default waits a minute per attempt, which
    would hold a web process, and `fangtiao check-deploy`, that long)."""

    connect_timeout = 5
    attempts = 3

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.client_config = self.client_config.merge(
            Config(connect_timeout=self.connect_timeout, retries={"max_attempts": self.attempts, "mode": "standard"}))

    def url(self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        raise NotImplementedError(
            "附件只能通过本系统的下载页面获取，不生成对象存储的直接链接（fangtiao.documents.storage）"
        )
