"""Conversation state in the database (the default): every instance sees the same state.

The per-user lock is a row in `dialogue_locks` (taken by one conditional upsert, so
instances never collide), with an expiry so a crashed instance can't block a citizen for
more than `lock_ttl` seconds. It works the same on SQLite and PostgreSQL; a
process-local lock in front keeps one instance from polling the table against itself.

A message costs two transactions, not five (adapters/held.py): taking the lock also
reads the state, and releasing it writes the state the turn set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db.tables import dialogue_locks, dialogue_state
from adapters.db.upsert import upsert_statement
from adapters.held import Held, LocalLocks, hold, holding, release, release_in_background
from bot.state import Conversation, StateKey

log = logging.getLogger("banshi.dialogue")


class SqlDialogueStore:
    def __init__(self, engine: AsyncEngine, lock_ttl: float = 30.0, lock_wait: float = 10.0) -> None:
        self._engine = engine
        self._lock_ttl = lock_ttl
        self._lock_wait = lock_wait
        self._local = LocalLocks()

    async def get(self, key: StateKey) -> Conversation | None:
        held = holding(key)
        if held is not None:
            return held.current()
        async with self._engine.connect() as conn:
            raw = await _read(conn, key)
        return Conversation.from_json(raw) if raw is not None else None

    async def set(self, key: StateKey, state: Conversation) -> None:
        held = holding(key)
        if held is not None:
            held.pending = state
            return
        async with self._engine.begin() as conn:
            await _write(conn, key, state)

    async def delete(self, key: StateKey) -> None:
        held = holding(key)
        if held is not None:
            held.forget()
        async with self._engine.begin() as conn:
            await conn.execute(delete(dialogue_state).where(dialogue_state.c.key == key.text))

    @contextlib.asynccontextmanager
    async def lock(self, key: StateKey) -> AsyncIterator[None]:
        async with self._local(key):
            owner = uuid.uuid4().hex
            try:
                raw = await self._acquire(key, owner)
            except asyncio.CancelledError:  # the lock row may have been committed: free it
                release_in_background(self._release(key, owner, None, None))
                raise
            with hold(Held(key, owner, raw)) as held:
                try:
                    yield
                finally:
                    await release(lambda: self._release(key, owner, held.pending, raw), key)

    async def _release(self, key: StateKey, owner: str, state: Conversation | None, read: str | None) -> bool:
        """Free the lock and save `state`, unless our lock expired and another turn holds
        it now or saved a newer state meanwhile (`read` is the state as the take read it)."""
        async with self._engine.begin() as conn:
            freed = await conn.execute(
                delete(dialogue_locks).where(dialogue_locks.c.key == key.text, dialogue_locks.c.owner == owner)
            )
            if freed.rowcount != 1:
                holder = await conn.scalar(select(dialogue_locks.c.owner).where(dialogue_locks.c.key == key.text))
                if holder is not None or await _read(conn, key) != read:
                    return False
            if state is not None:
                await _write(conn, key, state)
        return True

    async def _acquire(self, key: StateKey, owner: str) -> str | None:
        """Take the lock row and read the state in one transaction; returns the raw state."""
        deadline = time.monotonic() + self._lock_wait
        delay = 0.01
        while True:
            now = time.time()
            async with self._engine.begin() as conn:
                statement = upsert_statement(conn, dialogue_locks, where=_LOCK_EXPIRED)
                taken = await conn.execute(
                    statement, {"key": key.text, "owner": owner, "expires_at": now + self._lock_ttl, "now": now}
                )
                if taken.rowcount == 1:
                    return await _read(conn, key)
            if time.monotonic() > deadline:
                # Better a rare race than a citizen without an answer.
                log.warning("dialogue lock wait timed out; going ahead", extra={"key": key.text})
                async with self._engine.connect() as conn:
                    return await _read(conn, key)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)

    async def close(self) -> None:
        self._local.clear()  # the engine belongs to the app


_LOCK_EXPIRED = dialogue_locks.c.expires_at < bindparam("now")  # a lock row may be retaken once expired
_READ = select(dialogue_state.c.state).where(dialogue_state.c.key == bindparam("key"))


async def _read(conn: AsyncConnection, key: StateKey) -> str | None:
    return (await conn.execute(_READ, {"key": key.text})).scalar()


async def _write(conn: AsyncConnection, key: StateKey, state: Conversation) -> None:
    await conn.execute(
        upsert_statement(conn, dialogue_state),
        {"key": key.text, "state": state.to_json(), "updated_at": state.updated_at},
    )
