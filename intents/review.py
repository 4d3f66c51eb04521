"""好差评 in the dialogue: what is rated, the level, an optional comment.

The ReviewService owns the rules (一事一评, 差评 → rectification, reminders); this module
finds out, in as few turns as possible, which target a message means:
- a bare "5" / "非常满意" answers the newest invitation (a pushed "请为本次服务评价");
- a complaint such as "窗口那个人态度差" is about something the citizen knows and we don't:
  we ask which case or hall, then the level, and keep their words as the comment;
- after a rating we wait one message for a comment; a second level there is a double tap
  and the service refuses it politely.
Levels are offered 1 → 5 so that a channel's numbering equals the level (see rating_options).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from bot.case_service import CaseService
from bot.cases import CST, CaseBackendError
from bot.choice import pick
from bot.dispatcher import Turn
from bot.masking import mask
from bot.protocols import Journal
from bot.reviews import ReviewService, Target, rating_options
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents.halls import by_place, default_hall
from intents.replies import T, offer
from knowledge.catalog import Catalog

router = Router("review")
state_router = Router("review_state")
invited_router = Router("review_invited")
REVIEW_WAIT = "@review"  # without a review service: waiting for what the citizen wants to say
ASK_WHAT = "@review_what"
RATE = "@rate:"  # + target: waiting for the level
COMMENT = "@rate_comment:"  # + target: one message for an optional comment
_TEXT = ("text", "voice")
_ONLY_WISH = re.compile(r"^(我要|我想|想|怎么|咋个|如何|帮我|给)?.{0,6}(评价|打分|打个分|评分|评个价|投诉|提意见)(一下|服务)?(吗|呢)?$")
_WORDS = (("非常不满意", 1), ("很不满意", 1), ("不太满意", 2), ("不满意", 2), ("基本满意", 3), ("还行", 3),
          ("一般", 3), ("非常满意", 5), ("很满意", 5), ("满意", 4))
_DIGIT = re.compile(r"^(?:打|给|评)?([1-5一二三四五])(?:分|星|颗星)?$")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_QUESTION = re.compile(r"[?？吗呢]|怎么|咋|哪|什么|啥|多久|要带|能不能|可不可以")


def level_of(text: str) -> int | None:
    """The level a short reply names ("5", "五星", "非常满意"), else None."""
    t = re.sub(r"[\s，。！!,.、~～]+", "", unicodedata.normalize("NFKC", text))
    if not t or len(t) > 8:
        return None
    m = _DIGIT.match(t)
    if m:
        return _CN.get(m.group(1)) or int(m.group(1))
    return next((level for word, level in _WORDS if word in t), None)


def encode(target: Target) -> str:
    return f"{target.kind}:{target.id}"


def decode(text: str) -> Target:
    kind, _, ident = text.partition(":")
    return Target(kind, ident)  # type: ignore[arg-type]


def hall_target(code: str, now: float) -> Target:
    return Target("hall", f"{code}:{datetime.fromtimestamp(now, CST):%Y-%m-%d}")


async def _named(turn: Turn, catalog: Catalog, cases: CaseService | None) -> Target | None:
    """A target the text itself names: one of the user's cases, or a hall by place name."""
    if cases is not None:
        number = cases.find_number(turn.text)
        if number and number in await cases.bindings.bound_numbers(turn.inbound.user.key):
            return Target("case", number)
    hall = by_place(catalog, turn.text) if turn.text else None
    return hall_target(hall.code, turn.now) if hall else None


def _what(target: Target, catalog: Catalog, t: T) -> str:
    if target.kind == "case":
        return t("review_about_case", number=target.id)
    hall = catalog.halls.get(target.id.partition(":")[0])
    return t("review_about_hall", name=hall.name if hall else target.id)


def ask_level(target: Target, state: Conversation, catalog: Catalog, t: T) -> list[Reply]:
    state.pending = RATE + encode(target)
    return [rating_options(t("review_level", what=_what(target, catalog, t)))]


async def rate(turn: Turn, state: Conversation, reviews: ReviewService, cases: CaseService | None,
               target: Target, level: int) -> list[Reply]:
    """Record through the service; after a first rating without words, wait for a comment."""
    turn.label = "review"
    item_code = hall_code = ""
    if target.kind == "hall":
        hall_code = target.id.partition(":")[0]
    elif target.kind == "case" and cases is not None:
        try:  # the department for the 差评 ledger; the invitation has it too when there was one
            case = await cases.backend.get(target.id)
        except CaseBackendError:
            case = None
        if case is not None:
            item_code, hall_code = case.item_code, case.hall_code
    comment, state.note = state.note, ""
    outcome = await reviews.record(turn.inbound.user, target, level, comment, item_code, hall_code)
    if outcome.kind == "invalid":
        state.pending = RATE + encode(target)
    elif outcome.kind == "recorded" and not comment:
        state.pending = COMMENT + encode(target)
    else:
        state.pending = None
    return [Text("\n".join(outcome.lines))]


async def legacy(turn: Turn, state: Conversation, t: T, journal: Journal) -> list[Reply]:
    """Without a review service: ask what they want to say, then record it for staff."""
    if state.pending != REVIEW_WAIT and (_ONLY_WISH.match(turn.text) or turn.intent != "review"):
        state.pending = REVIEW_WAIT
        return [Text(t("review_ask"))]
    state.pending = None
    await journal.record_review_wish(turn.inbound.user.key, mask(turn.text), turn.now)
    return [Text(t("review_thanks"))]


