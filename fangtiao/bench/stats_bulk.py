"""A fast, set-based way to a province of 10 million matters for the statistics benchmark only.

The full generator (`generate_cases.py`) composes every text, encrypts parties, computes MinHash keys
and writes mediation rounds — about an hour at 10M cases on the standard machine — and
`stats.services.rebuild()` then recomputes every fact in Python. For measuring the *read path* of
the statistics (rollups against a direct count) neither is needed, so `fangtiao bench --stats
--stats-bulk` does instead, on PostgreSQL only:

1. the registry of N cases as the generator builds it (`generate.build` + `_insert`: at 10M,
   100 counties, 1,900 townships, 24,700 villages and communities);
2. N rows of `cases_case` by one `INSERT … SELECT … FROM generate_series` per million: the place a
   township at random and one of its villages (92 %) or the township itself (8 %), 60 % disputes,
   the generator's channel weights per kind, the registry's dispute categories, the flags at the
   generator's rates (collective 3 %, repeat 2.4 %, skip-level 4 % of petitions by visit), the
   registering unit at village, township or county level, received times spread evenly over the
   generator's two years (`generate_cases.END`, `SPAN_DAYS`); every other NOT NULL column a
   constant (no text, parties, events, clocks, rounds, text keys). Before the insert the table's
   secondary indexes and constraints are dropped and the foreign-key triggers are off
   (`session_replication_role = replica`); afterwards only the indexes a period count can use are
   rebuilt (`KEEP_INDEXES`) — this is a throw-away, read-only database;
3. the rollups by one `INSERT … SELECT … GROUP BY GROUPING SETS` (months × township bucket × the
   four dimensions) and one `GROUP BY` (days × bucket), mirroring `stats.services.case_facts` for
   the **receipt measures** (total, petitions, disputes, repeat, skip_level, collective); every
   other measure is 0 (there are no clocks, ratings, rounds, confirmations, backlog records or
   consultations). No `stats_fact` rows: a `refresh()` after a change would be wrong here.
   `test_bench_stats.py` checks on PostgreSQL that these rollups equal `rebuild()`'s receipt columns
   for the full generator's data.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from fangtiao.bench import generate as gen
from fangtiao.bench import generate_cases as gc
from fangtiao.stats.measures import CODES

RECEIPT = ("total", "petitions", "disputes", "repeat", "skip_level", "collective")
CHUNK = 1_000_000
# The indexes of cases_case rebuilt after the bulk insert (those a count by period and place can use).
KEEP_INDEXES = ("cases_scope_received", "cases_received_desc", "cases_repeat", "cases_skip", "cases_collective")

# Column expressions over the row source `x` (one row per case, with its random draws r1..r9) and
# the place `p`; the remaining NOT NULL columns get the constant of their type (_constant).
COLUMNS: dict[str, str] = {
    "id": "x.id",
    "number": "'统计基准' || x.id",
    "number_year": "extract(year FROM x.received_at AT TIME ZONE %(tz)s)::smallint",
    "number_seq": "x.id",
    "version": "1",
    "kind": "x.kind",
    "nature": "CASE WHEN x.kind = 'petition' THEN 'claim' ELSE '' END",
    "channel": "x.channel",
    "source": "CASE WHEN x.kind = 'dispute' THEN 'application' ELSE '' END",
    "status": "CASE WHEN x.received_at < %(closed_before)s THEN 'closed' ELSE 'registered' END",
    "title": "'统计基准事项'",
    "region_id": "p.region_id",
    "region_path": "p.path",
    "category_id": "CASE WHEN x.r5 < 0.9 THEN (%(categories)s::text[])[1 + floor(x.r6 * %(n_categories)s)::int] END",
    "headcount": "CASE WHEN x.r7 < 0.03 THEN 5 + floor(x.r8 * 120)::int ELSE 1 END",
    "is_collective": "x.r7 < 0.03",
    "is_repeat": "x.r9 < 0.024",
    "is_skip_level": "x.kind = 'petition' AND x.channel = 'visit' AND x.r8 < 0.04",
    "received_at": "x.received_at",
    "created_at": "x.received_at",
    "updated_at": "x.received_at",
    "query_code_hash": "lpad(to_hex(x.id), 64, '0')",
    "registered_unit_id": "x.unit_id",
    "number_unit_id": "x.unit_id",
    "holder_unit_id": "x.unit_id",
}


class BulkError(gen.GenerationError):
    pass


def _channel_case(kind: str, draw: str) -> str:
    pairs = gc.CHANNELS[kind]
    total = sum(w for _c, w in pairs)
    acc, whens = 0, []
    for code, w in pairs[:-1]:
        acc += w
        whens.append(f"WHEN {draw} < {acc / total:.6f} THEN '{code}'")
    return f"CASE {' '.join(whens)} ELSE '{pairs[-1][0]}' END"


def _categories() -> list[str]:
    """The registry's dispute categories, each repeated by its weight (a uniform pick is weighted)."""
    out: list[str] = []
    for code, w in sorted(gen.CATEGORY_WEIGHTS.items()):
        if code != "other":
            out += [code] * w
    return out


