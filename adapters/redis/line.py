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
from collections import deque
from typing import Any, cast
from urllib.parse import unquote, urlparse

import hiredis

log = logging.getLogger("banshi.redis")


class RedisLineError(Exception):
    """Redis answered with an error, or the connection is gone."""


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = hiredis.Reader(replyError=RedisLineError)
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None
        self.outgoing: list[bytes] = []

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
            if future.done():  # the caller gave up (cancelled); the reply is still consumed
                continue
            if isinstance(reply, RedisLineError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = RedisLineError(f"connection to Redis lost: {exc or 'closed'}")
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
        elif isinstance(arg, int | float):
            data = repr(arg).encode()
        else:
            raise TypeError(f"cannot send {type(arg).__name__} to Redis")
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RedisLine:
    """`await line.execute("SET", key, value, "NX")` → the raw RESP reply (bytes, int, list, None)."""

    def __init__(self, url: str, connect_timeout: float = 5.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("redis", ""):
            raise ValueError(f"only redis:// URLs are supported here, not {parsed.scheme}://")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 6379
        self.db = int(parsed.path.strip("/") or 0)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.connect_timeout = connect_timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None

    async def execute(self, *args: Any) -> Any:
        protocol = await self._connected()
        return await self._send(protocol, args)

    async def eval(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """A Lua script by its text (Redis caches the compiled script by its hash)."""
        return await self.execute("EVAL", script, len(keys), *keys, *args)

    async def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None

    @staticmethod
    def _send(protocol: _Protocol, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        if protocol.lost is not None or protocol.transport is None or protocol.transport.is_closing():
            raise RedisLineError("connection to Redis lost")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        protocol.send(_encode(args))
        protocol.waiting.append(future)
        return future

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.lost is None:
            return protocol
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._protocol is not None and self._protocol.lost is None:
                return self._protocol
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(self.connect_timeout):
                _, protocol = await loop.create_connection(_Protocol, self.host, self.port)
                try:
                    if self.password is not None:
                        auth = (self.username, self.password) if self.username else (self.password,)
                        await self._send(protocol, ("AUTH", *auth))
                    if self.db:
                        await self._send(protocol, ("SELECT", self.db))
                except BaseException:
                    if protocol.transport is not None:
                        protocol.transport.close()
                    raise
            self._protocol = protocol
            return protocol
