"""The `fangtiao` command: Django's management commands under the product's name.

    fangtiao migrate | fangtiao demo | fangtiao serve --host 127.0.0.1 --port 8000 | fangtiao bench
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangtiao.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["fangtiao", *argv])
    args[0] = "fangtiao"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
