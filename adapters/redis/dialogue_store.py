"""Conversation state in Redis, for deployments that already run it (BANSHI_STATE_BACKEND=redis).

Each state key expires on its own after the idle time (plus a margin; the dispatcher
makes the exact call). The per-user lock is a key with an owner token and an expiry, so
a crashed instance can't block a citizen for more than `lock_ttl` seconds. A turn costs
two round trips (adapters/held.py): one script takes the lock and reads the state, one
writes the state and releases the lock (only if this turn still owns it); both share one
connection with other users' turns (adapters/redis/line.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator

from adapters.held import Held, LocalLocks, hold, holding, release, release_in_background
from adapters.redis.line import RedisLine
from bot.state import Conversation, StateKey

log = logging.getLogger("banshi.dialogue")

# KEYS: lock, state · ARGV: owner, lock ttl (ms) → {1, state or nil} when taken, else {0}
_TAKE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2])}
end
return {0}
"""
# KEYS: lock, state · ARGV: owner, state to write ('' = keep), state ttl (s), state as read at
# the take, '1' if there was one → 0 when not written: the lock expired and another turn
# holds it, or held it and saved a newer state meanwhile
_RELEASE = """
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] then
  if holder then return 0 end
  local now = redis.call('GET', KEYS[2])
  if (ARGV[5] == '1' and now ~= ARGV[4]) or (ARGV[5] ~= '1' and now) then return 0 end
end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
if holder then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisDialogueStore:
    def __init__(
        self, line: RedisLine, ttl: float = 3600.0, prefix: str = "banshi", lock_ttl: float = 30.0,
        lock_wait: float = 10.0,
    ) -> None:
        self._redis = line
        self._ttl = max(1, int(ttl))
        self._prefix = prefix
        self._lock_ttl_ms = max(1, int(lock_ttl * 1000))
        self._lock_wait = lock_wait
        self._local = LocalLocks()

    @classmethod
    def from_url(cls, url: str, **kwargs: float | str) -> RedisDialogueStore:
        return cls(RedisLine(url), **kwargs)  # type: ignore[arg-type]

    def _key(self, key: StateKey, kind: str = "state") -> str:
        return f"{self._prefix}:{kind}:{key.text}"

    async def get(self, key: StateKey) -> Conversation | None:
        held = holding(key)
        if held is not None:
            return held.current()
        raw = await self._redis.execute("GET", self._key(key))
        return Conversation.from_json(raw) if raw is not None else None

    async def set(self, key: StateKey, state: Conversation) -> None:
        held = holding(key)
        if held is not None:
            held.pending = state
            return
        await self._redis.execute("SET", self._key(key), state.to_json(), "EX", self._ttl)

    async def delete(self, key: StateKey) -> None:
        held = holding(key)
        if held is not None:
            held.forget()
        await self._redis.execute("DEL", self._key(key))

    @contextlib.asynccontextmanager
    async def lock(self, key: StateKey) -> AsyncIterator[None]:
        keys = [self._key(key, "lock"), self._key(key)]
        async with self._local(key):
            owner = os.urandom(12).hex()
            try:
                raw = await self._acquire(key, keys, owner)
            except asyncio.CancelledError:  # the take may have reached Redis: free it
                release_in_background(self._redis.eval(_RELEASE, keys, [owner, "", self._ttl, "", "0"]))
                raise
            with hold(Held(key, owner, raw)) as held:
                try:
                    yield
                finally:
                    state = held.pending.to_json() if held.pending is not None else ""
                    read = [raw, "1"] if raw is not None else ["", "0"]

                    async def attempt() -> bool:
                        return bool(await self._redis.eval(_RELEASE, keys, [owner, state, self._ttl, *read]))

                    await release(attempt, key)

    async def _acquire(self, key: StateKey, keys: list[str], owner: str) -> bytes | None:
        """Take the lock and read the state in one script; returns the raw state."""
        deadline = time.monotonic() + self._lock_wait
        delay = 0.005
        while True:
            taken = await self._redis.eval(_TAKE, keys, [owner, self._lock_ttl_ms])
            if taken[0] == 1:
                return taken[1] if len(taken) > 1 else None
            if time.monotonic() > deadline:
                # Better a rare race than a citizen without an answer.
                log.warning("dialogue lock wait timed out; going ahead", extra={"key": key.text})
                raw: bytes | None = await self._redis.execute("GET", keys[1])
                return raw
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)

    async def close(self) -> None:
        self._local.clear()
        await self._redis.close()
