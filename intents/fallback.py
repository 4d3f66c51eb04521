"""The last handler: something we could not read (a sticker, a photo, noise)."""

from __future__ import annotations

from bot.dispatcher import BotConfig
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents.replies import T, main_menu

router = Router("fallback")


@router.handler()
async def fallback(state: Conversation, t: T, config: BotConfig) -> list[Reply]:
    return [Text(t("fallback", hotline=config.hotline)), main_menu(state, t)]
