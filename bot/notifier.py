"""Pushes to a citizen outside a reply: case progress, rating invitations, reminders.

`Notifier` sends a customer-service message inside WeChat's 48-hour window and a template
message outside it, and records every outcome (`Delivery`) whatever happened, so failed
pushes can be seen and counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.protocols import Clock, DeliveryLog, Sender, SendError, UserActivity

PERMANENT = frozenset({40003, 43004, 43101})  # bad openid, unsubscribed, refused: retrying won't help
WINDOW_CLOSED = frozenset({45015, 45047})  # outside the 48-hour window, or its quota used up


@dataclass(frozen=True)
class Delivery:
    """One push's outcome, recorded whatever happened (no message text: it may quote notes)."""

    user: str
    topic: str  # e.g. "case:NUMBER:受理", "review:case:NUMBER:invite"
    channel: Literal["text", "template", "none"]
    ok: bool
    attempts: int
    at: float
    error: int | None = None


class Notifier:
    """Customer-service text inside the 48-hour window, template message outside it.

    A 45015 on the text falls through to the template; transient errors are retried up to
    `max_attempts` per channel with a short backoff; permanent ones stop at once.
    """

    def __init__(
        self,
        sender: Sender,
        activity: UserActivity,
        log: DeliveryLog,
        clock: Clock,
        template_id: str = "",
        max_attempts: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window: float = 48 * 3600 - 60,  # a minute's margin for clock skew
    ) -> None:
        self.sender, self.activity, self.log, self.clock = sender, activity, log, clock
        self.template_id, self.max_attempts, self.backoff = template_id, max_attempts, backoff
        self.sleep, self.window = sleep, window

    async def notify(self, user_key: str, topic: str, text: str, data: dict[str, str]) -> Delivery:
        channel_name, _, user_id = user_key.partition(":")
        plan: list[Literal["text", "template"]] = []
        if channel_name == "wechat":
            last = await self.activity.last_activity(user_key)
            if last is not None and self.clock.now() - last < self.window:
                plan.append("text")
            if self.template_id:
                plan.append("template")
        attempts, error = 0, None
        for channel in plan:
            for attempt in range(self.max_attempts):
                attempts += 1
                try:
                    if channel == "text":
                        await self.sender.send_text(user_id, text)
                    else:
                        await self.sender.send_template(user_id, self.template_id, data)
                except SendError as e:
                    error = e.code
                    if e.code in PERMANENT:
                        return await self._record(user_key, topic, channel, False, attempts, error)
                    if channel == "text" and e.code in WINDOW_CLOSED:
                        break
                    if attempt + 1 < self.max_attempts:
                        await self.sleep(self.backoff * 2**attempt)
                    continue
                return await self._record(user_key, topic, channel, True, attempts, None)
        return await self._record(user_key, topic, plan[-1] if plan else "none", False, attempts, error)

    async def _record(self, user: str, topic: str, channel: Literal["text", "template", "none"],
                      ok: bool, attempts: int, error: int | None) -> Delivery:
        delivery = Delivery(user, topic, channel, ok, attempts, self.clock.now(), error)
        await self.log.record_delivery(delivery)
        return delivery
