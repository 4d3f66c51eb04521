"""Nearby halls: from a WeChat location message or a county/town name in the text."""

from __future__ import annotations

from bot.dispatcher import Turn
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents.halls import by_place, nearest
from intents.replies import T
from knowledge.catalog import Catalog, Hall

router = Router("nearby")  # questions in text
state_router = Router("nearby_state")  # a location message, or the place name we asked for
ASK_PLACE = "@place"  # state.pending while we wait for a place name


def hall_text(n: int, hall: Hall, km: float | None, t: T) -> str:
    far = t("hall_distance", km=f"{km:.1f}") if km is not None else ""
    lines = [f"{n}. {hall.name}{far}", t("hall_address", address=hall.address or "—")]
    if hall.phone:
        lines.append(t("hall_phone", phone=hall.phone))
    if hall.hours:
        lines.append(t("hall_hours", hours=hall.hours))
    lines.append(t("hall_bilingual_yes") if hall.bilingual else t("hall_bilingual_no"))
    return "\n".join(lines)


def three_near(state: Conversation, catalog: Catalog, lat: float, lon: float, t: T,
               anchor: Hall | None = None) -> list[Reply]:
    found = nearest(catalog, lat, lon, 3)
    if anchor is not None and anchor not in [h for h, _ in found]:
        found = [(anchor, 0.0), *found[:2]]
    if not found:
        return [Text(t("nearby_none"))]
    state.hall = found[0][0].code
    header = t("nearby_header") if anchor is None else t("nearby_header_place", name=anchor.name)
    km = (lambda h, d: d) if anchor is None else (lambda h, d: None if h is anchor else d)
    return [Text(header)] + [Text(hall_text(n, h, km(h, d), t)) for n, (h, d) in enumerate(found, 1)]


def by_text(state: Conversation, catalog: Catalog, text: str, t: T) -> list[Reply] | None:
    hall = by_place(catalog, text)
    if hall is None:
        return None
    if hall.lat is None or hall.lon is None:
        state.hall = hall.code
        return [Text(hall_text(1, hall, None, t))]
    replies = three_near(state, catalog, hall.lat, hall.lon, t, anchor=hall)
    state.hall = hall.code
    return replies


def ask_place(state: Conversation, t: T) -> list[Reply]:
    state.pending = ASK_PLACE
    return [Text(t("nearby_ask_place"))]


@state_router.handler(lambda turn: turn.inbound.kind == "location" and turn.inbound.location is not None)
async def location(turn: Turn, state: Conversation, catalog: Catalog, t: T) -> list[Reply]:
    loc = turn.inbound.location
    assert loc is not None
    turn.label = "nearby"
    state.pending = None
    return three_near(state, catalog, loc.lat, loc.lon, t)


@state_router.handler(lambda turn: turn.state.pending == ASK_PLACE and turn.inbound.kind in ("text", "voice"))
async def place_answer(turn: Turn, state: Conversation, catalog: Catalog, t: T) -> list[Reply] | None:
    state.pending = None
    replies = by_text(state, catalog, turn.text, t)
    if replies is not None:
        turn.label = "nearby"
    return replies


@router.handler(lambda turn: turn.intent == "nearby")
async def nearby(turn: Turn, state: Conversation, catalog: Catalog, t: T) -> list[Reply]:
    return by_text(state, catalog, turn.text, t) or ask_place(state, t)


