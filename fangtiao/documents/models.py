"""Official documents as records (STYLE.md habit 9): each generated document is a row with its
number, template, version, checksums and the encrypted files; signed scans are attached back to
it; district templates replace the built-in layouts; batch print jobs report their progress."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.documents.choices import PrintKind, PrintStatus, ScanKind


class DocumentTemplate(models.Model):
    """A district's own .docx template for one form (docxtpl placeholders such as {{ number }}).
    The most specific active template on the case's region path wins; none → the built-in layout."""

    doc_type = models.CharField("文书类型", max_length=40)
    region = models.ForeignKey("org.Region", verbose_name="适用辖区", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, editable=False)
    file = models.FileField(upload_to="documents/templates/%Y/")
    original_name = models.CharField("文件名", max_length=200)
    sha256 = models.CharField(max_length=64)
    placeholders = models.JSONField("使用的占位符", default=list)
    version = models.PositiveIntegerField("版本", default=1)
    active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "文书模板"
        verbose_name_plural = "文书模板"
        ordering = ["doc_type", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "region"], condition=Q(active=True),
                                    name="documents_template_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_type} v{self.version}（{self.region_id}）"

    @property
    def audit_region_path(self) -> str:
        return self.region_path


class DocumentNumber(models.Model):
    """The 文号 of one form of one case, allocated once (gap-free, core.numbering) and kept by every
    later version of the document."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    doc_type = models.CharField(max_length=40)
    subject = models.CharField(max_length=40, blank=True, default="")
    number = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "doc_type", "subject"], name="documents_number_uniq")]

    def __str__(self) -> str:
        return self.number


class Document(models.Model):
    """One issued version of one form for one case (and, for per-session or per-visit forms, one
    subject such as ``session:12``). Re-rendering an unchanged case returns this row; a changed
    case issues the next version under the same number."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField("文书类型", max_length=40)
    subject = models.CharField("对象", max_length=40, blank=True, default="")
    version = models.PositiveIntegerField("版本", default=1)
    number = models.CharField("文号", max_length=80, blank=True)
    title = models.CharField("标题", max_length=120)
    template = models.ForeignKey(DocumentTemplate, verbose_name="模板", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="documents")
    template_note = models.CharField("模板说明", max_length=200, blank=True)
    context_sha256 = models.CharField(max_length=64)
    context = models.TextField("填写内容（加密）")
    docx = models.FileField(upload_to="documents/%Y/%m/")
    docx_sha256 = models.CharField("Word 校验值", max_length=64)
    pdf = models.FileField(upload_to="documents/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField("PDF 校验值", max_length=64, blank=True)
    pdf_pages = models.PositiveSmallIntegerField("页数", null=True, blank=True)
    issued_on = models.DateField("成文日期")
    created_by = models.ForeignKey("org.User", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = "文书"
        ordering = ["case", "doc_type", "subject", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "doc_type", "subject", "version"], name="documents_version_uniq"),
        ]
        indexes = [
            models.Index(fields=["case", "doc_type", "subject", "-version"], name="documents_latest"),
            models.Index(fields=["doc_type", "created_at"], name="documents_type_created"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}".strip()

    @property
    def audit_region_path(self) -> str:
        return self.case.region_path


class SignedCopy(models.Model):
    """A signed and stamped scan of an issued document (PDF/JPEG/PNG), checked by content, kept
    encrypted, only ever served as a download."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="scans")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类型", max_length=8, choices=ScanKind.choices)
    file = models.FileField(upload_to="documents/scans/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "签章扫描件"
        verbose_name_plural = "签章扫描件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def audit_region_path(self) -> str:
        return self.case.region_path


class PrintJob(models.Model):
    """Batch printing: the day's receipts of a unit, or a case's whole archive, as one PDF. Run by
    the worker (claimed by compare-and-set); the page polls `done`/`total`."""

    kind = models.CharField("类型", max_length=16, choices=PrintKind.choices)
    unit = models.ForeignKey("org.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField("日期", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=PrintStatus.choices, default=PrintStatus.QUEUED)
    total = models.PositiveIntegerField("文书总数", default=0)
    done = models.PositiveIntegerField("已完成", default=0)
    file = models.FileField(upload_to="documents/print/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField("页数", default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "批量打印"
        verbose_name_plural = "批量打印"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="documents_print_queued", condition=Q(status="queued")),
            models.Index(fields=["created_by", "-created_at"], name="documents_print_mine"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def audit_region_path(self) -> str:
        return self.case.region_path if self.case_id else ""

    @property
    def progress(self) -> int:
        return 100 if self.status == PrintStatus.DONE else (int(self.done * 100 / self.total) if self.total else 0)
