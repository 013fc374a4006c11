"""`python -m fangtiao.loadtest load --db sqlite|postgres --users 50 --duration 300 --out var/load`
`python -m fangtiao.loadtest fuzz --examples 5 --seed 1 [--seed random] --out var/fuzz`

Both start their own site on the loopback (fangtiao.loadtest.harness) and stop it afterwards."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from fangtiao.loadtest import client, harness, report


def lookup_path(port: int) -> Any:
    """The portal's progress lookup: a POST that takes number and code in its body when the API has
    one (the code then stays out of URLs and access logs), else the GET with the code in the query."""
    status, raw = client.request(port, "GET", "/api/v1/openapi.json")
    schema = json.loads(raw) if status == "200" else {}
    comps = schema.get("components", {}).get("schemas", {})
    for path, ops in schema.get("paths", {}).items():
        post = ops.get("post") if "/public/" in path and "{" not in path else None
        if not post:
            continue
        ref = (post.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", ""))
        props = comps.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if "number" in props and "code" in props and "satisfaction" not in props:
            return lambda number, code, path=path: ("POST", path, {"number": number, "code": code})
    return None


def count_in_logs(site: harness.Site, pattern: str) -> int:
    rx = re.compile(pattern)
    return sum(len(rx.findall(p.output())) for p in (site.web, site.worker) if p is not None)


def load(args: argparse.Namespace) -> int:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_avg = os.getloadavg()[0]
    with harness.site(args.db, database_url=args.database_url, web_workers=args.web_workers, threads=args.threads,
                      petitions=args.petitions, root=Path(args.root) if args.root else None) as site:
        seeded = site.value("SELECT count(*) FROM cases_case")
        print(f"[load] {args.db}: site up on :{site.port} ({seeded} cases seeded); "
              f"{args.users} users × {args.duration} s …", flush=True)
        floor_lat: list[float] = []
        if args.floor:
            print(f"[load] floor: {args.users} users × {args.floor} s on /healthz …", flush=True)
            floor_lat = client.floor(site.port, users=args.users, duration=args.floor, think=args.think)
        run = f"{int(time.time()) % 1_000_000}"
        driver = client.Load(site.port, site.seed, users=args.users, duration=args.duration, think=args.think, run=run,
                             lookup_path=lookup_path(site.port), rng_seed=args.seed)
        results = driver.go()
        ledger = client.ledger_check(site.sql, results, run)
        pending = site.sql("SELECT status, count(*) FROM tasks_task GROUP BY status")
        summary = report.summarise(
            results, ledger=ledger,
            server_locked=count_in_logs(site, r"database is locked"),
            server_errors=count_in_logs(site, r'" 5\d\d '),
            floor=floor_lat,
            meta={"db": args.db, "users": args.users, "duration_s": args.duration, "think_s": args.think,
                  "web_workers": args.web_workers, "threads": args.threads, "rng_seed": driver.rng_seed, "when": when,
                  "load_average_before": round(load_avg, 2), "outbox": dict(pending),
                  "cases_after": site.value("SELECT count(*) FROM cases_case")})
    j, m = report.write(summary, Path(args.out))
    print(report.markdown(summary))
    print(f"[load] written {j} and {m}")
    ok = ledger["lost"] == 0 and ledger["duplicates"] == 0 and summary["leaks"] == 0
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fangtiao.loadtest")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("load", help="closed-loop load run")
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--database-url", default="", help="the PostgreSQL server (a fresh database is created on it)")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--duration", type=int, default=300)
    p.add_argument("--think", type=float, default=1.0, help="mean think time per user (s), uniform ±50 %%")
    p.add_argument("--web-workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--petitions", type=int, default=200, help="public submissions seeded before the run")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--root", default="")
    p.add_argument("--floor", type=int, default=30,
                   help="seconds of the floor phase (/healthz, same users) before the run; 0: none")
    p.add_argument("--out", default="var/load")
    f = sub.add_parser("fuzz", help="schemathesis against a live site")
    from fangtiao.loadtest import fuzz

    fuzz.add_arguments(f)
    args = parser.parse_args(argv)
    if args.cmd == "load":
        return load(args)
    return fuzz.main(args)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangtiao.settings")
    sys.exit(main())
