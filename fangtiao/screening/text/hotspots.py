"""Hot spots (热点): groups of matters about one issue in a time window, with a trend against the
window before.

Method, near-linear in the number of matters:
1. words — jieba content words (domain dictionary, place names) of each matter, plus its region
   as a word when given; TF-IDF (sublinear tf) fitted on the window.
2. candidates — each matter keeps only its TOP_TERMS heaviest words; a chunked sparse product of
   these pruned vectors gives the pairs that share distinctive words (common words never reach
   a matter's top terms, so the product stays sparse).
3. verify — the full TF-IDF cosine of each candidate pair; pairs at or above THRESHOLD are
   neighbours. (The word cosine is the word component of `similarity`: hot spots are the same
   issue written by different people, where character runs differ but the words stay.)
4. leader clustering — the matter with the most neighbours becomes a leader and takes its
   unassigned neighbours, and so on. Every member is directly similar to its leader, so two
   unrelated matters can never be chained through a third. Leaders whose centroids are almost the
   same (MERGE_THRESHOLD) merge, so one big issue is not split in two.
5. label — the cluster's most distinctive words (share² of members using the word × IDF; words
   used by fewer than half of the members never label).
6. trend — the previous window's matters are assigned to the nearest cluster centroid (same
   threshold): "new" if none, "rising"/"falling" on a 1.5× change of at least 2 matters, else
   "steady".

`ClusterIndex.assign(docs)` assigns new matters to the clusters found (incremental use between
two full runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from fangtiao.screening.text import segment

THRESHOLD = 0.40  # word TF-IDF cosine for "same issue"
MERGE_THRESHOLD = 0.55  # centroid cosine above which two clusters are one issue
TOP_TERMS = 12
CHUNK = 2000
MAX_CHARS = 1500


@dataclass(frozen=True)
class Doc:
    id: Hashable
    text: str
    time: dt.datetime | dt.date
    region: str = ""
    words: tuple[str, ...] | None = None  # the text's segment.tokens when already known (stored at indexing)


@dataclass
class Cluster:
    label: str
    terms: list[str]
    size: int
    previous_size: int
    trend: str  # "rising" | "falling" | "steady" | "new"
    members: list[Hashable] = field(default_factory=list)


def _in(t: dt.datetime | dt.date, start: dt.datetime | dt.date, end: dt.datetime | dt.date) -> bool:
    def as_date(x: dt.datetime | dt.date) -> dt.date:
        return x.date() if isinstance(x, dt.datetime) else x

    if isinstance(t, dt.datetime) and isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        return start <= t <= end
    return as_date(start) <= as_date(t) <= as_date(end)


# Words of the act of complaining, not of the issue: every kind of matter says them, so matters that
# share only these ("我家…要求赔偿", "多次…纠纷") are not one hot spot (they stay in similarity,
# where the same petitioner's wording matters).
COMPLAINT_WORDS = frozenset({
    "我家", "我们", "本人", "赔偿", "损失", "多次", "纠纷", "矛盾", "要求", "请求", "反映", "投诉", "举报", "解决",
    "处理", "希望", "相关部门", "有关部门", "领导", "政府", "至今", "一直", "问题", "情况", "事情", "现在", "目前",
    "严重", "影响", "造成", "导致", "无果", "未果", "答复", "协商", "沟通", "责任", "费用", "维修", "帮助",
})


def _words(doc: Doc) -> list[str]:
    tokens = doc.words if doc.words is not None else segment.tokens((doc.text or "")[:MAX_CHARS])
    words = [w for w in tokens if w not in COMPLAINT_WORDS]
    if doc.region:
        words.append(f"@{doc.region}")
    return words


def _identity(x: list[str]) -> list[str]:
    return x


def _prune(x: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Keep each row's k largest entries, renormalised."""
    x = x.tocsr()
    rows, cols, vals = [], [], []
    for i in range(x.shape[0]):
        s, e = x.indptr[i], x.indptr[i + 1]
        if e - s == 0:
            continue
        d, c = x.data[s:e], x.indices[s:e]
        keep = np.argpartition(-d, k)[:k] if e - s > k else np.arange(e - s)
        rows.append(np.full(len(keep), i))
        cols.append(c[keep])
        vals.append(d[keep])
    if not rows:
        return sparse.csr_matrix(x.shape, dtype=np.float32)
    p = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=x.shape)
    return l2_normalize(p)


def _neighbours(x: sparse.csr_matrix, threshold: float) -> list[np.ndarray]:
    """Per row, the other rows with full cosine >= threshold (candidates from pruned vectors)."""
    n = x.shape[0]
    pruned = _prune(x, TOP_TERMS)
    pt = pruned.T.tocsr()
    out: list[list[np.ndarray]] = [[] for _ in range(n)]
    # A pair can only reach the threshold if its pruned vectors overlap somewhat.
    candidate_floor = threshold * 0.5
    for start in range(0, n, CHUNK):
        block = (pruned[start : start + CHUNK] @ pt).tocoo()
        keep = (block.data >= candidate_floor) & (block.row + start < block.col)
        i, j = block.row[keep] + start, block.col[keep]
        if not len(i):
            continue
        full = np.asarray(x[i].multiply(x[j]).sum(axis=1)).ravel()
        ok = full >= threshold
        for a, b in zip(i[ok], j[ok], strict=True):
            out[a].append(b)
            out[b].append(a)
    return [np.asarray(v, dtype=np.int64) for v in out]


