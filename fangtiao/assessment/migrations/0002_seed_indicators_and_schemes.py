"""Seed the indicators (as data) and one default scheme per period type and level.

The formulas are the ones `assessment.indicators` computes and docs/assessment.md lists; the
weights, floors and targets of the default schemes are a starting point the district edits
(rates are fractions: 0.95 = 95%)."""

from django.db import migrations

T, V, M = "township", "village", "mediator"
STATS = "统计汇总（stats.measures，按收到日/事件日计入，发生地属本辖区）"

INDICATORS = [
    ("accepted_on_time_rate", "及时受理率",
     "及时受理件 ÷ (及时受理 + 超期受理 + 超期未受理)；收到日在考核期内的信访事项，按受理告知时限分类（时限内未到期的不计）",
     f"{STATS}；信访工作条例 第23条（15日内告知是否受理）；三率口径见 legal-rules §6", "process", "higher", "%", [T, V]),
    ("closed_on_time_rate", "按期办结率",
     "按期答复 ÷ (按期答复 + 超期答复 + 未答复 + 超期未答复)；收到日在考核期内的信访事项，按办理时限分类",
     f"{STATS}；信访工作条例 第35条（60日内办结）", "result", "higher", "%", [T, V]),
    ("participation_rate", "参评率", "已评价 ÷ (已评价 + 超期未评价)；收到日在考核期内的信访事项",
     f"{STATS}；国信发〔2014〕16号 满意度评价", "process", "higher", "%", [T, V]),
    ("satisfaction_rate", "群众满意率", "(满意 + 基本满意) ÷ 已评价；收到日在考核期内的信访事项",
     f"{STATS}；国信发〔2014〕16号 满意度评价", "result", "higher", "%", [T, V]),
    ("screening_completion_rate", "排查完成率",
     "按期填报的排查轮次（已排查且非逾期补报）÷ 应完成的排查轮次（应完成日期在考核期内，且已到期或已填报）；辖区内各排查单位合计",
     "排查轮次 screening.ScreeningRound（每月排查计划）", "process", "higher", "%", [T, V]),
    ("follow_up_rate", "回访率",
     "已回访的协议 ÷ 回访到期的已生效调解协议；到期日 = 生效日（无则达成日）+ 回访期限（时限规则 follow_up，默认30日），"
     "到期日在考核期内且已到期或已回访；已回访 = 达成日之后、期末之前有回访记录；调解员：其主调的调解",
     "调解协议 mediation.Agreement、回访记录 mediation.FollowUp；人民调解回访（legal-rules §4.9）", "process", "higher", "%",
     [T, V, M]),
    ("backlog_resolved", "积案化解数",
     "化解日期在考核期内的信访积案件数；单位：积案所在地属本辖区；调解员：列为化解调解员的积案",
     f"{STATS}（backlog_resolved）；积案 mediation.BacklogRecord", "result", "higher", "件", [T, V, M]),
    ("repeat_change", "重复信访变化",
     "(本期重复信访件数 − 上年同期重复信访件数) ÷ 上年同期重复信访件数；上年同期为 0 时：本期也为 0 记 0，否则记 +100%",
     f"{STATS}（repeat，同期比较）", "result", "lower", "%", [T, V]),
    ("skip_level_change", "越级信访变化",
     "(本期越级信访件数 − 上年同期越级信访件数) ÷ 上年同期越级信访件数；上年同期为 0 时：本期也为 0 记 0，否则记 +100%",
     f"{STATS}（skip_level，同期比较）；信访工作条例 第20条", "result", "lower", "%", [T, V]),
    ("village_level_share", "村级化解占比", "村级调委会调解成功件数 ÷ 调解成功件数（按调解结束日）",
     f"{STATS}（agreed_village ÷ mediation_agreed）；“小事不出村”", "result", "higher", "%", [T]),
    ("mediation_success_rate", "调解成功率",
     "调解成功件数 ÷ 调解终结件数（成功 + 不成，按调解结束日）；调解员：其担任主调的调解",
     f"{STATS}（mediation_agreed ÷ mediated）；调解员：mediation.Mediation、Assignment（主调）", "result", "higher", "%",
     [T, V, M]),
    ("avg_response_days", "平均响应时长",
     "Σ(受理日期 − 收到日期，日) ÷ 已受理事项数；收到日在考核期内且已受理的事项",
     "事项 cases.Case（received_at、accepted_on）；信访工作条例 第23条", "process", "lower", "日", [T, V]),
    ("warning_ack_rate", "预警处置及时率",
     "发出后 24 小时内签收的预警 ÷ 考核期内发出的预警（尚在签收时限内未签收的、未签收即条件消失的不计）",
     "预警 screening.EarlyWarning（raised_at、acknowledged_at）", "process", "higher", "%", [T, V]),
]
PARAMS = {"warning_ack_rate": {"hours": 24}}