async def start(turn: Turn, state: Conversation, catalog: Catalog, t: T, journal: Journal,
                reviews: ReviewService | None, cases: CaseService | None) -> list[Reply]:
    """A review intent or the menu's "评价": rate what is clear, ask about what is not."""
    if reviews is None:
        return await legacy(turn, state, t, journal)
    user, text = turn.inbound.user, turn.text
    level = level_of(text)
    invited = await reviews.pending_target(user)
    if level is not None and invited is not None:
        return await rate(turn, state, reviews, cases, invited, level)
    wish = not text or turn.label.startswith("menu:") or bool(_ONLY_WISH.match(text)) or level is not None
    if not wish:  # their words matter even if they stop answering: staff read the journal
        await journal.record_review_wish(user.key, mask(text), turn.now)
        state.note = mask(text)[:500]
    target = await _named(turn, catalog, cases) or (invited if wish else None)
    if target is not None:
        if level is not None:
            return await rate(turn, state, reviews, cases, target, level)
        return ask_level(target, state, catalog, t)
    choices: list[tuple[str, str]] = []
    numbers = await cases.bindings.bound_numbers(user.key) if cases is not None else []
    for number in ([invited.id] if invited and invited.kind == "case" else []) + numbers[::-1]:
        choice = (t("review_about_case", number=number), "review:case:" + number)
        if choice not in choices and len(choices) < 3:
            choices.append(choice)
    hall = catalog.halls.get(state.hall or "") or default_hall(catalog)
    if hall is not None:
        choices.append((t("review_about_hall", name=hall.name), "review:" + encode(hall_target(hall.code, turn.now))))
    if not choices:
        return await legacy(turn, state, t, journal)
    state.pending = ASK_WHAT if level is None else f"{ASK_WHAT}={level}"  # a level said first is kept
    return [offer(state, t("review_which"), choices)]


@invited_router.handler(lambda turn: turn.inbound.kind in _TEXT and not turn.offered
                        and not (turn.state.pending or "").startswith(("@rate", "@review"))
                        and level_of(turn.text) is not None)
async def invited(turn: Turn, state: Conversation, reviews: ReviewService | None,
                  cases: CaseService | None) -> list[Reply] | None:
    """A bare level right after a pushed invitation (before the menu reads "5" as its 5th entry)."""
    if reviews is None:
        return None
    target = await reviews.pending_target(turn.inbound.user)
    level = level_of(turn.text)
    if target is None or level is None:
        return None
    return await rate(turn, state, reviews, cases, target, level)


@state_router.handler(lambda turn: (turn.state.pending or "").startswith(ASK_WHAT) and turn.inbound.kind in _TEXT)
async def which(turn: Turn, state: Conversation, catalog: Catalog, t: T, reviews: ReviewService | None,
                cases: CaseService | None) -> list[Reply] | None:
    _, _, said = (state.pending or "").partition("=")
    state.pending = None
    i = pick(turn.text, [label for label, _ in turn.offered]) if turn.offered else None
    action = turn.offered[i][1] if i is not None else ""
    target = decode(action.removeprefix("review:")) if action.startswith("review:") else None
    target = target or await _named(turn, catalog, cases)
    if reviews is None or target is None:
        state.note = ""
        return None
    turn.label = "review"
    if said:
        return await rate(turn, state, reviews, cases, target, int(said))
    return ask_level(target, state, catalog, t)


@state_router.handler(lambda turn: (turn.state.pending or "").startswith(RATE) and turn.inbound.kind in _TEXT)
async def rated(turn: Turn, state: Conversation, catalog: Catalog, t: T, reviews: ReviewService | None,
                cases: CaseService | None) -> list[Reply] | None:
    target = decode((state.pending or "")[len(RATE):])
    state.pending = None
    level = level_of(turn.text)
    if reviews is None:
        return None
    if level is not None:
        return await rate(turn, state, reviews, cases, target, level)
    if turn.intent in ("review", "fallback"):  # more words instead of a level: keep them, ask again
        state.note = (state.note + "\n" + mask(turn.text)).strip()[:500]
        turn.label = "review"
        return [Text(t("review_level_again")), *ask_level(target, state, catalog, t)]
    state.note = ""
    return None


@state_router.handler(lambda turn: (turn.state.pending or "").startswith(COMMENT) and turn.inbound.kind in _TEXT)
async def commented(turn: Turn, state: Conversation, reviews: ReviewService | None,
                    cases: CaseService | None) -> list[Reply] | None:
    target = decode((state.pending or "")[len(COMMENT):])
    state.pending = None
    if reviews is None:
        return None
    level = level_of(turn.text)
    if level is not None:  # a second level for the same thing: the service refuses (一事一评)
        return await rate(turn, state, reviews, cases, target, level)
    question = turn.intent == "ask_item" and bool(_QUESTION.search(turn.text))
    if turn.intent not in ("review", "ask_item", "fallback") or question or len(turn.text) < 2:
        return None
    turn.label = "review"
    outcome = await reviews.add_comment(turn.inbound.user, target, mask(turn.text))
    return [Text("\n".join(outcome.lines))]


@router.handler(lambda turn: turn.intent == "review")
async def review(turn: Turn, state: Conversation, catalog: Catalog, t: T, journal: Journal,
                 reviews: ReviewService | None, cases: CaseService | None) -> list[Reply]:
    return await start(turn, state, catalog, t, journal, reviews, cases)


@router.handler(lambda turn: turn.state.pending == REVIEW_WAIT and turn.inbound.kind in _TEXT)
async def review_text(turn: Turn, state: Conversation, t: T, journal: Journal) -> list[Reply] | None:
    if turn.intent not in ("review", "ask_item", "fallback"):
        state.pending = None
        return None
    turn.label = "review"
    return await legacy(turn, state, t, journal)

