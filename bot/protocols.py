"""The small interfaces the core depends on; adapters implement them."""

from __future__ import annotations

from typing import Protocol

from bot.types import Inbound, Reply


class Bot(Protocol):
    """What every channel talks to: one inbound in, the replies out, state handled inside."""

    async def feed(self, inbound: Inbound) -> list[Reply]: ...


class Clock(Protocol):
    def now(self) -> float: ...
