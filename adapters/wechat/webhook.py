"""GET/POST /wechat: WeChat's callback, from signature check to the passive reply.

The order matters: size and signature are checked before the body is read or parsed;
the delivery is claimed (dedup) before any slow work; the bot runs under a budget below
WeChat's 5-second wait, and a late answer is acknowledged with `success` and pushed
afterwards through the customer-service API. Whatever goes wrong, the caller gets a short
answer and the log gets the reason: never a 500, never a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from adapters.keys import BOT
from adapters.wechat.api import WeChatApi
from adapters.wechat.codec import Codec, Decoded, Refused
from adapters.wechat.dedup import DeliveryLog, wait_or_take_over
from adapters.wechat.inbound import delivery_key, translate
from adapters.wechat.render import Out, passive_xml, plan
from bot.types import Inbound, Reply

log = logging.getLogger("banshi.wechat")

SUCCESS = "success"
_STATUS_TEXT = {400: "bad request", 403: "forbidden", 413: "request too large"}


@dataclass
class WeChatChannel:
    """Everything the callback needs, built once per app by `adapters.wechat.setup`."""

    codec: Codec
    deliveries: DeliveryLog
    api: WeChatApi | None
    budget: float = 4.0
    max_body: int = 64 * 1024
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the response; the app's cleanup waits for it."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, grace: float = 10.0) -> None:
        """Let pending pushes finish (shutdown), cancelling what is still running after `grace` seconds."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)


WECHAT = web.AppKey("wechat", WeChatChannel)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/wechat", verify)
    app.router.add_post("/wechat", receive)


async def verify(request: web.Request) -> web.Response:
    """Server verification: echo `echostr` when the signature and timestamp are right."""
    codec = request.app[WECHAT].codec
    try:
        codec.check_query(request.query)
        return web.Response(text=codec.echo(request.query))
    except Refused as refused:
        return _refuse(request, refused)


async def receive(request: web.Request) -> web.Response:
    channel = request.app[WECHAT]
    try:
        decoded = await _decode(request, channel)
    except Refused as refused:
        return _refuse(request, refused)
    try:
        body = await _answer(request, channel, decoded)
    except Exception:  # the bot and the stores are behind this; WeChat must still get an answer
        log.exception("wechat message failed; answered success")
        body = SUCCESS
    reply = channel.codec.encode(body, decoded.encrypted, request.query.get("nonce", ""))
    if reply == SUCCESS:
        return web.Response(text=SUCCESS)
    return web.Response(text=reply, content_type="application/xml")


async def _decode(request: web.Request, channel: WeChatChannel) -> Decoded:
    if request.content_length is not None and request.content_length > channel.max_body:
        raise Refused(413, f"body of {request.content_length} bytes (limit {channel.max_body})")
    channel.codec.check_query(request.query)
    body = bytearray()
    async for chunk in request.content.iter_chunked(16 * 1024):
        body += chunk
        if len(body) > channel.max_body:
            raise Refused(413, f"body over {channel.max_body} bytes")
    return channel.codec.decode(bytes(body), request.query)


def _refuse(request: web.Request, refused: Refused) -> web.Response:
    log.warning(
        "wechat request refused: %s", refused.reason,
        extra={"status": refused.status, "remote": request.remote, "path": request.path_qs[:200]},
    )
    return web.Response(status=refused.status, text=_STATUS_TEXT.get(refused.status, "refused"))


async def _answer(request: web.Request, channel: WeChatChannel, decoded: Decoded) -> str:
    """The passive reply body (XML or `success`) for a message, handled once per delivery."""
    message = decoded.message
    key = delivery_key(message)
    try:
        mine = await channel.deliveries.claim(key)
    except Exception:
        # Without the shared record we cannot know; answering twice beats not answering.
        log.exception("delivery log unavailable; handling without dedup", extra={"key": key})
        mine = True
    budget = channel.budget
    if not mine:
        started = time.monotonic()
        body, mine = await wait_or_take_over(channel.deliveries, key, channel.budget)
        if not mine:
            log.info("duplicate delivery answered from the record", extra={"key": key, "found": body is not None})
            return body or SUCCESS
        budget = max(0.0, channel.budget - (time.monotonic() - started))
        log.warning("delivery taken over: its first instance never answered", extra={"key": key})

    translated = translate(message)
    if translated.inbound is None:
        if translated.note:
            log.info("wechat message not for the bot: %s", translated.note, extra={"key": key})
        body = _passive(message, plan(list(translated.own_reply), can_transfer=False), channel)
    else:
        body = await _run_bot(request, channel, translated.inbound, message, budget)
    await _record(channel, key, body)
    return body


async def _run_bot(request: web.Request, channel: WeChatChannel, inbound: Inbound, message: Any,
                   budget: float) -> str:
    task = asyncio.create_task(request.app[BOT].feed(inbound))
    done, _ = await asyncio.wait({task}, timeout=budget)
    if task not in done:
        log.info("bot is late; answered success, the reply will be pushed",
                 extra={"budget": budget, "kind": inbound.kind})
        channel.spawn(_push_late(channel, task, inbound.user.id))
        return SUCCESS
    replies = task.result()  # an exception here is logged by receive() and answered `success`
    if inbound.event == "unsubscribe":
        return SUCCESS  # nobody to read it
    return _passive(message, plan(replies, can_transfer=inbound.kind != "event"), channel)


def _passive(message: Any, outs: list[Out], channel: WeChatChannel) -> str:
    """The first message as the passive reply; the rest pushed afterwards."""
    if not outs:
        return SUCCESS
    if len(outs) > 1:
        channel.spawn(_push(channel, message.source, outs[1:]))
    return passive_xml(outs[0], to_user=message.source, from_user=message.target)


async def _record(channel: WeChatChannel, key: str, body: str) -> None:
    try:
        await channel.deliveries.finish(key, body)
    except Exception:
        log.exception("could not record the answer of a delivery", extra={"key": key})


async def _push_late(channel: WeChatChannel, task: asyncio.Task[list[Reply]], user_id: str) -> None:
    try:
        replies = await task
    except Exception:
        log.exception("bot failed after the budget; nothing pushed")
        return
    await _push(channel, user_id, plan(replies, can_transfer=False))


async def _push(channel: WeChatChannel, user_id: str, outs: list[Out]) -> None:
    if channel.api is None:
        log.warning("reply not pushed: the WeChat API is not configured", extra={"messages": len(outs)})
        return
    for out in outs[:5]:  # the customer-service quota after one message
        try:
            await channel.api.push(user_id, out)
        except Exception as e:  # SendError is logged by the client; stop, later ones fail too
            log.warning("push stopped", extra={"error": str(e)})
            return
