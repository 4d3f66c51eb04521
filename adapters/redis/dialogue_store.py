"""Conversation state in Redis, for deployments that already run it (BANSHI_STATE_BACKEND=redis).

Each state key expires on its own after the idle time (plus a margin; the dispatcher
makes the exact call). The per-user lock is a key with an owner token and an expiry, so
a crashed instance can't block a citizen for more than `lock_ttl` seconds. A turn costs
two round trips (adapters/held.py): one script takes the lock and reads the state, one
writes the state and releases the lock (only if this turn still owns it); both share one
connection with other users' turns (adapters/redis/line.py).
"""

from __future__ import annotations

from adapters.held import HeldStore, Raw
from adapters.redis.line import RedisLine
from bot.state import Conversation, StateKey

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


class RedisDialogueStore(HeldStore):
    first_retry = 0.005

    def __init__(
        self, line: RedisLine, ttl: float = 3600.0, prefix: str = "banshi", lock_ttl: float = 30.0,
        lock_wait: float = 10.0,
    ) -> None:
        super().__init__(lock_wait)
        self._redis = line
        self._ttl = max(1, int(ttl))
        self._prefix = prefix
        self._lock_ttl_ms = max(1, int(lock_ttl * 1000))

    @classmethod
    def from_url(cls, url: str, **kwargs: float | str) -> RedisDialogueStore:
        return cls(RedisLine(url), **kwargs)  # type: ignore[arg-type]

    def _keys(self, key: StateKey) -> list[str]:
        """The lock's key and the state's."""
        return [f"{self._prefix}:lock:{key.text}", f"{self._prefix}:state:{key.text}"]

    async def _read(self, key: StateKey) -> Raw | None:
        raw: bytes | None = await self._redis.execute("GET", self._keys(key)[1])
        return raw

    async def _write(self, key: StateKey, state: Conversation) -> None:
        await self._redis.execute("SET", self._keys(key)[1], state.to_json(), "EX", self._ttl)

    async def _delete(self, key: StateKey) -> None:
        await self._redis.execute("DEL", self._keys(key)[1])

    async def _try_take(self, key: StateKey, owner: str) -> tuple[bool, Raw | None]:
        taken = await self._redis.eval(_TAKE, self._keys(key), [owner, self._lock_ttl_ms])
        return (True, taken[1] if len(taken) > 1 else None) if taken[0] == 1 else (False, None)

    async def _give_back(self, key: StateKey, owner: str, state: Conversation | None, read: Raw | None) -> bool:
        written = state.to_json() if state is not None else ""
        had = [read, "1"] if read is not None else ["", "0"]
        return bool(await self._redis.eval(_RELEASE, self._keys(key), [owner, written, self._ttl, *had]))

    async def close(self) -> None:
        await super().close()
        await self._redis.close()
