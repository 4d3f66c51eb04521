"""wechatpy messages and events → the core's `Inbound` (or a reply the edge gives itself).

Also names each delivery for deduplication: WeChat retries a message with the same
MsgId; events have none, so FromUserName + CreateTime (+ the event) identify them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wechatpy.messages import BaseMessage

from adapters.wechat.texts import text
from bot.types import Event, Inbound, Location, Reply, Text, UserRef

_EVENTS: dict[str, Event] = {
    "subscribe": "subscribe",
    "subscribe_scan": "subscribe",
    "unsubscribe": "unsubscribe",
    "click": "click",
    "view": "view",
    "scan": "scan",
    "location": "location",
}


@dataclass(frozen=True)
class Translated:
    """Exactly one of: something for the bot, a reply the edge gives itself, or nothing."""

    inbound: Inbound | None = None
    own_reply: tuple[Reply, ...] = ()
    note: str = ""  # why nothing went to the bot, for the log


def delivery_key(message: BaseMessage) -> str:
    """The dedup key of a delivery: the same for every retry of one message or event."""
    if message.type == "event":
        return f"evt:{message.source}:{message.time}:{getattr(message, 'event', '')}"
    if message.id:
        return f"msg:{message.id}"
    return f"raw:{message.source}:{message.time}:{message.type}"


def translate(message: BaseMessage) -> Translated:
    """What to do with one parsed WeChat message."""
    user = UserRef("wechat", message.source or "")
    msg_id = str(message.id or "")
    kind = message.type
    if kind == "text":
        return Translated(Inbound(user, "text", text=message.content or "", msg_id=msg_id))
    if kind == "voice":
        recognised = (message.recognition or "").strip()
        if not recognised:
            return Translated(own_reply=(Text(text("voice_unrecognised")),), note="voice not recognised")
        return Translated(Inbound(user, "voice", text=recognised, msg_id=msg_id))
    if kind == "location":
        try:
            where = Location(float(message.location_x), float(message.location_y), message.label or "")
        except (TypeError, ValueError):
            return Translated(note="location without coordinates")
        return Translated(Inbound(user, "location", location=where, msg_id=msg_id))
    if kind in ("image", "video", "shortvideo", "link"):
        return Translated(own_reply=(Text(text("please_type")),), note=f"{kind} message")
    if kind == "event":
        return _event(message, user)
    return Translated(note=f"unknown message type {kind!r}")


def _event(message: BaseMessage, user: UserRef) -> Translated:
    name = getattr(message, "event", "")
    event = _EVENTS.get(name)
    if event is None:
        return Translated(note=f"event {name!r} not handled")
    key = ""
    location = None
    if name in ("subscribe", "click"):
        key = message.key or ""
    elif name in ("subscribe_scan", "scan"):
        key = message.scene_id or ""
    elif name == "view":
        key = message.url or ""
    elif name == "location":
        location = Location(message.latitude, message.longitude)
    return Translated(Inbound(user, "event", event=event, event_key=key, location=location))
