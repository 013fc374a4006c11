"""`fangtiao serve`: the production-grade server (gunicorn) over the same settings."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "用 gunicorn 启动访调通（生产级 WSGI 服务）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=0, help="进程数，默认 2×CPU+1（SQLite 时为 2）")
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument("--access-log", action="store_true")
        parser.add_argument("--no-worker", action="store_true",
                            help="不在本机启动后台任务进程（多台 Web 服务器时，只在一台或单独的机器上运行 fangtiao worker）")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.conf import settings
        from gunicorn.app.base import BaseApplication

        from fangtiao.wsgi import application

        sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        workers = opts["workers"] or (2 if sqlite else multiprocessing.cpu_count() * 2 + 1)
        options = {
            "bind": f"{opts['host']}:{opts['port']}",
            "workers": workers,
            "threads": opts["threads"],
            "worker_class": "gthread",
            "timeout": opts["timeout"],
            "graceful_timeout": 20,
            "accesslog": "-" if opts["access_log"] else None,
            "errorlog": "-",
            "max_requests": 5000,
            "max_requests_jitter": 500,
        }

        class App(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(f"访调通 正在 http://{opts['host']}:{opts['port']}/ 提供服务（{workers} 个进程）")
        worker = None
        if not opts["no_worker"]:
            # The embedded default: one background worker beside the web processes.
            worker = subprocess.Popen([sys.executable, "-m", "fangtiao.cli", "worker"])  # noqa: S603
        try:
            App().run()
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
