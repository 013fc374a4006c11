"""Deterministic benchmark cases: N cases over the generated registry, inserted in bulk.

The registry generator (`generate.py`) builds the province a given number of cases needs; this
module fills it with those cases, spread the way a real network's would be: over every county,
township and village of the generated registry; disputes (about 60 %) mostly registered by
village and township committees and petitions by the sub-centres and county centres; the
official dispute categories at the registry's weights; every channel; statuses by age (old cases
closed, recent ones open); the flags (collective, repeat, skip-level, backlog, overdue, major) at
plausible rates; received times spread evenly over the two years up to `END` (a fixed day, so
the same N and seed give the same rows whenever they are generated).

What the services would compute is filled in the same way: `region_path` from the place, the
official number `<unit short name>访调〔year〕NNNNN号` with `number_unit`/`number_year`/`number_seq`
gap-free per registering unit and year in order of receipt (and the `NumberSequence` counters
left at the last number, so intake continues after them), `holder_unit` by status. A fraction
of the cases (`PARTY_SHARE`) have parties with encrypted ID number, phone and address and their
blind indexes, some of them the same person as an earlier case (flagged repeat), so repeat
detection at intake finds real matches; every case has its registration event and, past
registration, the event of its last step. Generated cases have no registering user (a bulk
import), which is how `generated_case_count()` tells them from cases registered over the API.

Mediation (so the mediator suggestions weigh real workloads): every dispute that reached a
committee has its round (`Mediation`, numbered 「（年）X人调字第N号」 per committee and year, the
`NumberSequence` counters left at the last number) and its lead mediator (`Assignment`) — a mediator
of that committee, else of the township's or county's committee — active while the round is open
(status mediating), ended otherwise; so each mediator's open cases and last assignment are what a
real year would leave (about three open cases per mediator at 1M cases and 10,000 mediators).

Two passes again: `iter_drafts()` is pure (the registry dataset and a seeded RNG), and
`insert_cases()` writes the rows with PostgreSQL COPY, or executemany on SQLite, in chunks, with
explicit primary keys so the parties and events reference their case without a round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from fangtiao.bench import generate as gen
from fangtiao.cases.demo import DISPUTES, PETITIONS
from fangtiao.cases.models import Case, CaseEvent, Party
from fangtiao.core.crypto import blind_index
from fangtiao.core.models import NumberSequence
from fangtiao.core.numbering import chinese_year_number
from fangtiao.core.validators import id_check_char
from fangtiao.mediation.models import Assignment, Mediation
from fangtiao.mediation.services import ROUND_ENDED
from fangtiao.org.choices import PersonStatus, UnitKind

UTC = dt.UTC
END = dt.datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 17:00 in Beijing
SPAN_DAYS = 730
PARTY_SHARE = 0.2
REPEAT_SHARE = 0.12  # of the cases with parties: the same person as an earlier case of the county
CHUNK = 10_000
TEXT_POOL = 4000

CHANNELS = {
    "dispute": (("visit", 52), ("phone", 12), ("screening", 22), ("letter", 4), ("online", 6), ("hotline_12345", 4)),
    "petition": (("visit", 34), ("letter", 16), ("phone", 8), ("online", 24), ("hotline_12345", 12), ("assigned", 4),
                 ("fax", 2)),
}
NATURES = (("claim", 75), ("suggestion", 15), ("accusation", 10))
OLD_STATUS = {  # received more than 90 days before END
    "dispute": (("closed", 80), ("archived", 6), ("agreed", 6), ("failed", 3), ("withdrawn", 2), ("mediating", 2),
                ("transferring", 1)),
    "petition": (("closed", 72), ("archived", 5), ("replied", 4), ("not_accepted", 5), ("diverted", 3), ("forwarded", 3),
                 ("handling", 4), ("reviewing", 2), ("re_reviewing", 1), ("withdrawn", 1)),
}
RECENT_STATUS = {
    "dispute": (("registered", 5), ("accepted", 6), ("transferring", 4), ("mediating", 30), ("agreed", 15), ("failed", 3),
                ("closed", 37)),
    "petition": (("registered", 6), ("accepted", 8), ("transferring", 6), ("handling", 38), ("replied", 10),
                 ("not_accepted", 4), ("diverted", 3), ("forwarded", 2), ("closed", 23)),
}
LAST_ACTION = {
    "accepted": "accept", "transferring": "transfer", "mediating": "route", "agreed": "agree", "failed": "fail",
    "withdrawn": "withdraw", "handling": "receive", "replied": "reply", "reviewing": "request_review",
    "re_reviewing": "request_re_review", "not_accepted": "reject", "diverted": "divert", "forwarded": "forward",
    "closed": "close", "archived": "archive",
}
OPEN = frozenset({"registered", "accepted", "transferring", "mediating", "handling", "reviewing", "re_reviewing"})
MEDIATION = frozenset({"mediating", "agreed", "failed"})
# The round a dispute in this status had (closed and archived disputes were mediated to an agreement).
ROUND_STATUS = {"mediating": "open", "agreed": "agreed", "failed": "failed", "withdrawn": "withdrawn",
                "closed": "agreed", "archived": "agreed"}
COMMITTEE_KINDS = frozenset({UnitKind.DISTRICT_COMMITTEE, UnitKind.TOWNSHIP_COMMITTEE, UnitKind.VILLAGE_COMMITTEE,
                             UnitKind.PROFESSIONAL_COMMITTEE})
HANDLING = frozenset({"handling", "replied", "reviewing", "re_reviewing"})
WORDS = {"dept": "县住建局", "town": "基准镇"}


class CaseGenerationError(gen.GenerationError):
    pass


# --- the registry as the cases see it (pure) -------------------------------------------------


@dataclass(frozen=True)
class Township:
    code: str
    subcentre: str  # unit keys of the registry dataset
    committee: str
    villages: tuple[tuple[str, str, bool], ...]  # (region code, committee key, its short name is unique)


@dataclass(frozen=True)
class County:
    code: str
    centre: str
    committee: str
    professional: tuple[str, ...]
    townships: tuple[Township, ...]


def layout(ds: gen.Dataset) -> tuple[County, ...]:
    """Counties → townships → villages with the unit keys that register and hold their cases.

    Village committees are named after their village (基准XX村调委) and village names repeat
    between townships, so a committee whose short name another unit also has never registers a
    case (two of them would number cases alike); its village's cases go to the township."""
    shorts: dict[str, int] = {}
    for u in ds.units:
        shorts[u.short_name] = shorts.get(u.short_name, 0) + 1
    by_region: dict[str, list[gen.UnitRow]] = {}
    for u in ds.units:
        by_region.setdefault(u.region_code, []).append(u)
    children: dict[str, list[gen.RegionRow]] = {}
    for r in ds.regions:
        children.setdefault(r.parent_code, []).append(r)

    def key(region: str, slot: str) -> str:
        return f"{region}:{slot}"

    counties = []
    for c in (r for r in ds.regions if r.level == "district"):
        townships = []
        for t in children.get(c.code, []):
            villages = tuple(
                (v.code, key(v.code, "committee"), shorts[next(u.short_name for u in by_region[v.code])] == 1)
                for v in children.get(t.code, [])
            )
            townships.append(Township(t.code, key(t.code, "subcentre"), key(t.code, "committee"), villages))
        pro = tuple(u.key for u in by_region[c.code] if u.kind == UnitKind.PROFESSIONAL_COMMITTEE)
        counties.append(County(c.code, key(c.code, "centre"), key(c.code, "committee"), pro, tuple(townships)))
    return tuple(counties)


