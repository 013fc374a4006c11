"""Similar earlier matters: identity (同人), place and text (同事) combined into one explainable score.

Candidates come from two indexed lookups — the petitioners' blind indexes (ID number, else name +
phone) on Party, and the MinHash band keys of the text on TextKey — so the cost does not grow with
the number of cases; only the few hundred candidates are scored with the text similarity of
screening.text. The scorer (screening.text.repeat) is the one `fangtiao text-eval duplicates`
measures.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from fangtiao.cases.models import Case, Party
from fangtiao.screening.models import TextKey, TextModel, TextProfile
from fangtiao.screening.text import minhash
from fangtiao.screening.text import repeat as text_repeat
from fangtiao.screening.text import similarity as text_similarity

CANDIDATES = 50  # text candidates scored per lookup (the most shared band keys first; true repeats share many)


def case_text(title: str, description: str = "", demands: str = "") -> str:
    return "。".join(p.strip() for p in (title, description, demands) if p and p.strip())


@dataclass
class Hit:
    case: Case
    score: float
    same_matter: bool
    same_person: bool
    same_place: bool
    text_score: float
    reasons: list[str] = field(default_factory=list)
    shared_terms: list[str] = field(default_factory=list)


# --- the IDF table (refreshed by retraining; cached per process by its row id) -------------------

_idf_lock = threading.Lock()
_idf_cache: dict[str, Any] = {"id": None, "idf": None}


def current_idf() -> text_similarity.Idf:
    row = (TextModel.objects.filter(kind="idf", active=True).order_by("-created_at", "-id")
           .values_list("id", flat=True).first())
    if row is None:
        return text_similarity.DEFAULT_IDF
    with _idf_lock:
        if _idf_cache["id"] != row:
            data = TextModel.objects.filter(pk=row).values_list("artifact", flat=True).first()
            _idf_cache["idf"] = text_similarity.Idf.loads(bytes(data))
            _idf_cache["id"] = row
        return _idf_cache["idf"]


# --- the district's place names in the segmenter (once per process) ------------------------------

_places: dict[str, bool] = {"loaded": False}


def ensure_place_names() -> None:
    """Village, township and district names are words of their own (东城街道, 宁溪镇, …), so that a
    matter's place is one distinctive term of its text."""
    if _places["loaded"]:
        return
    from fangtiao.org.models import Region
    from fangtiao.screening.text import segment

    with _idf_lock:
        if not _places["loaded"]:
            names = list(Region.objects.values_list("name", flat=True))
            if names:  # an empty registry (a fresh database) is asked again next time
                segment.add_place_names(names)
                _places["loaded"] = True


# --- indexing ----------------------------------------------------------------------------------

