"""Greeting, help (what the bot can do, as a numbered menu) and language switch."""

from __future__ import annotations

import re

from bot.dispatcher import BotConfig, Turn
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents.nlu import has_tibetan
from intents.replies import T, main_menu

router = Router("smalltalk")
_THANKS = re.compile(r"谢|辛苦|帮大忙|感谢|xiexie")
_BYE = re.compile(r"再见|拜拜|回见|晚安|就这样|zaijian")
_WHO = re.compile(r"你是谁|机器人|你是人|官方|这里是")
_ACK = re.compile(r"^(好的?|晓得了|知道了|明白了|收到|ok|嗯好?|好嘞|要得)$")


def greet(text: str, state: Conversation, t: T, config: BotConfig) -> list[Reply]:
    if _BYE.search(text):
        return [Text(t("bye"))]
    if _THANKS.search(text) or _ACK.match(text.strip()):
        return [Text(t("thanks"))]
    if _WHO.search(text):
        return [Text(t("who_am_i", center=config.center)), main_menu(state, t)]
    return [Text(t("welcome", center=config.center)), main_menu(state, t)]


def switch_language(text: str, state: Conversation, t: T) -> list[Reply]:
    wants_zh = bool(re.search(r"中文|汉语|汉文|汉话|普通话|ཀྲུང་|rgya", text)) and not re.search(r"藏|བོད", text)
    if has_tibetan(text) and not wants_zh:
        state.lang = "bo"
    elif wants_zh:
        state.lang = "zh"
    else:
        state.lang = "bo"
    return [Text(t("lang_switched")), main_menu(state, t)]


def toggle_language(state: Conversation, t: T) -> list[Reply]:
    state.lang = "zh" if state.lang == "bo" else "bo"
    return [Text(t("lang_switched")), main_menu(state, t)]


@router.handler(lambda turn: turn.intent == "greeting")
async def greeting(turn: Turn, state: Conversation, t: T, config: BotConfig) -> list[Reply]:
    return greet(turn.text, state, t, config)


@router.handler(lambda turn: turn.intent == "help")
async def help_menu(state: Conversation, t: T) -> list[Reply]:
    state.forget_topic()
    return [Text(t("help_intro")), main_menu(state, t)]


@router.handler(lambda turn: turn.intent == "language")
async def language(turn: Turn, state: Conversation, t: T) -> list[Reply]:
    return switch_language(turn.text, state, t)
