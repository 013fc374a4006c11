"""The demo district's assessment: monthly scores for every month of the demo year (the twelve
months ending yesterday, `cases.demo.demo_year`). Township sub-centres are scored for each month;
village committees and mediators — hundreds of them, each counted directly — for the last full
month only, to keep loading fast (their other months are one `assessment-compute` away). Expects
the statistics rollups to have been rebuilt. Skipped if scores exist."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from fangtiao.assessment.models import Score
from fangtiao.assessment.periods import parse_period


def already_loaded() -> bool:
    return Score.objects.exists()


def _months() -> list[str]:
    from fangtiao.cases.demo import demo_year

    first, last = demo_year(timezone.localdate())
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build(*, log: Callable[[str], None]) -> None:
    from fangtiao.assessment.services import scores_compute

    if already_loaded():
        log("考核得分已存在，跳过")
        return
    months = _months()
    for key in months:
        n = scores_compute(actor=None, period=parse_period(key), level="township")
        log(f"考核得分 {key} 乡镇分中心 {n} 条")
    today = timezone.localdate()
    full = [k for k in months if parse_period(k).end < today]
    if full:
        for level in ("village", "mediator"):
            n = scores_compute(actor=None, period=parse_period(full[-1]), level=level)
            log(f"考核得分 {full[-1]} {'村调委会' if level == 'village' else '调解员'} {n} 条")