def _constant(column: str, data_type: str) -> str:
    if data_type == "timestamp with time zone":
        return "x.received_at"
    if data_type == "date":
        return "(x.received_at AT TIME ZONE %(tz)s)::date"
    if data_type == "boolean":
        return "false"
    if data_type in ("smallint", "integer", "bigint", "numeric"):
        return "0"
    if data_type in ("character varying", "text"):
        return "''"
    if data_type == "jsonb":
        return "'{}'::jsonb"
    raise BulkError(f"cases_case 的非空列 {column}（{data_type}）没有批量默认值")


def _not_null_columns() -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'cases_case' "
                    "AND table_schema = current_schema() AND is_nullable = 'NO'")
        return dict(cur.fetchall())


def bulk_case_count() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case WHERE number LIKE %s", ["统计基准%"])
        return int(cur.fetchone()[0])


def _places() -> None:
    """Temp tables: the townships (ti) with their unit and county unit, their villages (ti, vi)."""
    prefix = gen.BENCH_PATH_PREFIX + "%"
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_unit; DROP TABLE IF EXISTS bench_town; DROP TABLE IF EXISTS bench_village")
        cur.execute("""
            CREATE TEMP TABLE bench_unit AS
              SELECT DISTINCT ON (region_id) region_id, id AS unit_id FROM org_unit ORDER BY region_id, id""")
        cur.execute("""
            CREATE TEMP TABLE bench_town AS
            SELECT (row_number() OVER (ORDER BY r.path) - 1)::int AS ti, r.id AS region_id, r.path,
                   tu.unit_id, cu.unit_id AS county_unit_id
              FROM org_region r JOIN bench_unit tu ON tu.region_id = r.id JOIN bench_unit cu ON cu.region_id = r.parent_id
             WHERE r.level = 'township' AND r.path LIKE %s""", [prefix])
        cur.execute("""
            CREATE TEMP TABLE bench_village AS
            SELECT t.ti, (row_number() OVER (PARTITION BY t.ti ORDER BY r.path) - 1)::int AS vi, r.id AS region_id,
                   r.path, coalesce(vu.unit_id, t.unit_id) AS unit_id
              FROM org_region r JOIN bench_town t ON t.region_id = r.parent_id LEFT JOIN bench_unit vu ON vu.region_id = r.id
             WHERE r.level = 'village'""")
        cur.execute("CREATE INDEX ON bench_village (ti, vi); ANALYZE bench_town; ANALYZE bench_village")
        cur.execute("SELECT count(*), (SELECT min(n) FROM (SELECT count(*) n FROM bench_village GROUP BY ti) v) FROM bench_town")
        towns, villages = cur.fetchone()
    if not towns or not villages:
        raise BulkError("没有找到基准区划，请先生成登记数据")


