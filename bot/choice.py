"""Which of the offered options a reply means: "2", "二", "第二个", "②", or the label itself.

Elderly users answer numbered menus in many ways; they all have to land on the same
choice. Anything else returns None and the message is routed as a new question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_CN = {"零": 0, "〇": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3,
       "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
       "九": 9, "玖": 9, "十": 10}
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(10)}  # ①…⑩
_TIBETAN_DIGITS = {chr(0x0F20 + i): i for i in range(10)}  # ༠…༩
_NUMBER = re.compile(
    r"^(?:第|选|选择|我选|要)?\s*([0-9]{1,2}|[零〇一壹幺二两贰三叁四肆五伍六陆七柒八捌九玖十]|[①-⑩]|[༠-༩])"
    r"\s*(?:个|项|条|号|种)?\s*(?:吧|嘛|哈|呀|啊)?$"
)


def number_of(text: str) -> int | None:
    """The number a short reply names, or None if it is not just a choice."""
    t = unicodedata.normalize("NFKC", text).strip().rstrip("。.!！,，、 ")
    if t in _CIRCLED:  # NFKC turns ① into 1 already; kept for clarity
        return _CIRCLED[t]
    m = _NUMBER.match(t)
    if not m:
        return None
    token = m.group(1)
    if token.isdigit() and token.isascii():
        return int(token)
    if token in _TIBETAN_DIGITS:
        return _TIBETAN_DIGITS[token]
    return _CN.get(token, _CIRCLED.get(token))


def pick(text: str, labels: Sequence[str]) -> int | None:
    """Index into `labels` chosen by `text` (by number or by the label itself), else None."""
    n = number_of(text)
    if n is not None:
        return n - 1 if 1 <= n <= len(labels) else None
    t = text.strip()
    for i, label in enumerate(labels):
        if t == label.strip():
            return i
    return None
