"""schemathesis against a live site (security-reliability.md §4.7, §6 items 5–7; ADR 0020).

A production site on the loopback (fangtiao.loadtest.harness), the OpenAPI of /api/v1/
(/api/v1/openapi.json), all checks, the four phases (examples, coverage, fuzzing, stateful), once
anonymously and once with role tokens in a Web Fuzzing Commons auth file: two township clerks of
different townships as `object_level_authorization` peers (neither may read the other's cases),
and the district officer, the district leader, a township committee head and a mediator. The tokens
are issued straight through fangtiao.org.services in the seeded database (the API's token issue
asks for the password and, in production, a one-time code).

Every response is also scanned for what must never leak (§6 item 7): the NDJSON report's bodies.
Exit status 0 when both runs are clean.

  python -m fangtiao.loadtest fuzz --examples 5 --seed 1 --seed random      (CI, make fuzz)
  python -m fangtiao.loadtest fuzz --examples 100 --seed 1                   (the full run)"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fangtiao.loadtest import client, harness

PEERS = ("clerk_t01", "clerk_t02")
ROLES = ("clerk_t01", "clerk_t02", "officer", "leader", "head_t01", "mediator_t01")
PHASES = "examples,coverage,fuzzing,stateful"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--database-url", default="")
    p.add_argument("--examples", type=int, default=5, help="examples per operation (-n)")
    p.add_argument("--seed", action="append", default=[], help="a seed, or 'random'; repeatable (default: 1)")
    p.add_argument("--workers", default="1", help="schemathesis workers; 2 trips a thread-safety bug in hypothesis (AST recursion depth mismatch)")
    p.add_argument("--timeout", type=int, default=0, help="seconds per schemathesis run before it is stopped (0: none)")
    p.add_argument("--only", choices=("anonymous", "roles"), default=None)
    p.add_argument("--every-phase", action="store_true", help="all four phases for every seed, not only the first")
    p.add_argument("--include-path-regex", default="")
    p.add_argument("--root", default="")
    p.add_argument("--out", default="var/fuzz")


def write_auth(site: harness.Site, root: Path) -> Path:
    tokens = site.seed["tokens"]
    doc = {"schemaVersion": "0.1.0",
           "auth": [{"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {tokens[name]}"}]}
                    for name in ROLES]}
    path = root / "wfc-auth.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return path


BASE_CONFIG = Path(__file__).with_name("schemathesis.toml")


def write_config(root: Path, auth: Path | None) -> Path:
    lines = ["# written by fangtiao.loadtest.fuzz", BASE_CONFIG.read_text(encoding="utf-8")]
    if auth is not None:
        lines += ["[auth.wfc]", f'path = "{auth}"', f"peers = {json.dumps(list(PEERS))}"]
    path = root / ("schemathesis-roles.toml" if auth else "schemathesis-anonymous.toml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SUMMARY_RE = re.compile(r"(\d+) (passed|failed|errored|skipped)")


def run_one(site: harness.Site, *, who: str, seed: int, args: argparse.Namespace, out: Path,
            phases: str = PHASES) -> dict[str, Any]:
    auth = write_auth(site, site.root) if who == "roles" else None
    config = write_config(site.root, auth)
    report_dir = out / f"{who}-seed{seed}"
    report_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color", "run",
            f"{site.base}/api/v1/openapi.json", "--phases", phases,
            "-n", str(args.examples), "--seed", str(seed), "-w", str(args.workers),
            "--report", "junit,ndjson", "--report-dir", str(report_dir), "--request-timeout", "30",
            "--suppress-health-check", "all", "--output-truncate", "true", "--warnings", "off"]
    if args.include_path_regex:
        argv += ["--include-path-regex", args.include_path_regex]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANGTIAO_", "DATABASE_", "DJANGO_"))}
    started = time.monotonic()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout or None, env=env,  # noqa: S603
                              check=False)
        stdout, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        code = -1
    elapsed = time.monotonic() - started
    (report_dir / "stdout.txt").write_text(stdout, encoding="utf-8")
    leaks = scan_bodies(report_dir)
    findings = sorted(set(re.findall(r"^\s*-?\s*(?:\d+\.\s*)?([A-Z][A-Za-z ]+(?:error|violation|conformance|"
                                     r"rejected|accepted|Authorization|auth|leak|ignored)[^\n]{0,60})$", stdout, re.M)))
    cases = re.search(r"Test cases:\s*\n?\s*(\d+) generated", stdout) or re.search(r"(\d+) generated", stdout)
    ops = re.search(r"API Operations:\s*\n?\s*(\d+) selected[^\n]*?(\d+) tested", stdout)
    result = {"who": who, "seed": seed, "phases": phases, "examples": args.examples, "exit": code, "seconds": round(elapsed, 1),
              "test_cases": int(cases.group(1)) if cases else None,
              "operations": ops.group(0).split("\n")[-1].strip() if ops else None,
              "failures_summary": tail_section(stdout, "FAILURES"), "leaks": leaks[:5], "leak_count": len(leaks),
              "report_dir": str(report_dir), "findings": findings[:40]}
    return result


def tail_section(stdout: str, name: str) -> str:
    i = stdout.find(name)
    return stdout[i:i + 6000] if i >= 0 else ""


def scan_bodies(report_dir: Path) -> list[str]:
    """Response bodies in the NDJSON events that show a traceback, SQL, a path or a setting's name."""
    hits = []
    for path in report_dir.rglob("*.ndjson"):
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                for body in re.findall(r'"body":\s*"((?:[^"\\]|\\.)*)"', line):
                    text = body
                    with _suppress():
                        text = base64.b64decode(body, validate=True).decode("utf-8", errors="replace")
                    if client.LEAK_RE.search(text):
                        hits.append(text[:300])
    return hits


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return exc[0] is not None and issubclass(exc[0], ValueError)


