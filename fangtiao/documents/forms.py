"""Forms of the documents pages: they parse what the user typed or chose and nothing more — which
file is acceptable (type by content, size, scripts in a PDF, placeholders of a template) is the
services' to say (documents.services.scan_check, custom.inspect_template); their messages are
put beside the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangtiao.core.errors import DomainError
from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank
from fangtiao.documents.choices import PrintKind, PrintStatus
from fangtiao.org.models import Region

SCAN_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
DOCX_ACCEPT = ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal beside the field it names (or above the form when it names none)."""
    if not exc.errors:
        form.add_error(None, exc.detail)
        return
    for err in exc.errors:
        name = err.field.split(".")[0]
        form.add_error(name if name in form.fields else None, err.message)


def read_upload(upload: Any, limit: int) -> bytes:
    """At most `limit` + 1 bytes: enough for the service to say the file is too large, without
    holding a huge upload in memory."""
    upload.seek(0)
    return upload.read(limit + 1)


class IssueForm(forms.Form):
    """生成/更新 one form of the case (and one subject, such as one session record)."""

    doc_type = forms.CharField(max_length=40, error_messages={"required": _("请选择文书")})
    subject = forms.CharField(max_length=40, required=False)


class ScanUploadForm(forms.Form):
    file = forms.FileField(
        label=_("签章扫描件"),
        help_text=_("PDF、JPEG 或 PNG；签名盖章后扫描或拍照的原件"),
        error_messages={"required": _("请选择要上传的扫描件"), "empty": _("请选择要上传的扫描件"),
                        "invalid": _("请选择要上传的扫描件")},
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT, "class": "form-control form-control-sm"}),
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=200,
        error_messages={"max_length": _("说明不能超过200字")},
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "placeholder": _("如：双方签字盖章后扫描")}),
    )


class PrintCaseForm(forms.Form):
    kind = forms.ChoiceField(choices=[(PrintKind.ARCHIVE, PrintKind.ARCHIVE.label), (PrintKind.CASE, PrintKind.CASE.label)],
                             error_messages={"required": _("没有这种打印任务"), "invalid_choice": _("没有这种打印任务")})


class ReceiptsForm(UserForm):
    """The day's 登记回执 of the user's unit: a date as people write it (2026-11-29, 2026年11月29日)."""

    day = ChineseDateField(label=_("登记日期"), help_text=_("如 2026-11-29 或 2026年11月29日；不填为今天"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"day": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)
        self.fields["day"].widget.attrs.update({"placeholder": "2026-11-29", "autocomplete": "off"})

    def clean_day(self) -> Any:
        return self.cleaned_data.get("day") or timezone.localdate()


class PrintJobFilterForm(UserForm):
    """The filter bar of 我的打印任务; it also carries the page's receipts form (bound on a refused POST)."""

    kind = forms.ChoiceField(label=_("类型"), required=False, choices=choices_with_blank(PrintKind.choices),
                             error_messages={"invalid_choice": _("没有这种打印任务")})
    status = forms.ChoiceField(label=_("状态"), required=False, choices=choices_with_blank(PrintStatus.choices),
                               error_messages={"invalid_choice": _("没有这个状态")})

    def __init__(self, *args: Any, receipts: ReceiptsForm | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.receipts = receipts if receipts is not None else ReceiptsForm(user=self.user)


def template_regions(user: Any) -> list[Region]:
    """The regions an administrator may give a template to: their own jurisdiction, down to the
    townships (a village's own form is not what districts do; the service would accept any region
    in scope all the same). Read once per page, shared by every form's select."""
    from fangtiao.cases.access import case_scope_path

    qs = Region.objects.filter(active=True).exclude(level="village").order_by("path")
    if not user.is_superuser:
        scope = case_scope_path(user)
        if scope is None:
            return []
        if scope:
            qs = qs.filter(path__startswith=scope)
    return list(qs)


class TemplateUploadForm(UserForm):
    file = forms.FileField(
        label=_("Word 模板（.docx）"),
        error_messages={"required": _("请选择 .docx 模板文件"), "empty": _("请选择 .docx 模板文件"),
                        "invalid": _("请选择 .docx 模板文件")},
        widget=forms.ClearableFileInput(attrs={"accept": DOCX_ACCEPT}),
    )
    region = forms.ChoiceField(label=_("适用辖区"), error_messages={"required": _("请选择适用辖区"),
                                                               "invalid_choice": _("只能为本辖区上传模板")})
    note = forms.CharField(label=_("说明"), required=False, max_length=200,
                           error_messages={"max_length": _("说明不能超过200字")})

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {str(r.pk): r for r in regions}
        top = min((r.depth for r in regions), default=0)
        self.fields["region"].choices = [(str(r.pk), "　" * (r.depth - top) + f"{r.name}（{r.code}）") for r in regions]
        if regions and not self.is_bound:
            self.initial.setdefault("region", str(regions[0].pk))

    def clean_region(self) -> Region:
        return self.regions[self.cleaned_data["region"]]