def index_cases(case_ids: Iterable[int], *, batch: int = 1000) -> int:
    """(Re)compute the band keys of these cases. Called at registration and by the backfill."""
    ids = list(case_ids)
    n = 0
    for i in range(0, len(ids), batch):
        chunk = ids[i:i + batch]
        from fangtiao.screening.text import segment

        ensure_place_names()
        rows = Case.objects.filter(pk__in=chunk).values_list("pk", "title", "description", "demands")
        keys, profiles = [], []
        for pk, title, description, demands in rows:
            text = case_text(title, description, demands)
            sig = minhash.signature(text)
            keys.extend(TextKey(case_id=pk, key=k) for k in dict.fromkeys(minhash.band_keys(sig)))
            profiles.append(TextProfile(case_id=pk, words=" ".join(segment.tokens(text))))
            n += 1
        with transaction.atomic():
            # The registration's task and the worker's backfill may index the same case at once: the
            # case rows' locks (taken in id order) make the second wait and rewrite, not collide.
            list(Case.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
            TextKey.objects.filter(case_id__in=chunk).delete()
            TextKey.objects.bulk_create(keys, batch_size=2000)
            TextProfile.objects.filter(case_id__in=chunk).delete()
            TextProfile.objects.bulk_create(profiles, batch_size=2000)
    return n


MARK_KEY = "fangtiao:screening:textindex:checked-up-to"


def index_missing(*, limit: int = 2000) -> int:
    """Backfill: cases without band keys or stored words (imported, registered before the index existed,
    or whose registration hook failed). Walks the case ids upwards from a mark kept in the cache, `limit` ids a
    call, so each call costs two indexed queries however many cases there are; a lost mark (or one past
    the newest case) starts the walk again from the beginning."""
    from django.core.cache import cache

    mark = cache.get(MARK_KEY) or 0
    ids = list(Case.objects.filter(pk__gt=mark).order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        newest = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if mark > newest:
            cache.delete(MARK_KEY)  # ids were reused (a restored or recreated database)
        return 0
    have = (set(TextKey.objects.filter(case_id__in=ids).values_list("case_id", flat=True).distinct())
            & set(TextProfile.objects.filter(case_id__in=ids).values_list("case_id", flat=True)))
    missing = [pk for pk in ids if pk not in have]
    n = index_cases(missing) if missing else 0
    cache.set(MARK_KEY, ids[-1], timeout=None)
    return n


# --- lookup ------------------------------------------------------------------------------------

def person_keys(parties: Iterable[Any]) -> tuple[set[str], set[str]]:
    """Blind indexes of the petitioners (同人 = a petitioner in common): from Party rows or intake input."""
    from fangtiao.cases.services import _party_keys

    id_keys, np_keys = set(), set()
    for p in parties:
        if getattr(p, "role", "") != "petitioner":
            continue
        if isinstance(p, Party):
            id_index, np_index = p.id_index, p.name_phone_index
        else:
            id_index, _, np_index = _party_keys(p)
        if id_index:
            id_keys.add(id_index)
        elif np_index:
            np_keys.add(np_index)
    return id_keys, np_keys


def _same_place(a_path: str, b_path: str) -> bool:
    """The same place, or one inside the other below the district (a township and one of its villages)."""
    if a_path == b_path:
        return True
    short, long = sorted((a_path, b_path), key=len)
    return long.startswith(short) and len(short.rstrip("/").rsplit("/", 1)[-1]) >= 9  # 9 digits: township


def similar_matters(*, text: str, id_keys: set[str], np_keys: set[str], region_path: str = "",
                    category_id: int | None = None, exclude_id: int | None = None, limit: int = 10,
                    min_score: float = 0.3, scope: Any = None) -> list[Hit]:
    """Earlier matters likely about the same thing, best first, each with its reasons.
    `scope` (a Case queryset) restricts what may be returned (the caller's jurisdiction)."""
    person_ids: set[int] = set()
    if id_keys or np_keys:
        person_ids = set(Party.objects.filter(Q(id_index__in=id_keys) | Q(name_phone_index__in=np_keys),
                                              role="petitioner").values_list("case_id", flat=True)[:500])
    keys = list(dict.fromkeys(minhash.band_keys(minhash.signature(text)))) if text.strip() else []
    text_ids: list[int] = []
    if keys:
        qs = TextKey.objects.filter(key__in=keys)
        if exclude_id:
            qs = qs.exclude(case_id=exclude_id)
        text_ids = [r["case_id"] for r in qs.values("case_id").annotate(n=Count("id")).order_by("-n", "-case_id")[:CANDIDATES]]
    ids = (person_ids | set(text_ids)) - {exclude_id}
    if not ids:
        return []
    base = scope if scope is not None else Case.objects.all()
    cands = list(base.filter(pk__in=ids).select_related("region", "holder_unit", "category"))
    if not cands:
        return []
    ensure_place_names()
    idf = current_idf()
    query = text_similarity.profile(text)
    stored = dict(TextProfile.objects.filter(case_id__in=[c.pk for c in cands]).values_list("case_id", "words"))
    scorer = text_repeat.RepeatScorer()
    hits = []
    for c in cands:
        words = stored.get(c.pk)
        other = text_similarity.profile(case_text(c.title, c.description, c.demands),
                                        words=words.split() if words is not None else None)
        match = text_similarity.similarity(query, other, idf)
        same_person = c.pk in person_ids
        same_place = bool(region_path) and _same_place(region_path, c.region_path)
        verdict = scorer.score(same_person=same_person, same_place=same_place if region_path else None, text=match)
        if verdict.score < min_score and not same_person:
            continue
        reasons = list(verdict.reasons)
        # 同事 also means the same place and the same kind of dispute: the clerk's place and category
        # override a text that reads alike (two villages' identical land complaints are two matters).
        same_matter = verdict.same_matter and (same_place or not region_path)
        if not text.strip():
            # No text to compare (a lookup by the petitioner alone): the same person at the same place
            # is taken as the same matter unless the dispute type says otherwise.
            same_matter = same_person and same_place
            score = 0.6 + (0.25 if same_place else 0) + (0.15 if category_id and c.category_id == category_id else 0)
            reasons = reasons[:-1]  # no "文字相似度 0.00": there was no text
            verdict = text_repeat.Verdict(score=min(score, 1.0), same_matter=same_matter, reasons=reasons,
                                          same_person=same_person)
        if category_id and c.category_id:
            if c.category_id == category_id:
                reasons.append("同一纠纷类型")
            else:
                same_matter = False
                reasons.append(f"纠纷类型不同（{c.category.name}）")
        hits.append(Hit(case=c, score=round(verdict.score, 3), same_matter=same_matter, same_person=same_person,
                        same_place=same_place, text_score=round(match.score, 3), reasons=reasons,
                        shared_terms=list(match.shared_terms)))
    hits.sort(key=lambda h: (-h.score, -h.case.received_at.timestamp()))
    return hits[:limit]


def similar_to_case(case: Case, *, scope: Any = None, limit: int = 10) -> list[Hit]:
    id_keys, np_keys = person_keys(case.parties.all())
    return similar_matters(text=case_text(case.title, case.description, case.demands), id_keys=id_keys,
                           np_keys=np_keys, region_path=case.region_path, category_id=case.category_id,
                           exclude_id=case.pk, limit=limit, scope=scope)
