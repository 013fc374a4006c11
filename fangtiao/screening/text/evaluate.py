"""The three evaluations of `fangtiao text-eval`, as pure functions over rows (tests call them).

They use the live code paths: `routing.train`/`predict`, the MinHash band candidates + `similarity`
+ `RepeatScorer` of the repeat detector, and `hotspots.cluster`.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fangtiao.screening.text import minhash, routing
from fangtiao.screening.text.hotspots import Doc, cluster
from fangtiao.screening.text.repeat import RepeatScorer
from fangtiao.screening.text.similarity import Idf, profile, similarity

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def stderr_progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- routing
def _prf(truth: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(truth) | set(pred))
    per: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(1 for t, p in zip(truth, pred, strict=True) if t == lab and p == lab)
        fp = sum(1 for t, p in zip(truth, pred, strict=True) if t != lab and p == lab)
        fn = sum(1 for t, p in zip(truth, pred, strict=True) if t == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "support": tp + fn}
    present = [lab for lab in labels if per[lab]["support"] > 0]
    acc = sum(1 for t, p in zip(truth, pred, strict=True) if t == p) / len(truth) if truth else 0.0
    macro = float(np.mean([per[lab]["f1"] for lab in present])) if present else 0.0
    return {"accuracy": round(acc, 4), "macro_f1": round(macro, 4), "per_label": per}


def stratified_folds(labels: Sequence[str], folds: int, seed: int = 0) -> list[np.ndarray]:
    """Fold index per row: each label's rows shuffled and dealt round-robin (sklearn-free, stable)."""
    rng = np.random.default_rng(seed)
    fold_of = np.zeros(len(labels), dtype=int)
    by: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by[lab].append(i)
    offset = 0
    for lab in sorted(by):
        idx = np.array(by[lab])
        rng.shuffle(idx)
        fold_of[idx] = (np.arange(len(idx)) + offset) % folds
        offset += len(idx)
    return [np.flatnonzero(fold_of == k) for k in range(folds)]


def routing_eval(texts: list[str], labels: list[str], *, folds: int = 5, test_texts: list[str] | None = None,
                 test_labels: list[str] | None = None, seed: int = 0, progress: Progress = _quiet) -> dict[str, Any]:
    """With a test set: train on all of train, score on test. Else stratified k-fold CV: predictions of
    every fold pooled into one confusion (every row scored once); n_train/n_test and train_seconds
    are per-fold averages."""
    if test_texts is not None and test_labels is not None:
        progress(f"训练 {len(texts)} 条…")
        model = routing.train(texts, labels, seed=seed)
        progress(f"训练用时 {model.train_seconds:.1f} 秒，预测 {len(test_texts)} 条…")
        pred = [s.label for s in model.predict(test_texts)]
        out = _prf(test_labels, pred)
        out.update(n_train=len(texts), n_test=len(test_texts), train_seconds=round(model.train_seconds, 2))
        return out
    parts = stratified_folds(labels, folds, seed)
    truth: list[str] = []
    pred: list[str] = []
    seconds: list[float] = []
    n_train: list[int] = []
    for k, test_idx in enumerate(parts):
        train_idx = np.setdiff1d(np.arange(len(texts)), test_idx)
        progress(f"第 {k + 1}/{folds} 折：训练 {len(train_idx)} 条，测试 {len(test_idx)} 条")
        model = routing.train([texts[i] for i in train_idx], [labels[i] for i in train_idx], seed=seed)
        seconds.append(model.train_seconds)
        n_train.append(len(train_idx))
        truth += [labels[i] for i in test_idx]
        pred += [s.label for s in model.predict([texts[i] for i in test_idx])]
    out = _prf(truth, pred)
    out.update(n_train=int(round(np.mean(n_train))), n_test=int(round(len(texts) / folds)),
               train_seconds=round(float(np.mean(seconds)), 2), folds=folds)
    return out


