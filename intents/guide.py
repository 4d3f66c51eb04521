"""情形引导 as pure functions: which situation questions matter, and the final material list.

A question is worth asking only if its options lead to different material lists given
what we already know; so answered questions, and ones no material depends on, are skipped.
Bundles ask a situation shared by several items once (the same key means the same
question) and merge duplicate materials (same document, same form: keep the larger copy
count, keep every note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from knowledge.catalog import Item, Material, Situation


@dataclass(frozen=True)
class Line:
    """One material in a final list, with the items that need it (for bundles)."""

    name: str
    form: str
    copies: int
    required: bool
    note: str
    items: tuple[str, ...]


def _possible(materials: Sequence[Material], answers: Mapping[str, str]) -> frozenset[int]:
    return frozenset(i for i, m in enumerate(materials) if m.applies(answers) is not False)


def situations_of(items: Sequence[Item]) -> list[Situation]:
    """Every situation once, in first-seen order; a key shared by items is one question."""
    seen: dict[str, Situation] = {}
    for item in items:
        for s in item.situations:
            seen.setdefault(s.key, s)
    return list(seen.values())


def next_question(items: Sequence[Item], answers: Mapping[str, str]) -> Situation | None:
    """The first unanswered situation whose options change the materials, or None."""
    materials = [m for item in items for m in item.materials]
    for s in situations_of(items):
        if s.key in answers:
            continue
        lists = {_possible(materials, {**answers, s.key: option}) for option, _ in s.options}
        if len(lists) > 1:
            return s
    return None


def material_lines(items: Sequence[Item], answers: Mapping[str, str]) -> list[Line]:
    """The complete list for these answers; duplicates across items merged."""
    merged: dict[tuple[str, str], Line] = {}
    produced: list[str] = []  # names of earlier items: their result is not asked for again
    for item in items:
        for m in item.materials:
            if m.applies(answers) is False:
                continue
            if any(name.startswith(m.name.strip()) for name in produced):
                continue
            key = (m.name.strip(), m.form)
            old = merged.get(key)
            if old is None:
                merged[key] = Line(m.name.strip(), m.form, m.copies, m.required, m.note, (item.code,))
                continue
            notes = old.note if not m.note or m.note in old.note else "；".join(x for x in (old.note, m.note) if x)
            merged[key] = Line(
                old.name,
                old.form,
                max(old.copies, m.copies),
                old.required or m.required,
                notes,
                old.items + ((item.code,) if item.code not in old.items else ()),
            )
        produced.append(item.name)
    return list(merged.values())


def choose_option(situation: Situation, text: str) -> str | None:
    """The option a free-text answer means ("我是外地户口" → elsewhere), or None if unclear."""
    from bot.choice import pick

    labels = [label for _, label in situation.options]
    i = pick(text, labels)
    if i is not None:
        return situation.options[i][0]
    t = text.strip()
    # A label (or its part before a bracket) inside the answer, longest first: "外地户口（…）".
    candidates: list[tuple[int, str]] = []
    for key, label in situation.options:
        core = label.split("（")[0].split("(")[0].strip()
        for part in {label, core}:
            at = t.find(part) if part else -1
            if at < 0:
                continue
            if t[max(0, at - 2):at].endswith(("不是", "不", "非", "没", "没有")) and len(situation.options) == 2:
                other = next(k for k, _ in situation.options if k != key)  # "不是本地的" → the other
                candidates.append((len(part), other))
            else:
                candidates.append((len(part), key))
    if candidates:
        candidates.sort(reverse=True)
        if len(candidates) == 1 or candidates[0][0] > candidates[1][0] or candidates[0][1] == candidates[1][1]:
            return candidates[0][1]
    return _by_overlap(situation, t)


def named_option(situation: Situation, text: str) -> str | None:
    """Strict: only an option whose label (before any bracket) appears in the text, unnegated."""
    found = set()
    for key, label in situation.options:
        core = label.split("（")[0].split("(")[0].strip()
        at = text.find(core) if len(core) >= 2 else -1
        if at >= 0 and not text[max(0, at - 2):at].endswith(("不是", "不", "非", "没")):
            found.add(key)
    return found.pop() if len(found) == 1 else None


def _by_overlap(situation: Situation, text: str) -> str | None:
    """Fall back to shared characters, ignoring those every label has: "外地的" → 外地户口."""
    if len(text) > 10:
        return None  # a long message is a new question, not an answer
    labels = {key: set(label.split("（")[0].split("(")[0]) for key, label in situation.options}
    common = set.intersection(*labels.values()) if labels else set()
    negated = "不" in text or "没" in text or "未" in text
    best: list[tuple[int, str]] = []
    for key, chars in labels.items():
        distinct = chars - common
        score = len(distinct & set(text))
        if score:
            best.append((score, key))
    if not best:
        negations = [key for key, label in situation.options if any(n in label for n in "不没未非")]
        if len(negations) == 1 and len(situation.options) == 2 and common & set(text):  # "还没满16岁" → 未满16周岁
            other = next(k for k, _ in situation.options if k != negations[0])
            return negations[0] if negated else other
        return None
    best.sort(reverse=True)
    if len(best) > 1 and best[0][0] == best[1][0]:
        # "未满16" vs "已满16": the negation decides when characters tie.
        for key, label in situation.options:
            if negated == any(n in label for n in "不没未"):
                return key
        return None
    chosen = best[0][1]
    if negated and len(situation.options) == 2 and not any(n in situation.label(chosen) for n in "不没未非"):
        return next(k for k, _ in situation.options if k != chosen)  # "不是本地的" → 外地
    return chosen
