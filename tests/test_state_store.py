"""One contract, every DialogueStore: memory, SQL (SQLite; PostgreSQL in CI) and Redis (in CI)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.db import migrate
from adapters.db.dialogue_store import SqlDialogueStore
from adapters.db.engine import make_engine
from bot.state import Conversation, DialogueStore, MemoryStore, StateKey
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database

REDIS_URL = os.environ.get("BANSHI_TEST_REDIS_URL", "")


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="BANSHI_TEST_DATABASE_URL not set")),
        pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="BANSHI_TEST_REDIS_URL not set")),
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DialogueStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "redis":
        from adapters.redis.dialogue_store import RedisDialogueStore

        redis_store = RedisDialogueStore.from_url(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}", ttl=60)
        try:
            yield redis_store
        finally:
            await redis_store.close()
        return
    name = ""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    else:
        url, name = await _create_pg_database()
    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url)
    try:
        yield SqlDialogueStore(engine)
    finally:
        await engine.dispose()
        if name:
            await _drop_pg_database(name)


KEY = StateKey("wechat:o-alice")


async def test_missing_state_is_none(store: DialogueStore) -> None:
    assert await store.get(KEY) is None


async def test_set_then_get_round_trips_every_field(store: DialogueStore) -> None:
    state = Conversation(lang="bo", item="GA-0001", pending="age", answers={"age": "minor"},
                         options=[("已满16周岁", "sit:age=adult")], hall="HALL-RZ", updated_at=12.5)
    await store.set(KEY, state)
    assert await store.get(KEY) == state
    state.answers["age"] = "adult"  # the stored copy is not the caller's object
    loaded = await store.get(KEY)
    assert loaded is not None and loaded.answers == {"age": "minor"}


async def test_set_overwrites_and_delete_forgets(store: DialogueStore) -> None:
    await store.set(KEY, Conversation(item="A"))
    await store.set(KEY, Conversation(item="B"))
    loaded = await store.get(KEY)
    assert loaded is not None and loaded.item == "B"
    await store.delete(KEY)
    assert await store.get(KEY) is None
    await store.delete(KEY)  # deleting nothing is fine


async def test_keys_are_isolated_by_user_and_bot(store: DialogueStore) -> None:
    await store.set(KEY, Conversation(item="A"))
    assert await store.get(StateKey("wechat:o-bob")) is None
    assert await store.get(StateKey("wechat:o-alice", bot="other")) is None


async def test_lock_serialises_read_modify_write(store: DialogueStore) -> None:
    await store.set(KEY, Conversation(answers={"n": "0"}))

    async def bump() -> None:
        async with store.lock(KEY):
            state = await store.get(KEY)
            assert state is not None
            await asyncio.sleep(0)  # give a racing task every chance to interleave
            state.answers["n"] = str(int(state.answers["n"]) + 1)
            await store.set(KEY, state)

    await asyncio.gather(*(bump() for _ in range(8)))
    final = await store.get(KEY)
    assert final is not None and final.answers["n"] == "8"


async def test_locks_of_different_users_do_not_block_each_other(store: DialogueStore) -> None:
    async with store.lock(KEY), asyncio.timeout(2), store.lock(StateKey("wechat:o-bob")):
        pass
    async with asyncio.timeout(2), store.lock(KEY):  # released after use
        pass
