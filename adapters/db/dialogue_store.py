"""Conversation state in the database (the default): every instance sees the same state.

The per-user lock is a row in `dialogue_locks` (taken by one conditional upsert, so
instances never collide), with an expiry so a crashed instance can't block a citizen for
more than `lock_ttl` seconds. It works the same on SQLite and PostgreSQL; a
process-local lock in front keeps one instance from polling the table against itself.

A message costs two transactions, not five (adapters/held.py): taking the lock also
reads the state, and releasing it writes the state the turn set.
"""

from __future__ import annotations

import time

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db.tables import dialogue_locks, dialogue_state
from adapters.db.upsert import upsert_statement
from adapters.held import HeldStore, Raw
from bot.state import Conversation, StateKey


class SqlDialogueStore(HeldStore):
    def __init__(self, engine: AsyncEngine, lock_ttl: float = 30.0, lock_wait: float = 10.0) -> None:
        super().__init__(lock_wait)
        self._engine = engine  # the app's: not closed here
        self._lock_ttl = lock_ttl

    async def _read(self, key: StateKey) -> Raw | None:
        async with self._engine.connect() as conn:
            return await _read(conn, key)

    async def _write(self, key: StateKey, state: Conversation) -> None:
        async with self._engine.begin() as conn:
            await _write(conn, key, state)

    async def _delete(self, key: StateKey) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(dialogue_state).where(dialogue_state.c.key == key.text))

    async def _try_take(self, key: StateKey, owner: str) -> tuple[bool, Raw | None]:
        """Take the lock row (new, or expired) and read the state in one transaction."""
        now = time.time()
        async with self._engine.begin() as conn:
            statement = upsert_statement(conn, dialogue_locks, where=_LOCK_EXPIRED)
            taken = await conn.execute(
                statement, {"key": key.text, "owner": owner, "expires_at": now + self._lock_ttl, "now": now}
            )
            return (True, await _read(conn, key)) if taken.rowcount == 1 else (False, None)

    async def _give_back(self, key: StateKey, owner: str, state: Conversation | None, read: Raw | None) -> bool:
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


_LOCK_EXPIRED = dialogue_locks.c.expires_at < bindparam("now")  # a lock row may be retaken once expired
_READ = select(dialogue_state.c.state).where(dialogue_state.c.key == bindparam("key"))


async def _read(conn: AsyncConnection, key: StateKey) -> str | None:
    return (await conn.execute(_READ, {"key": key.text})).scalar()


async def _write(conn: AsyncConnection, key: StateKey, state: Conversation) -> None:
    await conn.execute(
        upsert_statement(conn, dialogue_state),
        {"key": key.text, "state": state.to_json(), "updated_at": state.updated_at},
    )
