from django.db import models


class PrintKind(models.TextChoices):
    RECEIPTS = "receipts", "当日登记回执"
    ARCHIVE = "archive", "卷宗"
    CASE = "case", "事项全部文书"


class PrintStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ScanKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG 图片"
    PNG = "png", "PNG 图片"
