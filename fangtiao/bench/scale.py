"""`fangtiao bench --sizes 100000,1000000[,10000000]` (issue 8): one run over several sizes and the
curve of each operation's cost over N.

Each size gets a database of its own, `<DATABASE_URL's name>_<label>` (ft_bench → ft_bench_100k,
ft_bench_1m, ft_bench_10m), created and migrated if missing, generated once (the generator skips
what is there) and then measured by a child `fangtiao bench --n-cases N …` with the same flags — a
child per size, so each has its own settings, connections and server. Separate databases rather
than one grown incrementally: the generator derives the registry (one county per 100,000 cases) and
every row from N and the seed, so a smaller size is not a prefix of a larger one; a database per
size also lets a size be rerun alone, and dropped (`dropdb`) when done.

The curve: for each operation, cost(N) = p50 (and p95) at each size, growth = cost(larger) ÷
cost(smaller) per step, and for lookups (lists, details, searches, the summary) the check that the
cost grows sublinearly — growth < the data's growth (10 for 10× cases).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

LABELS = {100_000: "100k", 1_000_000: "1m", 10_000_000: "10m"}
# Writes and whole-period computations are not lookups: they may grow with N (intake's repeat
# detection reads a person's earlier matters; the assessment reads a district's month).
NOT_LOOKUPS = ("api.cases.intake", "api.cases.intake_c16", "floor", "asm.", "doc.", "scr.", "stats.hand")


class ScaleError(Exception):
    pass


def label(n: int) -> str:
    return LABELS.get(n) or (f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n))


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(x.replace("_", "")) for x in text.split(",") if x.strip()})
    except ValueError as exc:
        raise ScaleError(f"--sizes 应为逗号分隔的事项数，例如 100000,1000000：{text}") from exc
    if not sizes or any(not 1_000 <= n <= 20_000_000 for n in sizes):
        raise ScaleError("--sizes 的每个规模应在 1000 到 20000000 之间")
    return sizes


def database_url(base: str, n: int) -> str:
    parts = urlsplit(base)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ScaleError("--sizes 需要 PostgreSQL：请设置 DATABASE_URL=postgres://…（每个规模一个数据库）")
    name = parts.path.lstrip("/") or "fangtiao_bench"
    return urlunsplit(parts._replace(path=f"/{name}_{label(n)}"))


def ensure_database(url: str, *, log: Callable[[str], None]) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            log(f"  创建数据库 {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def machine() -> dict[str, Any]:
    out: dict[str, Any] = {"nproc": os.cpu_count(), "uname": " ".join(platform.uname()), "python": platform.python_version()}
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            out["mem_gib"] = round(int(f.readline().split()[1]) / 2**20, 1)
        out["loadavg"] = os.getloadavg()
    except OSError:
        pass
    return out


def run(sizes: Sequence[int], child_args: Sequence[str], *, json_path: Path | None,
        log: Callable[[str], None], reuse: bool = False) -> dict[str, Any]:
    base = os.environ.get("DATABASE_URL", "")
    runs: dict[str, list[dict[str, Any]]] = {}
    failed: list[str] = []
    for n in sizes:
        url = database_url(base, n)
        env = {**os.environ, "DATABASE_URL": url}
        out = Path(f"{json_path or 'var/bench.json'}.{label(n)}.json")
        if reuse and out.exists():  # --sizes-reuse: a size measured by an earlier run of the same command
            log(f"== {label(n)}：沿用 {out}")
            runs[label(n)] = json.loads(out.read_text(encoding="utf-8"))
            continue
        ensure_database(url, log=log)
        log(f"== {label(n)}：{urlsplit(url).path.lstrip('/')}，迁移……")
        subprocess.run([sys.executable, "-m", "fangtiao.cli", "migrate", "--noinput", "-v", "0"], env=env, check=True)
        cmd = [sys.executable, "-m", "fangtiao.cli", "bench", "--n-cases", str(n), "--json", str(out), *child_args]
        log(f"== {label(n)}：{' '.join(cmd[2:])}")
        rc = subprocess.run(cmd, env=env, check=False).returncode
        if not out.exists():
            raise ScaleError(f"{label(n)} 的测量没有产生结果（退出码 {rc}）")
        if rc:
            failed.append(label(n))
        runs[label(n)] = json.loads(out.read_text(encoding="utf-8"))
    report = {"machine": machine(), "sizes": list(sizes), "runs": runs, "curve": curve(sizes, runs), "failed": failed}
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return report


def curve(sizes: Sequence[int], runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per op: p50/p95 at each size, growth per step, and the sublinear check for lookups."""
    labels = [label(n) for n in sizes]
    by_op: dict[str, dict[str, dict[str, Any]]] = {}
    for lab in labels:
        for r in runs.get(lab, []):
            by_op.setdefault(r["op"], {})[lab] = r
    out = []
    for name, per in by_op.items():
        row: dict[str, Any] = {"op": name, "lookup": not name.startswith(NOT_LOOKUPS)}
        for lab in labels:
            if lab in per:
                row[f"p50_{lab}"], row[f"p95_{lab}"] = per[lab]["p50_ms"], per[lab]["p95_ms"]
        steps = []
        for (a, na), (b, nb) in zip(zip(labels, sizes, strict=True), list(zip(labels, sizes, strict=True))[1:], strict=False):
            if a in per and b in per and per[a]["p50_ms"]:
                growth = round(per[b]["p50_ms"] / per[a]["p50_ms"], 2)
                steps.append({"from": a, "to": b, "data_growth": round(nb / na, 2), "growth_p50": growth,
                              "growth_p95": round(per[b]["p95_ms"] / per[a]["p95_ms"], 2) if per[a]["p95_ms"] else None,
                              "sublinear": growth < nb / na})
        row["steps"] = steps
        row["sublinear"] = all(s["sublinear"] for s in steps) if steps else None
        out.append(row)
    return out