# --- the cases (pure) ------------------------------------------------------------------------


@dataclass(slots=True)
class PartyDraft:
    role: str
    type: str
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    is_representative: bool = False


@dataclass(slots=True)
class Draft:
    received_at: dt.datetime
    number_unit: str  # unit key
    year: int
    seq: int
    kind: str
    nature: str
    channel: str
    status: str
    category: str | None
    region: str  # region code
    title: str
    description: str
    demands: str
    headcount: int
    holder: str
    lead: str | None
    occurred_on: dt.date
    amount: int | None
    accepted_on: dt.date | None
    replied_on: dt.date | None
    closed_on: dt.date | None
    reply_outcome: str
    last_at: dt.datetime
    is_collective: bool = False
    is_repeat: bool = False
    is_skip_level: bool = False
    is_backlog: bool = False
    is_overdue: bool = False
    is_major: bool = False
    oral: bool = False
    parties: list[PartyDraft] = field(default_factory=list)
    township_committee: str = ""  # unit keys of the committees above the place (where mediation goes)
    county_committee: str = ""


def _weighted(pairs: Sequence[tuple[str, int]]) -> tuple[list[str], list[int]]:
    values, weights = zip(*pairs, strict=True)
    cum, total = [], 0
    for w in weights:
        total += w
        cum.append(total)
    return list(values), cum


