"""Case status (办件进度): number → proof → status with timeline; "我的办件"; slow backends.

The CaseService decides everything about identity, binding and lock-out; this module only
carries its answers to the citizen and remembers what it asked for. The case number waits
in `state.pending` ("@case_proof:NUMBER") because the proof comes in the next message and
is often a bare "5678" that would otherwise read as a menu number or a question. A slow
backend gets "正在查询" now and the result pushed later, on channels that can push.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable

from bot.case_service import CaseAnswer, CaseService
from bot.dispatcher import BotConfig, Turn
from bot.pushes import LatePushes
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text, UserRef
from intents.replies import T, chinese_only

router = Router("case_status")
state_router = Router("case_state")
ASK_NUMBER = "@case_number"  # state.pending after we asked for the number
PROOF = "@case_proof:"  # + number: state.pending while we wait for the phone tail or 查询码
_TOKEN = re.compile(r"[A-Za-z0-9]{4,20}")
_BARE = re.compile(r"^[A-Za-z0-9\-\s]{8,40}$")
_ID_NUMBER = re.compile(r"^\d{6}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_TEXT = ("text", "voice")


def how_to_reply(t: T, config: BotConfig) -> list[Reply]:
    """Without a case service: where a citizen can look the case up themselves."""
    return [Text(t("case_how")), Text(t("case_where", hotline=config.hotline))]


def _within(user: UserRef, pushes: LatePushes | None) -> float | None:
    """Wait at most the push budget where a late answer can still reach the user; else wait."""
    return pushes.answer_within if pushes is not None and pushes.can_push(user) else None


async def _lines(later: Awaitable[CaseAnswer]) -> tuple[str, ...]:
    return (await later).lines


def show(answer: CaseAnswer, number: str, user: UserRef, state: Conversation, t: T,
         pushes: LatePushes | None) -> list[Reply]:
    """Say the service's answer (Chinese only for now) and remember what it asked for."""
    if answer.kind == "slow" and answer.later is not None and pushes is not None:
        pushes.later(user, _lines(answer.later))
    if answer.kind in ("need_proof", "wrong_proof") or (answer.kind == "slow" and number):
        state.pending = PROOF + number  # after "slow" a proof is the likely next message
    elif answer.kind == "not_found":
        state.pending = ASK_NUMBER
    else:
        state.pending = None
    return [*chinese_only(state.lang, t), Text("\n".join(answer.lines))]


async def look_up(number: str, turn: Turn, state: Conversation, t: T, cases: CaseService,
                  pushes: LatePushes | None) -> list[Reply]:
    turn.label = "case_status"
    user = turn.inbound.user
    answer = await cases.lookup(user, number, answer_within=_within(user, pushes))
    return show(answer, number, user, state, t, pushes)


def proof_in(text: str) -> str | None:
    """The one proof-like token in a reply; a whole ID or mobile number gives its checked tail."""
    compact = re.sub(r"\s", "", text)
    if _ID_NUMBER.match(compact):
        return compact[-6:]
    if _MOBILE.match(compact):
        return compact[-4:]
    tokens = _TOKEN.findall(text)
    return tokens[0] if len(tokens) == 1 and len(text) <= 30 else None


async def start(turn: Turn, state: Conversation, t: T, config: BotConfig, cases: CaseService | None,
                pushes: LatePushes | None) -> list[Reply]:
    """"查办件" with or without a number: the case, the user's bound cases, or ask for the number."""
    if cases is None:
        return how_to_reply(t, config)
    number = cases.find_number(turn.text)
    if number:
        return await look_up(number, turn, state, t, cases, pushes)
    user = turn.inbound.user
    if not await cases.bindings.bound_numbers(user.key):
        state.pending = ASK_NUMBER
        return [Text(t("case_ask_number")), Text(t("case_where", hotline=config.hotline))]
    answer = await cases.my_cases(user, answer_within=_within(user, pushes))
    replies = show(answer, "", user, state, t, pushes)
    return [*replies, Text(t("case_more"))]


@router.handler(lambda turn: turn.intent == "case_status")
async def case_status(turn: Turn, state: Conversation, t: T, config: BotConfig, cases: CaseService | None,
                      pushes: LatePushes | None) -> list[Reply]:
    return await start(turn, state, t, config, cases, pushes)


@router.handler(lambda turn: turn.intent in ("ask_item", "fallback") and bool(_BARE.match(turn.text)))
async def bare_number(turn: Turn, state: Conversation, t: T, cases: CaseService | None,
                      pushes: LatePushes | None) -> list[Reply] | None:
    """A message that is just a case number (people paste it from the receipt)."""
    if cases is None or _ID_NUMBER.match(turn.text.strip()):
        return None  # an ID number is not a case number, whatever the pattern says
    number = cases.find_number(turn.text)
    return await look_up(number, turn, state, t, cases, pushes) if number else None


@state_router.handler(lambda turn: turn.state.pending == ASK_NUMBER and turn.inbound.kind in _TEXT)
async def number_given(turn: Turn, state: Conversation, t: T, cases: CaseService | None,
                       pushes: LatePushes | None) -> list[Reply] | None:
    state.pending = None
    number = cases.find_number(turn.text) if cases is not None else None
    return await look_up(number, turn, state, t, cases, pushes) if number and cases is not None else None


@state_router.handler(lambda turn: (turn.state.pending or "").startswith(PROOF) and turn.inbound.kind in _TEXT)
async def proof_given(turn: Turn, state: Conversation, t: T, cases: CaseService | None,
                      pushes: LatePushes | None) -> list[Reply] | None:
    """The phone tail or 查询码 for the number we hold; anything else ends the wait."""
    number = (state.pending or "")[len(PROOF):]
    state.pending = None
    if cases is None:
        return None
    proof = proof_in(turn.text)
    named = cases.find_number(turn.text)
    if named and not (proof and _ID_NUMBER.match(re.sub(r"\s", "", turn.text))):
        # the number again, or another one: look it up rather than count a failure
        return await look_up(named, turn, state, t, cases, pushes)
    if proof is None or turn.intent not in ("ask_item", "fallback", "case_status"):
        return None
    turn.label, turn.secret = "case_proof", True
    user = turn.inbound.user
    answer = await cases.verify(user, number, proof, answer_within=_within(user, pushes))
    return show(answer, number, user, state, t, pushes)
