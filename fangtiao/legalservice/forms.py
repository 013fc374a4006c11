"""Forms of the public legal service pages."""

from __future__ import annotations

from django import forms

from fangtiao.core.forms import UserForm, choices_with_blank
from fangtiao.legalservice.choices import ConsultChannel, ConsultStatus


class ConsultationFilterForm(UserForm):
    channel = forms.ChoiceField(label="咨询方式", required=False, choices=choices_with_blank(ConsultChannel.choices),
                                error_messages={"invalid_choice": "没有这种咨询方式"})
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(ConsultStatus.choices),
                               error_messages={"invalid_choice": "没有这个状态"})
    q = forms.CharField(label="咨询事项或咨询人", required=False, max_length=100)
