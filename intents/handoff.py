"""Handoff (转人工 / 12345): the hotline and the hall's phone and hours, and on channels that
can do it a `Handoff` reply so WeChat passes the conversation to customer service.

The phone numbers are always said too: an agent may not pick up, and older citizens often
prefer to call. The transfer is the channel's to perform; the core only asks for it.
"""

from __future__ import annotations

from bot.dispatcher import BotConfig, Turn
from bot.router import Router
from bot.state import Conversation
from bot.types import Handoff, Reply, Text
from intents.halls import by_place, default_hall
from intents.replies import T
from knowledge.catalog import Catalog

router = Router("handoff")


def handoff_reply(turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig) -> list[Reply]:
    hall = by_place(catalog, turn.text) or catalog.halls.get(state.hall or "") or default_hall(catalog)
    replies: list[Reply] = [Text(t("handoff_hotline", hotline=config.hotline))]
    if hall is not None:
        replies.append(Text(t("handoff_hall", name=hall.name, phone=hall.phone or "—", hours=hall.hours or "—")))
    if turn.inbound.user.channel not in config.transfer_channels:
        replies.append(Text(t("handoff_later")))
    elif turn.inbound.kind == "event":  # WeChat can transfer only in reply to a message, not a menu click
        replies.append(Text(t("handoff_type_it")))
    else:
        replies.append(Handoff(note=t("handoff_transfer")))
    return replies


@router.handler(lambda turn: turn.intent == "handoff")
async def handoff(turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig) -> list[Reply]:
    return handoff_reply(turn, state, catalog, t, config)
