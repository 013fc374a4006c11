"""Keeping the rollups exact: the change queue, fact computation, delta application, rebuild.

A record's `Fact` holds what it contributes now. `refresh()` drains the `Dirty` queue in batches:
it recomputes the facts of the records named there, subtracts their old contributions from the
rollups and adds the new ones, in one transaction under the refresh lock. A matter that moved to
another township, was reopened, or changed its flags is therefore corrected in every month it
touched. `rebuild()` recomputes everything (after a bulk load, or to repair)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from fangtiao.stats.measures import CODES, DIMENSIONS
from fangtiao.stats.models import Dirty, Fact, RefreshState, RollupDay, RollupMonth

LOCK = "rollup"
BATCH = 2000
REBUILD_FLUSH = 50_000  # records folded into memory before the rollup rows are written

Contribution = tuple[str, str, str]  # (ISO day, measure, unit level)


def enqueue(source: str, ids: list[int]) -> None:
    """Listener of `fangtiao.core.changes`: remember that these records changed. A unit whose level
    changed, or a region moved in the tree, changes the facts of every record that names it."""
    if source in ("case", "consultation"):
        Dirty.objects.bulk_create([Dirty(source=source, source_id=i) for i in ids])
    elif source == "unit":
        from fangtiao.cases.models import Case
        from fangtiao.legalservice.models import Consultation

        cases = Case.objects.filter(Q(registered_unit_id__in=ids) | Q(mediations__unit_id__in=ids)
                                    | Q(backlog__resolved_unit_id__in=ids)).values_list("pk", flat=True).distinct()
        _enqueue_all("case", cases)
        _enqueue_all("consultation", Consultation.objects.filter(unit_id__in=ids).values_list("pk", flat=True))
    elif source == "region":
        from fangtiao.cases.models import Case
        from fangtiao.legalservice.models import Consultation
        from fangtiao.org.models import Region

        for path in Region.objects.filter(pk__in=ids).values_list("path", flat=True):
            _enqueue_all("case", Case.objects.filter(region_path__startswith=path).values_list("pk", flat=True))
            _enqueue_all("consultation", Consultation.objects.filter(region_path__startswith=path)
                         .values_list("pk", flat=True))


def _enqueue_all(source: str, ids: Any) -> None:
    batch: list[Dirty] = []
    for pk in ids.iterator(chunk_size=5000):
        batch.append(Dirty(source=source, source_id=pk))
        if len(batch) >= 5000:
            Dirty.objects.bulk_create(batch)
            batch = []
    Dirty.objects.bulk_create(batch)


def local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


# --- facts ---------------------------------------------------------------------------------------


def bucket_of(path: str, level: str, parent_path: str | None) -> str:
    """The rollup bucket: a village's township, otherwise the region itself."""
    return parent_path if level == "village" and parent_path else path


def _clock_classes(case_ids: list[int]) -> dict[int, dict[str, str]]:
    """{case: {code: state}} for the latest clock of each code that was not cancelled."""
    from fangtiao.clocks.models import Clock, ClockState

    out: dict[int, dict[str, str]] = defaultdict(dict)
    rows = (Clock.objects.filter(case_id__in=case_ids,
                                 code__in=["petition.disposition", "petition.acceptance_notice", "petition.handling",
                                           "satisfaction.window"])
            .exclude(state=ClockState.CANCELLED).order_by("case_id", "code", "id").values_list("case_id", "code", "state"))
    for case_id, code, state in rows:
        out[case_id][code] = state  # ordered by id: the latest wins
    return out


ACC = {"met": "acc_timely", "late": "acc_late", "overdue": "acc_overdue"}
DISP = {"met": "disp_timely", "late": "disp_late", "overdue": "disp_overdue"}
REP = {"met": "rep_on_time", "late": "rep_late", "running": "rep_pending", "paused": "rep_pending", "overdue": "rep_overdue"}


