"""One Redis connection for many concurrent commands: each caller gets its own reply."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from adapters.redis.line import RedisLine, RedisLineError
from tests.conftest import REDIS_URL, free_port

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="BANSHI_TEST_REDIS_URL not set")


@needs_redis
async def test_concurrent_commands_get_their_own_replies_in_order() -> None:
    line = RedisLine(REDIS_URL)
    prefix = f"test-line-{uuid.uuid4().hex[:8]}:"
    try:
        replies = await asyncio.gather(*(line.execute("INCRBY", prefix + str(i % 10), i) for i in range(200)))
        assert replies[:10] == list(range(10))  # the first of each key: its own increment
        totals = [int(await line.execute("GET", prefix + str(k))) for k in range(10)]
        assert totals == [sum(range(k, 200, 10)) for k in range(10)]
        assert await line.execute("SET", prefix + "x", "值", "NX") == b"OK"
        assert await line.execute("SET", prefix + "x", "other", "NX") is None
        assert (await line.execute("GET", prefix + "x")).decode() == "值"
        assert await line.eval("return {1, redis.call('GET', KEYS[1])}", [prefix + "none"], []) == [1, None]
        await line.execute("DEL", *(prefix + str(k) for k in range(10)), prefix + "x")
    finally:
        await line.close()


@needs_redis
async def test_an_error_reply_reaches_only_its_caller() -> None:
    line = RedisLine(REDIS_URL)
    key = f"test-line-{uuid.uuid4().hex[:8]}"
    try:
        await line.execute("SET", key, "text")
        replies = await asyncio.gather(line.execute("GET", key), line.execute("INCR", key), line.execute("GET", key),
                                       return_exceptions=True)
        assert replies[0] == replies[2] == b"text"
        assert isinstance(replies[1], RedisLineError) and "not an integer" in str(replies[1])
        await line.execute("DEL", key)
    finally:
        await line.close()


@needs_redis
async def test_the_database_in_the_url_is_used() -> None:
    other = REDIS_URL.rsplit("/", 1)[0] + "/14"
    key = f"test-line-{uuid.uuid4().hex[:8]}"
    first, second = RedisLine(REDIS_URL), RedisLine(other)
    try:
        await first.execute("SET", key, "here", "EX", 60)
        assert await second.execute("GET", key) is None
        assert await first.execute("GET", key) == b"here"
    finally:
        await first.close()
        await second.close()


@needs_redis
async def test_a_killed_connection_fails_its_waiting_callers_and_the_next_command_reconnects() -> None:
    line, admin = RedisLine(REDIS_URL), RedisLine(REDIS_URL)
    try:
        await line.execute("CLIENT", "SETNAME", "banshi-line-test")
        me = int(await line.execute("CLIENT", "ID"))
        waiting = asyncio.ensure_future(line.execute("BLPOP", f"test-line-empty-{uuid.uuid4().hex}", 5))
        await asyncio.sleep(0.05)
        assert await admin.execute("CLIENT", "KILL", "ID", me) == 1
        with pytest.raises(RedisLineError, match="lost"):
            await waiting
        assert await line.execute("PING") == b"PONG"  # a new connection
        assert int(await line.execute("CLIENT", "ID")) != me
    finally:
        await line.close()
        await admin.close()


@needs_redis
def test_it_works_on_uvloop_too() -> None:
    """`serve` runs on uvloop, whose transports are not asyncio's classes."""
    uvloop = pytest.importorskip("uvloop")

    async def ping() -> object:
        line = RedisLine(REDIS_URL)
        try:
            return await line.execute("PING")
        finally:
            await line.close()

    loop = uvloop.new_event_loop()
    try:
        assert loop.run_until_complete(ping()) == b"PONG"
    finally:
        loop.close()


@contextlib.asynccontextmanager
async def _line_to_a_silent_server(userinfo: str = "", **options: float) -> AsyncIterator[RedisLine]:
    """A line to a server that accepts connections and never answers: a Redis that hangs."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    line = RedisLine(f"redis://{userinfo}127.0.0.1:{port}/0", **options)
    try:
        yield line
    finally:
        await line.close()
        server.close()
        await server.wait_closed()


async def test_a_stalled_redis_fails_commands_within_the_timeout() -> None:
    async with _line_to_a_silent_server(command_timeout=0.3) as line:
        started = time.monotonic()
        results = await asyncio.gather(*(line.execute("PING") for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, RedisLineError) for r in results)
        assert time.monotonic() - started < 2


async def test_waiting_callers_share_one_connection_attempt() -> None:
    # AUTH is never answered: the connect times out
    async with _line_to_a_silent_server(":secret@", connect_timeout=0.3) as line:
        started = time.monotonic()
        results = await asyncio.gather(*(line.execute("PING") for _ in range(6)), return_exceptions=True)
        assert all(isinstance(r, Exception) for r in results)
        assert time.monotonic() - started < 1.0  # together, not 6 × 0.3 s one after another
        with pytest.raises(RedisLineError, match="unreachable"):  # and then fail fast for a moment
            await line.execute("PING")


@needs_redis
async def test_a_closed_line_refuses_commands() -> None:
    line = RedisLine(REDIS_URL)
    assert await line.execute("PING") == b"PONG"
    await line.close()
    with pytest.raises(RedisLineError, match="closed"):
        await line.execute("PING")


async def test_no_server_is_a_plain_error() -> None:
    line = RedisLine(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=2)
    with pytest.raises(OSError):
        await line.execute("PING")


def test_only_redis_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="rediss"):
        RedisLine("rediss://example.org:6380/0")
