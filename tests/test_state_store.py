"""One contract, every DialogueStore: memory, SQL (SQLite; PostgreSQL in CI) and Redis (in CI)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.db import migrate
from adapters.db.dialogue_store import SqlDialogueStore
from adapters.db.engine import make_engine
from bot.state import Conversation, DialogueStore, MemoryStore, StateKey
from tests.conftest import PG_URL, REDIS_URL, _create_pg_database, _drop_pg_database

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="BANSHI_TEST_DATABASE_URL not set")),
    pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="BANSHI_TEST_REDIS_URL not set")),
]


@contextlib.asynccontextmanager
async def _stores(backend: str, tmp_path: Path, count: int, **options: float) -> AsyncIterator[list[DialogueStore]]:
    """`count` stores over one backend, as `count` app instances would have."""
    if backend == "memory":
        yield [MemoryStore() for _ in range(count)]
        return
    if backend == "redis":
        from adapters.redis.dialogue_store import RedisDialogueStore

        prefix = f"test-{uuid.uuid4().hex[:8]}"
        redis_stores = [RedisDialogueStore.from_url(REDIS_URL, prefix=prefix, ttl=60, **options) for _ in range(count)]
        try:
            yield list(redis_stores)
        finally:
            for redis_store in redis_stores:
                await redis_store.close()
        return
    name = ""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    else:
        url, name = await _create_pg_database()
    await asyncio.to_thread(migrate.upgrade, url)
    engines = [make_engine(url) for _ in range(count)]
    try:
        yield [SqlDialogueStore(engine, **options) for engine in engines]
    finally:
        for engine in engines:
            await engine.dispose()
        if name:
            await _drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DialogueStore]:
    async with _stores(request.param, tmp_path, 1) as stores:
        yield stores[0]


@pytest.fixture(params=[b for b in BACKENDS if b != "memory"])
async def twins(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[DialogueStore]]:
    async with _stores(request.param, tmp_path, 2) as stores:
        yield stores


@pytest.fixture(params=[b for b in BACKENDS if b != "memory"])
async def short_locks(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[DialogueStore]]:
    """Two instances whose locks expire after 0.3 s (a crashed or very slow turn)."""
    async with _stores(request.param, tmp_path, 2, lock_ttl=0.3, lock_wait=3.0) as stores:
        yield stores


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


async def test_lock_serialises_two_instances_sharing_the_store(twins: list[DialogueStore]) -> None:
    """Two app instances, one user: each turn sees the state the other one saved."""
    await twins[0].set(KEY, Conversation(answers={"n": "0"}))

    async def bump(store: DialogueStore) -> None:
        async with store.lock(KEY):
            state = await store.get(KEY)
            assert state is not None
            await asyncio.sleep(0.001)
            state.answers["n"] = str(int(state.answers["n"]) + 1)
            await store.set(KEY, state)

    await asyncio.gather(*(bump(twins[i % 2]) for i in range(10)))
    for store in twins:
        final = await store.get(KEY)
        assert final is not None and final.answers["n"] == "10"


async def test_state_set_inside_the_lock_is_saved_on_release_and_delete_wins(store: DialogueStore) -> None:
    async with store.lock(KEY):
        await store.set(KEY, Conversation(item="A"))
        inside = await store.get(KEY)
        assert inside is not None and inside.item == "A"
    loaded = await store.get(KEY)
    assert loaded is not None and loaded.item == "A"
    async with store.lock(KEY):
        await store.delete(KEY)
        assert await store.get(KEY) is None
    assert await store.get(KEY) is None


async def test_a_turn_slower_than_its_lock_does_not_overwrite_the_newer_state(short_locks: list[DialogueStore]) -> None:
    slow, fast = short_locks
    await slow.set(KEY, Conversation(item="OLD"))
    async with slow.lock(KEY):
        state = await slow.get(KEY)
        assert state is not None
        async with fast.lock(KEY):  # waits for the slow turn's lock to expire, then takes it
            await fast.set(KEY, Conversation(item="NEW"))
        await slow.set(KEY, state)  # the slow turn ends with its stale state
    final = await fast.get(KEY)
    assert final is not None and final.item == "NEW"


@pytest.fixture(params=[b for b in BACKENDS if b != "memory"])
async def two_instances(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[DialogueStore]]:
    async with _stores(request.param, tmp_path, 2, lock_ttl=3.0, lock_wait=5.0) as stores:
        yield stores


async def test_a_turn_cancelled_while_taking_the_lock_does_not_block_the_user(
    two_instances: list[DialogueStore],
) -> None:
    one, two = two_instances
    taking = one._try_take  # type: ignore[attr-defined]

    async def slow_reply(*args: object) -> object:  # the lock is taken; its answer is slow to come back
        raw = await taking(*args)
        await asyncio.sleep(0.5)
        return raw

    one._try_take = slow_reply  # type: ignore[attr-defined]

    async def turn() -> None:
        async with one.lock(KEY):
            pass

    task = asyncio.create_task(turn())
    await asyncio.sleep(0.2)
    task.cancel()  # the web chat's visitor left, or the server is stopping
    with contextlib.suppress(asyncio.CancelledError):
        await task
    started = asyncio.get_running_loop().time()
    async with two.lock(KEY):
        pass
    assert asyncio.get_running_loop().time() - started < 1.5  # freed in the background, not left to expire (3 s)


@pytest.mark.skipif(not REDIS_URL, reason="BANSHI_TEST_REDIS_URL not set")
async def test_a_store_failing_at_release_does_not_cost_the_turn_its_reply(caplog: pytest.LogCaptureFixture) -> None:
    from adapters.redis.dialogue_store import RedisDialogueStore

    store = RedisDialogueStore.from_url(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}", ttl=60, lock_ttl=1.0)
    reply = None
    async with store.lock(KEY):
        await store.set(KEY, Conversation(item="A"))
        reply = "答复"
        await store.close()  # Redis goes away before the release
    assert reply == "答复"  # the turn ended normally: the caller still sends its reply
    assert "could not save the state and release the lock" in caplog.text