def table(report: dict[str, Any]) -> str:
    labels = [label(n) for n in report["sizes"]]
    head = ["op", *(f"p50/p95/p99 {lab}" for lab in labels), *(f"×floor {lab}" for lab in labels),
            *(f"×sql {lab}" for lab in labels), "growth p50", "sublinear"]
    by = {lab: {r["op"]: r for r in report["runs"].get(lab, [])} for lab in labels}
    rows = []
    for c in report["curve"]:
        cells = [c["op"]]
        for lab in labels:
            r = by[lab].get(c["op"])
            cells.append(f"{r['p50_ms']}/{r['p95_ms']}/{r.get('p99_ms', 0)}" if r else "—")
        for lab in labels:
            r = by[lab].get(c["op"])
            cells.append(str(r.get("floor_ratio") or "—") if r else "—")
        for lab in labels:
            r = by[lab].get(c["op"])
            cells.append(str(r.get("sql_ratio") or "—") if r else "—")
        cells.append(" ".join(f"{s['growth_p50']}×" for s in c["steps"]) or "—")
        cells.append("—" if not c["lookup"] or c["sublinear"] is None else ("是" if c["sublinear"] else "否"))
        rows.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The docs/benchmarks.md table of a `--sizes` report: per op and size p50 / p95 / p99 ms, ×floor
    (÷ /healthz p50), ×sql (÷ its raw-SQL floor p50), throughput where it is the point, and the
    growth of p50 from size to size (lookups: sublinear or not)."""
    labels = [label(n) for n in report["sizes"]]
    by = {lab: {r["op"]: r for r in report["runs"].get(lab, [])} for lab in labels}
    head = ["op", *(f"{lab}: p50 / p95 / p99 ms (×floor, ×sql)" for lab in labels), "growth p50", "sublinear"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in report["curve"]:
        cells = [f"`{c['op']}`"]
        for lab in labels:
            r = by[lab].get(c["op"])
            if not r:
                cells.append("—")
                continue
            cell = f"{r['p50_ms']} / {r['p95_ms']} / {r.get('p99_ms', 0)}"
            extra = []
            if r.get("floor_ratio"):
                extra.append(f"{r['floor_ratio']}×")
            if r.get("sql_ratio"):
                extra.append(f"sql {r['sql_ratio']}×")
            if c["op"].startswith("api.cases.intake"):
                extra.append(f"{r['rps']} req/s, floor {r.get('sql_rps', 0)} req/s = **{round(100 * r.get('sql_rps_share', 0))} %**")
            cells.append(cell + (f" ({', '.join(extra)})" if extra else ""))
        cells.append(" → ".join(f"{s['growth_p50']}×" for s in c["steps"]) or "—")
        cells.append("—" if not c["lookup"] or c["sublinear"] is None else ("yes" if c["sublinear"] else "**no**"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
