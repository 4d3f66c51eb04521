"""The delivery log on every backend: one owner per delivery, the same answer for every
copy, and a claim left unanswered past its lease (the owner died) is taken over."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.db import migrate
from adapters.db.engine import make_engine
from adapters.redis.line import RedisLine
from adapters.wechat.dedup import DeliveryLog, RedisDeliveryLog, SqlDeliveryLog, wait_or_take_over
from tests.conftest import PG_URL, REDIS_URL, _create_pg_database, _drop_pg_database

LEASE = 0.4


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="BANSHI_TEST_DATABASE_URL not set")),
        pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="BANSHI_TEST_REDIS_URL not set")),
    ]
)
async def logs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[DeliveryLog]]:
    """Two instances' delivery logs over one backend, with a lease of LEASE seconds."""
    if request.param == "redis":
        lines = [RedisLine(REDIS_URL), RedisLine(REDIS_URL)]
        prefix = f"test-dedup-{uuid.uuid4().hex[:8]}:"
        try:
            yield [RedisDeliveryLog(line, prefix=prefix, lease=LEASE) for line in lines]
        finally:
            for line in lines:
                await line.close()
        return
    name = ""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'dedup.db'}"
    else:
        url, name = await _create_pg_database()
    await asyncio.to_thread(migrate.upgrade, url)
    engines = [make_engine(url), make_engine(url)]
    try:
        yield [SqlDeliveryLog(engine, lease=LEASE) for engine in engines]
    finally:
        for engine in engines:
            await engine.dispose()
        if name:
            await _drop_pg_database(name)


async def test_one_owner_and_one_answer_for_every_copy(logs: list[DeliveryLog]) -> None:
    one, two = logs
    claims = await asyncio.gather(one.claim("msg:1"), two.claim("msg:1"), one.claim("msg:1"), two.claim("msg:2"))
    assert sorted(claims[:3]) == [False, False, True] and claims[3] is True
    assert await one.answer("msg:1") is None  # the owner is still working
    await two.finish("msg:1", "<xml>答复</xml>")
    assert await one.answer("msg:1") == await two.answer("msg:1") == "<xml>答复</xml>"


async def test_a_claim_unanswered_past_its_lease_is_taken_over_once(logs: list[DeliveryLog]) -> None:
    one, two = logs
    assert await one.claim("msg:3")  # and then this instance dies
    await asyncio.sleep(LEASE / 2)
    assert not await two.claim("msg:3")  # within the lease: the owner may still answer
    await asyncio.sleep(LEASE)
    takeovers = await asyncio.gather(two.claim("msg:3"), one.claim("msg:3"), two.claim("msg:3"))
    assert sorted(takeovers) == [False, False, True]  # one retry takes it over, not every one
    await two.finish("msg:3", "success")
    await asyncio.sleep(LEASE * 1.5)
    assert not await one.claim("msg:3")  # answered deliveries are never taken over
    assert await one.answer("msg:3") == "success"


async def test_a_copy_waiting_for_a_dead_owner_takes_over_when_the_lease_runs_out(logs: list[DeliveryLog]) -> None:
    one, two = logs
    assert await one.claim("msg:4")  # the owner dies before answering
    started = time.monotonic()
    body, mine = await wait_or_take_over(two, "msg:4", within=3.0)
    assert (body, mine) == (None, True)
    assert LEASE * 0.9 < time.monotonic() - started < LEASE + 1.0
    assert await two.claim("msg:5")
    waiting = asyncio.create_task(wait_or_take_over(one, "msg:5", within=3.0))
    await asyncio.sleep(0.05)
    await two.finish("msg:5", "<xml>答复</xml>")  # a live owner answers: the copy gets it
    assert await waiting == ("<xml>答复</xml>", False)