def case_facts(case_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What each case contributes now: {id: {bucket_path, region_path, dims, contributions}}.

    Independent of `stats.reference` on purpose: the correctness tests compare the two."""
    from fangtiao.cases.models import Case
    from fangtiao.mediation.choices import ConfirmationResult, MediationStatus, ObligationStatus
    from fangtiao.mediation.models import BacklogRecord, Confirmation, Mediation, Obligation

    ids = list(case_ids)
    if not ids:
        return {}
    cases = list(Case.objects.filter(pk__in=ids).values(
        "pk", "kind", "channel", "category_id", "region_path", "region__level", "region__parent__path",
        "received_at", "is_repeat", "is_skip_level", "is_collective", "satisfaction", "registered_unit__level"))
    found = [c["pk"] for c in cases]
    clocks = _clock_classes(found)
    contributions: dict[int, list[Contribution]] = defaultdict(list)
    for m in (Mediation.objects.filter(case_id__in=found, status__in=[MediationStatus.AGREED, MediationStatus.FAILED],
                                       ended_on__isnull=False).values_list("case_id", "status", "ended_on", "unit__level")):
        case_id, status, ended, level = m
        day = ended.isoformat()
        contributions[case_id].append((day, "mediated", level))
        if status == MediationStatus.AGREED:
            contributions[case_id].append((day, "mediation_agreed", level))
            if level == "village":
                contributions[case_id].append((day, "agreed_village", level))
    unperformed = Obligation.objects.filter(agreement_id=OuterRef("agreement_id")).exclude(status=ObligationStatus.DONE)
    for case_id, decided, level, open_obligations in (
            Confirmation.objects.filter(case_id__in=found, result=ConfirmationResult.CONFIRMED, decided_on__isnull=False)
            .annotate(open_obligations=Exists(unperformed))
            .values_list("case_id", "decided_on", "agreement__mediation__unit__level", "open_obligations")):
        contributions[case_id].append((decided.isoformat(), "confirmations", level))
        if not open_obligations:
            contributions[case_id].append((decided.isoformat(), "confirmations_performed", level))
    for case_id, marked, resolved, level in (BacklogRecord.objects.filter(case_id__in=found)
                                             .values_list("case_id", "marked_on", "resolved_on", "resolved_unit__level")):
        contributions[case_id].append((marked.isoformat(), "backlog_marked", ""))
        if resolved is not None:
            contributions[case_id].append((resolved.isoformat(), "backlog_resolved", level or ""))

    out: dict[int, dict[str, Any]] = {}
    for c in cases:
        day = local_day(c["received_at"]).isoformat()
        level = c["registered_unit__level"] or ""
        own: list[Contribution] = [(day, "total", level), (day, "petitions" if c["kind"] == "petition" else "disputes", level)]
        # 重复信访 and 越级信访 are petitions' (三下降, legal-rules §6); a collective matter is either kind.
        for flag, code in (("is_repeat", "repeat"), ("is_skip_level", "skip_level"), ("is_collective", "collective")):
            if c[flag] and (code == "collective" or c["kind"] == "petition"):
                own.append((day, code, level))
        states = clocks.get(c["pk"], {})
        disp = DISP.get(states.get("petition.disposition", ""))
        if disp:
            own.append((day, disp, level))
        acc = ACC.get(states.get("petition.acceptance_notice", ""))
        if acc:
            own.append((day, acc, level))
        rep = REP.get(states.get("petition.handling", ""))
        if rep:
            own.append((day, rep, level))
        if c["satisfaction"]:
            own.append((day, "rated", level))
            if c["satisfaction"] in ("satisfied", "basically"):
                own.append((day, "rated_satisfied", level))
        elif states.get("satisfaction.window") == "overdue":
            own.append((day, "eval_overdue", level))
        out[c["pk"]] = {
            "bucket_path": bucket_of(c["region_path"], c["region__level"], c["region__parent__path"]),
            "region_path": c["region_path"],
            "dims": {"channel": c["channel"], "category": c["category_id"] or "", "kind": c["kind"]},
            "contributions": sorted(own + contributions.get(c["pk"], [])),
        }
    return out


def consultation_facts(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    from fangtiao.legalservice.models import Consultation

    out: dict[int, dict[str, Any]] = {}
    for c in Consultation.objects.filter(pk__in=list(ids)).values(
            "pk", "channel", "category_id", "region_path", "region__level", "region__parent__path", "received_at", "unit__level"):
        out[c["pk"]] = {
            "bucket_path": bucket_of(c["region_path"], c["region__level"], c["region__parent__path"]),
            "region_path": c["region_path"],
            "dims": {"channel": c["channel"], "category": c["category_id"] or "", "kind": ""},
            "contributions": [(local_day(c["received_at"]).isoformat(), "consultations", c["unit__level"] or "")],
        }
    return out


FACTS = {"case": case_facts, "consultation": consultation_facts}


# --- deltas --------------------------------------------------------------------------------------


class Deltas:
    def __init__(self) -> None:
        self.month: dict[tuple[str, str, str, str], Counter[str]] = defaultdict(Counter)
        self.day: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)

    def add(self, fact: dict[str, Any], sign: int) -> None:
        bucket, dims = fact["bucket_path"], fact["dims"]
        for day, measure, level in fact["contributions"]:
            month = day[:8] + "01"
            self.day[(day, bucket)][measure] += sign
            self.month[(month, bucket, "", "")][measure] += sign
            for dim in DIMENSIONS:
                value = level if dim == "level" else dims.get(dim, "")
                self.month[(month, bucket, dim, value or "")][measure] += sign

    def flush(self) -> None:
        _upsert(RollupMonth._meta.db_table, ["month", "bucket_path", "dim", "value"], self.month)
        _upsert(RollupDay._meta.db_table, ["day", "bucket_path"], self.day)
        self.month.clear()
        self.day.clear()


def _upsert(table: str, keys: list[str], rows: dict[tuple[str, ...], Counter[str]]) -> None:
    """Add counts to rollup rows, creating them as needed (INSERT … ON CONFLICT DO UPDATE, which
    SQLite ≥ 3.24 and PostgreSQL both speak)."""
    data = [(*key, *(counts.get(c, 0) for c in CODES)) for key, counts in rows.items() if any(counts.values())]
    if not data:
        return
    qn = connection.ops.quote_name
    cols = [*keys, *CODES]
    # Identifiers come from the model and MEASURES (never from input); values are parameters.
    cols_sql = ", ".join(qn(c) for c in cols)
    marks = ", ".join(["%s"] * len(cols))
    keys_sql = ", ".join(qn(k) for k in keys)
    sets = ", ".join(f"{qn(c)} = {qn(table)}.{qn(c)} + excluded.{qn(c)}" for c in CODES)
    sql = f"INSERT INTO {qn(table)} ({cols_sql}) VALUES ({marks}) ON CONFLICT ({keys_sql}) DO UPDATE SET {sets}"  # noqa: S608
    with connection.cursor() as cur:
        for start in range(0, len(data), 1000):
            cur.executemany(sql, data[start:start + 1000])


def _apply(source: str, ids: list[int], deltas: Deltas) -> int:
    new = FACTS[source](ids)
    old = {f.source_id: f for f in Fact.objects.filter(source=source, source_id__in=ids)}
    for f in old.values():
        deltas.add({"bucket_path": f.bucket_path, "dims": f.dims, "contributions": f.contributions}, -1)
    for fact in new.values():
        deltas.add(fact, +1)
    Fact.objects.filter(source=source, source_id__in=ids).delete()
    Fact.objects.bulk_create([Fact(source=source, source_id=pk, bucket_path=f["bucket_path"], region_path=f["region_path"],
                                   dims=f["dims"], contributions=[list(c) for c in f["contributions"]])
                              for pk, f in new.items()])
    return len(ids)


def _lock() -> RefreshState:
    RefreshState.objects.get_or_create(name=LOCK)
    return RefreshState.objects.select_for_update().get(name=LOCK)


def refresh(*, limit: int = 20000) -> int:
    """Apply the queued changes (at most `limit` queue rows); returns how many records were redone."""
    done = 0
    while done < limit:
        with transaction.atomic():
            state = _lock()
            rows = list(Dirty.objects.order_by("id").values_list("id", "source", "source_id")[:BATCH])
            if not rows:
                break
            by_source: dict[str, set[int]] = defaultdict(set)
            for _pk, source, source_id in rows:
                by_source[source].add(source_id)
            deltas = Deltas()
            n = sum(_apply(source, sorted(ids), deltas) for source, ids in by_source.items())
            deltas.flush()
            Dirty.objects.filter(id__in=[r[0] for r in rows]).delete()
            state.last_refresh_at = timezone.now()
            state.processed += n
            state.save(update_fields=["last_refresh_at", "processed"])
        done += len(rows)
    return done


def _chunks(qs: Any, size: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def rebuild(*, actor: Any = None, progress: Any = None) -> dict[str, int]:
    """Recompute every fact and rollup from the source tables (one transaction)."""
    from fangtiao.audit import services as audit
    from fangtiao.cases.models import Case
    from fangtiao.legalservice.models import Consultation

    counts = {"case": 0, "consultation": 0}
    with transaction.atomic():
        state = _lock()
        high = Dirty.objects.order_by("-id").values_list("id", flat=True).first() or 0
        _empty(RollupMonth, RollupDay, Fact)
        deltas = Deltas()
        pending_rows = 0
        for source, model in (("case", Case), ("consultation", Consultation)):
            for ids in _chunks(model.objects.all(), BATCH * 5):
                _apply(source, ids, deltas)
                counts[source] += len(ids)
                pending_rows += len(ids)
                if pending_rows >= REBUILD_FLUSH:  # few rewrites of a row: fewer dead rows to vacuum
                    deltas.flush()
                    pending_rows = 0
                if progress:
                    progress(source, counts[source])
        deltas.flush()
        Dirty.objects.filter(id__lte=high).delete()
        state.last_rebuild_at = state.last_refresh_at = timezone.now()
        state.save(update_fields=["last_rebuild_at", "last_refresh_at"])
        audit.record(actor=actor, action="stats.rebuilt", changes={}, extra=counts)
    _analyze(RollupMonth, RollupDay, Fact)
    return counts


def _empty(*models_: Any) -> None:
    """Empty the tables: TRUNCATE on PostgreSQL (transactional there, and no dead rows left behind)."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {tables}")  # noqa: S608 - table names from the models  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters
    else:
        for m in models_:
            m.objects.all().delete()


def _analyze(*models_: Any) -> None:
    """Fresh planner statistics after a bulk rewrite (outside the transaction on PostgreSQL)."""
    with connection.cursor() as cur:
        for m in models_:
            cur.execute(f"ANALYZE {connection.ops.quote_name(m._meta.db_table)}")  # noqa: S608  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters


def pending() -> int:
    return Dirty.objects.count()


def clear_zero_rows() -> int:
    """Rows whose every count went back to zero (after moves and corrections) carry nothing."""
    zero = Q(**dict.fromkeys(CODES, 0))
    return RollupMonth.objects.filter(zero).delete()[0] + RollupDay.objects.filter(zero).delete()[0]
