"""`fangtiao bench`: generate province-scale registry data and N cases, and measure the pages and
the case API (intake over HTTP, list, filters, search, detail) against the floor.

    fangtiao bench [--n-cases N] [--json PATH] [--requests R] [--concurrency C] [--ops a,b] [--documents] [--screening]
                   [--stats [--stats-bulk] [--stats-repeats R] [--stats-cold C] [--stats-hand-repeats H]
                            [--stats-rebuild auto|always|never]]
    fangtiao bench generate [--n-cases N]        (or --generate-only)
    fangtiao bench --sizes 100000,1000000[,10000000] [same flags]   (PostgreSQL: a database per size,
                   a child run per size, then the curve over N; fangtiao.bench.scale)
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "基准测试：按案件规模生成登记数据，启动真实服务，测量各项操作的延迟和吞吐并与基线（/healthz）比较"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["run", "generate"], default="run",
                            help="run：生成数据（如尚未生成）并测量（默认）；generate：只生成数据")
        parser.add_argument("--n-cases", type=int, default=100_000, help="生成多少件基准事项及相应规模的登记数据（默认 100000）")
        parser.add_argument("--json", metavar="PATH", help="把结果另存为 JSON 文件")
        parser.add_argument("--requests", type=int, default=200, help="每项操作测量的请求数（默认 200）")
        parser.add_argument("--concurrency", type=int, default=2, help="并发客户端数（默认 2）")
        parser.add_argument("--warmup", type=int, default=20, help="每项操作测量前的预热请求数（默认 20）")
        parser.add_argument("--generate-only", action="store_true", help="只生成数据，不测量")
        parser.add_argument("--ops", default="", help="只测量这些操作（逗号分隔）；基线 floor 总会测量")
        parser.add_argument("--list-ops", action="store_true", help="列出可测量的操作")
        parser.add_argument("--base-url", help="测量已在运行的本机服务（如 http://127.0.0.1:8000），不另行启动")
        parser.add_argument("--workers", type=int, default=2, help="启动服务时的 gunicorn 进程数（默认 2）")
        parser.add_argument("--seed", type=int, default=None, help="生成数据的随机种子（默认固定值）")
        parser.add_argument("--op-timeout", type=float, default=120.0, help="每项操作最长测量秒数（默认 120）")
        parser.add_argument("--documents", action="store_true",
                            help="另测文书生成（单份文书、50份卷宗PDF），与同一运行中的 fpdf2 基线对比")
        parser.add_argument("--hotspot-days", default="30,365",
                            help="--screening 计算热点的时间窗口（天，逗号分隔；空则不算），默认 30,365")
        parser.add_argument("--no-warnings-refresh", action="store_true", help="--screening 时不测预警刷新")
        parser.add_argument("--screening", action="store_true",
                            help="另测相似事项查询（与按一个 band key 查索引的基线对比）、热点计算（30 天、一年）和预警刷新（进程内，在 HTTP 测量之前）")

        parser.add_argument("--sizes", default="",
                            help="依次测量多个规模（逗号分隔，如 100000,1000000），每个规模一个 PostgreSQL 数据库"
                                 "（DATABASE_URL 的库名加 _100k、_1m 等），最后输出随规模增长的曲线")
        parser.add_argument("--sizes-reuse", action="store_true",
                            help="--sizes 时沿用已有的某规模结果文件（<json>.<规模>.json），只测量缺少的规模")
        parser.add_argument("--assessment", action="store_true",
                            help="另测考核计算（进程内同步计算一个区县一个月的乡镇分中心得分，与手写 SQL 计数对比）")
        parser.add_argument("--assessment-repeats", type=int, default=5, help="--assessment 的测量次数（默认 5）")
        parser.add_argument("--no-sql-floors", action="store_true",
                            help="不测各项操作的原始 SQL 基线（只测 /healthz 基线）")
        parser.add_argument("--stats", action="store_true",
                            help="另测统计摘要和领导驾驶舱（进程内，冷/热，与 SELECT 1 和手写 SQL 计数对比，并核对两者相等）")
        parser.add_argument("--stats-bulk", action="store_true",
                            help="只为统计基准：以集合方式（INSERT … SELECT generate_series）写入 N 件只含统计所需列的事项和汇总，"
                                 "代替完整生成（仅 PostgreSQL，用于 1000 万件规模）")
        parser.add_argument("--stats-repeats", type=int, default=30, help="--stats 每项热测次数（默认 30）")
        parser.add_argument("--stats-cold", type=int, default=5, help="--stats 每项冷测次数（新连接 + DISCARD ALL，默认 5）")
        parser.add_argument("--stats-hand-repeats", type=int, default=10,
                            help="--stats 手写 SQL 的热测次数（默认 10；它读事项表，1000 万件时每次数秒）")
        parser.add_argument("--stats-rebuild", choices=["auto", "always", "never"], default="auto",
                            help="--stats 前重建统计汇总：auto（汇总与事项数不符时）、always、never")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.bench import generate as gen
        from fangtiao.bench import runner
        from fangtiao.bench.ops import REGISTRY, select

        if opts["list_ops"]:
            for name, o in REGISTRY.items():
                self.stdout.write(f"{name:<28} {o.auth:<8} {o.doc}")
            return
        for key, low, high in (("requests", 1, 100_000), ("concurrency", 1, 64), ("warmup", 0, 10_000), ("workers", 1, 32)):
            if not low <= opts[key] <= high:
                raise CommandError(f"--{key} 应在 {low} 到 {high} 之间")
        if not 1 <= opts["op_timeout"] <= 3600:
            raise CommandError("--op-timeout 应在 1 到 3600 秒之间")
        names = [n.strip() for n in opts["ops"].split(",") if n.strip()]
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise CommandError(f"未知的操作：{'、'.join(unknown)}（可用 --list-ops 查看）")

        if opts["sizes"]:
            self._sizes(opts)
            return
        seed = gen.SEED if opts["seed"] is None else opts["seed"]
        bulk: dict[str, Any] = {}
        try:
            if opts["stats_bulk"]:  # registry, set-based cases and rollups: the statistics only
                from fangtiao.bench import stats_bulk

                bulk = stats_bulk.generate(opts["n_cases"], log=self.stdout.write)
            else:
                gen.generate(opts["n_cases"], seed=seed, log=self.stdout.write)
        except gen.GenerationError as exc:
            raise CommandError(str(exc)) from exc
        from django.db import transaction

        from fangtiao.bench.generate_cases import backfill_text_keys

        if not opts["stats_bulk"]:
            with transaction.atomic():  # a bench database generated before the text index: add its rows
                backfill_text_keys(say=self.stdout.write)
        if opts["generate_only"] or opts["action"] == "generate":
            return
        stats_results: list[Any] = []
        if opts["stats"]:
            from fangtiao.bench import stats

            if not 1 <= opts["stats_repeats"] <= 10_000 or not 0 <= opts["stats_cold"] <= 100:
                raise CommandError("--stats-repeats 应在 1 到 10000 之间，--stats-cold 应在 0 到 100 之间")
            try:
                stats_results = stats.run(stats.StatsConfig(
                    n_cases=opts["n_cases"], repeats=opts["stats_repeats"], cold=opts["stats_cold"],
                    hand_repeats=max(1, opts["stats_hand_repeats"]),
                    rebuild="never" if opts["stats_bulk"] else opts["stats_rebuild"]), log=self.stdout.write)
            except gen.GenerationError as exc:
                raise CommandError(str(exc)) from exc
            if bulk and stats_results:
                stats_results[0].extra["bulk"] = bulk
            self.stdout.write("")
            self.stdout.write(stats.table(stats_results))
            self.stdout.write("")
        screening_results: list[Any] = []
        if opts["screening"]:
            from fangtiao.bench import screening

            try:
                days = tuple(int(d) for d in opts["hotspot_days"].split(",") if d.strip())
                if any(not 1 <= d <= 366 for d in days):
                    raise CommandError("--hotspot-days 应在 1 到 366 之间")
                config = screening.ScreeningConfig(n_cases=opts["n_cases"], hotspot_windows=days,
                                                   warnings=not opts["no_warnings_refresh"])
                screening_results = screening.run(config, log=self.stdout.write)
            except (gen.GenerationError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write("")
            self.stdout.write(screening.table(screening_results))
            self.stdout.write("")

        assessment_results: list[Any] = []
        if opts["assessment"]:
            from fangtiao.bench import assessment

            try:
                assessment_results = assessment.run(assessment.AssessmentConfig(
                    n_cases=opts["n_cases"], repeats=max(1, min(opts["assessment_repeats"], 100))), log=self.stdout.write)
            except gen.GenerationError as exc:
                raise CommandError(str(exc)) from exc
        if not opts["stats"] and any(o.name.startswith("stats.") for o in select(names or None)):
            from fangtiao.bench import stats

            stats.ensure_summary_rollups(log=self.stdout.write)

        config = runner.RunConfig(
            n_cases=opts["n_cases"], requests=opts["requests"], concurrency=opts["concurrency"], warmup=opts["warmup"],
            ops=names or None, base_url=opts["base_url"], workers=opts["workers"], op_timeout_s=opts["op_timeout"],
            documents=opts["documents"], sql_floors=not opts["no_sql_floors"],
        )
        try:
            with _sigterm_unwinds():
                results = runner.run(config, log=self.stdout.write)
        except (runner.BenchError, gen.GenerationError) as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise CommandError("已中断，服务已停止") from exc
        self.stdout.write("")
        results += assessment_results
        self.stdout.write(runner.table(results))
        if opts["json"]:
            runner.write_json([*results, *screening_results, *stats_results], Path(opts["json"]))
            self.stdout.write(f"\n结果已写入 {opts['json']}")
        failed = [r for r in [*results, *screening_results, *stats_results] if r.errors or r.truncated]
        for r in failed:
            self.stderr.write(f"{r.op}：{r.errors} 个错误响应{'，测量超时被截断' if r.truncated else ''} {r.first_error}")
        if failed:
            raise CommandError(f"{len(failed)} 项操作未能完整测量")


    def _sizes(self, opts: dict[str, Any]) -> None:
        """One child run per size (its own database), then the curve (fangtiao.bench.scale)."""
        from fangtiao.bench import scale

        try:
            sizes = scale.parse_sizes(opts["sizes"])
        except scale.ScaleError as exc:
            raise CommandError(str(exc)) from exc
        child: list[str] = []
        for key in ("requests", "concurrency", "warmup", "workers", "op_timeout", "assessment_repeats", "hotspot_days",
                    "stats_repeats", "stats_cold", "stats_hand_repeats", "stats_rebuild"):
            child += [f"--{key.replace('_', '-')}", str(opts[key])]
        for key in ("documents", "screening", "stats", "assessment", "no_sql_floors", "no_warnings_refresh"):
            if opts[key]:
                child.append(f"--{key.replace('_', '-')}")
        if opts["ops"]:
            child += ["--ops", opts["ops"]]
        if opts["seed"] is not None:
            child += ["--seed", str(opts["seed"])]
        try:
            with _sigterm_unwinds():
                report = scale.run(sizes, child, json_path=Path(opts["json"]) if opts["json"] else None,
                                   log=self.stdout.write, reuse=opts["sizes_reuse"])
        except scale.ScaleError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise CommandError("已中断") from exc
        self.stdout.write("")
        self.stdout.write(scale.table(report))
        if opts["json"]:
            self.stdout.write(f"\n结果已写入 {opts['json']}")
        if report["failed"]:
            raise CommandError(f"这些规模有操作未能完整测量：{'、'.join(report['failed'])}")


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM would end the process without running `finally`; turn it into KeyboardInterrupt
    so the runner stops the server it started."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
