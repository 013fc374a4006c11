"""Random but reproducible source rows for the statistics tests: cases over two years in every
region of the test world, with acceptance/handling/evaluation clocks in every state (several per
case, some cancelled), mediation rounds (agreed/failed/refused/superseded) at village, township and
district committees, confirmations with performed and unperformed obligations, backlog records
opened and resolved, consultations — written straight to the tables (the rules under test are the
counting rules, not the lifecycle), so thousands of rows take a second."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from fangtiao.cases.models import Case, Party
from fangtiao.clocks.models import Clock, ClockRule
from fangtiao.legalservice.models import Consultation
from fangtiao.mediation.models import Agreement, BacklogRecord, Confirmation, Mediation, Obligation
from fangtiao.org.models import DisputeCategory

START = dt.date(2025, 1, 1)
DAYS = 730
CHANNELS = ["visit", "letter", "phone", "online", "screening", "hotline_12345"]
CLOCK_STATES = ["running", "paused", "met", "late", "overdue", "cancelled", "exempt"]


def generate(xw: Any, *, n: int = 600, seed: int = 7) -> list[int]:
    rnd = random.Random(seed)
    tz = timezone.get_current_timezone()
    regions = [xw.district, xw.t01, xw.t02, xw.v01, xw.v02]
    units = [xw.unit(k) for k in ("centre", "t01_subcentre", "t02_subcentre", "v01_committee", "v02_committee")]
    committees = [xw.unit(k) for k in ("v01_committee", "v02_committee", "t01_committee", "district_committee")]
    court = xw.unit("court")
    actor = xw.w.users["clerk_t01"]
    categories = list(DisputeCategory.objects.values_list("code", flat=True)[:6]) + [None]
    rules = {r.code: r for r in ClockRule.objects.filter(
        code__in=["petition.disposition", "petition.acceptance_notice", "petition.handling", "satisfaction.window"],
        region__isnull=True)}
    base = Case.objects.filter(number_year=1999).order_by("-number_seq").values_list("number_seq", flat=True).first() or 0
    cases: list[Case] = []
    for i in range(n):
        region = rnd.choice(regions)
        unit = rnd.choice(units)
        day = START + dt.timedelta(days=rnd.randrange(DAYS))
        # Around midnight on purpose: the day is the local (Asia/Shanghai) day.
        at = dt.datetime.combine(day, dt.time(rnd.choice([0, 0, 7, 12, 23]), rnd.randrange(60)), tzinfo=tz)
        kind = rnd.choice(["petition", "petition", "dispute"])
        cases.append(Case(
            number=f"GEN-{base + i + 1}", number_unit=unit, number_year=1999, number_seq=base + i + 1,
            kind=kind, channel=rnd.choice(CHANNELS), title=f"生成事项{i}", region=region, region_path=region.path,
            category_id=rnd.choice(categories), registered_unit=unit, holder_unit=unit, received_at=at,
            is_repeat=rnd.random() < 0.2, is_skip_level=rnd.random() < 0.1, is_collective=rnd.random() < 0.1,
            satisfaction=rnd.choice(["", "", "satisfied", "basically", "unsatisfied"]) if kind == "petition" else "",
        ))
    Case.objects.bulk_create(cases)
    parties = Party.objects.bulk_create([Party(case=c, role="respondent", name="某某") for c in cases])
    party_of = {p.case_id: p for p in parties}
    clocks: list[Clock] = []
    for c in cases:
        if c.kind != "petition":
            continue
        day = timezone.localtime(c.received_at).date()
        for code in ("petition.disposition", "petition.acceptance_notice", "petition.handling", "satisfaction.window"):
            for _ in range(rnd.choice([0, 1, 1, 1, 2])):  # none, one, or a restarted clock
                clocks.append(Clock(case=c, rule=rules[code], code=code, started_on=day,
                                    due_on=day + dt.timedelta(days=15), state=rnd.choice(CLOCK_STATES)))
    Clock.objects.bulk_create(clocks)
    seq = 0
    for c in cases:
        day = timezone.localtime(c.received_at).date()
        if rnd.random() < 0.45:
            for rnd_round in range(rnd.choice([1, 1, 2])):
                seq += 1
                status = rnd.choice(["agreed", "agreed", "failed", "refused", "withdrawn", "superseded", "open"])
                ended = day + dt.timedelta(days=rnd.randrange(0, 90)) if status != "open" else None
                m = Mediation.objects.create(case=c, round=rnd_round + 1, unit=rnd.choice(committees), number=f"GM-{c.pk}-{seq}",
                                             status=status, started_on=day, ended_on=ended)
                if status == "agreed" and rnd.random() < 0.6:
                    a = Agreement.objects.create(mediation=m, case=c, number=f"GA-{c.pk}-{seq}", form="written",
                                                 status="effective", reached_on=ended, copies=3, created_by=actor)
                    for k in range(rnd.choice([0, 1, 2])):
                        Obligation.objects.create(agreement=a, case=c, seq=k + 1, party=party_of[c.pk], content="付款",
                                                  status=rnd.choice(["done", "done", "pending", "partial", "overdue"]))
                    if rnd.random() < 0.7:
                        result = rnd.choice(["confirmed", "confirmed", "rejected", "pending"])
                        Confirmation.objects.create(
                            agreement=a, case=c, court=court, court_basis="committee", applied_on=ended,
                            result=result, decided_on=ended + dt.timedelta(days=rnd.randrange(1, 40)) if result != "pending" else None,
                            created_by=actor)
        if rnd.random() < 0.12:
            marked = day + dt.timedelta(days=rnd.randrange(0, 200))
            resolved = marked + dt.timedelta(days=rnd.randrange(0, 300)) if rnd.random() < 0.6 else None
            BacklogRecord.objects.create(case=c, reason="生成", marked_on=marked, resolved_on=resolved,
                                         resolved_unit=rnd.choice(committees) if resolved else None)
    consultations = []
    for i in range(n // 4):
        region = rnd.choice(regions)
        day = START + dt.timedelta(days=rnd.randrange(DAYS))
        consultations.append(Consultation(
            number=f"GC-{i}", channel=rnd.choice(["visit", "phone", "online"]), unit=rnd.choice(units), region=region,
            region_path=region.path, asker_name="某某", topic="咨询", question="问题",
            received_at=dt.datetime.combine(day, dt.time(rnd.randrange(24)), tzinfo=tz)))
    Consultation.objects.bulk_create(consultations)
    return [c.pk for c in cases]
