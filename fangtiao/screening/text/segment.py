"""Chinese word segmentation for matters: jieba with our domain dictionary and the district's
place names.

A private `jieba.Tokenizer` (not jieba's global one, which other code may change) is built on
first use under a lock, so threads of one process share one loaded dictionary. jieba's prefix
dictionary is cached (marshal) under `<tmp>/fangtiao-jieba-<uid>/`, so a second process loads it
in about half a second instead of two. jieba's own log lines to stderr are silenced.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba

from fangtiao.screening.text.normalize import clean

DATA = Path(__file__).resolve().parent / "data"
TERMS_FILE = DATA / "terms.txt"
STOPWORDS_FILE = DATA / "stopwords.txt"

# Single characters that say something about a matter on their own (水 in 停水 written apart, 狗…).
MEANINGFUL_CHARS = frozenset("水电气路桥房树狗猫车煤油火烟臭药钱债田地山林井坟墓厕菜猪鸡鸭鱼")

# Suffixes of administrative names: "宁溪镇" is also written "宁溪".
_PLACE_SUFFIXES = ("街道办事处", "街道", "社区", "居委会", "村委会", "办事处", "自治县", "新区", "开发区",
                   "省", "市", "区", "县", "镇", "乡", "村", "组")

_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$", re.UNICODE)
_NUMBERISH = re.compile(
    r"^(?:[\d.,%:/\-+]+|[零〇一二三四五六七八九十百千万两几半]+)[a-z年月日号时分秒点元万千百个岁米平方楼栋层室期次天周]*$"
)

_lock = threading.RLock()
_tokenizer: jieba.Tokenizer | None = None
_places: set[str] = set()


def _cache_dir() -> str:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = Path(tempfile.gettempdir()) / f"fangtiao-jieba-{uid}"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _read_words(path: Path) -> list[str]:
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.extend(line.split())
    return words


@lru_cache(maxsize=1)
def domain_terms() -> frozenset[str]:
    return frozenset(_read_words(TERMS_FILE))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(_read_words(STOPWORDS_FILE))


def _add(tk: jieba.Tokenizer, word: str, tag: str) -> None:
    # Strong enough to beat any split of the word, not so strong that it glues across a boundary.
    freq = max(tk.suggest_freq(word, False) * 3, 200)
    tk.add_word(word, freq, tag)


def tokenizer() -> jieba.Tokenizer:
    """The process's private tokenizer, built on first use (thread-safe)."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.tmp_dir = _cache_dir()
            tk.initialize()
            for word in sorted(domain_terms()):
                _add(tk, word, "n")
            for word in sorted(_places):
                _add(tk, word, "ns")
            _tokenizer = tk
    return _tokenizer


def place_variants(name: str) -> set[str]:
    """"宁溪镇" → {"宁溪镇", "宁溪"}; the short form only when 2+ characters remain."""
    name = clean(name).replace(" ", "")
    out = {name} if len(name) >= 2 else set()
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            out.add(name[: -len(suffix)])
            break
    return out


def add_place_names(names: Iterable[str]) -> int:
    """Teach the tokenizer the district's region names (黄岩区, 东城街道, 宁溪镇, XX村); returns how many
    new words were added. Safe to call at any time and more than once."""
    added = 0
    with _lock:
        new: set[str] = set()
        for name in names:
            new |= place_variants(name or "")
        new -= _places
        _places.update(new)
        if _tokenizer is not None:
            for word in sorted(new):
                _add(_tokenizer, word, "ns")
        added = len(new)
        _cached_cut.cache_clear()
    return added


def place_names() -> frozenset[str]:
    return frozenset(_places)


def cut(text: str) -> list[str]:
    """All jieba words of the cleaned text (punctuation included), in order."""
    return list(_cached_cut(clean(text)))


# jieba leaves the last character of estate and building names on its own (东湖|苑, 金桂|园);
# glued back they become the most distinctive word of a property or neighbour matter.
_NAME_SUFFIX = frozenset("苑园庄府湾居阁轩邸坊墅庭")
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,6}$")


@lru_cache(maxsize=4096)
def _cached_cut(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for w in tokenizer().cut(text, HMM=True):
        if not w.strip():
            continue
        if w in _NAME_SUFFIX and out and _HAN.match(out[-1]) and out[-1] not in stopwords():
            out[-1] += w
            continue
        out.append(w)
    return tuple(out)


def is_content(word: str) -> bool:
    if word in _places:
        return True
    if _PUNCT_OR_SPACE.match(word) or _NUMBERISH.match(word) or word in stopwords():
        return False
    if len(word) == 1:
        return word in MEANINGFUL_CHARS
    return True


def tokens(text: str) -> list[str]:
    """Content words in order: no stop words, punctuation or bare numbers; place names and domain
    terms kept; single characters only when meaningful on their own."""
    return [w for w in cut(text) if is_content(w)]
