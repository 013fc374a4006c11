"""`fangtiao demo`: load the deterministic demo district (浙江省台州市黄岩区) and a year of its cases.
Safe to run again.

The cases (fangtiao.cases.demo) are made by calling the case services at simulated moments, so
their timelines, clocks, notifications and audit are real. `--cases N` sets how many (default
1500), `--no-cases` skips them. Under the test runner the default is no cases (tests that want
them pass `cases=N`), so the district's own tests stay fast."""

from __future__ import annotations

import os
import time
import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangtiao.cases import demo as case_demo
from fangtiao.core.errors import DomainError
from fangtiao.org import demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    # Chinese characters take two columns in a terminal; str.ljust counts them as one.
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = (
        "载入演示数据：浙江省台州市黄岩区的行政区划（19个乡镇街道及其村社区）、矛调中心及进驻单位、"
        "各级人民调解委员会、调解员、调解专家库和演示账号。结果确定（同一种子得到同样的数据），"
        "可重复运行：已存在的数据不会重复创建。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--villages", type=int, default=demo.DEFAULT_VILLAGES,
            help=f"村（社区）总数，{demo.MIN_VILLAGES}–{demo.MAX_VILLAGES}，默认 {demo.DEFAULT_VILLAGES}",
        )
        parser.add_argument(
            "--village-mediators", type=int, default=demo.DEFAULT_VILLAGE_MEDIATORS,
            help=f"村（社区）调解员总数，默认 {demo.DEFAULT_VILLAGE_MEDIATORS}",
        )
        parser.add_argument(
            "--full", action="store_true",
            help=f"按报道规模生成 {demo.FULL_VILLAGE_MEDIATORS} 名村（社区）调解员（覆盖 --village-mediators）",
        )
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help=f"随机种子，默认 {demo.DEFAULT_SEED}")
        parser.add_argument(
            "--cases", type=int, default=None,
            help=f"同时生成一年的演示事项（调用业务服务办理，时间线、时限和审计均真实），"
                 f"{case_demo.MIN_CASES}–{case_demo.MAX_CASES} 件，默认 {case_demo.DEFAULT_CASES}；已生成过则跳过",
        )
        parser.add_argument("--no-cases", action="store_true", help="不生成演示事项")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.test.utils import override_settings

        # Background work a generated matter asks for (its text index and warnings, score runs)
        # runs in the generator's own transaction, as in the tests: a year of matters must not
        # start a thread each beside a SQLite file the generator is writing.
        with override_settings(FANGTIAO_JOB_MODE="inline", FANGTIAO_PRINT_MODE="inline"):
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        village_mediators = demo.FULL_VILLAGE_MEDIATORS if options["full"] else options["village_mediators"]
        n_cases = options["cases"]
        if n_cases is None:
            n_cases = case_demo.DEFAULT_CASES
        if options["no_cases"]:
            n_cases = 0
        if n_cases and not case_demo.MIN_CASES <= n_cases <= case_demo.MAX_CASES:
            raise CommandError(f"演示事项数量应在 {case_demo.MIN_CASES}–{case_demo.MAX_CASES} 之间（或用 --no-cases 不生成）")
        try:
            p = demo.plan(seed=options["seed"], villages=options["villages"], village_mediators=village_mediators)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        started = time.monotonic()  # elapsed time for the report only; the data never depends on it
        try:
            result = demo.build(p, password=settings.DEMO_PASSWORD)
        except DomainError as exc:
            details = "；".join(f"{e.field}：{e.message}" for e in exc.errors)
            raise CommandError(f"载入演示数据失败：{exc.detail}" + (f"（{details}）" if details else "")) from exc
        elapsed = time.monotonic() - started

        out = self.stdout
        if result.total:
            out.write(self.style.SUCCESS(
                f"已载入浙江省台州市黄岩区演示数据（种子 {p.seed}，新建 {result.total} 条记录，用时 {elapsed:.1f} 秒）。"
            ))
        else:
            out.write(self.style.SUCCESS("演示数据已存在，本次未作任何改动。"))
        if n_cases:
            self._cases(p, n_cases)
            self._history(p)
            self._screening(p)
            self._legal(p)
            self._measures()
        self._summary(p)

    def _cases(self, p: demo.Plan, n: int) -> None:
        out = self.stdout
        out.write(f"正在生成一年的演示事项（{n} 件，逐件调用业务服务办理）……")
        try:
            result = case_demo.build_cases(p, n=n, password=settings.DEMO_PASSWORD, log=out.write)
        except (DomainError, ValueError) as exc:
            raise CommandError(f"生成演示事项失败：{exc}") from exc
        if result.skipped:
            out.write(self.style.SUCCESS("演示事项已存在，本次未重复生成。"))
            return
        out.write(self.style.SUCCESS(
            f"已生成演示事项 {result.created} 件（{result.steps} 个办理步骤，用时 {result.seconds:.1f} 秒）；"
            f"时限巡检：到期未完成的期限 {result.tick.get('overdue', 0)} 项（含信访人的复查、评价等申请期限），"
            f"临期提醒 {result.tick.get('due_soon', 0)} 项。"
        ))
        for msg in result.failures[:10]:
            self.stderr.write(f"  未能办理：{msg}")
        if len(result.failures) > 10:
            self.stderr.write(f"  ……共 {len(result.failures)} 件事项未能按计划办理完毕")

    def _screening(self, p: demo.Plan) -> None:
        from fangtiao.screening import demo as screening_demo

        if screening_demo.already_loaded():
            return
        self.stdout.write("正在生成一年的排查轮次、分流模型、热点和预警……")
        try:
            screening_demo.build(seed=p.seed, log=self.stdout.write)
        except DomainError as exc:
            details = "；".join(f"{e.field}：{e.message}" for e in exc.errors)
            raise CommandError(f"生成排查预警演示数据失败：{exc.detail}" + (f"（{details}）" if details else "")) from exc
        except ValueError as exc:
            raise CommandError(f"生成排查预警演示数据失败：{exc}") from exc

    def _history(self, p: demo.Plan) -> None:
        from fangtiao.cases import demo_history

        if demo_history.already_loaded():
            return
        self.stdout.write("正在导入上一年度的历史事项（原信访信息系统）……")
        try:
            demo_history.build(seed=p.seed, log=self.stdout.write)
        except DomainError as exc:
            raise CommandError(f"导入历史事项失败：{exc.detail}") from exc

    def _legal(self, p: demo.Plan) -> None:
        from fangtiao.legalservice import demo as legal_demo

        if legal_demo.already_loaded():
            return
        self.stdout.write("正在生成一年的法律咨询……")
        try:
            legal_demo.build(seed=p.seed, log=self.stdout.write)
        except DomainError as exc:
            raise CommandError(f"生成法律咨询演示数据失败：{exc.detail}") from exc

    def _measures(self) -> None:
        """Statistics rollups from the year just loaded (the worker keeps them current from here on)."""
        from fangtiao.assessment import demo as assessment_demo
        from fangtiao.stats import services as stats_services
        from fangtiao.stats.models import Fact
        from fangtiao.subsidies import demo as subsidies_demo

        if stats_services.pending() or not Fact.objects.exists():  # something was loaded by this run
            counts = stats_services.rebuild()
            self.stdout.write(f"统计汇总：事项 {counts['case']} 件，法律咨询 {counts['consultation']} 件")
        try:
            if not subsidies_demo.already_loaded():
                self.stdout.write("正在编制以奖代补发放表……")
                subsidies_demo.build(log=self.stdout.write)
            if not assessment_demo.already_loaded():
                self.stdout.write("正在计算考核得分……")
                assessment_demo.build(log=self.stdout.write)
        except DomainError as exc:
            raise CommandError(f"生成考核和以奖代补演示数据失败：{exc.detail}") from exc

    def _summary(self, p: demo.Plan) -> None:
        c = demo.summary_counts()
        w = self.stdout.write
        w("")
        w(f"区划：乡镇（街道）{c['streets'] + c['towns'] + c['townships']} 个"
          f"（街道 {c['streets']}、镇 {c['towns']}、乡 {c['townships']}），"
          f"村（社区）{c['community_regions'] + c['village_regions']} 个"
          f"（社区 {c['community_regions']}、村 {c['village_regions']}）")
        w(f"单位：共 {c['units']} 个；进驻矛调中心 {c['stationed']} 家，一级响应联动 {c['joint_response']} 家；"
          f"乡镇（街道）调委会 {c['township_committees']} 个，村（居）调委会 {c['village_committees']} 个，"
          f"行业性专业性调委会 {c['professional_committees']} 个，个人调解工作室 {c['studios']} 个，人民法庭 {c['tribunals']} 个")
        w(f"调解员：共 {c['mediators']} 名；区调委会专职 {c['district_full_time']} 名、兼职 {c['district_part_time']} 名；"
          f"乡镇（街道）调委会专职 {c['township_full_time']} 名、兼职 {c['township_part_time']} 名；"
          f"村（社区）{c['village_mediators']} 名；行业性专业性调委会 {c['professional_mediators']} 名；"
          f"个人调解工作室 {c['studio_mediators']} 名；信访调解室 {c['room_mediators']} 名")
        w(f"调解专家库：调解专家 {c['mediation_experts']} 名，律师 {c['lawyers']} 名，行业专家 {c['specialists']} 名")
        k = case_demo.case_summary()
        if k["total"]:
            w(f"事项：共 {k['total']} 件（矛盾纠纷 {k['disputes']}、信访事项 {k['petitions']}；村（社区）登记 {k['village']}）；"
              f"调解成功 {k['agreed']}、调解不成 {k['failed']}、出具处理意见书 {k['replied']}；办理中 {k['open']}，"
              f"其中超期 {k['overdue']}；集体 {k['collective']}、重复 {k['repeat']}、越级 {k['skip_level']}")

        rows = demo.login_rows(p)
        w("")
        w(f"演示账号（共 {len(rows)} 个）：")
        widths = [max(_width(r[i]) for r in [("账号", "角色", "单位"), *rows]) for i in range(2)]
        w("  " + _pad("账号", widths[0]) + "  " + _pad("角色", widths[1]) + "  单位")
        for username, role, unit in rows:
            w("  " + _pad(username, widths[0]) + "  " + _pad(role, widths[1]) + "  " + unit)
        if k["total"]:
            n = case_demo.case_login_count(p)
            w(f"  另有办理演示事项的账号 {n} 个：city_clerk、city_officer（台州市信访局），room_head（信访调解室），"
              "各部门 <简拼>_officer / <简拼>_leader（如 zhujian_officer 区住建局），专业调委会 wuye_head 等，"
              "jiwei_officer（区纪委监委），村（社区）调委会主任 v+区划代码（如 v331003001001）")
        w("")
        if os.environ.get("FANGTIAO_DEMO_PASSWORD"):
            w("密码：取自环境变量 FANGTIAO_DEMO_PASSWORD（此处不显示）")
        else:
            w(f"密码：{settings.DEMO_PASSWORD}（默认值；可用环境变量 FANGTIAO_DEMO_PASSWORD 另行设置，须在首次载入前设置）")
        w(f"访问地址：{demo.URL}（先运行 fangtiao serve）")