def main(args: argparse.Namespace) -> int:
    seeds = [random.SystemRandom().randrange(1, 1 << 31) if s == "random" else int(s) for s in (args.seed or ["1"])]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    with harness.site(args.db, database_url=args.database_url, petitions=6, root=Path(args.root) if args.root else None,
                      web_workers=2, threads=4) as site:
        print(f"[fuzz] site up on :{site.port} ({args.db}); seeds {seeds}; {args.examples} examples per operation", flush=True)
        for i, seed in enumerate(seeds):
            # The coverage phase's cases come from the schema, not the seed: the first seed runs all four
            # phases, a further seed only the seeded ones (fuzzing, stateful).
            phases = PHASES if i == 0 or args.every_phase else "fuzzing,stateful"
            for who in ("anonymous", "roles"):
                if args.only and who != args.only:
                    continue
                r = run_one(site, who=who, seed=seed, args=args, out=out, phases=phases)
                results.append(r)
                print(f"[fuzz] {who} seed {seed}: exit {r['exit']} in {r['seconds']} s, {r['test_cases']} test cases, "
                      f"leaks {r['leak_count']}", flush=True)
        server_errors = len(re.findall(r'" 5\d\d ', site.web.output()))
        log = site.web.output()
        tracebacks = log.count("Traceback")
        first = log.find("Traceback")
        excerpt = log[max(first - 600, 0):first + 4000] if first >= 0 else ""
    summary = {"seeds": seeds, "examples": args.examples, "db": args.db, "runs": results,
               "server_5xx_in_access_log": server_errors, "tracebacks_in_server_log": tracebacks,
               "first_traceback": excerpt}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"[fuzz] 5xx in the access log: {server_errors}; tracebacks in the server log: {tracebacks}; "
          f"written {out / 'summary.json'}")
    for r in results:
        if r["exit"] != 0:
            print(f"\n===== {r['who']} seed {r['seed']} (exit {r['exit']}) =====\n{r['failures_summary'][:4000]}")
    ok = all(r["exit"] == 0 and not r["leak_count"] for r in results) and not server_errors
    return 0 if ok else 1
