"""The periodic 好差评 reminder: one nudge when a completed case is still unrated after 3 days.

Why a loop in the app and not a cron job: the rule ("once, after 3 days") lives in
ReviewService.due_reminders, which claims each invitation in the store before sending, so a
tick simply asks the service, and every instance may tick: two ticking at the same instant
still send one reminder. A failing tick (database restarting, WeChat down) is logged and
the loop goes on: a reminder not yet claimed is sent at the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.notifier import Delivery

log = logging.getLogger("banshi.reminders")


class RemindsRaters(Protocol):
    async def due_reminders(self) -> list[Delivery]: ...


async def tick(reviews: RemindsRaters) -> list[Delivery]:
    """Send what is due now; never raises (a reminder is not worth crashing the service)."""
    try:
        sent = await reviews.due_reminders()
    except Exception:
        log.exception("review reminders failed; retrying at the next tick")
        return []
    if sent:
        log.info("review reminders", extra={"sent": len(sent), "ok": sum(d.ok for d in sent)})
    return sent


async def remind_forever(reviews: RemindsRaters, every: float,
                         sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Tick every `every` seconds until cancelled (the app's cleanup context cancels it)."""
    while True:
        await sleep(every)
        await tick(reviews)