def insert_cases(n: int, *, restore_all: bool = False, say: Callable[[str], None] = lambda _m: None) -> float:
    """Append `n` set-based cases (PostgreSQL). Returns seconds. The dropped indexes and constraints
    come back after: `KEEP_INDEXES` only, or all of them (`restore_all`, for the tests)."""
    if connection.vendor != "postgresql":
        raise BulkError("--stats-bulk 只支持 PostgreSQL")
    t0 = time.monotonic()
    _places()
    not_null = _not_null_columns()
    cols = dict(COLUMNS)
    for col, data_type in not_null.items():
        cols.setdefault(col, _constant(col, data_type))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_town")
        towns = int(cur.fetchone()[0])
        cur.execute("SELECT min(n) FROM (SELECT count(*) n FROM bench_village GROUP BY ti) v")
        per_town = int(cur.fetchone()[0])
        cur.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        base = int(cur.fetchone()[0])
    start = gc.END - dt.timedelta(days=gc.SPAN_DAYS)
    step = gc.SPAN_DAYS * 86400 / n
    categories = _categories()
    params: dict[str, Any] = {
        "tz": settings.TIME_ZONE, "categories": categories, "n_categories": len(categories), "start": start,
        "step": step, "towns": towns, "per_town": per_town, "base": base,
        "closed_before": gc.END - dt.timedelta(days=90),
    }
    names = list(cols)
    sql = f"""
        INSERT INTO cases_case ({", ".join(names)})
        SELECT {", ".join(cols[c] for c in names)}
          FROM (SELECT d.*, CASE WHEN d.kind = 'dispute' THEN {_channel_case("dispute", "d.r3")}
                                 ELSE {_channel_case("petition", "d.r3")} END AS channel,
                       CASE WHEN d.v_place THEN
                              CASE WHEN d.kind = 'dispute' AND d.r4 < 0.5 THEN d.village_unit
                                   WHEN d.r4 < 0.8 THEN d.town_unit ELSE d.county_unit END
                            ELSE CASE WHEN d.r4 < 0.6 THEN d.town_unit ELSE d.county_unit END END AS unit_id
                  FROM (SELECT g.id, g.received_at, g.r3, g.r4, g.r5, g.r6, g.r7, g.r8, g.r9, g.kind,
                               g.r2 < 0.92 AS v_place, t.unit_id AS town_unit, t.county_unit_id AS county_unit,
                               v.unit_id AS village_unit, t.region_id AS t_region, t.path AS t_path,
                               v.region_id AS v_region, v.path AS v_path
                          FROM (SELECT %(base)s + i AS id,
                                       %(start)s::timestamptz + make_interval(secs => (i - 1 + random()) * %(step)s) AS received_at,
                                       floor(random() * %(towns)s)::int AS ti, floor(random() * %(per_town)s)::int AS vi,
                                       random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
                                       random() AS r7, random() AS r8, random() AS r9,
                                       CASE WHEN random() < 0.6 THEN 'dispute' ELSE 'petition' END AS kind
                                  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) i) g
                          JOIN bench_town t ON t.ti = g.ti
                          JOIN bench_village v ON v.ti = g.ti AND v.vi = g.vi) d) x
          CROSS JOIN LATERAL (SELECT CASE WHEN x.v_place THEN x.v_region ELSE x.t_region END AS region_id,
                                     CASE WHEN x.v_place THEN x.v_path ELSE x.t_path END AS path) p
    """  # noqa: S608 - identifiers and expressions are constants of this module
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK triggers (a throw-away bench database)
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SELECT setseed(0.2026)")
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'cases_case'::regclass AND contype IN ('u', 'c')")
        constraints = dict(cur.fetchall())
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case' "
                    "AND schemaname = current_schema() AND indexname <> 'cases_case_pkey'")
        indexes = {k: v for k, v in cur.fetchall() if k not in constraints}
        for name in constraints:
            cur.execute(f'ALTER TABLE cases_case DROP CONSTRAINT "{name}"')
        for name in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        keep = list(indexes) if restore_all else [k for k in KEEP_INDEXES if k in indexes]
        say(f"  已去掉 cases_case 的 {len(indexes)} 个二级索引和 {len(constraints)} 个唯一/检查约束"
            f"（之后{'全部恢复' if restore_all else '只重建 ' + '、'.join(keep)}）")
        try:
            done = 0
            while done < n:
                hi = min(n, done + CHUNK)
                with transaction.atomic():
                    cur.execute(sql, {**params, "lo": done + 1, "hi": hi})
                done = hi
                say(f"  批量事项 {done}/{n}（{time.monotonic() - t0:.1f} 秒）")
        finally:
            cur.execute("SET session_replication_role = origin")
            for name in keep:
                t1 = time.monotonic()
                cur.execute(indexes[name])
                say(f"  索引 {name}（{time.monotonic() - t1:.1f} 秒）")
            if restore_all:
                for name, definition in constraints.items():
                    cur.execute(f'ALTER TABLE cases_case ADD CONSTRAINT "{name}" {definition}')
        cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))")
        t1 = time.monotonic()
        cur.execute("ANALYZE cases_case" if connection.in_atomic_block else "VACUUM (ANALYZE) cases_case")
        say(f"  VACUUM ANALYZE（{time.monotonic() - t1:.1f} 秒）")
    return time.monotonic() - t0


