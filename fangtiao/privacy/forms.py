"""Forms of the privacy pages (parsing only; the services validate the rules)."""

from __future__ import annotations

from django import forms

from fangtiao.core.forms import UserForm, choices_with_blank
from fangtiao.privacy.choices import (
    CorrectionField,
    FromDate,
    LegalBasis,
    RequestStatus,
    RetentionAction,
    Right,
    Verification,
)


def _msgs(label: str, *, select: bool = False, max_len: int | None = None) -> dict[str, str]:
    out = {"required": f"请{'选择' if select else '填写'}{label}", "invalid_choice": f"请从列表中选择{label}"}
    if max_len:
        out["max_length"] = f"{label}不能超过{max_len}个字"
    return out


class RuleForm(UserForm):
    years = forms.IntegerField(label="保存期限（年）", min_value=1, max_value=100,
                               error_messages={**_msgs("保存期限"), "invalid": "请填写整数年数",
                                               "min_value": "保存期限至少1年", "max_value": "保存期限不能超过100年"})
    from_date = forms.ChoiceField(label="起算日", choices=FromDate.choices, error_messages=_msgs("起算日", select=True))
    action = forms.ChoiceField(label="到期处理", choices=RetentionAction.choices,
                               error_messages=_msgs("到期处理方式", select=True))
    legal_source = forms.CharField(label="依据", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                                   error_messages=_msgs("依据", max_len=2000))
    verified = forms.BooleanField(label="期限已核实（有法定或上级规定的具体年限）", required=False)
    active = forms.BooleanField(label="启用", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class HoldForm(UserForm):
    case_number = forms.CharField(label="事项编号", max_length=60, error_messages=_msgs("事项编号", max_len=60))
    reason = forms.CharField(label="保留原因", max_length=200, error_messages=_msgs("保留原因", max_len=200))


class RegisterFilterForm(UserForm):
    basis = forms.ChoiceField(label="法律依据", required=False, choices=choices_with_blank(LegalBasis.choices),
                              error_messages={"invalid_choice": "没有这种法律依据"})
    q = forms.CharField(label="类别或目的", required=False, max_length=100)


class RequestFilterForm(UserForm):
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(RequestStatus.choices),
                               error_messages={"invalid_choice": "没有这个状态"})
    right = forms.ChoiceField(label="请求事项", required=False, choices=choices_with_blank(Right.choices),
                              error_messages={"invalid_choice": "没有这种请求事项"})
    overdue = forms.BooleanField(label="仅超期", required=False)
    q = forms.CharField(label="编号、请求人或事项编号", required=False, max_length=100)


class RequestForm(UserForm):
    requester_name = forms.CharField(label="请求人姓名", max_length=100, error_messages=_msgs("请求人姓名", max_len=100))
    requester_id_number = forms.CharField(label="身份证号码", max_length=30, required=False)
    requester_phone = forms.CharField(label="联系电话", max_length=30, required=False)
    right = forms.ChoiceField(label="请求事项", choices=Right.choices, error_messages=_msgs("请求事项", select=True))
    case_number = forms.CharField(label="涉及事项编号", max_length=60, required=False,
                                  help_text="可不填；填写后本请求归该事项所在辖区")
    content = forms.CharField(label="请求内容", widget=forms.Textarea(attrs={"rows": 3}), max_length=20000,
                              error_messages=_msgs("请求内容", max_len=20000))
    verification = forms.ChoiceField(label="身份核验方式", choices=Verification.choices,
                                     error_messages=_msgs("身份核验方式", select=True))
    verification_note = forms.CharField(label="核验说明", max_length=200, required=False)
    correction_field = forms.ChoiceField(label="更正项目", required=False,
                                         choices=[("", "（更正补充请求填写）"), *CorrectionField.choices],
                                         error_messages=_msgs("更正项目", select=True))
    correction_value = forms.CharField(label="更正后内容", max_length=200, required=False)


class ReviewForm(UserForm):
    note = forms.CharField(label="审查意见", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class AnswerForm(UserForm):
    answer = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 3}), max_length=20000,
                             error_messages=_msgs("答复内容", max_len=20000))
    version = forms.IntegerField(widget=forms.HiddenInput)


class RefuseForm(UserForm):
    refusal_reason = forms.CharField(label="拒绝理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000,
                                     error_messages=_msgs("拒绝理由", max_len=5000))
    refusal_basis = forms.CharField(label="法律依据", max_length=200, error_messages=_msgs("法律依据", max_len=200))
    version = forms.IntegerField(widget=forms.HiddenInput)


class CopyForm(UserForm):
    reason = forms.CharField(label="导出理由", max_length=200, error_messages=_msgs("导出理由", max_len=200))
