"""How alike two matters are, in a way that survives rewording but not mere shared vocabulary.

Three signals over one precomputed `Profile` per text:

* word cosine — TF-IDF (sublinear tf) over jieba content words (domain dictionary, place names);
  catches reordered sentences and partial rewrites. Words every matter uses get a low IDF, so two
  物业 complaints about different estates and different problems share little weight.
* character n-gram cosine — 2- and 3-grams of the text without punctuation/digits, IDF-weighted;
  robust to segmentation differences, typos and small synonym changes (停车费/停车收费 share 停车).
* containment — the weighted share of the *smaller* text's words and n-grams that appear in the
  larger one; a short resubmission ("还是景蓉华苑乱收停车费的事") against the long original, which a
  cosine punishes for the length difference. It is damped for very short texts (a two-word text is
  "contained" in too many matters) and counts only when the texts also share distinctive words.

score = max(cosine, containment) with cosine = 0.7·word + 0.3·char; all in 0..1.

IDF comes from an `Idf` fitted on the district's matters (`Idf.fit(texts)`, serialisable with
`dumps()`/`Idf.loads()`). Unfitted (`Idf()`), word IDF falls back to jieba's general-language IDF
table and n-grams weigh 1, which works for a handful of documents (tests, a new installation).
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from fangtiao.screening.text import segment
from fangtiao.screening.text.normalize import clean

GRAM_BITS = 20  # character n-grams are hashed into 2**20 buckets (IDF table of 4 MiB, compact to store)
GRAM_MASK = (1 << GRAM_BITS) - 1
MIN_FIT_DOCS = 30  # below this a fitted IDF is too noisy: the general-language prior is used instead
CONTAINMENT_FULL_WORDS = 8  # the smaller text needs this many distinct content words for full containment weight
WORD_WEIGHT = 0.7  # a citizen rewriting from scratch keeps the words far more than the character runs
CONTAINMENT_WEIGHT = 0.9  # containment alone never reaches 1.0: a cosine confirms identity better
_DROP = re.compile(r"[\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Profile:
    """Precomputed features of one text: sublinear tf of content words and hashed char 2/3-grams."""

    words: dict[str, float]
    grams: dict[int, float]
    length: int = 0

    @property
    def empty(self) -> bool:
        return not self.words and not self.grams


@dataclass(frozen=True)
class Match:
    score: float
    shared_terms: list[str] = field(default_factory=list)
    word_cosine: float = 0.0
    char_cosine: float = 0.0
    containment: float = 0.0


def _gram_hash(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8")) & GRAM_MASK


def char_grams(text: str) -> list[int]:
    s = _DROP.sub("", clean(text))
    out = [_gram_hash(s[i : i + 2]) for i in range(len(s) - 1)]
    out += [_gram_hash(s[i : i + 3]) for i in range(len(s) - 2)]
    return out


def _sublinear(counter: Counter) -> dict:
    return {k: 1.0 + math.log(v) for k, v in counter.items()}


def profile(text: str, *, words: list[str] | None = None) -> Profile:
    """`words`: the text's `segment.tokens`, when already known (stored at indexing time)."""
    if words is None:
        words = segment.tokens(text)
    return Profile(words=_sublinear(Counter(words)), grams=_sublinear(Counter(char_grams(text))), length=len(text or ""))