def _zero_rest() -> str:
    return ", ".join(f"0 AS {c}" for c in CODES if c not in RECEIPT)


def build_rollups(*, path_prefix: str = "", say: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Replace every rollup row by the receipt measures counted set-based (PostgreSQL), as
    `stats.services.case_facts` attributes them: the local day of receipt, the bucket (a village's
    township, else the region itself), the dimensions channel / category / kind / the registering
    unit's level."""
    if connection.vendor != "postgresql":
        raise BulkError("集合式汇总只支持 PostgreSQL")
    t0 = time.monotonic()
    counts = ", ".join([
        "count(*) AS total", "count(*) FILTER (WHERE s.kind = 'petition') AS petitions",
        "count(*) FILTER (WHERE s.kind <> 'petition') AS disputes",
        "count(*) FILTER (WHERE s.is_repeat AND s.kind = 'petition') AS repeat",  # 重复/越级: petitions only
        "count(*) FILTER (WHERE s.is_skip_level AND s.kind = 'petition') AS skip_level", "count(*) FILTER (WHERE s.is_collective) AS collective",
    ])
    rest = _zero_rest()
    source = """
        SELECT (c.received_at AT TIME ZONE %(tz)s)::date AS day,
               date_trunc('month', c.received_at AT TIME ZONE %(tz)s)::date AS month,
               CASE WHEN r.level = 'village' AND p.path IS NOT NULL THEN p.path ELSE c.region_path END AS bucket,
               c.channel, coalesce(c.category_id, '') AS category, c.kind, coalesce(u.level, '') AS level,
               c.is_repeat, c.is_skip_level, c.is_collective
          FROM cases_case c JOIN org_region r ON r.id = c.region_id LEFT JOIN org_region p ON p.id = r.parent_id
          LEFT JOIN org_unit u ON u.id = c.registered_unit_id
         WHERE c.region_path LIKE %(prefix)s"""
    receipt_cols = ", ".join(RECEIPT)
    rest_cols = ", ".join(c for c in CODES if c not in RECEIPT)
    month_sql = f"""
        INSERT INTO stats_rollupmonth (month, bucket_path, dim, value, {receipt_cols}, {rest_cols})
        SELECT s.month, s.bucket,
               CASE WHEN GROUPING(s.channel) = 0 THEN 'channel' WHEN GROUPING(s.category) = 0 THEN 'category'
                    WHEN GROUPING(s.kind) = 0 THEN 'kind' WHEN GROUPING(s.level) = 0 THEN 'level' ELSE '' END,
               CASE WHEN GROUPING(s.channel) = 0 THEN s.channel WHEN GROUPING(s.category) = 0 THEN s.category
                    WHEN GROUPING(s.kind) = 0 THEN s.kind WHEN GROUPING(s.level) = 0 THEN s.level ELSE '' END,
               {counts}, {rest}
          FROM ({source}) s
         GROUP BY GROUPING SETS ((s.month, s.bucket), (s.month, s.bucket, s.channel), (s.month, s.bucket, s.category),
                                 (s.month, s.bucket, s.kind), (s.month, s.bucket, s.level))"""  # noqa: S608
    day_sql = f"""
        INSERT INTO stats_rollupday (day, bucket_path, {receipt_cols}, {rest_cols})
        SELECT s.day, s.bucket, {counts}, {rest} FROM ({source}) s GROUP BY s.day, s.bucket"""  # noqa: S608
    params = {"tz": settings.TIME_ZONE, "prefix": path_prefix + "%"}
    out: dict[str, Any] = {}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("TRUNCATE stats_rollupmonth, stats_rollupday")  # not DELETE: no dead rows left behind
        t1 = time.monotonic()
        cur.execute(month_sql, params)
        out["month_rows"], out["month_seconds"] = cur.rowcount, round(time.monotonic() - t1, 1)
        say(f"  月汇总 {cur.rowcount} 行（{out['month_seconds']} 秒）")
        t1 = time.monotonic()
        cur.execute(day_sql, params)
        out["day_rows"], out["day_seconds"] = cur.rowcount, round(time.monotonic() - t1, 1)
        say(f"  日汇总 {cur.rowcount} 行（{out['day_seconds']} 秒）")
    with connection.cursor() as cur:
        cur.execute("ANALYZE stats_rollupmonth; ANALYZE stats_rollupday")
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out


def generate(n: int, *, restore_all: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The registry of `n` cases, `n` set-based cases and their rollups, unless they are there."""
    from fangtiao.org.models import User
    from fangtiao.stats.models import RollupMonth

    if connection.vendor != "postgresql":
        raise BulkError("--stats-bulk 只支持 PostgreSQL（请设置 DATABASE_URL）")
    out: dict[str, Any] = {"n_cases": n}
    if not User.objects.filter(username=gen.BENCH_USERNAME).exists():
        if gen.generated_counts()["regions"]:
            raise BulkError("数据库中已有不完整的基准数据，请换用一个新的数据库")
        t0 = time.monotonic()
        ds = gen.build(n)
        with transaction.atomic():
            gen._insert(ds, log)
        out["registry_seconds"] = round(time.monotonic() - t0, 1)
        log(f"登记数据已写入（{out['registry_seconds']} 秒）")
    have = bulk_case_count()
    if have not in (0, n):
        raise BulkError(f"数据库中已有 {have} 件批量事项（需要 {n} 件），请换用一个新的数据库")
    if have == 0:
        log(f"正在以集合方式写入 {n} 件事项（只含统计所需的列）……")
        seconds = insert_cases(n, restore_all=restore_all, say=log)
        out["cases_seconds"] = round(seconds, 1)
        out["cases_per_s"] = round(n / seconds) if seconds else 0
        log(f"事项写入完成：{seconds:.1f} 秒（{out['cases_per_s']:,} 件/秒）")
    if have == 0 or not RollupMonth.objects.exists():
        log("正在以集合方式计算汇总（收到日的各项计数）……")
        r = build_rollups(path_prefix=gen.BENCH_PATH_PREFIX, say=log)
        out["rollups"] = r
        out["rollups_cases_per_s"] = round(n / r["seconds"]) if r["seconds"] else 0
        log(f"汇总完成：{r['seconds']} 秒（{out['rollups_cases_per_s']:,} 件/秒）")
    else:
        log("批量事项和汇总已存在，跳过生成")
    return out