def _texts(rng: random.Random) -> dict[str, list[tuple[str, str, str, str | None, int | None]]]:
    """A pool of rendered titles and facts per kind (formatting per row would cost more than it shows)."""
    pool: dict[str, list[tuple[str, str, str, str | None, int | None]]] = {"dispute": [], "petition": []}
    for _ in range(TEXT_POOL):
        cat = rng.choice(list(DISPUTES))
        m = rng.choice(DISPUTES[cat])
        amt = rng.randrange(m.amount[0] // 100, m.amount[1] // 100 + 1) * 100 if m.amount else None
        w = {"p": gen._person_name(rng), "o": gen._person_name(rng), "org": f"基准{rng.choice(gen.PLACE)}{rng.choice(gen.PLACE)}有限公司",
             "place": "基准村", "amt": str(amt or ""), **WORDS}
        pool["dispute"].append((m.title.format(**w), m.facts.format(**w), m.demands.format(**w), cat, amt))
        p = rng.choice(PETITIONS)
        amt = rng.randrange(p.amount[0] // 100, p.amount[1] // 100 + 1) * 100 if p.amount else None
        w["amt"] = str(amt or "")
        pool["petition"].append((p.title.format(**w), p.facts.format(**w), p.demands.format(**w),
                                 p.category, amt if p.nature == "claim" else None))
    return pool


def iter_drafts(ds: gen.Dataset, n: int, *, seed: int = gen.SEED) -> Iterator[Draft]:
    """The `n` cases in order of receipt, from the seeded RNG only (same input, same drafts)."""
    rng = random.Random(f"{seed}/cases/{n}")
    counties = layout(ds)
    texts = _texts(rng)
    categories, category_cum = _weighted(sorted((c, w) for c, w in gen.CATEGORY_WEIGHTS.items() if c != "other"))
    channels = {k: _weighted(v) for k, v in CHANNELS.items()}
    natures = _weighted(NATURES)
    old = {k: _weighted(v) for k, v in OLD_STATUS.items()}
    recent = {k: _weighted(v) for k, v in RECENT_STATUS.items()}
    counters: dict[tuple[str, int], int] = {}
    identities: dict[str, list[PartyDraft]] = {}  # county → people seen (for repeats)
    start = END - dt.timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 86400 / n
    choices = rng.choices
    rand = rng.random

    def pick(table: tuple[list[str], list[int]]) -> str:
        return choices(table[0], cum_weights=table[1])[0]

    for i in range(n):
        received = start + dt.timedelta(seconds=int((i + rand()) * step))
        year = (received + dt.timedelta(hours=8)).year  # the registering unit's (Beijing) calendar year
        county = counties[int(rand() * len(counties))]
        township = county.townships[int(rand() * len(county.townships))]
        vcode, vcommittee, vunique = township.villages[int(rand() * len(township.villages))]
        region = vcode if rand() < 0.92 else township.code
        kind = "dispute" if rand() < 0.6 else "petition"
        r = rand()
        if kind == "dispute":
            if r < 0.5 and vunique and region == vcode:
                reg = vcommittee
            elif r < 0.72:
                reg = township.committee
            elif r < 0.9:
                reg = township.subcentre
            elif r < 0.96 or not county.professional:
                reg = county.centre
            else:
                reg = county.professional[int(rand() * len(county.professional))]
        else:
            reg = township.subcentre if r < 0.55 else county.centre
        counters[(reg, year)] = seq = counters.get((reg, year), 0) + 1
        title, facts, demands, category, amount = texts[kind][int(rand() * TEXT_POOL)]
        nature = pick(natures) if kind == "petition" else ""
        if kind == "dispute" and category is None:
            category = choices(categories, cum_weights=category_cum)[0]
        if kind == "petition" and nature != "claim":
            amount = None
        channel = pick(channels[kind])
        age = (END - received).days
        status = pick(old[kind] if age > 90 else recent[kind])

        # Who holds it now: mediation at the committee of the level, handling at the township or county.
        if status in MEDIATION:
            holder = reg if reg in (vcommittee, township.committee, county.committee) or reg in county.professional \
                else township.committee
        elif status in HANDLING:
            holder = township.subcentre if rand() < 0.6 else county.centre
        elif status == "transferring":
            holder = township.committee if kind == "dispute" else township.subcentre
        else:
            holder = reg
        day = (received + dt.timedelta(hours=8)).date()
        accepted = None if status in ("registered", "not_accepted", "forwarded") else day + dt.timedelta(days=int(rand() * 4))
        replied = day + dt.timedelta(days=20 + int(rand() * 45)) if kind == "petition" and status in (
            "replied", "reviewing", "re_reviewing", "closed", "archived") and nature != "accusation" else None
        if replied is not None and replied >= END.date():
            replied = None
        closed = None
        if status in ("closed", "archived"):
            closed = min((replied or day) + dt.timedelta(days=1 + int(rand() * 20)), END.date() - dt.timedelta(days=1))
        outcome = ""
        if replied is not None:
            outcome = ("support", "explain", "explain", "reject")[int(rand() * 4)]
        last = received if status == "registered" else min(
            received + dt.timedelta(days=min(age, 1 + int(rand() * 40)), hours=int(rand() * 8)), END)

        d = Draft(
            received_at=received, number_unit=reg, year=year, seq=seq, kind=kind, nature=nature, channel=channel,
            status=status, category=category, region=region, title=title, description=facts, demands=demands,
            headcount=1, holder=holder, lead=holder if status in HANDLING else None,
            occurred_on=day - dt.timedelta(days=1 + int(rand() * 90)), amount=amount, accepted_on=accepted,
            replied_on=replied, closed_on=closed, reply_outcome=outcome, last_at=last,
            oral=channel in ("visit", "phone") and kind == "petition",
            township_committee=township.committee, county_committee=county.committee,
        )
        r = rand()
        if r < 0.03:
            d.is_collective = True
            d.headcount = 5 + int(rand() * 120)
        d.is_skip_level = kind == "petition" and channel == "visit" and rand() < 0.04
        d.is_backlog = status in OPEN and age > 180 and rand() < 0.5
        d.is_overdue = status in OPEN and age > 60 and rand() < 0.7
        d.is_major = d.is_collective and rand() < 0.2

        if rand() < PARTY_SHARE:
            seen = identities.setdefault(county.code, [])
            if seen and rand() < REPEAT_SHARE:
                person = seen[int(rand() * len(seen))]
                d.is_repeat = True
            else:
                born = dt.date(1940, 1, 1) + dt.timedelta(days=int(rand() * 365 * 62))
                first17 = f"{county.code}{born:%Y%m%d}{int(rand() * 1000):03d}"
                person = PartyDraft("petitioner", "person", gen._person_name(rng), first17 + id_check_char(first17),
                                    gen._phone(rng), f"基准村{1 + int(rand() * 300)}号")
                if len(seen) < 5000:
                    seen.append(person)
            d.parties.append(PartyDraft(person.role, person.type, person.name, person.id_number, person.phone,
                                        person.address, d.is_collective))
            if rand() < 0.5:
                d.parties.append(PartyDraft("respondent", "person", gen._person_name(rng)))
        yield d


def sequences(drafts: Iterable[Draft]) -> dict[tuple[str, int], int]:
    """The last number per (registering unit, year)."""
    out: dict[tuple[str, int], int] = {}
    for d in drafts:
        out[(d.number_unit, d.year)] = max(out.get((d.number_unit, d.year), 0), d.seq)
    return out


# --- writing ---------------------------------------------------------------------------------


class _Table:
    """One table's insert: its columns in model order, a row template of defaults, and the
    vendor's fastest bulk path (COPY on PostgreSQL, executemany on SQLite)."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.template = [self._default(f) for f in self.fields]
        self.columns = [f.column for f in self.fields]
        self.vendor = connection.vendor
        self.adapt: list[tuple[int, Callable[[Any], Any]]] = []
        if self.vendor == "sqlite":
            ops = connection.ops
            for i, f in enumerate(self.fields):
                t = f.get_internal_type()
                if t == "DateTimeField":
                    self.adapt.append((i, ops.adapt_datetimefield_value))
                elif t == "DateField":
                    self.adapt.append((i, ops.adapt_datefield_value))
                elif t == "DecimalField":
                    self.adapt.append((i, lambda v: None if v is None else str(v)))

    @staticmethod
    def _default(f: Any) -> Any:
        value = f.get_default()
        if f.get_internal_type() == "JSONField":
            return json.dumps({} if value is None else value)
        return value

    def row(self, **values: Any) -> list[Any]:
        row = self.template[:]
        index = self.index
        for k, v in values.items():
            row[index[k]] = v
        return row

    def write(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            for row in rows:
                for i, fn in self.adapt:
                    row[i] = fn(row[i])
            marks = ", ".join(["%s"] * len(self.columns))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608 - model metadata only

    def next_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(self.model._meta.db_table)}")  # noqa: S608
            return int(cursor.fetchone()[0]) + 1

    def reset_sequence(self) -> None:
        if self.vendor != "postgresql":
            return  # SQLite's rowid continues after the largest id by itself
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))",  # noqa: S608
                           [table])


@dataclass(frozen=True)
class CaseResult:
    created: int
    parties: int
    events: int
    seconds: float
    mediations: int = 0


class _Rounds:
    """The mediation round and lead mediator of each generated dispute that reached a committee."""

    def __init__(self, ds: gen.Dataset, units: dict[str, int], shorts: dict[str, str]) -> None:
        from fangtiao.org.models import Mediator, User

        self.units, self.shorts = units, shorts
        self.kind = {u.key: u.kind for u in ds.units}
        self.parent = {u.key: u.parent_key for u in ds.units}
        self.mediations, self.assignments = _Table(Mediation), _Table(Assignment)
        self.mediation_id, self.assignment_id = self.mediations.next_id(), self.assignments.next_id()
        by_unit: dict[int, list[int]] = {}
        for pk, unit_id in (Mediator.objects.filter(unit_id__in=units.values(), status=PersonStatus.ACTIVE)
                            .order_by("pk").values_list("pk", "unit_id")):
            by_unit.setdefault(unit_id, []).append(pk)
        self.pool = {key: by_unit.get(pk, []) for key, pk in units.items()}
        heads = {f"{gen.STAFF_USERNAME_PREFIX}{k.split(':')[0]}_{k.split(':')[1]}_1": k for k in units}
        self.heads = {heads[u]: pk for u, pk in User.objects.filter(username__in=heads).values_list("username", "pk")}
        # (unit key → its committee head, who assigns)
        self.seq: dict[tuple[str, int], int] = {}
        self.rng = random.Random("bench/rounds")  # noqa: S311 - which mediator, not a secret
        self.rows: tuple[list[list[Any]], list[list[Any]]] = ([], [])
        self.created = 0

    def committee(self, d: Draft) -> str:
        if self.kind[d.holder] in COMMITTEE_KINDS:
            return d.holder
        return d.township_committee if self.kind[d.holder] == UnitKind.SUBCENTRE else d.county_committee

    def add(self, case_id: int, d: Draft) -> None:
        status = ROUND_STATUS.get(d.status) if d.kind == "dispute" else None
        if status is None:
            return
        unit = self.committee(d)
        township, county = d.township_committee, d.county_committee
        mediators = self.pool[unit] or self.pool[township] or self.pool[county]
        if not mediators:
            return
        started = (d.received_at + dt.timedelta(hours=8)).date() + dt.timedelta(days=int(self.rng.random() * 3))
        year = started.year
        self.seq[(unit, year)] = seq = self.seq.get((unit, year), 0) + 1
        ended = None if status == "open" else max(started, d.closed_on or (d.last_at + dt.timedelta(hours=8)).date())
        assigned_at = d.received_at + dt.timedelta(days=1 + int(self.rng.random() * 3))
        self.rows[0].append(self.mediations.row(
            id=self.mediation_id, case_id=case_id, round=1, unit_id=self.units[unit],
            number=f"（{year}）{self.shorts[unit]}人调字第{seq}号", source="application", status=status,
            started_on=started, ended_on=ended, end_reason="" if ended is None else ROUND_ENDED, created_at=assigned_at,
            routes_told="[]",
        ))
        self.rows[1].append(self.assignments.row(
            id=self.assignment_id, mediation_id=self.mediation_id, case_id=case_id,
            mediator_id=mediators[int(self.rng.random() * len(mediators))], chosen_by="committee", lead=True,
            suggestion="{}", assigned_by_id=self.heads[unit],
            assigned_at=assigned_at, active=status == "open",
            ended_at=None if status == "open" else assigned_at + dt.timedelta(days=10),
            end_reason="" if status == "open" else ROUND_ENDED,
        ))
        self.mediation_id += 1
        self.assignment_id += 1
        self.created += 1

    def flush(self) -> None:
        self.mediations.write(self.rows[0])
        self.assignments.write(self.rows[1])
        for b in self.rows:
            b.clear()

    def finish(self) -> None:
        self.flush()
        for t in (self.mediations, self.assignments):
            t.reset_sequence()
        NumberSequence.objects.bulk_create(
            [NumberSequence(scope="mediation", unit_id=self.units[k], year=y, last=seq) for (k, y), seq in self.seq.items()],
            update_conflicts=True, unique_fields=["scope", "unit_id", "year"], update_fields=["last"], batch_size=1000,
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE mediation_mediation; ANALYZE mediation_assignment")


def generated_mediation_count() -> int:
    return Mediation.objects.filter(case__region_path__startswith=gen.BENCH_PATH_PREFIX,
                                    case__registered_by__isnull=True).count()


def generated_case_count() -> int:
    return Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX, registered_by__isnull=True).count()


def insert_cases(ds: gen.Dataset, n: int, *, seed: int = gen.SEED, say: Callable[[str], None] = lambda _m: None) -> CaseResult:
    """Write the `n` cases of `ds` (the registry must be in the database). Call inside a transaction."""
    from fangtiao.org.models import Region

    t0 = time.monotonic()
    regions = {code: (pk, path) for pk, code, path in
               Region.objects.filter(path__startswith=gen.BENCH_PATH_PREFIX).values_list("pk", "code", "path")}
    units, shorts = _units(ds)
    cases, parties, events = _Table(Case), _Table(Party), _Table(CaseEvent)
    rounds = _Rounds(ds, units, shorts)
    case_id, party_id, event_id = cases.next_id(), parties.next_id(), events.next_id()
    enc = {f: Party._meta.get_field(f) for f in ("id_number", "phone", "address")}
    last: dict[tuple[str, int], int] = {}
    created = n_parties = n_events = 0
    batch: tuple[list[list[Any]], list[list[Any]], list[list[Any]]] = ([], [], [])

    def flush() -> None:
        cases.write(batch[0])
        parties.write(batch[1])
        events.write(batch[2])
        for b in batch:
            b.clear()
        rounds.flush()

    for d in iter_drafts(ds, n, seed=seed):
        region_pk, path = regions[d.region]
        number_unit = units[d.number_unit]
        holder = units[d.holder]
        last[(d.number_unit, d.year)] = d.seq
        batch[0].append(cases.row(
            id=case_id, number=chinese_year_number(shorts[d.number_unit], d.year, d.seq, word="访调"),
            number_unit_id=number_unit, number_year=d.year, number_seq=d.seq, kind=d.kind, nature=d.nature,
            channel=d.channel, source="application" if d.kind == "dispute" else "", status=d.status, title=d.title,
            description=d.description, demands=d.demands, oral=d.oral, category_id=d.category, region_id=region_pk,
            region_path=path, occurred_on=d.occurred_on, amount=Decimal(d.amount) if d.amount else None,
            headcount=d.headcount, is_collective=d.is_collective, is_repeat=d.is_repeat, is_skip_level=d.is_skip_level,
            is_backlog=d.is_backlog, is_overdue=d.is_overdue, is_major=d.is_major,
            identity_incomplete=d.kind == "petition" and not d.parties and d.channel in ("phone", "hotline_12345"),
            registered_unit_id=number_unit, received_at=d.received_at, holder_unit_id=holder,
            lead_unit_id=units[d.lead] if d.lead else None, route="handling" if d.lead else ("mediation" if d.status in MEDIATION else ""),
            accepted_on=d.accepted_on, replied_on=d.replied_on, closed_on=d.closed_on, reply_outcome=d.reply_outcome,
            reply_opinion="经调查核实，已依法作出处理。" if d.reply_outcome else "", mediation_consent=d.status in MEDIATION,
            query_code_hash=f"{case_id:064x}", created_at=d.received_at, updated_at=d.last_at,
            version=1 if d.status == "registered" else 3,
        ))
        for sort, p in enumerate(d.parties):
            phone = p.phone
            batch[1].append(parties.row(
                id=party_id, case_id=case_id, role=p.role, type=p.type, name=p.name,
                id_number=enc["id_number"].get_prep_value(p.id_number),
                id_index=blind_index(p.id_number, purpose="id") if p.id_number else "",
                phone=enc["phone"].get_prep_value(phone), phone_index=blind_index(phone, purpose="phone") if phone else "",
                name_phone_index=blind_index(f"{p.name}|{phone}", purpose="name_phone") if phone else "",
                address=enc["address"].get_prep_value(p.address), is_representative=p.is_representative, sort=sort,
            ))
            party_id += 1
            n_parties += 1
        batch[2].append(events.row(id=event_id, case_id=case_id, at=d.received_at, action="register",
                                   actor_name="批量导入", unit_id=number_unit, note="登记"))
        event_id += 1
        n_events += 1
        if d.status != "registered":
            batch[2].append(events.row(id=event_id, case_id=case_id, at=d.last_at, action=LAST_ACTION[d.status],
                                       actor_name="批量导入", unit_id=holder, note=""))
            event_id += 1
            n_events += 1
        rounds.add(case_id, d)
        case_id += 1
        created += 1
        if len(batch[0]) >= CHUNK:
            flush()
            if created % (CHUNK * 10) == 0:
                say(f"  事项 {created}/{n}（{time.monotonic() - t0:.1f} 秒）")
    flush()
    for t in (cases, parties, events):
        t.reset_sequence()
    rounds.finish()
    # Intake continues after the generated numbers (gap-free per unit and year).
    NumberSequence.objects.bulk_create(
        [NumberSequence(scope="case", unit_id=units[k], year=y, last=seq) for (k, y), seq in last.items()],
        update_conflicts=True, unique_fields=["scope", "unit_id", "year"], update_fields=["last"], batch_size=1000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case; ANALYZE cases_party; ANALYZE cases_caseevent")
    return CaseResult(created=created, parties=n_parties, events=n_events, seconds=time.monotonic() - t0,
                      mediations=rounds.created)


def _units(ds: gen.Dataset) -> tuple[dict[str, int], dict[str, str]]:
    """Unit key → primary key and short name, for the registry of `ds` in the database."""
    from fangtiao.org.models import Unit

    pks = {(code, name): pk for pk, code, name in
           Unit.objects.filter(region__path__startswith=gen.BENCH_PATH_PREFIX).values_list("pk", "region__code", "name")}
    try:
        units = {u.key: pks[(u.region_code, u.name)] for u in ds.units}
    except KeyError as exc:
        raise CaseGenerationError("基准单位与数据库不一致，请换用一个新的数据库") from exc
    return units, {u.key: u.short_name for u in ds.units}


def backfill_rounds(ds: gen.Dataset, n: int, *, seed: int = gen.SEED, say: Callable[[str], None] = lambda _m: None) -> int:
    """The rounds and mediators of cases generated before rounds were (a bench database made by an
    earlier version): the i-th draft is the i-th generated case. Call inside a transaction."""
    units, shorts = _units(ds)
    ids = list(Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX, registered_by__isnull=True)
               .order_by("pk").values_list("pk", flat=True))
    if len(ids) != n:
        raise CaseGenerationError(f"基准事项数量不符（{len(ids)} ≠ {n}），请换用一个新的数据库")
    rounds = _Rounds(ds, units, shorts)
    for case_id, d in zip(ids, iter_drafts(ds, n, seed=seed), strict=True):
        rounds.add(case_id, d)
        if len(rounds.rows[0]) >= CHUNK:
            rounds.flush()
    rounds.finish()
    say(f"  已补充调解轮次和调解员指派 {rounds.created} 条")
    return rounds.created


def generate_cases(n: int, *, seed: int = gen.SEED, ds: gen.Dataset | None = None,
                   log: Callable[[str], None] | None = None) -> CaseResult | None:
    """Insert the `n` benchmark cases unless they are there (None then). Needs the registry of `n`."""
    say = log or (lambda _msg: None)
    have = generated_case_count()
    if have == n:
        return None
    if have:
        raise CaseGenerationError(f"数据库中已有 {have} 件基准事项（需要 {n} 件），请换用一个新的数据库（DATABASE_URL）再运行。")
    ds = ds or gen.build(n, seed=seed)
    say(f"正在生成 {n} 件基准事项（约 {int(n * PARTY_SHARE)} 件带当事人，加密存储）……")
    with transaction.atomic():
        result = insert_cases(ds, n, seed=seed, say=say)
    rate = result.created / result.seconds if result.seconds else 0
    say(f"基准事项生成完成：事项 {result.created} 件、当事人 {result.parties} 名、时间线 {result.events} 条，"
        f"用时 {result.seconds:.1f} 秒（{rate:,.0f} 件/秒）")
    return result
