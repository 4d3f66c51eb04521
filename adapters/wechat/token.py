"""The access token, shared by every instance through the database, with one refresher.

WeChat gives an account one valid token at a time. Each instance asking for its own would
invalidate the others' (classic `cgi-bin/token`) or burn the daily quota, so the token
lives in one row: instances read it, and when it is near expiry the one that takes the
row's short *lease* fetches a new one from `cgi-bin/stable_token` while the rest wait
for the row to change. Inside an instance an asyncio lock keeps coroutines from even
asking the database at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.tables import wechat_tokens
from bot.protocols import SendError

log = logging.getLogger("banshi.wechat.token")

REFRESH_MARGIN = 300.0  # refresh 5 min early, as stable_token itself does
LEASE_SECONDS = 15.0

Fetch = Callable[[bool], Awaitable[tuple[str, float]]]  # force_refresh -> (token, expires_in)


class TokenStore(Protocol):
    async def get(self) -> str: ...

    async def invalidate(self, token: str) -> None: ...


def stable_token_fetcher(
    session: aiohttp.ClientSession, base: str, appid: str, secret: str, timeout: float = 5.0
) -> Fetch:
    """A `Fetch` calling `POST cgi-bin/stable_token` (same token for its whole lifetime)."""

    async def fetch(force: bool) -> tuple[str, float]:
        payload = {"grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force}
        for attempt in range(1, 4):
            try:
                async with session.post(
                    f"{base}/cgi-bin/stable_token", json=payload, timeout=aiohttp.ClientTimeout(total=timeout)
                ) as response:
                    data = await response.json(content_type=None)
                break
            except (aiohttp.ClientError, TimeoutError, ValueError) as e:
                log.warning("stable_token unreachable", extra={"attempt": attempt, "error": type(e).__name__})
                if attempt == 3:
                    raise SendError(-1, f"stable_token unreachable: {type(e).__name__}") from None
                await asyncio.sleep(0.2 * attempt)
        if not isinstance(data, dict):
            raise SendError(-1, "stable_token answer is not a JSON object")
        if not data.get("access_token"):
            code = int(data.get("errcode", -1))
            log.error("stable_token refused", extra={"errcode": code, "errmsg": data.get("errmsg", "")})
            raise SendError(code, str(data.get("errmsg", "no access_token")))
        return str(data["access_token"]), float(data.get("expires_in", 7200))

    return fetch


class SqlTokenStore:
    """The token row for one appid, refreshed by whichever instance holds the lease."""

    def __init__(
        self,
        engine: AsyncEngine,
        appid: str,
        fetch: Fetch,
        *,
        clock: Callable[[], float] = time.time,
        wait_seconds: float = 2 * LEASE_SECONDS,
    ) -> None:
        self.engine = engine
        self.appid = appid
        self.fetch = fetch
        self.clock = clock
        self.wait_seconds = wait_seconds
        self.owner = uuid.uuid4().hex
        self._lock = asyncio.Lock()
        self._token = ""
        self._expires_at = 0.0
        insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[engine.dialect.name]
        self._seed = insert(wechat_tokens).values(
            appid=appid, token="", expires_at=0.0, lease_owner="", lease_until=0.0
        ).on_conflict_do_nothing()

    def _fresh(self, expires_at: float) -> bool:
        return expires_at - REFRESH_MARGIN > self.clock()

    async def get(self) -> str:
        if self._token and self._fresh(self._expires_at):
            return self._token
        async with self._lock:
            if self._token and self._fresh(self._expires_at):
                return self._token
            deadline = time.monotonic() + self.wait_seconds
            while time.monotonic() < deadline:
                token, expires_at = await self._read()
                if token and self._fresh(expires_at):
                    self._token, self._expires_at = token, expires_at
                    return token
                if await self._take_lease():
                    return await self._refresh(token, invalidated=expires_at == 0.0)
                await asyncio.sleep(0.1)
            raise SendError(-1, "timed out waiting for another instance to refresh the access token")

    async def invalidate(self, token: str) -> None:
        """WeChat said `token` is invalid or expired: mark it so the next get refreshes."""
        self._token, self._expires_at = "", 0.0
        async with self.engine.begin() as conn:
            await conn.execute(
                update(wechat_tokens)
                .where(wechat_tokens.c.appid == self.appid, wechat_tokens.c.token == token)
                .values(expires_at=0.0)
            )

    async def _read(self) -> tuple[str, float]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(wechat_tokens.c.token, wechat_tokens.c.expires_at).where(
                        wechat_tokens.c.appid == self.appid
                    )
                )
            ).first()
        return (row.token, row.expires_at) if row else ("", 0.0)

    async def _take_lease(self) -> bool:
        now = self.clock()
        async with self.engine.begin() as conn:
            await conn.execute(self._seed)
            result = await conn.execute(
                update(wechat_tokens)
                .where(
                    wechat_tokens.c.appid == self.appid,
                    wechat_tokens.c.lease_until < now,
                    # not if another instance stored a fresh token since we read the row
                    wechat_tokens.c.expires_at <= now + REFRESH_MARGIN,
                )
                .values(lease_owner=self.owner, lease_until=now + LEASE_SECONDS)
            )
            return result.rowcount == 1

    async def _refresh(self, old: str, invalidated: bool) -> str:
        try:
            token, expires_in = await self.fetch(False)
            if invalidated and token == old:
                # stable_token hands back the token WeChat just rejected: force a new one.
                token, expires_in = await self.fetch(True)
        except BaseException:
            await self._release()  # so another instance (or a later call) can try
            raise
        expires_at = self.clock() + expires_in
        await self._write(token, expires_at)
        self._token, self._expires_at = token, expires_at
        log.info("access token refreshed", extra={"appid": self.appid, "expires_in": expires_in})
        return token

    async def _release(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(wechat_tokens)
                .where(wechat_tokens.c.appid == self.appid, wechat_tokens.c.lease_owner == self.owner)
                .values(lease_owner="", lease_until=0.0)
            )

    async def _write(self, token: str, expires_at: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(wechat_tokens)
                .where(wechat_tokens.c.appid == self.appid, wechat_tokens.c.lease_owner == self.owner)
                .values(token=token, expires_at=expires_at, lease_owner="", lease_until=0.0)
            )
