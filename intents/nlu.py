"""Intent recognition: what a message wants, from its text alone (no state, no side effects).

Used by the dispatcher to route and by `banshi understand` to show the reading. Items are
the default: anything that reads like a question and is not one of the fixed intents goes
to catalog search, which itself decides between an answer, options or "not in the catalog".
"""

from __future__ import annotations

import functools
import re
import unicodedata

from intents.lexicon import CUES, PINYIN_CUES, PINYIN_NEEDS

INTENTS = ("ask_item", "handoff", "review", "nearby", "hours", "greeting", "help", "language",
           "case_status", "fallback")
_TIBETAN = re.compile(r"[\u0f00-\u0fff]")
# Tibetan about language (Tibetan or Chinese writing or speech) or a greeting (བཀྲ་ཤིས་བདེ་ལེགས):
# it asks to be answered in Tibetan, not about an item
_TIBETAN_LANGUAGE = re.compile(r"བོད་(ཡིག|སྐད)|རྒྱ་(ཡིག|སྐད)|ཀྲུང|སྐད་ཡིག|བཀྲ་ཤིས")
_MEANINGFUL = re.compile(r"[\u3400-\u9fff]|[a-z]{2,}|[0-9]")
_NOISE = re.compile(r"[\s，。！？、,.!?;；:：~～…\"'“”‘’()（）【】\[\]]+")
_FILLERS = re.compile(r"^(那个|就是|嗯+|呃+|啊+|哦+|唉|诶|喂|这个)+")
# Priority when two intents score the same (most specific first).
_ORDER = ("language", "handoff", "review", "case_status", "nearby", "hours", "help", "greeting")


@functools.cache
def _compiled() -> dict[str, list[tuple[re.Pattern[str], float]]]:
    return {k: [(re.compile(p), w) for p, w in cues] for k, cues in CUES.items()}


def clean(text: str) -> str:
    """Half width, lower case, no spaces or punctuation, leading voice fillers dropped."""
    t = unicodedata.normalize("NFKC", text).lower().strip()
    t = _NOISE.sub(" ", t).strip()
    parts = [_FILLERS.sub("", p) for p in t.split(" ")]
    return " ".join(p for p in parts if p)


def is_pinyin(text: str) -> bool:
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    return letters >= 4 and all(ch.isascii() for ch in text)


def has_tibetan(text: str) -> bool:
    return bool(_TIBETAN.search(text))


def scores(text: str) -> dict[str, float]:
    t = clean(text)
    joined = t.replace(" ", "")
    out: dict[str, float] = {}
    if is_pinyin(t):
        for intent, cues in PINYIN_CUES.items():
            found = [py for py in cues if py in joined]
            needs = PINYIN_NEEDS.get(intent)
            if found and (not needs or any(w in needs for w in found)):
                out[intent] = 1.0 + 0.1 * len(found)
        return out
    for intent, cues in _compiled().items():
        total = sum(w for rx, w in cues if rx.search(joined) or rx.search(t))
        if total:
            out[intent] = total
    return out


def classify(text: str) -> str:
    """One of INTENTS. Tibetan script means the citizen reads Tibetan: about language it is a
    language switch, else an item question (the catalog's Tibetan names; ask_item switches
    the replies to Tibetan, and falls back to the switch when nothing matches)."""
    if has_tibetan(text):
        return "language" if _TIBETAN_LANGUAGE.search(text) else "ask_item"
    t = clean(text)
    if not t or not _MEANINGFUL.search(t):
        return "fallback"
    found = {k: v for k, v in scores(text).items() if v >= 1.0}
    if not found:
        return "ask_item"
    best = max(found.values())
    return next(k for k in _ORDER if found.get(k) == best)


def understand(text: str, index: object | None) -> dict[str, object]:
    """The NLU view of one message: intent, and the item search would answer (no state, no writes)."""
    intent = classify(text)
    answer = None
    if intent == "ask_item" and index is not None:
        answer = index.search(text, k=5).answer  # type: ignore[attr-defined]
    return {"q": text, "intent": intent, "answer": answer}