# ---------------------------------------------------------------- duplicates
@dataclass(frozen=True)
class DupRow:
    text: str
    group: str
    person: str | None = None
    order: Any = 0  # sort key: time, else file position


def duplicates_eval(rows: Sequence[DupRow], *, scorer: RepeatScorer | None = None,
                    progress: Progress = _quiet) -> dict[str, Any]:
    """Per-row evaluation in time order. A row is truly a repeat when an earlier row has its group
    (and, when persons are given, the same person: 同人+同事). The detector looks up earlier rows
    sharing a MinHash band key (as live), scores them with `similarity` + `RepeatScorer` (same_place
    unknown), and predicts "repeat" when any candidate is the same matter (and, with persons, the
    same person). A predicted repeat counts as a true positive only when the best-scoring matched
    earlier row really is in the row's group — a link to the wrong matter is a false positive."""
    scorer = scorer or RepeatScorer()
    with_person = any(r.person for r in rows)
    ordered = sorted(range(len(rows)), key=lambda i: (rows[i].order, i))
    progress(f"计算 {len(rows)} 条的特征…")
    profiles = [profile(r.text) for r in rows]
    idf = Idf.fit_profiles(profiles)
    index: dict[int, list[int]] = defaultdict(list)
    seen_group: set[tuple[str, str | None]] = set()
    tp = fp = fn = 0
    candidates = 0
    for n, i in enumerate(ordered):
        r = rows[i]
        key = (r.group, r.person if with_person else None)
        truly = key in seen_group
        keys = minhash.band_keys(minhash.signature(r.text))
        cands = {j for k in keys for j in index.get(k, ())}
        candidates += len(cands)
        best: tuple[float, int] | None = None
        for j in cands:
            same_person = bool(with_person and r.person and rows[j].person == r.person)
            if with_person and not same_person:
                continue
            v = scorer.score(same_person=same_person, same_place=None, text=similarity(profiles[i], profiles[j], idf))
            if v.same_matter and (best is None or v.score > best[0]):
                best = (v.score, j)
        if best is not None:
            if truly and rows[best[1]].group == r.group:
                tp += 1
            else:
                fp += 1
        elif truly:
            fn += 1
        for k in keys:
            index[k].append(i)
        seen_group.add(key)
        if (n + 1) % 500 == 0:
            progress(f"已比对 {n + 1}/{len(rows)} 条")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    threshold = scorer.person_threshold if with_person else scorer.text_threshold
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "threshold": threshold,
            "per": "row", "same_person_required": with_person, "repeats": tp + fn, "predicted": tp + fp,
            "rows": len(rows), "candidates_per_row": round(candidates / len(rows), 2) if rows else 0.0}


# ---------------------------------------------------------------- hot spots
def hotspots_eval(docs: Sequence[Doc], *, window_days: int = 30, min_size: int = 3,
                  progress: Progress = _quiet) -> dict[str, Any]:
    """The window ends at the latest time in the data and spans `window_days`; the window of the same
    length before it gives the trend."""
    if not docs:
        return {"clusters": []}
    end = max(d.time for d in docs)
    start = end - dt.timedelta(days=window_days)
    prev_start = start - dt.timedelta(days=window_days)

    def before(d: Doc) -> bool:
        return prev_start <= d.time < start

    progress(f"窗口 {start} — {end}，聚类中…")
    started = time.perf_counter()
    clusters = cluster(docs, window_start=start, window_end=end, previous=[d for d in docs if before(d)],
                       min_size=min_size)
    progress(f"找到 {len(clusters)} 个热点，用时 {time.perf_counter() - started:.1f} 秒")
    return {"window_start": str(start), "window_end": str(end),
            "clusters": [{"label": c.label, "size": c.size, "previous_size": c.previous_size, "trend": c.trend,
                          "members": [_plain(m) for m in c.members]} for c in clusters]}


def _plain(x: Hashable) -> Any:
    return x if isinstance(x, int | str) else str(x)
