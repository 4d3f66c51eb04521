"""Per-user conversation state and the store interface that keeps it.

State is small and read/written whole on every message (never cached in a process), so
several instances behind a load balancer agree on where each citizen is in a dialogue.
The store interface has five methods keyed by a frozen `StateKey`; the memory store lives
here for tests and the terminal, SQL and Redis stores live in adapters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.types import UserRef


@dataclass(frozen=True)
class StateKey:
    """Whose state: one bot (account) and one user on one channel."""

    user: str  # UserRef.key, e.g. "wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    bot: str = "banshi"

    @classmethod
    def of(cls, user: UserRef, bot: str = "banshi") -> StateKey:
        return cls(user.key, bot)

    @property
    def text(self) -> str:
        return f"{self.bot}:{self.user}"


@dataclass
class Conversation:
    """Where one citizen is: the item or bundle discussed, the situation question awaiting an
    answer, answers so far, language, and the options last offered (so "2" means something)."""

    lang: str = "zh"
    item: str | None = None
    bundle: str | None = None
    pending: str | None = None  # situation key asked and not yet answered
    answers: dict[str, str] = field(default_factory=dict)
    options: list[tuple[str, str]] = field(default_factory=list)  # (label, payload) last offered
    hall: str | None = None  # last hall talked about, for "今天上班吗"
    note: str = ""  # words kept for a later step (a complaint becomes the review's comment)
    updated_at: float = 0.0

    def to_json(self) -> str:
        # every message saves the state: a flat dict is several times cheaper than asdict()
        data = {f: getattr(self, f) for f in self.__dataclass_fields__}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Conversation:
        data: dict[str, Any] = json.loads(text)
        data["options"] = [tuple(o) for o in data.get("options", [])]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def forget_topic(self) -> None:
        """Back to the main menu: keep only the language."""
        self.item = self.bundle = self.pending = None
        self.answers = {}
        self.note = ""
        self.options = []


class DialogueStore(Protocol):
    """Five methods; `lock` must be held around get/set for one user (the dispatcher does)."""

    async def get(self, key: StateKey) -> Conversation | None: ...

    async def set(self, key: StateKey, state: Conversation) -> None: ...

    async def delete(self, key: StateKey) -> None: ...

    def lock(self, key: StateKey) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def close(self) -> None: ...


class MemoryStore:
    """One process only: tests, the terminal chat, a single-instance demo."""

    def __init__(self) -> None:
        self._data: dict[StateKey, str] = {}
        self._locks: dict[StateKey, asyncio.Lock] = {}

    async def get(self, key: StateKey) -> Conversation | None:
        raw = self._data.get(key)
        return Conversation.from_json(raw) if raw is not None else None

    async def set(self, key: StateKey, state: Conversation) -> None:
        self._data[key] = state.to_json()  # a copy: callers can't mutate what is stored

    async def delete(self, key: StateKey) -> None:
        self._data.pop(key, None)

    @contextlib.asynccontextmanager
    async def lock(self, key: StateKey) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield

    async def close(self) -> None:
        self._data.clear()