# (indicator, weight, method, floor, target) — backlog targets per period type below
TOWNSHIP = [
    ("accepted_on_time_rate", 10, "linear", 0.8, 1.0), ("closed_on_time_rate", 15, "linear", 0.8, 1.0),
    ("participation_rate", 5, "linear", 0.5, 0.9), ("satisfaction_rate", 15, "linear", 0.7, 0.95),
    ("screening_completion_rate", 10, "linear", 0.6, 1.0), ("follow_up_rate", 10, "linear", 0.5, 1.0),
    ("backlog_resolved", 5, "linear", 0, None), ("repeat_change", 5, "linear", 0.2, -0.1),
    ("skip_level_change", 5, "linear", 0.2, -0.1), ("village_level_share", 5, "linear", 0.3, 0.7),
    ("mediation_success_rate", 5, "linear", 0.6, 0.95), ("avg_response_days", 5, "linear", 15, 3),
    ("warning_ack_rate", 5, "linear", 0.6, 1.0),
]
VILLAGE = [
    ("satisfaction_rate", 20, "linear", 0.7, 0.95), ("mediation_success_rate", 25, "linear", 0.6, 0.95),
    ("screening_completion_rate", 20, "linear", 0.6, 1.0), ("follow_up_rate", 15, "linear", 0.5, 1.0),
    ("repeat_change", 10, "linear", 0.2, -0.1), ("skip_level_change", 10, "linear", 0.2, -0.1),
]
MEDIATOR = [
    ("mediation_success_rate", 50, "linear", 0.6, 0.95), ("follow_up_rate", 30, "linear", 0.5, 1.0),
    ("backlog_resolved", 20, "threshold", 0, 1),
]
BACKLOG_TARGET = {"month": 1, "quarter": 2, "year": 5}
PERIODS = {"month": "月度", "quarter": "季度", "year": "年度"}
LEVELS = {T: ("乡镇（街道）分中心", TOWNSHIP), V: ("村（居）调委会", VILLAGE), M: ("调解员", MEDIATOR)}


def seed(apps, schema_editor):
    Indicator = apps.get_model("assessment", "Indicator")
    Scheme = apps.get_model("assessment", "Scheme")
    SchemeItem = apps.get_model("assessment", "SchemeItem")
    by_code = {}
    for n, (code, name, formula, source, kind, direction, uom, levels) in enumerate(INDICATORS):
        by_code[code], _ = Indicator.objects.update_or_create(code=code, defaults={
            "name": name, "formula": formula, "source": source, "kind": kind, "direction": direction,
            "unit_of_measure": uom, "levels": levels, "params": PARAMS.get(code, {}), "sort": (n + 1) * 10})
    for period_type, period_label in PERIODS.items():
        for level, (level_label, items) in LEVELS.items():
            if Scheme.objects.filter(period_type=period_type, level=level).exists():
                continue
            scheme = Scheme.objects.create(name=f"{level_label}{period_label}考核方案（默认）", period_type=period_type,
                                           level=level, dynamic_share=100 if period_type == "year" else 60,
                                           note="系统预置，可按年度目标管理要求调整")
            for sort, (code, weight, method, floor, target) in enumerate(items):
                SchemeItem.objects.create(scheme=scheme, indicator=by_code[code], weight=weight, method=method,
                                          floor=floor, target=BACKLOG_TARGET[period_type] if target is None else target,
                                          sort=sort)


def unseed(apps, schema_editor):
    apps.get_model("assessment", "Scheme").objects.filter(note="系统预置，可按年度目标管理要求调整").delete()
    apps.get_model("assessment", "Indicator").objects.filter(code__in=[i[0] for i in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_scores")]
    operations = [migrations.RunPython(seed, unseed)]
