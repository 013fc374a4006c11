"""Routing suggestion: for a new matter, the dispute type and the handling unit this district would
choose, learned from its own past decisions.

- Category: the text classifier of screening.text.routing, trained on the cases' final categories
  (the clerk's choice is the label); before a model exists, the keyword rules (cold start).
- Handling unit: the unit this district most often routed matters of that type from that township
  to (RoutingDecision rows of the route stage), else from anywhere in the district.
- Every registration and every move to another unit records the suggestion beside the choice
  (RoutingDecision), which is both the training signal and the measure of how often it was right.
- `retrain()` runs in the background (the worker, at most every FANGTIAO_RETRAIN_DAYS days once
  FANGTIAO_RETRAIN_MIN_NEW new decisions exist) and by `fangtiao retrain-routing`; it also refits the
  IDF table of similarity on the district's own texts.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.cases.models import Case
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.org.models import DisputeCategory, Unit
from fangtiao.org.permissions import has_capability
from fangtiao.screening.models import RoutingDecision, TextModel
from fangtiao.screening.text import similarity as text_similarity

MAX_TRAIN = 60_000  # the most recent categorised matters a model learns from
MIN_TRAIN = 50  # fewer than this, or fewer than two categories: keyword rules only
MIN_PER_LABEL = 5

_lock = threading.Lock()
_cache: dict[str, Any] = {"id": None, "model": None}


def current_model() -> tuple[int | None, Any]:
    from fangtiao.screening.text import routing as text_routing

    row = (TextModel.objects.filter(kind="routing", active=True).order_by("-created_at", "-id")
           .values_list("id", flat=True).first())
    if row is None:
        return None, None
    with _lock:
        if _cache["id"] != row:
            data = TextModel.objects.filter(pk=row).values_list("artifact", flat=True).first()
            _cache["model"] = text_routing.RoutingModel.loads(bytes(data))
            _cache["id"] = row
        return row, _cache["model"]


def township_path(path: str) -> str:
    """The township's path on a region path (its 9-digit 统计用区划代码), or the path itself above it."""
    parts = [p for p in path.split("/") if p]
    for i, code in enumerate(parts):
        if len(code) == 9:
            return "/".join(parts[: i + 1]) + "/"
    return path


def suggest_unit(*, category: str, region_path: str = "") -> tuple[Unit | None, float]:
    """The unit most often chosen for this type of matter from this township (else the district)."""
    since = timezone.now() - dt.timedelta(days=730)
    base = RoutingDecision.objects.filter(stage="route", chosen_category=category, chosen_unit__isnull=False,
                                          decided_at__gte=since)
    for qs in ((base.filter(case__region_path__startswith=township_path(region_path)) if region_path else None), base):
        if qs is None:
            continue
        rows = list(qs.values("chosen_unit").annotate(n=Count("id")).order_by("-n", "chosen_unit")[:3])
        if rows:
            total = sum(r["n"] for r in rows)
            unit = Unit.objects.filter(pk=rows[0]["chosen_unit"], active=True).first()
            if unit is not None:
                return unit, round(rows[0]["n"] / total, 3)
    return None, 0.0


def suggest(*, title: str, description: str = "", demands: str = "", region_path: str = "") -> dict[str, Any]:
    """The suggestion the clerk sees: category with confidence and alternatives, and a unit."""
    from fangtiao.screening.similar import ensure_place_names
    from fangtiao.screening.text import routing as text_routing

    ensure_place_names()
    text = text_routing.join_fields(title, description, demands)  # "title\nbody": the title weighs more
    model_id, model = current_model()
    if model is not None:
        s = model.predict([text])[0]
        source = "model"
    else:
        s = text_routing.KeywordRules().predict([text])[0]
        source = "rules"
    out: dict[str, Any] = {"category": s.label or None, "confidence": round(float(s.confidence), 3), "source": source,
                           "model": model_id, "top": [{"category": lab, "p": round(float(p), 3)} for lab, p in s.top[:3]]}
    names = dict(DisputeCategory.objects.filter(code__in=[t["category"] for t in out["top"]] + [s.label or ""])
                 .values_list("code", "name"))
    out["category_name"] = names.get(s.label or "", "")
    for t in out["top"]:
        t["name"] = names.get(t["category"], t["category"])
    unit, unit_conf = suggest_unit(category=s.label, region_path=region_path) if s.label else (None, 0.0)
    out.update({"unit": unit.pk if unit else None, "unit_name": unit.name if unit else "", "unit_confidence": unit_conf})
    return out


