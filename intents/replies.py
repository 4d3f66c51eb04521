"""Building blocks for answers: item names in the user's language, menus, aspect answers.

Kept apart from the handlers so the item, materials, bundle and notice code say things
the same way. Options carry an internal action ("item:GA-0001", "ask:fee") in the state,
while the citizen sees and taps only the label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.state import Conversation
from bot.types import Option, Options, Text
from knowledge.catalog import Bundle, Item

T = Callable[..., str]

ITEM_MENU = (
    ("menu_materials", "ask:materials"),
    ("menu_time", "ask:time"),
    ("menu_fee", "ask:fee"),
    ("menu_where", "ask:where"),
    ("menu_online", "ask:online"),
    ("menu_faq", "ask:faq"),
)
MAIN_MENU = (
    ("main_ask", "menu:ask"),
    ("main_nearby", "menu:nearby"),
    ("main_hours", "menu:hours"),
    ("main_case", "menu:case"),
    ("main_handoff", "menu:handoff"),
    ("main_review", "menu:review"),
    ("main_lang", "menu:lang"),
)


def offer(state: Conversation, prompt: str, choices: Sequence[tuple[str, str]]) -> Options:
    """Options the citizen can tap or answer by number; remembered for the next message."""
    state.options = [(label, action) for label, action in choices]
    return Options(prompt, tuple(Option(label, label) for label, _ in choices))


def main_menu(state: Conversation, t: T) -> Options:
    return offer(state, t("main_prompt"), [(t(key), action) for key, action in MAIN_MENU])


def item_menu(state: Conversation, t: T) -> Options:
    return offer(state, t("item_menu_prompt"), [(t(key), action) for key, action in ITEM_MENU])


def display_name(thing: Item | Bundle, lang: str) -> str:
    if lang == "bo" and thing.name_bo:
        return f"{thing.name_bo}（{thing.name}）"
    return thing.name


def chinese_only(lang: str, t: T) -> list[Text]:
    """In Tibetan, say once per answer that the details exist only in Chinese."""
    return [Text(t("only_chinese"))] if lang == "bo" else []


def first_sentence(text: str, limit: int = 60) -> str:
    for stop in "。；;！!":
        if stop in text:
            text = text.split(stop)[0] + "。"
            break
    return text if len(text) <= limit else text[: limit - 1] + "…"


def days(n: int | None, t: T) -> str:
    if n is None:
        return t("days_unknown")
    return t("days_now") if n == 0 else t("days_n", n=n)


def time_answer(item: Item, t: T) -> str:
    text = t("time_promised", days=days(item.promised_days, t))
    if item.legal_days is not None and item.legal_days != item.promised_days:
        text += t("time_legal", days=days(item.legal_days, t))
    return text + t("workday_explain") if item.promised_days else text


def fee_answer(item: Item, t: T) -> str:
    fee = item.fee.strip()
    return t("fee_free") if not fee or fee in ("不收费", "免费", "无") else t("fee_is", fee=fee)


def where_answer(item: Item, t: T) -> str:
    text = t("where_is", where=item.where or t("where_unknown"))
    return text + (t("phone_is", phone=item.phone) if item.phone else "")


def online_answer(item: Item, t: T) -> str:
    if item.online:
        text = t("online_yes", name=item.name)
    elif item.online is False:
        text = t("online_no")
    else:
        text = t("online_unknown")
    if item.max_visits is not None:
        text += t("visits_zero") if item.max_visits == 0 else t("visits_n", n=item.max_visits)
    return text


def faq_answer(item: Item, t: T) -> str:
    if not item.faq:
        return t("faq_none")
    return "\n\n".join(f"问：{f.q}\n答：{f.a}" for f in item.faq[:3])


ASPECTS: dict[str, Callable[[Item, T], str]] = {
    "time": time_answer,
    "fee": fee_answer,
    "where": where_answer,
    "online": online_answer,
    "faq": faq_answer,
}
