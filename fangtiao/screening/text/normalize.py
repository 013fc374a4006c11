"""Text clean-up before anything else looks at a matter's words.

NFKC folds full-width latin letters, digits and punctuation to their half-width forms (what an
IME produces varies by clerk); latin is lower-cased; runs of whitespace become one space. The
salutations and thanks a citizen wraps a letter in (尊敬的领导，您好！…谢谢！) carry nothing
about the matter and would make two unrelated letters look alike, so `strip_boilerplate` cuts
them from the start and the end only — never from the middle of the facts.
"""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")

# Openings: "尊敬的XX领导/书记/市长/局长（们）：", "您好！", "领导好". At most ~12 characters of
# addressee so that a fact sentence starting with 尊敬的 is never swallowed.
_HEAD = re.compile(
    r"^(?:\s|[,.!:;，。！：；、~…])*(?:"
    r"尊敬的[^，。！：,.!:\s]{0,12}?(?:领导|书记|市长|区长|县长|镇长|局长|主任|同志|工作人员|政府|部门|先生|女士)们?"
    r"|(?:各位|亲爱的)?(?:领导|书记|市长|区长|县长|局长|主任)们?(?:好|您好|你们好)?"
    r"|您们?好|你们?好|大家好"
    r")(?:\s|[,.!:;，。！：；、~…])*"
)
# Closings: thanks, 此致敬礼, pleas for a quick reply.
_TAIL = re.compile(
    r"(?:\s|[,.!;，。！；、~…])*(?:"
    r"(?:万分|非常|十分)?(?:感谢|谢谢)(?:您|你们|领导|各位领导|政府)?(?:的)?(?:关注|支持|帮助|百忙之中)?(?:和|与)?(?:支持|帮助)?"
    r"|此致\s*敬礼|盼复|望回复|期待回复|恳请回复|请尽快回复|麻烦了|辛苦了"
    r")(?:\s|[,.!;，。！；、~…])*$"
)


def normalize(text: str | None) -> str:
    """NFKC (full-width → half-width), lower-case latin, one space for any whitespace run."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return _WS.sub(" ", text).strip()


def strip_boilerplate(text: str) -> str:
    """Drop leading salutations and trailing thanks (repeatedly: "尊敬的领导：您好！")."""
    for _ in range(3):
        new = _HEAD.sub("", text, count=1)
        if new == text:
            break
        text = new
    for _ in range(4):
        new = _TAIL.sub("", text, count=1)
        if new == text:
            break
        text = new
    return text.strip()


def clean(text: str | None) -> str:
    """`normalize` then `strip_boilerplate`: the form every other module works on."""
    return strip_boilerplate(normalize(text))