def record_decision(*, case: Case, actor: Any, stage: str) -> RoutingDecision:
    """Keep the suggestion beside what was chosen (the learning signal)."""
    s = suggest(title=case.title, description=case.description, demands=case.demands, region_path=case.region_path)
    chosen_category = case.category.code if case.category_id else ""
    return RoutingDecision.objects.create(
        case=case, stage=stage, model_id=s["model"], suggested_category=s["category"] or "",
        suggested_unit_id=s["unit"] if stage == "route" else None, confidence=s["confidence"], source=s["source"],
        chosen_category=chosen_category, chosen_unit=case.holder_unit if stage == "route" else None,
        decided_by=actor if getattr(actor, "pk", None) else None)


def training_rows(limit: int = MAX_TRAIN) -> tuple[list[str], list[str]]:
    from fangtiao.screening.text.routing import join_fields

    rows = (Case.objects.filter(category__isnull=False).order_by("-id")
            .values_list("title", "description", "demands", "category__code")[:limit])
    texts, labels = [], []
    for title, description, demands, code in rows.iterator(chunk_size=2000):
        texts.append(join_fields(title, description, demands))
        labels.append(code)
    return texts, labels


def retrain(*, actor: Any = None, limit: int = MAX_TRAIN) -> TextModel | None:
    """Train the routing model and refit the similarity IDF on the district's own matters."""
    if actor is not None and not has_capability(actor, "routing.train"):
        raise PermissionDenied("您没有训练分流建议模型的权限")
    from fangtiao.screening.similar import ensure_place_names

    ensure_place_names()
    texts, labels = training_rows(limit)
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    keep = {lab for lab, n in counts.items() if n >= MIN_PER_LABEL}
    pairs = [(t, lab) for t, lab in zip(texts, labels, strict=True) if lab in keep]
    if len(pairs) < MIN_TRAIN or len(keep) < 2:
        if actor is not None:
            raise ValidationFailed.on("cases", f"已分类事项不足（{len(pairs)} 件，{len(keep)} 类），暂用关键词规则")
        return None
    from fangtiao.screening.text import routing as text_routing

    started = time.perf_counter()
    try:
        model = text_routing.train([t for t, _ in pairs], [lab for _, lab in pairs])
    except ValueError as exc:  # e.g. texts so alike that no term survives the frequency cut
        if actor is not None:
            raise ValidationFailed.on("cases", "已分类事项的文字过于雷同，无法训练分流模型，暂用关键词规则") from exc
        return None
    seconds = time.perf_counter() - started
    row = TextModel.objects.create(kind="routing", n_train=len(pairs), labels=sorted(keep), train_seconds=round(seconds, 2),
                                   artifact=model.dumps(), metrics={"per_label_train": {k: counts[k] for k in sorted(keep)}})
    TextModel.objects.filter(kind="routing", active=True).exclude(pk=row.pk).update(active=False)
    idf = text_similarity.Idf.fit(texts[:100_000])
    idf_row = TextModel.objects.create(kind="idf", n_train=min(len(texts), 100_000), artifact=idf.dumps())
    TextModel.objects.filter(kind="idf", active=True).exclude(pk=idf_row.pk).update(active=False)
    audit.record(actor=actor, action="routing.retrained", subject=row,
                 extra={"n_train": len(pairs), "labels": len(keep), "seconds": round(seconds, 2)}, region_path="")
    return row


def retrain_if_due(*, now: dt.datetime | None = None) -> TextModel | None:
    now = now or timezone.now()
    last = TextModel.objects.filter(kind="routing").order_by("-created_at").first()
    if last is not None:
        if now - last.created_at < dt.timedelta(days=settings.FANGTIAO_RETRAIN_DAYS):
            return None
        if RoutingDecision.objects.filter(decided_at__gt=last.created_at).count() < settings.FANGTIAO_RETRAIN_MIN_NEW:
            return None
    return retrain()


def accuracy(*, since: dt.datetime | None = None) -> dict[str, Any]:
    """How often the suggestion was what the clerk chose (registration stage)."""
    qs = RoutingDecision.objects.filter(stage="register").exclude(chosen_category="")
    if since is not None:
        qs = qs.filter(decided_at__gte=since)
    total = qs.count()
    from django.db.models import F

    right = qs.filter(suggested_category=F("chosen_category")).count()
    return {"decisions": total, "agreed": right, "rate": round(right / total, 4) if total else None}
