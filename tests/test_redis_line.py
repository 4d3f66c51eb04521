"""One Redis connection for many concurrent commands: each caller gets its own reply."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

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


async def test_rediss_speaks_tls_and_checks_the_certificate(tmp_path: Path) -> None:
    """A RESP server behind TLS with its own certificate: trusted, the line talks to it;
    not trusted (the system's authorities only), the connect fails plainly."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    async def pong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1024):
            writer.write(b"+PONG\r\n")
        writer.close()

    server = await asyncio.start_server(pong, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    trusting = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    line, stranger = RedisLine(f"rediss://localhost:{port}/0", tls=trusting), RedisLine(f"rediss://localhost:{port}/0")
    try:
        assert await line.execute("PING") == b"PONG"
        with pytest.raises(ssl.SSLCertVerificationError):
            await stranger.execute("PING")
    finally:
        await line.close()
        await stranger.close()
        server.close()
        await server.wait_closed()


def test_only_redis_urls_are_accepted_and_rediss_means_tls() -> None:
    with pytest.raises(ValueError, match="rediss"):
        RedisLine("http://example.org:6380/0")
    secure = RedisLine("rediss://user:p%40ss@example.org:6380/2")
    assert secure.tls is not None and secure.tls.verify_mode.name == "CERT_REQUIRED"
    assert (secure.host, secure.port, secure.db, secure.username, secure.password) == (
        "example.org", 6380, 2, "user", "p@ss")
    assert RedisLine("redis://127.0.0.1/0").tls is None
