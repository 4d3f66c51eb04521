"""Answers that arrive after the reply: awaited in the background, then pushed to the citizen.

Why: WeChat drops a reply that takes longer than about 5 seconds, and a province's case
system can take longer than that. The dialogue answers "正在查询" at once and hands the
unfinished work here; the result goes out through the Sender (WeChat's customer-service
API). Only channels that can receive pushes qualify: the web chat and the terminal simply
wait for the answer instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable

from bot.protocols import Sender, SendError
from bot.types import UserRef

log = logging.getLogger("banshi.pushes")


class LatePushes:
    """Owns the background tasks so they are neither lost (garbage-collected) nor left running."""

    def __init__(self, sender: Sender | None, channels: Iterable[str] = ("wechat",),
                 answer_within: float = 3.0) -> None:
        self.sender = sender
        self.channels = frozenset(channels)
        self.answer_within = answer_within  # before "正在查询": below WeChat's 5 s, room for the rest
        self._tasks: set[asyncio.Task[None]] = set()

    def can_push(self, user: UserRef) -> bool:
        return self.sender is not None and user.channel in self.channels

    def later(self, user: UserRef, lines: Awaitable[Iterable[str]]) -> None:
        """Push `lines` to `user` once they are ready; failures are logged, never raised."""
        task = asyncio.ensure_future(self._push(user, lines))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, user: UserRef, lines: Awaitable[Iterable[str]]) -> None:
        try:
            text = "\n".join(await lines)
        except Exception:
            log.exception("late answer failed; nothing pushed", extra={"user": user.key})
            return
        if self.sender is None or not text:
            return
        try:
            await self.sender.send_text(user.id, text)
        except SendError as e:  # e.g. 45015: the user left the 48-hour window meanwhile
            log.warning("late answer not pushed", extra={"user": user.key, "code": e.code})
        except Exception:
            log.exception("late answer not pushed", extra={"user": user.key})

    async def drain(self, grace: float = 10.0) -> None:
        """Let pending pushes finish (shutdown, tests); cancel what is still running after `grace`."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
