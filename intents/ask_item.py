"""Item questions: catalog search, and follow-ups about the item already being discussed.

"要多久", "收费吗", "在哪儿办" after an item was found are answered from the item in the
state without searching again; a question that names something else starts a new search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.dispatcher import BotConfig, Turn
from bot.masking import mask
from bot.protocols import Journal
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents import materials
from intents.aspects import aspect_of, is_follow_up
from intents.nlu import has_tibetan
from intents.replies import ASPECTS, T, chinese_only, display_name, first_sentence, item_menu, offer
from intents.smalltalk import switch_language
from knowledge.catalog import Catalog
from knowledge.decision import OPTIONS

router = Router("ask_item")
# characters of a question kept with its "none of these" option, recorded as unanswered if tapped
UNANSWERED_CHARS = 300
NONE_OF_THESE = "none:"  # the action of "none of these", followed by the masked question


def searched_question(offered: Sequence[tuple[str, str]]) -> str | None:
    """The masked question behind the options offered last, when search offered them (their
    "none of these" carries it); None for options of menus and situations."""
    for _, action in offered:
        if action.startswith(NONE_OF_THESE):
            return action[len(NONE_OF_THESE):]
    return None


async def answer_aspect(aspect: str, state: Conversation, catalog: Catalog, t: T, config: BotConfig) -> list[Reply]:
    if aspect == "materials":
        state.answers = {}
        return await materials.guide(state, catalog, t, config)
    items = materials.topic_items(state, catalog)
    if state.bundle:
        lines = [f"{display_name(i, state.lang)}：{ASPECTS[aspect](i, t)}" for i in items]
        return [*chinese_only(state.lang, t), Text("\n\n".join(lines)), item_menu(state, t)]
    return [*chinese_only(state.lang, t), Text(ASPECTS[aspect](items[0], t)), item_menu(state, t)]


async def present(code: str, state: Conversation, catalog: Catalog, t: T, config: BotConfig,
                  aspect: str | None = None) -> list[Reply]:
    """Make `code` (item or bundle) the topic and introduce it, or answer `aspect` at once."""
    state.item = code if code in catalog.items else None
    state.bundle = code if code in catalog.bundles else None
    state.answers, state.pending = {}, None
    if aspect:  # "换身份证要带啥子": say which item we understood, then answer
        thing = catalog.items.get(code) or catalog.bundles[code]
        about = Text(t("about", name=display_name(thing, state.lang)))
        replies = await answer_aspect(aspect, state, catalog, t, config)
        note = chinese_only(state.lang, t) if aspect == "materials" else []
        return [about, *note, *replies]
    if state.bundle:
        bundle = catalog.bundles[code]
        names = "\n".join(f"{n}. {catalog.name_of(c)}" for n, c in enumerate(bundle.items, 1))
        return [
            Text(t("bundle_intro", name=display_name(bundle, state.lang), summary=first_sentence(bundle.summary), steps=names)),
            *chinese_only(state.lang, t),
            offer(state, t("bundle_menu_prompt"), [(t("menu_materials"), "ask:materials"), (t("menu_time"), "ask:time"), (t("menu_where"), "ask:where")]),
        ]
    item = catalog.items[code]
    return [
        Text(t("item_intro", name=display_name(item, state.lang), summary=first_sentence(item.summary))),
        *chinese_only(state.lang, t),
        item_menu(state, t),
    ]


@router.handler(lambda turn: turn.intent == "ask_item")
async def ask(turn: Turn, state: Conversation, catalog: Catalog, index: Any, t: T, config: BotConfig,
              journal: Journal) -> list[Reply]:
    text = turn.text
    aspect = aspect_of(text)
    if aspect and (state.item or state.bundle) and is_follow_up(text):
        turn.label = f"follow_up:{aspect}"
        return await answer_aspect(aspect, state, catalog, t, config)
    tibetan = has_tibetan(text)
    if tibetan:
        state.lang = "bo"  # one who writes Tibetan reads it
    result = await index.asearch(text, k=5)
    if result.decision == "answer" and result.answer and catalog.name_of(result.answer):
        return await present(result.answer, state, catalog, t, config, aspect)
    # what staff read if this turns out a gap: cut alike whether it is recorded now (nothing
    # fitted) or later, from the options' "none of these" or an item picked among them
    asked = mask(text)[:UNANSWERED_CHARS]
    hits = [h for h in (result.options or result.results) if catalog.name_of(h.code)][:OPTIONS]
    if result.decision == "options" and hits:
        state.pending = None
        choices = []
        for h in hits:
            thing = catalog.items.get(h.code) or catalog.bundles[h.code]
            choices.append((display_name(thing, state.lang), f"{'bundle' if h.code in catalog.bundles else 'item'}:{h.code}"))
        # Options are offered for questions the catalog may lack too: "none of these" is a gap
        # for staff to fill (recorded with the question) and a person for the citizen.
        choices.append((t("options_none"), NONE_OF_THESE + asked))
        return [offer(state, t("options_prompt"), choices)]
    if tibetan:  # no Tibetan name matched: most likely a greeting, answered as before
        turn.label = "language"
        return switch_language(text, state, t)
    await journal.record_unanswered(turn.inbound.user.key, asked, turn.now)
    turn.label = "ask_item:none"
    return [Text(t("none_answer")), Text(t("none_tips", hotline=config.hotline))]
