"""Pages of the public legal service: the consultation list (filters, Excel export)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.utils import timezone

from fangtiao.core.views import Col, ListPage
from fangtiao.legalservice import forms as lf
from fangtiao.legalservice import selectors


class ConsultationList(ListPage):
    title = "法律咨询"
    export_name = "法律咨询"
    capability = "consultation.view"
    filter_form = lf.ConsultationFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("编号", lambda c: c.number),
        Col("方式", lambda c: c.get_channel_display()),
        Col("咨询时间", lambda c: timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"),
            export=lambda c: timezone.localtime(c.received_at).replace(tzinfo=None)),
        Col("咨询人", lambda c: c.asker_name),
        Col("电话", lambda c: c.phone_masked),
        Col("所在地", lambda c: c.region.name),
        Col("咨询事项", lambda c: c.topic),
        Col("律师", lambda c: c.lawyer.name if c.lawyer_id else "—"),
        Col("时长（分钟）", lambda c: c.duration_minutes or "—"),
        Col("状态", lambda c: c.get_status_display()),
        Col("转为事项", lambda c: c.case.number if c.case_id else "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.consultation_list(user=user, filters=filters)
