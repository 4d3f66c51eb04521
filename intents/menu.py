"""First in line: menu clicks and events, "0"/"菜单" back to the main menu, and replies that
pick one of the options offered last (by number, "第一个", or tapping its label).

Options remember an action ("item:GA-0001", "ask:fee", "sit:age=minor", "menu:nearby", or
"none:<the question>" for "none of these" under search's options);
running it here means a tapped option never goes through search or the NLU again. Either
answer to search's options is recorded with the question for staff: "none of these" as a
gap, an item as the one the citizen meant (an alias or synonym to add).
"""

from __future__ import annotations

import re

from bot.choice import number_of, pick
from bot.dispatcher import BotConfig, Turn
from bot.protocols import Journal
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents import ask_item, hours, materials, nearby, smalltalk
from intents.replies import MAIN_MENU, T, display_name, main_menu, offer
from knowledge.catalog import Catalog
from knowledge.workdays import WorkCalendar

router = Router("menu")
_HOME = re.compile(r"^(0|〇|零|菜单|主菜单|返回|返回菜单|回到菜单|首页|menu|ཐོ་གཞུང་)$")
# WeChat custom-menu keys (adapters/wechat/menu.json) → actions
EVENT_KEYS = {
    "MENU_MATERIALS": "menu:ask", "MENU_POPULAR": "menu:ask", "MENU_BUNDLES": "menu:bundles",
    "MENU_NEARBY": "menu:nearby", "MENU_HOURS": "menu:hours", "MENU_CASE_STATUS": "menu:case",
    "MENU_HANDOFF": "menu:handoff", "MENU_REVIEW": "menu:review", "MENU_LANG_BO": "menu:lang_bo",
    "MENU_HOME": "menu:home",
}
# Menu entries answered by an intent's own handler (it needs the case and review services):
# the turn is handed on with its intent set, rather than this module calling into them.
HAND_ON = {"case": "case_status", "handoff": "handoff", "review": "review"}


async def run(action: str, turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig,
              calendar: WorkCalendar, journal: Journal) -> list[Reply] | None:
    """Carry out an option's or menu key's action; None lets the text route normally."""
    kind, _, arg = action.partition(":")
    turn.label = action.split("=")[0] if kind in ("menu", "ask") else kind
    if kind in ("item", "bundle") and catalog.name_of(arg):
        asked = ask_item.searched_question(turn.offered)
        if asked is not None:  # search was unsure: the phrasing for staff to teach the catalog
            await journal.record_unanswered(turn.inbound.user.key, asked, turn.now, chosen=arg)
        return await ask_item.present(arg, state, catalog, t, config)
    if kind == "ask" and (state.item or state.bundle):
        return await ask_item.answer_aspect(arg, state, catalog, t, config)
    if kind == "sit":
        key, _, option = arg.partition("=")
        state.pending = key
        return await materials.answer_pending(turn, state, catalog, t, config, option=option)
    if kind == "menu":
        return await _menu(arg, turn, state, catalog, t, config, calendar, journal)
    if kind == "none":  # "none of these" under search's options: a catalog gap, and a person
        await journal.record_unanswered(turn.inbound.user.key, arg, turn.now)
        turn.intent = HAND_ON["handoff"]
        return None
    return None


async def _menu(name: str, turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig,
                calendar: WorkCalendar, journal: Journal) -> list[Reply] | None:
    if name in HAND_ON:
        turn.intent = HAND_ON[name]
        return None
    if name == "ask":
        return [Text(t("ask_prompt"))]
    if name == "nearby":
        return nearby.ask_place(state, t)
    if name == "hours":
        return hours.answer(turn, state, catalog, calendar, t)
    if name == "lang":
        return smalltalk.toggle_language(state, t)
    if name == "lang_bo":
        state.lang = "zh"  # toggled to Tibetan next
        return smalltalk.toggle_language(state, t)
    if name == "bundles" and catalog.bundles:
        choices = [(display_name(b, state.lang), f"bundle:{b.code}") for b in list(catalog.bundles.values())[:8]]
        return [offer(state, t("bundles_prompt"), choices)]
    state.forget_topic()
    return [main_menu(state, t)]


@router.handler(lambda turn: turn.inbound.kind == "event")
async def event(turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig,
                calendar: WorkCalendar, journal: Journal) -> list[Reply] | None:
    ev = turn.inbound.event
    if ev == "subscribe":
        turn.label = "subscribe"
        return [Text(t("welcome", center=config.center)), main_menu(state, t)]
    if ev == "click":
        key = turn.inbound.event_key
        action = EVENT_KEYS.get(key, key)
        replies = await run(action, turn, state, catalog, t, config, calendar, journal)
        if replies is not None or turn.intent != "event":
            return replies  # None: handed on to the intent the key names
    return []  # unsubscribe, view, periodic location reports: nothing to say


@router.handler(lambda turn: turn.inbound.kind in ("text", "voice") and bool(_HOME.match(turn.text.lower())))
async def home(turn: Turn, state: Conversation, t: T) -> list[Reply]:
    turn.label = "menu"
    state.forget_topic()
    return [main_menu(state, t)]


@router.handler(lambda turn: turn.inbound.kind in ("text", "voice") and bool(turn.offered or not turn.state.pending))
async def picked(turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig,
                 calendar: WorkCalendar, journal: Journal) -> list[Reply] | None:
    """A pick from what was offered; a bare number with nothing offered means the main menu
    (older users remember "2 is the hall" from earlier visits)."""
    offered = turn.offered or [("", action) for _, action in MAIN_MENU]
    labels = [label for label, _ in offered]
    i = pick(turn.text, labels) if turn.offered else _bare_number(turn.text, len(offered))
    if i is None:
        return None
    return await run(offered[i][1], turn, state, catalog, t, config, calendar, journal)


def _bare_number(text: str, count: int) -> int | None:
    n = number_of(text)
    return n - 1 if n is not None and 1 <= n <= count and text.strip().isdigit() else None
