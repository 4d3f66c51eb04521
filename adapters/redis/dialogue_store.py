"""Conversation state in Redis, for deployments that already run it (BANSHI_STATE_BACKEND=redis).

Each state key expires on its own after the idle time (plus a margin; the dispatcher
makes the exact call), and the per-user lock is a Redis lock with a timeout so a crashed
instance can't block a citizen.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from bot.state import Conversation, StateKey


class RedisDialogueStore:
    def __init__(self, client: Redis, ttl: float = 3600.0, prefix: str = "banshi", lock_ttl: float = 30.0) -> None:
        self._redis = client
        self._ttl = max(1, int(ttl))
        self._prefix = prefix
        self._lock_ttl = lock_ttl

    @classmethod
    def from_url(cls, url: str, **kwargs: float | str) -> RedisDialogueStore:
        return cls(Redis.from_url(url), **kwargs)  # type: ignore[arg-type]

    def _key(self, key: StateKey, kind: str = "state") -> str:
        return f"{self._prefix}:{kind}:{key.text}"

    async def get(self, key: StateKey) -> Conversation | None:
        raw = await self._redis.get(self._key(key))
        return Conversation.from_json(raw) if raw is not None else None

    async def set(self, key: StateKey, state: Conversation) -> None:
        await self._redis.set(self._key(key), state.to_json(), ex=self._ttl)

    async def delete(self, key: StateKey) -> None:
        await self._redis.delete(self._key(key))

    @contextlib.asynccontextmanager
    async def lock(self, key: StateKey) -> AsyncIterator[None]:
        async with self._redis.lock(self._key(key, "lock"), timeout=self._lock_ttl, blocking_timeout=10):
            yield

    async def close(self) -> None:
        await self._redis.aclose()