@lru_cache(maxsize=1)
def _prior_word_idf() -> tuple[dict[str, float], float]:
    """jieba's general-language IDF table (shipped with jieba), scaled to the fitted table's range."""
    import jieba  # the table ships in jieba/analyse/; importing jieba.analyse would load its POS tagger too

    path = Path(jieba.__file__).resolve().parent / "analyse" / "idf.txt"
    table: dict[str, float] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2:
                table[parts[0]] = float(parts[1]) / 2.0
    values = sorted(table.values())
    return table, values[len(values) // 2]


class Idf:
    """Document frequencies of words and hashed n-grams; `idf = ln((N+1)/(df+1)) + 1`."""

    def __init__(self, n_docs: int = 0, word_df: dict[str, int] | None = None, gram_df: np.ndarray | None = None):
        self.n_docs = int(n_docs)
        self.word_df = dict(word_df or {})
        self.gram_df = gram_df if gram_df is not None else np.zeros(0, dtype=np.int32)

    @property
    def fitted(self) -> bool:
        return self.n_docs >= MIN_FIT_DOCS

    @classmethod
    def fit(cls, texts: Iterable[str]) -> Idf:
        return cls.fit_profiles(profile(t) for t in texts)

    @classmethod
    def fit_profiles(cls, profiles: Iterable[Profile]) -> Idf:
        n = 0
        word_df: Counter = Counter()
        gram_df = np.zeros(1 << GRAM_BITS, dtype=np.int32)
        for p in profiles:
            n += 1
            word_df.update(p.words.keys())
            if p.grams:
                gram_df[np.fromiter(p.grams.keys(), dtype=np.int64, count=len(p.grams))] += 1
        # Words seen once carry no cross-document evidence; they get the unseen-word IDF anyway.
        return cls(n, {w: c for w, c in word_df.items() if c >= 2}, gram_df)

    def word(self, w: str) -> float:
        if not self.fitted:
            table, median = _prior_word_idf()
            return table.get(w, median)
        return math.log((self.n_docs + 1) / (self.word_df.get(w, 1) + 1)) + 1.0

    def gram(self, g: int) -> float:
        if not self.fitted or not len(self.gram_df):
            return 1.0
        return math.log((self.n_docs + 1) / (int(self.gram_df[g]) + 1)) + 1.0

    def dumps(self) -> bytes:
        """zlib-compressed JSON (words) + the n-gram table as base64-free raw bytes after a header."""
        head = json.dumps({"v": 1, "n": self.n_docs, "bits": GRAM_BITS, "words": self.word_df}, ensure_ascii=False)
        body = head.encode("utf-8") + b"\n" + self.gram_df.astype("<i4").tobytes()
        return zlib.compress(body, 6)

    @classmethod
    def loads(cls, data: bytes) -> Idf:
        raw = zlib.decompress(data)
        head, _, grams = raw.partition(b"\n")
        meta = json.loads(head.decode("utf-8"))
        if meta.get("v") != 1 or meta.get("bits") != GRAM_BITS:
            raise ValueError("unsupported Idf format")
        return cls(meta["n"], meta["words"], np.frombuffer(grams, dtype="<i4").astype(np.int32))


DEFAULT_IDF = Idf()


def _weights(tf: dict, idf_of) -> dict:
    return {k: v * idf_of(k) for k, v in tf.items()}


def _cosine(a: dict, b: dict) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    if not dot:
        return 0.0
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return min(1.0, dot / (na * nb))


def _containment(a: dict, b: dict, idf_of) -> float:
    """Weighted share of the smaller key set found in the other (set semantics, IDF weights)."""
    if not a or not b:
        return 0.0
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    total = sum(idf_of(k) for k in small)
    if not total:
        return 0.0
    return sum(idf_of(k) for k in small if k in big) / total


def similarity(a: Profile, b: Profile, idf: Idf | None = None) -> Match:
    idf = idf or DEFAULT_IDF
    wa, wb = _weights(a.words, idf.word), _weights(b.words, idf.word)
    ga, gb = _weights(a.grams, idf.gram), _weights(b.grams, idf.gram)
    word_cos, char_cos = _cosine(wa, wb), _cosine(ga, gb)
    cosine = WORD_WEIGHT * word_cos + (1.0 - WORD_WEIGHT) * char_cos
    smaller = min(len(a.words), len(b.words))
    damp = min(1.0, smaller / CONTAINMENT_FULL_WORDS)
    word_cont = _containment(a.words, b.words, idf.word)
    char_cont = _containment(a.grams, b.grams, idf.gram)
    containment = CONTAINMENT_WEIGHT * damp * math.sqrt(word_cont * char_cont)
    shared = sorted(
        (k for k in a.words if k in b.words and len(k) > 1),
        key=lambda k: (-(idf.word(k) * min(a.words[k], b.words[k])), k),
    )
    return Match(
        score=round(max(cosine, containment), 4),
        shared_terms=shared[:5],
        word_cosine=round(word_cos, 4),
        char_cosine=round(char_cos, 4),
        containment=round(containment, 4),
    )


def text_similarity(a: str, b: str, idf: Idf | None = None) -> Match:
    """Convenience: `similarity(profile(a), profile(b), idf)`."""
    return similarity(profile(a), profile(b), idf)
