"""EXPLAIN (ANALYZE, BUFFERS) of the case list's two queries — the page and the capped count — for
every list operation of the benchmark (issue 8), on the database DATABASE_URL names:

    fangtiao shell -c "from fangtiao.bench.explain import main; main()"        # a table
    fangtiao shell -c "from fangtiao.bench.explain import main; main(full=True)"  # and every plan

Each line: the indexes the plan reads, whether it scans the case table sequentially, the
execution time and the shared buffers hit + read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in _walk(child))]


def explain(sql: str) -> dict[str, Any]:
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        plan = cur.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    top = plan[0]
    nodes = _walk(top["Plan"])
    indexes = sorted({n["Index Name"] for n in nodes if n.get("Index Name")})
    seq = sorted({n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"})
    return {"ms": round(top["Execution Time"], 2), "indexes": indexes, "seq_scans": seq,
            "buffers": top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0),
            "plan": plan}


def list_queries(path: str, username: str) -> list[str]:
    """The SQL the list endpoint runs for this query string: the page, then the capped count."""
    from urllib.parse import parse_qsl, urlsplit

    from fangtiao.cases import selectors
    from fangtiao.cases.api import CaseFilter
    from fangtiao.org.models import User

    f = CaseFilter(**dict(parse_qsl(urlsplit(path).query)))
    qs = selectors.case_list(user=User.objects.get(username=username), filters=f.dict())
    start = (f.page - 1) * f.page_size
    with CaptureQueriesContext(connection) as ctx:
        list(qs[start : start + f.page_size])
        selectors.capped_count(qs)
    return [q["sql"] for q in ctx.captured_queries[-2:]]


def main(full: bool = False) -> list[dict[str, Any]]:
    from fangtiao.bench.generate import BENCH_USERNAME
    from fangtiao.bench.ops import REGISTRY, Context

    ctx = Context()
    out = []
    for name, o in REGISTRY.items():
        if not (name.startswith("api.cases.") and "/api/v1/cases?" in (paths := list(o.paths(ctx)))[0]):
            continue
        user = o.login(ctx) if o.login else BENCH_USERNAME
        page_sql, count_sql = list_queries(paths[0], user)
        row = {"op": name, "path": paths[0]}
        for part, sql in (("page", page_sql), ("count", count_sql)):
            e = explain(sql)
            row[part] = e
            print(f"{name:<28} {part:<5} {e['ms']:>9} ms  buffers {e['buffers']:>7}  "
                  f"seq {','.join(e['seq_scans']) or '-':<22} idx {','.join(e['indexes'])}")
            if full:
                print(re.sub(r"\s+", " ", json.dumps(e["plan"])[:3000]))
        out.append(row)
    return out
