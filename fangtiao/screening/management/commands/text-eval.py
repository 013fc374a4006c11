"""`fangtiao text-eval routing|duplicates|hotspots`: measure the text engine on a CSV/XLSX file.

Progress goes to stderr; the result is one JSON object on the last line of stdout. No database:
works on an unmigrated installation. See docs/text-analysis.md for what each figure means.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangtiao.core.errors import DomainError

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y/%m/%d", "%Y年%m月%d日")


class Command(BaseCommand):
    help = "评估文本分析：分流建议（routing）、重复件识别（duplicates）、热点聚类（hotspots）；结果为标准输出最后一行的 JSON"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="which", title="评估项目", required=True)
        r = sub.add_parser("routing", help="分流建议：交叉验证或训练/测试")
        r.add_argument("--train", default="")
        r.add_argument("--test", default="")
        r.add_argument("--text", default="")
        r.add_argument("--label", default="")
        r.add_argument("--folds", default="5")
        d = sub.add_parser("duplicates", help="重复件识别：按时间顺序逐条判断")
        d.add_argument("--input", default="")
        d.add_argument("--text", default="")
        d.add_argument("--group", default="")
        d.add_argument("--person", default="")
        d.add_argument("--time", default="")
        h = sub.add_parser("hotspots", help="热点聚类：最近一个时间窗")
        h.add_argument("--input", default="")
        h.add_argument("--text", default="")
        h.add_argument("--time", default="")
        h.add_argument("--id", default="")
        h.add_argument("--window-days", dest="window_days", default="30")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = getattr(self, f"_{opts['which']}")(opts)
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        except ValueError as exc:
            raise CommandError(f"输入有误：{exc}") from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    # ------------------------------------------------------------------ helpers
    def _progress(self, msg: str) -> None:
        self.stderr.write(msg)

    @staticmethod
    def _need(opts: dict[str, Any], name: str, flag: str) -> str:
        value = (opts.get(name) or "").strip()
        if not value:
            raise CommandError(f"缺少参数 {flag}")
        return value

    def _read(self, path: str, specs: dict[str, str]) -> list[dict[str, str]]:
        """Rows of the file as {role: value}; a role's spec may name several columns, joined title-first."""
        from fangtiao.core.tabular import columns, open_table
        from fangtiao.screening.text.routing import join_fields

        table = open_table(path)
        cols = {role: columns(spec, table, field=role) for role, spec in specs.items() if spec}
        out = []
        for _line, row in table.rows():
            out.append({role: join_fields(*(row.get(c, "") for c in names)) for role, names in cols.items()})
        self._progress(f"读取 {path}：{len(out)} 行")
        return out

    @staticmethod
    def _time(value: str, line: int) -> dt.datetime:
        v = value.strip()
        for fmt in TIME_FORMATS:
            try:
                return dt.datetime.strptime(v[:19] if "年" not in fmt else v, fmt)  # noqa: DTZ007 — local times compared with each other only
            except ValueError:
                continue
        raise CommandError(f"第 {line} 行的时间无法识别：{value!r}（应为 2024-05-01 或 2024-05-01 09:30:00）")

    # ------------------------------------------------------------------ sub-commands
    def _routing(self, opts: dict[str, Any]) -> dict[str, Any]:
        from fangtiao.screening.text.evaluate import routing_eval

        train = self._need(opts, "train", "--train")
        text = self._need(opts, "text", "--text")
        label = self._need(opts, "label", "--label")
        try:
            folds = int(str(opts["folds"]).strip())
        except ValueError:
            raise CommandError(f"--folds 应为整数，收到 {opts['folds']!r}") from None
        if folds < 2:
            raise CommandError("--folds 至少为 2")
        rows = [r for r in self._read(train, {"text": text, "label": label}) if r["text"] and r["label"]]
        labels = [r["label"] for r in rows]
        counts = {lab: labels.count(lab) for lab in set(labels)}
        if len(counts) < 2:
            raise CommandError(f"训练数据至少需要两个不同的类别（现有 {len(counts)} 个）")
        test_texts = test_labels = None
        if opts.get("test"):
            test = [r for r in self._read(opts["test"], {"text": text, "label": label}) if r["text"] and r["label"]]
            if not test:
                raise CommandError("测试文件没有可用的行（文本和类别都不能为空）")
            test_texts, test_labels = [r["text"] for r in test], [r["label"] for r in test]
        else:
            small = sorted(lab for lab, n in counts.items() if n < folds)
            if small:
                raise CommandError(f"类别样本太少，无法做 {folds} 折交叉验证：{'、'.join(small)}（每类至少 {folds} 条）")
        return routing_eval([r["text"] for r in rows], labels, folds=folds, test_texts=test_texts,
                            test_labels=test_labels, progress=self._progress)

    def _duplicates(self, opts: dict[str, Any]) -> dict[str, Any]:
        from fangtiao.screening.text.evaluate import DupRow, duplicates_eval

        path = self._need(opts, "input", "--input")
        specs = {"text": self._need(opts, "text", "--text"), "group": self._need(opts, "group", "--group"),
                 "person": opts.get("person") or "", "time": opts.get("time") or ""}
        rows = self._read(path, specs)
        if len(rows) < 2:
            raise CommandError("数据太少：至少需要 2 行")
        out = []
        for n, r in enumerate(rows):
            order = self._time(r["time"], n + 2) if specs["time"] else n
            out.append(DupRow(text=r["text"], group=r["group"], person=r.get("person") or None, order=order))
        return duplicates_eval(out, progress=self._progress)

    def _hotspots(self, opts: dict[str, Any]) -> dict[str, Any]:
        from fangtiao.screening.text.evaluate import hotspots_eval
        from fangtiao.screening.text.hotspots import Doc

        path = self._need(opts, "input", "--input")
        try:
            days = int(str(opts["window_days"]).strip())
        except ValueError:
            raise CommandError(f"--window-days 应为整数，收到 {opts['window_days']!r}") from None
        if days < 1:
            raise CommandError("--window-days 至少为 1")
        specs = {"text": self._need(opts, "text", "--text"), "time": self._need(opts, "time", "--time"),
                 "id": opts.get("id") or ""}
        rows = self._read(path, specs)
        if not rows:
            raise CommandError("文件没有数据行")
        docs = [Doc(id=r.get("id") or str(n + 2), text=r["text"], time=self._time(r["time"], n + 2))
                for n, r in enumerate(rows)]
        return hotspots_eval(docs, window_days=days, progress=self._progress)
