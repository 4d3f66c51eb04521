"""Materials by situation (情形引导) for one item or a bundle, and the final complete list.

Asks only the situation questions that change the list, one at a time with tappable
options, accepts free-text answers, then gives one list plus time limit, fee, place,
online and visits, and a link to the printable one-time notice (一次性告知单).
"""

from __future__ import annotations

from urllib.parse import urlencode

from bot.dispatcher import BotConfig, Turn
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents.aspects import aspect_of, is_follow_up
from intents.guide import choose_option, material_lines, named_option, next_question, situations_of
from intents.replies import (
    T,
    chinese_only,
    days,
    display_name,
    fee_answer,
    offer,
    online_answer,
    where_answer,
)
from knowledge.catalog import Catalog, Item

router = Router("materials")


def topic_items(state: Conversation, catalog: Catalog) -> list[Item]:
    if state.bundle and state.bundle in catalog.bundles:
        codes = catalog.bundles[state.bundle].items
        return [catalog.items[c] for c in codes if c in catalog.items]
    if state.item and state.item in catalog.items:
        return [catalog.items[state.item]]
    return []


def notice_url(config: BotConfig, code: str, answers: dict[str, str]) -> str:
    query = urlencode(sorted(answers.items()))
    return f"{config.public_url}/notice/{code}" + (f"?{query}" if query else "")


async def guide(state: Conversation, catalog: Catalog, t: T, config: BotConfig) -> list[Reply]:
    """Ask the next question that matters, or give the complete list."""
    items = topic_items(state, catalog)
    if not items:
        state.pending = None
        return [Text(t("ask_which_item"))]
    question = next_question(items, state.answers)
    if question is not None:
        state.pending = question.key
        choices = [(label, f"sit:{question.key}={key}") for key, label in question.options]
        return [offer(state, question.ask + "\n" + t("reply_number"), choices)]
    state.pending = None
    return material_list(state, catalog, items, t, config)


def material_list(state: Conversation, catalog: Catalog, items: list[Item], t: T, config: BotConfig) -> list[Reply]:
    relevant = {s.key for s in situations_of(items)}
    answers = {k: v for k, v in state.answers.items() if k in relevant}
    lines = material_lines(items, answers)
    topic = catalog.bundles[state.bundle] if state.bundle else items[0]
    out: list[Reply] = [*chinese_only(state.lang, t)]
    body = [t("list_header", name=display_name(topic, state.lang))]
    for n, line in enumerate(lines, 1):
        copies = t("copies", n=line.copies)
        optional = t("optional") if not line.required else ""
        note = f"（{line.note}）" if line.note else ""
        body.append(f"{n}. {line.name}：{line.form} {copies}{optional}{note}")
    out.append(Text("\n".join(body)))
    if state.bundle:
        steps = "\n".join(f"{n}. {display_name(i, state.lang)}" for n, i in enumerate(items, 1))
        out.append(Text(t("bundle_steps", steps=steps)))
    else:
        item = items[0]
        out.append(Text("\n".join([
            t("time_promised", days=days(item.promised_days, t)),
            fee_answer(item, t),
            where_answer(item, t),
            online_answer(item, t),
        ])))
    out.append(Text(t("notice_link", url=notice_url(config, topic.code, answers))))
    return out


async def answer_pending(turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig,
                         option: str | None = None) -> list[Reply] | None:
    """The citizen answered the pending situation question (by tap, number or words)."""
    items = topic_items(state, catalog)
    situation = next((s for s in situations_of(items) if s.key == state.pending), None)
    if situation is None:
        state.pending = None
        return None
    if option is None and is_follow_up(turn.text) and aspect_of(turn.text):
        return None  # "要多久" while a question waits: answer that first
    chosen = option or choose_option(situation, turn.text)
    if chosen is None:
        return None
    state.answers[situation.key] = chosen
    return await guide(state, catalog, t, config)


def _asking(turn: Turn) -> bool:
    pending = turn.state.pending
    return bool(pending) and not pending.startswith("@") and turn.intent in ("ask_item", "fallback")


@router.handler(_asking)
async def situation_answer(turn: Turn, state: Conversation, catalog: Catalog, t: T,
                           config: BotConfig) -> list[Reply] | None:
    replies = await answer_pending(turn, state, catalog, t, config)
    if replies is not None:
        turn.label = "situation"
        return replies
    if aspect_of(turn.text) and is_follow_up(turn.text):
        return None  # a follow-up about the item; the question stays pending
    if len(turn.text) <= 6:  # a short unclear answer: ask again rather than searching
        return [Text(t("situation_unclear")), *await guide(state, catalog, t, config)]
    state.pending = None  # a longer message is a new question
    return None


@router.handler(lambda turn: bool(turn.state.item or turn.state.bundle) and not turn.state.pending
                and turn.intent == "ask_item")
async def revise(turn: Turn, state: Conversation, catalog: Catalog, t: T, config: BotConfig) -> list[Reply] | None:
    """After a list, "我是外地户口" changes one answer and gives the list again."""
    for situation in situations_of(topic_items(state, catalog)):
        option = named_option(situation, turn.text)
        if option is not None and state.answers.get(situation.key) != option:
            state.answers[situation.key] = option
            turn.label = "situation"
            return await guide(state, catalog, t, config)
    return None
