"""`fangtiao check-deploy`: verify a production configuration and say in Chinese what is wrong.

One line per check: ✓ passed, ⚠ a warning (does not fail), ✗ failed (with what to do), – skipped.
Exit status 0 when nothing failed, 1 otherwise; `--json` prints a list for monitoring; `--skip
worker,broker` leaves checks out. Never a traceback: a check that raises is reported as failed.

Two of Django's deploy warnings are only warnings here when Fangtiao runs behind a reverse proxy
(FANGTIAO_BEHIND_PROXY=1): the HTTPS redirect (security.W008) and HSTS (security.W004) are then
usually the proxy's job, which Django cannot see. HSTS subdomains/preload (W005/W021) are advice:
preloading is hard to undo and a government domain's subdomains are not always ours.

The attachment storage is written, read back and deleted (a small probe file; on object storage
under FANGTIAO_S3_PREFIX, after a HEAD of the bucket). With FANGTIAO_TASK_BACKEND=celery the broker
is connected to as Celery would (kombu: the protocol handshake and the login, not only a TCP port);
with the database backend a configured broker URL only has to accept a TCP connection.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import uuid
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


# Due outbox rows older than this mean no backend is taking them (a round takes one worker interval).
TASK_WAIT_WITHIN = dt.timedelta(minutes=10)


class Command(BaseCommand):
    help = "检查生产部署：Django 部署检查、配置、数据库连接与迁移、缓存、附件存储、消息代理、后台进程和时限巡检；有失败项时退出码为 1"
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
        return ["django", "settings", "database", "migrations", "cache", "storage", "broker", "worker", "clock", "tasks"]

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
            ("storage", "附件存储", self._storage),
            ("broker", "消息代理", self._broker),
            ("worker", "后台进程", lambda: self._worker(interval)),
            ("clock", "时限巡检", self._clock),
            ("tasks", "后台任务队列", self._tasks),
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

    def _storage(self) -> Result:
        """Write, read back and delete a small probe file through the storage the documents use."""
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        s3 = getattr(settings, "FANGTIAO_STORAGE", "local") == "s3"
        where = str(getattr(settings, "MEDIA_ROOT", ""))
        if s3:
            bucket = default_storage.bucket_name
            endpoint = default_storage.endpoint_url or "AWS S3"
            where = f"{endpoint} 的存储桶 {bucket}" + (f"，前缀 {default_storage.location}/" if default_storage.location else "")
            problem = self._head_bucket(default_storage, bucket, endpoint)
            if problem is not None:
                return problem
        data = f"fangtiao check-deploy {socket.gethostname()} {os.getpid()} {timezone.now().isoformat()}".encode()
        hint = ("检查 FANGTIAO_S3_* 配置：访问密钥需有该前缀下的写、读、删权限" if s3
                else "检查 FANGTIAO_MEDIA_ROOT 目录是否存在、运行用户能否写入、磁盘是否已满")
        try:
            name = default_storage.save(f".check-deploy-{uuid.uuid4().hex}.probe", ContentFile(data))
        except Exception as exc:
            return Result("storage", "附件存储", FAIL, f"无法写入（{where}）：{type(exc).__name__}: {exc}", hint)
        try:
            with default_storage.open(name, "rb") as fh:
                got = fh.read()
        except Exception as exc:
            return Result("storage", "附件存储", FAIL, f"写入后无法读回（{where}）：{type(exc).__name__}: {exc}", hint)
        finally:
            try:
                default_storage.delete(name)
                left = default_storage.exists(name)
            except Exception:
                left = True
        if got != data:
            return Result("storage", "附件存储", FAIL, f"写入后读回的内容不一致（{where}）",
                          "检查对象存储或共享目录是否被代理、缓存或同步程序改写")
        if left:
            return Result("storage", "附件存储", WARN, f"可读写，但探测文件 {name} 未能删除（{where}）",
                          "为访问密钥加上删除权限，或手工删除该文件")
        kind = "对象存储" if s3 else "本地磁盘"
        return Result("storage", "附件存储", OK, f"{kind}可写入、读回和删除（{where}）")

    @staticmethod
    def _head_bucket(storage: Any, bucket: str, endpoint: str) -> Result | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            storage.connection.meta.client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                return Result("storage", "附件存储", FAIL, f"{endpoint} 上没有存储桶 {bucket}",
                              "在对象存储上创建该存储桶（私有），或改正 FANGTIAO_S3_BUCKET")
            if status == 403:
                return Result("storage", "附件存储", FAIL, f"无权访问存储桶 {bucket}（403）",
                              "检查 FANGTIAO_S3_ACCESS_KEY/FANGTIAO_S3_SECRET_KEY 和存储桶策略")
            return Result("storage", "附件存储", FAIL, f"存储桶 {bucket} 检查失败：{exc}",
                          "检查 FANGTIAO_S3_* 配置和对象存储服务的日志")
        except BotoCoreError as exc:
            return Result("storage", "附件存储", FAIL, f"无法连接对象存储 {endpoint}：{exc}",
                          "检查 FANGTIAO_S3_ENDPOINT_URL、对象存储服务是否运行、网络和防火墙")
        return None

    def _broker(self) -> Result:
        url = ""
        for name in ("FANGTIAO_BROKER_URL", "CELERY_BROKER_URL"):
            url = str(getattr(settings, name, "") or os.environ.get(name, ""))
            if url:
                break
        if getattr(settings, "FANGTIAO_TASK_BACKEND", "db") == "celery":
            return self._celery_broker(url)
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

    def _celery_broker(self, url: str) -> Result:
        """The broker Celery publishes the tasks to, connected to as Celery does (kombu): a Redis or
        RabbitMQ that answers the port but refuses the login, or the virtual host, fails here."""
        from kombu import Connection

        if not url:
            return Result("broker", "消息代理", FAIL, "FANGTIAO_TASK_BACKEND=celery，但未设置 FANGTIAO_BROKER_URL",
                          "设置 FANGTIAO_BROKER_URL=redis://主机:6379/1 或 amqp://用户:口令@主机:5672/虚拟主机")
        try:
            conn = Connection(url, connect_timeout=BROKER_TIMEOUT)
            shown = conn.as_uri()  # the password masked
        except Exception as exc:
            return Result("broker", "消息代理", FAIL, f"地址无法识别：{type(exc).__name__}: {exc}",
                          "写成 redis://主机:6379/1 或 amqp://用户:口令@主机:5672/虚拟主机")
        hint = "检查消息代理（Redis/RabbitMQ）是否运行、FANGTIAO_BROKER_URL 的地址端口、用户名口令和虚拟主机、防火墙"
        try:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0,
                                   timeout=BROKER_TIMEOUT)
        except Exception as exc:
            text = str(exc)
            if "ACCESS_REFUSED" in text or "WRONGPASS" in text or "NOAUTH" in text or "invalid password" in text:
                return Result("broker", "消息代理", FAIL, f"{shown} 拒绝登录（{text}）",
                              "检查 FANGTIAO_BROKER_URL 中的用户名和口令（RabbitMQ 还需该用户对虚拟主机有权限）")
            return Result("broker", "消息代理", FAIL, f"无法连接 {shown}（{type(exc).__name__}: {text}）", hint)
        finally:
            conn.release()
        return Result("broker", "消息代理", OK, f"{shown} 可连接（Celery 任务后端，{conn.transport_cls}）")

    def _worker(self, interval: int) -> Result:
        from fangtiao.clocks.selectors import workers_alive

        within = dt.timedelta(seconds=3 * interval)
        alive = list(workers_alive(within=within))
        if not alive:
            return Result("worker", "后台进程", FAIL, f"{3 * interval} 秒内没有后台进程报到",
                          "启动 fangtiao worker（或不带 --no-worker 运行 fangtiao serve），并查看其日志")
        return Result("worker", "后台进程", OK, f"{len(alive)} 个在运行（{'，'.join(f'{w.host}:{w.pid}' for w in alive[:5])}）")

    def _tasks(self) -> Result:
        """The outbox and the schedule (ADR 0014): work waiting too long means no backend is taking it."""
        from fangtiao.tasks.selectors import queue_health

        h = queue_health()
        name = "后台任务队列"
        if h.oldest_due_at is not None and timezone.now() - h.oldest_due_at > TASK_WAIT_WITHIN:
            when = timezone.localtime(h.oldest_due_at).strftime("%Y-%m-%d %H:%M:%S")
            backend = ("celery worker（FANGTIAO_TASK_BACKEND=celery）" if settings.FANGTIAO_TASK_BACKEND == "celery"
                       else "fangtiao worker")
            return Result("tasks", name, FAIL, f"{h.due} 项任务待执行，最早的自 {when} 起等待",
                          f"检查 {backend} 是否在运行、能否连接数据库{'和消息代理' if settings.FANGTIAO_TASK_BACKEND == 'celery' else ''}")
        problems = []
        if h.failed_recent:
            problems.append(f"近 24 小时 {h.failed_recent} 项任务多次重试后失败")
        if h.expired_leases:
            problems.append(f"{h.expired_leases} 项任务的执行进程已失联（将交给其他进程重试）")
        if h.failing_jobs:
            problems.append(f"周期任务最近一次失败：{'，'.join(h.failing_jobs)}")
        if problems:
            return Result("tasks", name, WARN, "；".join(problems),
                          "在管理后台“后台任务”“周期任务”中查看错误信息，并查看后台进程日志")
        return Result("tasks", name, OK, f"待执行 {h.due} 项，执行中 {h.running} 项")

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
