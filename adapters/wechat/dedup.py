"""Deduplication of WeChat deliveries, shared by every instance (database or Redis).

WeChat re-sends a message it got no answer for within 5 s, up to three deliveries, and
they may land on different instances. The first instance to *claim* a delivery key runs
the bot; it then records the body it answered. Every other copy waits for that body and
answers the very same thing, so the citizen sees one reply and the bot runs once.

A claim is a lease: the owner answers within its budget (with `success` at worst), so a
claim still unanswered `lease` seconds later belongs to an instance that died or hung,
and the next retry takes it over instead of leaving the citizen without any answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.tables import wechat_deliveries
from adapters.redis.line import RedisLine

KEEP_SECONDS = 3600  # WeChat's retries end within ~15 s; an hour is a wide margin
LEASE_SECONDS = 4.5  # the default budget (4 s) and a margin: later than this, the owner is gone


class DeliveryLog(Protocol):
    """Who handles a delivery, and what was answered to it."""

    async def claim(self, key: str) -> bool:
        """True for exactly one caller per key across all instances (and for a caller
        taking over a claim left unanswered past its lease)."""

    async def finish(self, key: str, body: str) -> None:
        """Record the body answered to the claimed delivery."""

    async def answer(self, key: str) -> str | None:
        """The recorded body, or None while the owner is still working."""


async def wait_or_take_over(log: DeliveryLog, key: str, within: float) -> tuple[str | None, bool]:
    """Poll for the owner's answer for up to `within` seconds: (answer, False); or, when the
    owner's lease runs out first (it died), take the delivery over: (None, True)."""
    deadline = time.monotonic() + within
    pause = 0.01
    while True:
        body = await log.answer(key)
        if body is not None:
            return body, False
        if await log.claim(key):
            return None, True
        left = deadline - time.monotonic()
        if left <= 0:
            return None, False
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, 0.2)


_ANSWER = update(wechat_deliveries).where(wechat_deliveries.c.key == bindparam("k")).values(body=bindparam("b"))
_READ = select(wechat_deliveries.c.body).where(wechat_deliveries.c.key == bindparam("k"))


class SqlDeliveryLog:
    """Claims as primary-key inserts: the database decides who was first.

    Writes are *group-committed*: claims and answers that arrive while a transaction is
    in flight wait and go together in the next one. Under load that turns hundreds of
    commits a second into a few dozen, and on SQLite it keeps a single writer, so
    concurrent requests never spin on the database lock.
    """

    def __init__(self, engine: AsyncEngine, lease: float = LEASE_SECONDS) -> None:
        self.engine = engine
        self.lease = lease  # by this instance's clock: keep instances' clocks in sync (NTP)
        insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}.get(engine.dialect.name, pg_insert)
        # built once: they run for every batch of messages (one statement, many rows)
        self._claim = insert(wechat_deliveries).on_conflict_do_nothing().returning(wechat_deliveries.c.key)
        self._pending: list[tuple[str, str | None, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def claim(self, key: str) -> bool:
        return await self._submit(key, None)

    async def finish(self, key: str, body: str) -> None:
        await self._submit(key, body)

    async def _submit(self, key: str, body: str | None) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((key, body, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    won = await self._commit(batch)
                except Exception as e:
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(e)
                    continue
                for key, body, future in batch:
                    if future.done():
                        continue
                    if body is not None:
                        future.set_result(True)
                    else:  # a key claimed twice in one batch: only its first claim wins
                        future.set_result(key in won)
                        won.discard(key)
        finally:
            self._writer = None

    async def _commit(self, batch: list[tuple[str, str | None, asyncio.Future[bool]]]) -> set[str]:
        """One transaction for the batch; the claimed keys this batch won."""
        now = time.time()
        claims = list(dict.fromkeys(key for key, body, _ in batch if body is None))
        answers = [{"k": key, "b": body} for key, body, _ in batch if body is not None]
        won: set[str] = set()
        async with self.engine.begin() as conn:
            if claims:
                rows = [{"key": k, "body": None, "created_at": now} for k in claims]
                won = set((await conn.execute(self._claim, rows)).scalars())
                taken = [k for k in claims if k not in won]
                if taken:  # claims whose owner never answered: take them over
                    stale = (
                        update(wechat_deliveries)
                        .where(wechat_deliveries.c.key.in_(taken), wechat_deliveries.c.body.is_(None),
                               wechat_deliveries.c.created_at < now - self.lease)
                        .values(created_at=now)
                        .returning(wechat_deliveries.c.key)
                    )
                    won |= set((await conn.execute(stale)).scalars())
            if answers:
                await conn.execute(_ANSWER, answers)
        return won

    async def answer(self, key: str) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.scalar(_READ, {"k": key})

    async def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(wechat_deliveries).where(wechat_deliveries.c.created_at < time.time() - keep_seconds)
            )
            return result.rowcount or 0


# KEYS: delivery · ARGV: lease (s), keep (s) → 1 if claimed. Times are Redis's own clock,
# so instances with skewed clocks agree on when a lease has run out.
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('GET', KEYS[1])
if v and not (string.sub(v, 1, 8) == 'pending:' and tonumber(string.sub(v, 9)) < now - tonumber(ARGV[1])) then
  return 0
end
redis.call('SET', KEYS[1], string.format('pending:%.3f', now), 'EX', ARGV[2])
return 1
"""


class RedisDeliveryLog:
    """Claims as a script (set if absent, or pending past the lease): Redis decides who was
    first and forgets later. Concurrent deliveries share one connection (adapters/redis/line.py)."""

    PENDING = "pending:"  # + claim time; a body is XML or `success`, never this

    def __init__(self, redis: RedisLine, prefix: str = "banshi:wechat:delivery:", lease: float = LEASE_SECONDS) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lease = lease

    async def claim(self, key: str) -> bool:
        return bool(await self.redis.eval(_CLAIM, [self.prefix + key], [self.lease, KEEP_SECONDS]))

    async def finish(self, key: str, body: str) -> None:
        await self.redis.execute("SET", self.prefix + key, body, "XX", "EX", KEEP_SECONDS)

    async def answer(self, key: str) -> str | None:
        raw = await self.redis.execute("GET", self.prefix + key)
        if raw is None:
            return None
        body = raw.decode() if isinstance(raw, bytes) else str(raw)
        return None if not body or body.startswith(self.PENDING) else body  # '' was the old marker
