"""`fangtiao end-sessions --user NAME | --all`: end server-side sessions (V7.4.5), audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangtiao.security import services


class Command(BaseCommand):
    help = "结束某个用户或全部用户的登录会话"

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--user", help="账号")
        group.add_argument("--all", action="store_true", help="全部用户")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["all"]:
            n = services.sessions_end(actor=None, everyone=True, reason="command")
        else:
            user = get_user_model().objects.filter(username__iexact=opts["user"]).first()
            if user is None:
                raise CommandError(f"账号 {opts['user']} 不存在")
            n = services.sessions_end(actor=None, user=user, reason="command")
        self.stdout.write(f"已结束 {n} 个会话")