def _trend(size: int, previous: int) -> str:
    if previous == 0:
        return "new"
    if size >= 1.5 * previous and size - previous >= 2:
        return "rising"
    if size * 1.5 <= previous and previous - size >= 2:
        return "falling"
    return "steady"


class ClusterIndex:
    """The clusters of one run with what is needed to place further matters into them."""

    def __init__(self, vectorizer: TfidfVectorizer | None, centroids: np.ndarray, clusters: list[Cluster],
                 threshold: float):
        self.vectorizer = vectorizer
        self.centroids = centroids
        self.clusters = clusters
        self.threshold = threshold

    def assign(self, docs: Sequence[Doc]) -> list[int | None]:
        """Index into `clusters` of the nearest centroid at or above the threshold, else None."""
        if not docs or self.vectorizer is None or not len(self.clusters):
            return [None] * len(docs)
        x = self.vectorizer.transform([_words(d) for d in docs])
        sims = np.asarray(x @ self.centroids.T)
        best = sims.argmax(axis=1)
        return [int(b) if sims[i, b] >= self.threshold else None for i, b in enumerate(best)]


def cluster_index(docs: Sequence[Doc], *, window_start: dt.datetime | dt.date, window_end: dt.datetime | dt.date,
                  previous: Sequence[Doc] | None = None, min_size: int = 3,
                  threshold: float = THRESHOLD) -> ClusterIndex:
    window = [d for d in docs if _in(d.time, window_start, window_end)]
    empty = ClusterIndex(None, np.zeros((0, 0)), [], threshold)
    if len(window) < max(min_size, 2):
        return empty
    # No max_df: in a small window the hot issue itself may be in most matters; IDF weighs common words down.
    vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=2, dtype=np.float32)
    try:
        x = vec.fit_transform([_words(d) for d in window])
    except ValueError:  # no word used twice
        return empty
    x = l2_normalize(x).tocsr()
    neigh = _neighbours(x, threshold)
    degree = np.array([len(v) for v in neigh])
    assigned = np.full(len(window), -1)
    groups: list[list[int]] = []
    for leader in np.argsort(-degree, kind="stable"):
        if assigned[leader] >= 0 or degree[leader] + 1 < min_size:
            continue
        members = [leader] + [m for m in neigh[leader] if assigned[m] < 0]
        if len(members) < min_size:
            continue
        assigned[members] = len(groups)
        groups.append(members)
    if not groups:
        return ClusterIndex(vec, np.zeros((0, x.shape[1])), [], threshold)
    # Merge leaders' stars that describe one issue (union-find over close centroids).
    cents = l2_normalize(np.vstack([np.asarray(x[g].mean(axis=0)) for g in groups]))
    parent = list(range(len(groups)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    close = np.argwhere(np.triu(cents @ cents.T, 1) >= MERGE_THRESHOLD)
    for a, b in close:
        parent[find(int(a))] = find(int(b))
    merged: dict[int, list[int]] = {}
    for gi, g in enumerate(groups):
        merged.setdefault(find(gi), []).extend(g)
    groups = sorted(merged.values(), key=lambda g: (-len(g), min(g)))
    cents = l2_normalize(np.vstack([np.asarray(x[g].mean(axis=0)) for g in groups]))
    # Previous window → nearest centroid.
    prev_counts = np.zeros(len(groups), dtype=int)
    if previous:
        before = [d for d in previous if not _in(d.time, window_start, window_end)]
        if before:
            px = l2_normalize(vec.transform([_words(d) for d in before]))
            sims = np.asarray(px @ cents.T)
            best = sims.argmax(axis=1)
            for i, b in enumerate(best):
                if sims[i, b] >= threshold:
                    prev_counts[b] += 1
    # Labels: share of members using the word × IDF.
    vocab = np.array(vec.get_feature_names_out(), dtype=object)
    idf = vec.idf_
    binary = (x > 0).astype(np.float32)
    clusters = []
    for gi, g in enumerate(groups):
        share = np.asarray(binary[g].mean(axis=0)).ravel()
        weight = np.asarray(x[g].mean(axis=0)).ravel()  # breaks ties towards words members repeat
        score = share * share * idf * (1.0 + weight)  # what most members say, then what is rare elsewhere
        order = [i for i in np.argsort(-score)[:12] if share[i] >= 0.5 and not str(vocab[i]).startswith("@")]
        terms: list[str] = []
        for i in order:
            w = str(vocab[i])
            longer = [k for k, t in enumerate(terms) if t in w]  # 停车 then 停车费: keep the longer word
            if longer:
                terms[longer[0]] = w
                continue
            if any(w in t for t in terms):
                continue
            terms.append(w)
            if len(terms) == 5:
                break
        members = sorted((window[i].id for i in g), key=str)
        clusters.append(Cluster(label="、".join(terms[:4]), terms=terms, size=len(g), previous_size=int(prev_counts[gi]),
                                trend=_trend(len(g), int(prev_counts[gi])), members=members))
    return ClusterIndex(vec, cents, clusters, threshold)


def cluster(docs: Sequence[Doc], *, window_start: dt.datetime | dt.date, window_end: dt.datetime | dt.date,
            previous: Sequence[Doc] | None = None, min_size: int = 3, threshold: float = THRESHOLD) -> list[Cluster]:
    """Clusters of at least `min_size` matters in [window_start, window_end], biggest first."""
    return cluster_index(docs, window_start=window_start, window_end=window_end, previous=previous,
                         min_size=min_size, threshold=threshold).clusters
