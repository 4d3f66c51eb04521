"""The small interfaces the core depends on; adapters implement them."""

from __future__ import annotations

from typing import Protocol

from bot.types import Inbound, Reply


class Bot(Protocol):
    """What every channel talks to: one inbound in, the replies out, state handled inside."""

    async def feed(self, inbound: Inbound) -> list[Reply]: ...


class Clock(Protocol):
    def now(self) -> float: ...


class SendError(Exception):
    """A push to the citizen failed; `code` is the channel's error (e.g. WeChat 45015)."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Sender(Protocol):
    """Pushes messages outside a reply (late answers, case changes, review invitations).

    Implementations raise SendError; callers decide whether to retry or record it.
    """

    async def send_text(self, user_id: str, text: str) -> None: ...

    async def send_template(self, user_id: str, template_id: str, data: dict[str, str], url: str = "") -> None: ...
