"""The WeChat official-account channel: callback (webhook), codec, dedup, API client.

`setup(app, settings)` adds /wechat and builds the channel in the app's cleanup context:
it uses the app's engine when the factory made one (app[ENGINE]), else its own; the
delivery log goes to Redis when BANSHI_REDIS_URL is set, else to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from adapters.db.engine import make_engine
from adapters.keys import ENGINE
from adapters.settings import Settings
from adapters.wechat.api import WeChatApi
from adapters.wechat.codec import Codec
from adapters.wechat.dedup import DeliveryLog, RedisDeliveryLog, SqlDeliveryLog
from adapters.wechat.token import SqlTokenStore, stable_token_fetcher
from adapters.wechat.webhook import WECHAT, WeChatChannel, add_routes

log = logging.getLogger("banshi.wechat")

WECHAT_API = web.AppKey("wechat_api", WeChatApi)
PRUNE_EVERY = 600.0


def setup(app: web.Application, settings: Settings) -> None:
    """Register /wechat and the channel's resources on `app`."""

    async def channel(app: web.Application) -> AsyncIterator[None]:
        own_engine = ENGINE not in app
        engine = make_engine(settings.database_url) if own_engine else app[ENGINE]
        redis = None
        deliveries: DeliveryLog
        lease = settings.wechat_budget_seconds + 0.5  # the owner has answered by then, if alive
        sql_log = SqlDeliveryLog(engine, lease=lease)
        if settings.redis_url:
            from adapters.redis.line import RedisLine

            redis = RedisLine(settings.redis_url)
            deliveries = RedisDeliveryLog(redis, lease=lease)
        else:
            deliveries = sql_log
        session = aiohttp.ClientSession()
        api = None
        if settings.wechat_appid and settings.wechat_secret:
            fetch = stable_token_fetcher(
                session, settings.wechat_api_base, settings.wechat_appid, settings.wechat_secret.get()
            )
            api = WeChatApi(session, SqlTokenStore(engine, settings.wechat_appid, fetch),
                            base=settings.wechat_api_base)
            app[WECHAT_API] = api
        codec = Codec(
            settings.wechat_token.get(),
            aes_key=settings.wechat_aes_key.get(),
            appid=settings.wechat_appid,
            max_skew=settings.wechat_max_skew,
        )
        state = WeChatChannel(codec, deliveries, api, budget=settings.wechat_budget_seconds,
                              max_body=settings.wechat_max_body)
        app[WECHAT] = state
        pruner = asyncio.create_task(_prune_forever(sql_log)) if redis is None else None
        try:
            yield
        finally:
            await state.drain()
            if pruner is not None:
                pruner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pruner
            await session.close()
            if redis is not None:
                await redis.close()
            if own_engine:
                await engine.dispose()

    app.cleanup_ctx.append(channel)
    add_routes(app)


async def _prune_forever(deliveries: SqlDeliveryLog) -> None:
    """Forget old delivery records: WeChat's retries are over within seconds."""
    while True:
        await asyncio.sleep(PRUNE_EVERY)
        try:
            await deliveries.prune()
        except Exception:
            log.exception("pruning wechat_deliveries failed")
