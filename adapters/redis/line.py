"""One Redis connection carrying many commands at once, for the per-message hot path.

Every WeChat message makes four Redis calls (claim the delivery, take the user's lock
with the state, save the state and release, record the answer). Through redis-py's pool
each call cost the process about 0.1 ms of CPU — more than Redis spends on it — because
each takes a connection, builds objects and waits for its own wake-up. RESP answers in
order, so a single connection can carry the commands of every concurrent request: each
goes out with the others issued in the same turn of the event loop (one write, not
one per command), replies are parsed in C by hiredis as they arrive and handed to the
waiting callers in order. A lost connection fails the
callers waiting on it plainly and the next command reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections import deque
from typing import Any, cast
from urllib.parse import unquote, urlparse

import hiredis

log = logging.getLogger("banshi.redis")


class RedisLineError(Exception):
    """Redis answered with an error, or the connection is gone."""


class _Protocol(asyncio.Protocol):
    def __init__(self, timeout: float) -> None:
        self.reader = hiredis.Reader(replyError=RedisLineError)
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.sent_at: deque[float] = deque()  # when each waiting command was sent
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None
        self.outgoing: list[bytes] = []
        self.timeout = timeout
        self._watchdog: asyncio.TimerHandle | None = None

    def expect(self, future: asyncio.Future[Any]) -> None:
        """Wait for a reply to the command just sent; one watchdog for all of them (a
        timer per command would cost more than the command)."""
        loop = asyncio.get_running_loop()
        self.waiting.append(future)
        self.sent_at.append(loop.time())
        if self._watchdog is None:
            self._watchdog = loop.call_later(self.timeout / 2, self._check)

    def _check(self) -> None:
        self._watchdog = None
        if not self.waiting or self.transport is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() - self.sent_at[0] > self.timeout:
            # Replies come in order: one overdue means the connection is stuck. Drop it;
            # everyone waiting on it hears so, and the next command connects afresh.
            self.lost = RedisLineError(f"Redis did not answer within {self.timeout} s")
            self.transport.abort()
        else:
            self._watchdog = loop.call_later(self.timeout / 2, self._check)

    def send(self, command: bytes) -> None:
        """Queue a command; the first one of this loop turn schedules the write of all."""
        if not self.outgoing:
            asyncio.get_running_loop().call_soon(self._write)
        self.outgoing.append(command)

    def _write(self) -> None:
        data, self.outgoing = b"".join(self.outgoing), []
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            future = self.waiting.popleft()
            self.sent_at.popleft()
            if future.done():  # the caller gave up (cancelled); the reply is still consumed
                continue
            if isinstance(reply, RedisLineError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = self.lost or RedisLineError(f"connection to Redis lost: {exc or 'closed'}")
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.sent_at.clear()
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(self.lost)


def _encode(args: tuple[Any, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, str):
            data = arg.encode()
        elif isinstance(arg, int | float) and not isinstance(arg, bool):
            data = repr(arg).encode()
        else:
            raise TypeError(f"cannot send {type(arg).__name__} to Redis")
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RedisLine:
    """`await line.execute("SET", key, value, "NX")` → the raw RESP reply (bytes, int, list, None)."""

    def __init__(self, url: str, connect_timeout: float = 2.0, command_timeout: float = 2.0,
                 retry_after: float = 1.0, tls: ssl.SSLContext | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("redis", "rediss", ""):
            raise ValueError(f"a Redis URL is redis:// or rediss:// (TLS), not {parsed.scheme}://")
        # rediss://: TLS, by default verified against the system's certificate authorities
        self.tls = (tls or ssl.create_default_context()) if parsed.scheme == "rediss" else None
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 6379
        self.db = int(parsed.path.strip("/") or 0)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout  # a stalled Redis must not stall the citizen
        self.retry_after = retry_after  # after a failed connect, fail fast this long
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[_Protocol] | None = None
        self._failed: tuple[float, Exception] | None = None
        self._closed = False

    async def execute(self, *args: Any) -> Any:
        protocol = await self._connected()
        return await self._send(protocol, args)

    async def eval(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """A Lua script by its text (Redis caches the compiled script by its hash)."""
        return await self.execute("EVAL", script, len(keys), *keys, *args)

    async def close(self) -> None:
        """Send what is queued, then close; later commands are refused."""
        self._closed = True
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            if protocol.outgoing:
                protocol.transport.write(b"".join(protocol.outgoing))
                protocol.outgoing = []
            protocol.transport.close()

    @staticmethod
    def _send(protocol: _Protocol, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        if protocol.lost is not None or protocol.transport is None or protocol.transport.is_closing():
            raise RedisLineError("connection to Redis lost")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        protocol.send(_encode(args))
        protocol.expect(future)
        return future

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.lost is None:
            return protocol
        if self._closed:
            raise RedisLineError("the Redis line is closed")
        loop = asyncio.get_running_loop()
        if self._failed is not None and loop.time() - self._failed[0] < self.retry_after:
            raise RedisLineError(f"Redis unreachable: {self._failed[1]}")
        if self._connecting is None:  # one attempt shared by every caller waiting for it
            self._connecting = loop.create_future()
            connecting = self._connecting
            try:
                self._protocol = await self._connect()
                self._failed = None
                connecting.set_result(self._protocol)
            except BaseException as e:  # cancelled too: the waiters must not wait forever
                failure = e if isinstance(e, Exception) else RedisLineError("connecting was cancelled")
                self._failed = (loop.time(), failure) if isinstance(e, Exception) else self._failed
                connecting.set_exception(failure)
                connecting.exception()  # retrieved: waiters get it; no "never retrieved" noise
                raise
            finally:
                self._connecting = None
            return self._protocol
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.connect_timeout):
            transport, protocol = await loop.create_connection(
                lambda: _Protocol(self.command_timeout), self.host, self.port,
                ssl=self.tls, server_hostname=self.host if self.tls else None,
            )
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            try:
                if self.password is not None:
                    auth = (self.username, self.password) if self.username else (self.password,)
                    await self._send(protocol, ("AUTH", *auth))
                if self.db:
                    await self._send(protocol, ("SELECT", self.db))
            except BaseException:
                transport.close()
                raise
        return protocol
