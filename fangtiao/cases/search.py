"""Chinese full-text search without server extensions (ADR 0012).

A case's number, title and description are kept, denormalised, in `Case.search_text` as
space-separated tokens: overlapping character bigrams of each run of Chinese (a run of one
character kept as that character), ASCII words and digits kept whole and lower-cased, after
NFKC (full-width letters and digits become ASCII). PostgreSQL's 'simple' text-search
configuration indexes those tokens as they are (GIN on to_tsvector('simple', search_text)),
and a query is the AND of its own bigrams — no zhparser / pg_jieba needed."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 2000  # characters of text (title + description) read per case

_ASCII = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text or "").lower()
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        else:
            out.extend(run[i] + run[i + 1] for i in range(len(run) - 1))
        run.clear()

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isascii():
            flush()
            m = _ASCII.match(text, i)
            if m:
                out.append(m.group())
                i = m.end()
                continue
        elif ch.isalnum():  # Chinese (and other non-ASCII letters and digits)
            run.append(ch)
        else:  # punctuation, spaces, symbols: separators
            flush()
        i += 1
    flush()
    return out


def bigrams(text: str) -> str:
    """The search tokens of `text`, distinct, in order of first appearance, space-separated."""
    return " ".join(dict.fromkeys(_tokens(text)))


def case_search_text(number: str, title: str, description: str) -> str:
    """What `Case.search_text` holds for a case: number + title + description (the text capped)."""
    return bigrams(f"{number or ''} {((title or '') + ' ' + (description or ''))[:MAX_TEXT]}")


def query_terms(q: str) -> list[str]:
    """The distinct tokens of a query, each of which a matching case must contain."""
    return list(dict.fromkeys(_tokens(q)))


def tsquery(terms: list[str]) -> str:
    """A raw tsquery ANDing `terms`, each quoted as a literal (no user syntax passes through:
    terms are only [a-z0-9] words or runs of letters/digits, and quotes/backslashes are escaped).
    ASCII words and digits match as prefixes ('12':* finds 123), so part of a number is enough."""
    return " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if t.isascii() else "")
                      for t in terms)


def needs_substring(terms: list[str]) -> bool:
    """A single Chinese character is not in the bigram index (only isolated ones are): such a
    query falls back to a substring match on the title."""
    return any(len(t) == 1 and not t.isascii() for t in terms)
