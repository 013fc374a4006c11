"""`fangtiao check-deploy`: verify a production configuration and say in Chinese what is wrong.

One line per check: ✓ passed, ⚠ a warning (does not fail), ✗ failed (with what to do), – skipped.
Exit status 0 when nothing failed, 1 otherwise; `--json` prints a list for monitoring; `--skip
worker,broker` leaves checks out. Never a traceback: a check that raises is reported as failed.

Two of Django's deploy warnings are only warnings here when Fangtiao runs behind a reverse proxy
(FANGTIAO_BEHIND_PROXY=1): the HTTPS redirect (security.W008) and HSTS (security.W004) are then
usually the proxy's job, which Django cannot see. HSTS subdomains/preload (W005/W021) are advice:
preloading is hard to undo and a government domain's subdomains are not always ours.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "skipped"
MARKS = {OK: "✓", WARN: "⚠", FAIL: "✗", SKIPPED: "–"}
CLOCK_TICK_WITHIN = dt.timedelta(minutes=10)
BROKER_TIMEOUT = 3.0
BROKER_PORTS = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671, "pyamqp": 5672}

# Chinese explanations of the deploy-check messages an installation meets most often.
DJANGO_HINTS = {
    "security.W001": "未启用 SecurityMiddleware：安全响应头不会发送",
    "security.W002": "未启用 XFrameOptionsMiddleware：页面可被嵌入他站（点击劫持）",
    "security.W004": "未设置 HSTS（SECURE_HSTS_SECONDS）：浏览器仍可能以明文 HTTP 访问；请在 Django 或反向代理上开启",
    "security.W005": "HSTS 未包含子域名（SECURE_HSTS_INCLUDE_SUBDOMAINS）：确认全部子域名都走 HTTPS 后再开启",
    "security.W006": "未设置 X-Content-Type-Options: nosniff",
    "security.W008": "未开启 HTTPS 跳转（SECURE_SSL_REDIRECT）：HTTP 请求不会被转到 HTTPS；请在 Django 或反向代理上配置",
    "security.W009": "SECRET_KEY 过短、过于简单或为开发用密钥：请设置 FANGTIAO_SECRET_KEY 为至少 50 位的随机串",
    "security.W012": "会话 Cookie 未设 Secure（SESSION_COOKIE_SECURE）：请勿设置 FANGTIAO_SECURE_COOKIES=0，并通过 HTTPS 访问",
    "security.W016": "CSRF Cookie 未设 Secure（CSRF_COOKIE_SECURE）：请勿设置 FANGTIAO_SECURE_COOKIES=0，并通过 HTTPS 访问",
    "security.W018": "DEBUG 已开启：生产环境会暴露源代码和配置；请去掉 FANGTIAO_DEBUG",
    "security.W019": "X_FRAME_OPTIONS 不是 DENY",
    "security.W020": "ALLOWED_HOSTS 为空：请设置 FANGTIAO_ALLOWED_HOSTS 为本系统的域名",
    "security.W021": "HSTS 未设 preload（SECURE_HSTS_PRELOAD）：可选，加入预加载列表后难以撤销",
    "security.W022": "未设置 Referrer-Policy",
    "security.W025": "SECRET_KEY_FALLBACKS 中有过短或过于简单的密钥",
}
ADVISORY = {"security.W005", "security.W021"}
PROXY_DUTIES = {"security.W004", "security.W008"}


@dataclass
class Result:
    id: str
    name: str
    status: str
    message: str
    hint: str = ""
    details: list[dict[str, str]] = field(default_factory=list)


class Command(BaseCommand):
    help = "检查生产部署：Django 部署检查、配置、数据库连接与迁移、缓存、消息代理、后台进程和时限巡检；有失败项时退出码为 1"
    # The system checks are one of the things reported, so they must not stop the command first.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="以 JSON 列表输出结果")
        parser.add_argument("--skip", default="", help=f"跳过的检查，逗号分隔：{','.join(self.check_ids())}")
        parser.add_argument("--interval", type=int, default=60,
                            help="后台进程的巡检间隔（秒，默认60）；3 个间隔内无心跳即视为未运行")

    @staticmethod
    def check_ids() -> list[str]:
        return ["django", "settings", "database", "migrations", "cache", "broker", "worker", "clock"]

    def handle(self, *args: Any, **opts: Any) -> None:
        skip = {s.strip() for s in opts["skip"].split(",") if s.strip()}
        unknown = skip - set(self.check_ids())
        if unknown:
            raise CommandError(f"未知的检查项：{'，'.join(sorted(unknown))}（可选：{','.join(self.check_ids())}）")
        interval = max(1, opts["interval"])
        checks: list[tuple[str, str, Callable[[], list[Result] | Result]]] = [
            ("django", "Django 部署检查", self._django),
            ("settings", "配置", self._settings),
            ("database", "数据库连接", self._database),
            ("migrations", "数据库迁移", self._migrations),
            ("cache", "缓存（Redis）", self._cache),
            ("broker", "消息代理", self._broker),
            ("worker", "后台进程", lambda: self._worker(interval)),
            ("clock", "时限巡检", self._clock),
        ]
        results: list[Result] = []
        for cid, name, fn in checks:
            if cid in skip:
                results.append(Result(cid, name, SKIPPED, "已按 --skip 跳过"))
                continue
            try:
                out = fn()
            except Exception as exc:  # a broken check is a failed check, not a traceback
                out = Result(cid, name, FAIL, f"检查出错：{type(exc).__name__}: {exc}",
                             "先解决数据库连接和迁移问题；仍出错请查看日志")
            results.extend(out if isinstance(out, list) else [out])

        if opts["json"]:
            self.stdout.write(json.dumps([{**asdict(r), "ok": r.status != FAIL} for r in results],
                                         ensure_ascii=False, indent=2))
        else:
            for r in results:
                line = f"{MARKS[r.status]} {r.name}：{r.message}"
                if r.status in (FAIL, WARN) and r.hint:
                    line += f" —— {r.hint}"
                self.stdout.write(line)
                for d in r.details:
                    self.stdout.write(f"    {d['id']}：{d['text']}")
        failed = [r for r in results if r.status == FAIL]
        if failed:
            self.stderr.write(f"部署检查未通过：{len(failed)} 项失败（{'、'.join(r.name for r in failed)}）")
            sys.exit(1)

    # ------------------------------------------------------------------ checks
    def _django(self) -> Result:
        from django.core import checks

        messages = [m for m in checks.run_checks(include_deployment_checks=True)
                    if m.level >= checks.WARNING and not m.is_silenced()]
        behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None))
        details, failing = [], 0
        for m in sorted(messages, key=lambda m: m.id or ""):
            mid = m.id or "?"
            soft = mid in ADVISORY or (behind_proxy and mid in PROXY_DUTIES)
            failing += 0 if soft else 1
            text = DJANGO_HINTS.get(mid) or str(m.msg)
            if mid in PROXY_DUTIES and behind_proxy:
                text += "（运行在反向代理后：请确认代理已配置）"
            details.append({"id": mid, "level": "warn" if soft else "fail", "text": text})
        if failing:
            return Result("django", "Django 部署检查", FAIL, f"{failing} 项未通过", "按下列各项修改配置后重新检查", details)
        if details:
            return Result("django", "Django 部署检查", WARN, f"{len(details)} 项提醒", "见下列各项", details)
        return Result("django", "Django 部署检查", OK, "全部通过")

    def _settings(self) -> list[Result]:
        out: list[Result] = []
        key = str(getattr(settings, "SECRET_KEY", "") or "")
        if not key or key.startswith(("insecure-", "django-insecure")) or len(key) < 50 or len(set(key)) < 5:
            out.append(Result("settings.secret_key", "密钥", FAIL, "未设置 FANGTIAO_SECRET_KEY，或为开发用/过短的密钥",
                              "设置 FANGTIAO_SECRET_KEY 为至少 50 位的随机串（如 python -c \"import secrets;print(secrets.token_urlsafe(50))\"）"))
        else:
            out.append(Result("settings.secret_key", "密钥", OK, "已设置"))
        if settings.DEBUG or getattr(settings, "DEMO", False):
            out.append(Result("settings.debug", "调试/演示模式", FAIL, "DEBUG 或演示模式已开启",
                              "生产环境去掉 FANGTIAO_DEBUG 和 FANGTIAO_DEMO（或设为 0）"))
        else:
            out.append(Result("settings.debug", "调试/演示模式", OK, "已关闭"))
        hosts = list(settings.ALLOWED_HOSTS)
        local = {"localhost", "127.0.0.1", "[::1]", "::1"}
        if not hosts or "*" in hosts:
            out.append(Result("settings.allowed_hosts", "允许的域名", FAIL, "ALLOWED_HOSTS 为空或为 *",
                              "设置 FANGTIAO_ALLOWED_HOSTS 为本系统对外的域名，逗号分隔"))
        elif set(hosts) <= local:
            out.append(Result("settings.allowed_hosts", "允许的域名", WARN, f"只允许本机访问（{'，'.join(hosts)}）",
                              "对外服务时设置 FANGTIAO_ALLOWED_HOSTS 为本系统的域名"))
        else:
            out.append(Result("settings.allowed_hosts", "允许的域名", OK, "，".join(hosts)))
        engine = settings.DATABASES["default"]["ENGINE"]
        if engine.endswith("sqlite3"):
            out.append(Result("settings.database", "数据库类型", WARN, "使用 SQLite，只适合试点",
                              "正式运行请设置 DATABASE_URL=postgres://…（见 README「Running on PostgreSQL」）"))
        else:
            out.append(Result("settings.database", "数据库类型", OK, engine.rsplit(".", 1)[-1]))
        if hasattr(settings, "FANGTIAO_FIELD_KEYS") or hasattr(settings, "FANGTIAO_BLIND_INDEX_KEY"):
            out.append(self._field_keys())
        return out

    def _field_keys(self) -> Result:
        from fangtiao.core import crypto

        field_keys = getattr(settings, "FANGTIAO_FIELD_KEYS", "")
        index_key = getattr(settings, "FANGTIAO_BLIND_INDEX_KEY", "")
        missing = [n for n, v in (("FANGTIAO_FIELD_KEYS", field_keys), ("FANGTIAO_BLIND_INDEX_KEY", index_key)) if not v]
        if missing:
            return Result("settings.field_keys", "字段加密密钥", FAIL, f"未设置 {'、'.join(missing)}（现由 SECRET_KEY 派生，仅供演示）",
                          "生成 32 字节密钥：FANGTIAO_FIELD_KEYS=k1:$(openssl rand -base64 32)，"
                          "FANGTIAO_BLIND_INDEX_KEY=$(openssl rand -base64 32)；上线后不可随意更换")
        try:
            crypto._keys(field_keys, "")
            crypto._index_key(index_key, "")
        except Exception:
            return Result("settings.field_keys", "字段加密密钥", FAIL, "密钥格式不正确",
                          "FANGTIAO_FIELD_KEYS 为 kid:base64(32字节)[,kid2:…]，FANGTIAO_BLIND_INDEX_KEY 为 base64")
        return Result("settings.field_keys", "字段加密密钥", OK, "已配置")

    def _database(self) -> Result:
        from django.db import connection

        try:
            with connection.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchone()
        except Exception as exc:
            return Result("database", "数据库连接", FAIL, f"无法连接：{exc}".strip(),
                          "检查 DATABASE_URL、数据库服务是否运行、网络和口令")
        return Result("database", "数据库连接", OK, f"可连接（{connection.vendor}）")

    def _migrations(self) -> Result:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = [f"{m.app_label}.{m.name}" for m, _ in plan]
            shown = "、".join(names[:5]) + ("等" if len(names) > 5 else "")
            return Result("migrations", "数据库迁移", FAIL, f"有 {len(names)} 个迁移未执行：{shown}",
                          "停止后台进程后运行 fangtiao migrate")
        return Result("migrations", "数据库迁移", OK, "已全部执行")

    def _cache(self) -> Result:
        if not getattr(settings, "REDIS_URL", ""):
            return Result("cache", "缓存（Redis）", SKIPPED, "未设置 REDIS_URL：使用进程内缓存，会话存数据库")
        from django.core.cache import cache

        key, value = "fangtiao:check-deploy", f"{os.getpid()}:{timezone.now().isoformat()}"
        try:
            cache.set(key, value, 30)
            got = cache.get(key)
            cache.delete(key)
        except Exception as exc:
            return Result("cache", "缓存（Redis）", FAIL, f"无法读写：{exc}", "检查 REDIS_URL 和 Redis 服务是否运行")
        if got != value:
            return Result("cache", "缓存（Redis）", FAIL, "写入后读不回", "检查 Redis 的内存上限和淘汰策略（maxmemory-policy）")
        return Result("cache", "缓存（Redis）", OK, "可读写")

    def _broker(self) -> Result:
        url = ""
        for name in ("FANGTIAO_BROKER_URL", "CELERY_BROKER_URL"):
            url = str(getattr(settings, name, "") or os.environ.get(name, ""))
            if url:
                break
        if not url:
            return Result("broker", "消息代理", SKIPPED, "未配置 FANGTIAO_BROKER_URL：使用内置的数据库后台进程")
        parts = urlsplit(url)
        try:
            port = parts.port or BROKER_PORTS.get(parts.scheme.split("+")[0])
        except ValueError:
            port = None
        host = parts.hostname
        if not host or not port:
            return Result("broker", "消息代理", FAIL, f"地址无法识别：{parts.scheme}://{host or ''}",
                          "写成 redis://主机:6379/0 或 amqp://用户@主机:5672//")
        try:
            with socket.create_connection((host, port), timeout=BROKER_TIMEOUT):
                pass
        except OSError as exc:
            return Result("broker", "消息代理", FAIL, f"无法连接 {host}:{port}（{exc.strerror or exc}）",
                          "检查消息代理（Redis/RabbitMQ）是否运行、地址端口和防火墙")
        return Result("broker", "消息代理", OK, f"{host}:{port} 可连接")

    def _worker(self, interval: int) -> Result:
        from fangtiao.clocks.selectors import workers_alive

        within = dt.timedelta(seconds=3 * interval)
        alive = list(workers_alive(within=within))
        if not alive:
            return Result("worker", "后台进程", FAIL, f"{3 * interval} 秒内没有后台进程报到",
                          "启动 fangtiao worker（或不带 --no-worker 运行 fangtiao serve），并查看其日志")
        return Result("worker", "后台进程", OK, f"{len(alive)} 个在运行（{'，'.join(f'{w.host}:{w.pid}' for w in alive[:5])}）")

    def _clock(self) -> Result:
        from fangtiao.clocks.selectors import last_clock_tick_at

        last = last_clock_tick_at()
        if last is None:
            return Result("clock", "时限巡检", FAIL, "从未运行", "启动 fangtiao worker；法定时限的临期提醒和超期标记由它完成")
        age = timezone.now() - last
        when = timezone.localtime(last).strftime("%Y-%m-%d %H:%M:%S")
        if age > CLOCK_TICK_WITHIN:
            return Result("clock", "时限巡检", FAIL, f"最近一次在 {when}，已超过 10 分钟",
                          "检查 fangtiao worker 是否卡住或反复出错（查看日志），必要时重启")
        return Result("clock", "时限巡检", OK, f"最近一次在 {when}")
