"""The values that cross the core's boundary: what a citizen sent, what the bot answers.

Channels (WeChat, web chat, terminal) turn their wire formats into `Inbound` and render
`Reply` values back; the core never sees XML or JSON and never formats them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

Channel = Literal["wechat", "web", "terminal"]
Kind = Literal["text", "voice", "location", "image", "video", "link", "event", "unknown"]
Event = Literal["subscribe", "unsubscribe", "click", "view", "scan", "location", "other"]


@dataclass(frozen=True)
class UserRef:
    """Who is talking, per channel: a WeChat openid, a web-chat browser id, …"""

    channel: Channel
    id: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.id}"


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    label: str = ""


@dataclass(frozen=True)
class Inbound:
    """One message or event from a citizen, channel-neutral."""

    user: UserRef
    kind: Kind
    text: str = ""  # typed text, voice recognition, or a tapped option's content
    location: Location | None = None
    event: Event | None = None
    event_key: str = ""  # menu key, QR scene, or VIEW url
    msg_id: str = ""
    received_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Option:
    label: str  # what the citizen sees
    payload: str  # what comes back as their text when tapped


@dataclass(frozen=True)
class Options:
    """A short numbered choice; channels render taps and the core accepts "1"/"一"/"第一个"."""

    prompt: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Article:
    title: str
    description: str = ""
    url: str = ""
    image_url: str = ""


@dataclass(frozen=True)
class Articles:
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Handoff:
    """Hand the conversation to people (WeChat's multi-agent service or our agent console)."""

    note: str = ""
    kf_account: str = ""


Reply = Text | Options | Articles | Handoff
