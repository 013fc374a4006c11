"""Legal consultations (法律咨询: 来人/来电/网上) given by the public legal service centre and the
lawyers' part in mediation sessions and petition meetings.

A consultation belongs to the asker's place (`region_path`, the materialised path of org.Region),
so jurisdiction is one indexed prefix test, as on cases. The asker's phone is encrypted, with a
blind index for exact look-up."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from fangtiao.cases.access import RegionPathScoped
from fangtiao.core.fields import EncryptedCharField
from fangtiao.core.masking import mask_phone
from fangtiao.core.querysets import RestrictedQuerySet
from fangtiao.legalservice.choices import ConsultChannel, ConsultStatus, ParticipationKind, ParticipationRole


class Consultation(RegionPathScoped, models.Model):
    number = models.CharField("咨询编号", max_length=64)
    channel = models.CharField("咨询方式", max_length=16, choices=ConsultChannel.choices)
    received_at = models.DateTimeField("咨询时间", default=timezone.now)
    unit = models.ForeignKey("org.Unit", verbose_name="服务单位", on_delete=models.PROTECT, related_name="consultations")
    region = models.ForeignKey("org.Region", verbose_name="咨询人所在地", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, editable=False)
    asker_name = models.CharField("咨询人", max_length=100)
    asker_phone = EncryptedCharField("联系电话", blank=True, default="")
    phone_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    category = models.ForeignKey("org.DisputeCategory", verbose_name="咨询类别", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    topic = models.CharField("咨询事项", max_length=200)
    question = models.TextField("咨询内容")
    answer = models.TextField("答复意见", blank=True)
    answered_by = models.ForeignKey("org.User", verbose_name="答复人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    lawyer = models.ForeignKey("org.Expert", verbose_name="值班律师", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="consultations")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    duration_minutes = models.PositiveIntegerField("时长（分钟）", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=ConsultStatus.choices, default=ConsultStatus.ANSWERED)
    case = models.OneToOneField("cases.Case", verbose_name="转为事项", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="consultation")
    recorded_by = models.ForeignKey("org.User", verbose_name="登记人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "法律咨询"
        verbose_name_plural = "法律咨询"
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="consultation_unit_number")]
        indexes = [
            models.Index(fields=["region_path", "received_at"], name="consultation_scope",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            models.Index(fields=["channel", "received_at"], name="consultation_channel"),
            models.Index(fields=["status", "received_at"], name="consultation_status"),
            models.Index(fields=["lawyer", "received_at"], name="consultation_lawyer"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.topic}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.asker_phone)


class LawyerParticipation(RegionPathScoped, models.Model):
    """A lawyer taking part in a mediation session or a petition meeting of a case (律师参与化解)."""

    case = models.ForeignKey("cases.Case", verbose_name="事项", on_delete=models.CASCADE, related_name="lawyer_participations")
    lawyer = models.ForeignKey("org.Expert", verbose_name="律师", on_delete=models.PROTECT, related_name="participations")
    kind = models.CharField("参与类型", max_length=24, choices=ParticipationKind.choices)
    role = models.CharField("作用", max_length=16, choices=ParticipationRole.choices)
    held_on = models.DateField("日期")
    note = models.TextField("情况", blank=True)
    region_path = models.CharField(max_length=255, editable=False)
    recorded_by = models.ForeignKey("org.User", verbose_name="记录人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "律师参与化解"
        verbose_name_plural = "律师参与化解"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["lawyer", "held_on"], name="participation_lawyer")]

    def __str__(self) -> str:
        return f"{self.lawyer} {self.get_kind_display()} {self.held_on}"
