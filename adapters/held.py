"""The turn-long hold on a user's state, shared by the database and Redis stores.

A dialogue turn is lock → get → … → set → unlock. Done literally that is four round
trips to the store, and on the hot path the round trips cost more than the answer. So
the shared stores take the lock and read the state in one round trip, and write the
state in the one that releases the lock. A context variable carries what was read (and
what the turn wants written) from `lock()` to `get()`/`set()`, so callers keep the plain
DialogueStore interface. A process-local lock in front keeps one instance from polling
the shared lock against itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from bot.state import Conversation, StateKey

log = logging.getLogger("banshi.dialogue")
_background: set[asyncio.Task[Any]] = set()


@dataclass
class Held:
    key: StateKey
    owner: str
    raw: str | bytes | None  # the state as read when the lock was taken
    pending: Conversation | None = None  # set() while held: written on release

    def current(self) -> Conversation | None:
        if self.pending is not None:
            return self.pending
        return Conversation.from_json(self.raw) if self.raw is not None else None

    def forget(self) -> None:
        self.pending, self.raw = None, None


_held: ContextVar[Held | None] = ContextVar("banshi_dialogue_hold", default=None)


def holding(key: StateKey) -> Held | None:
    """The hold this task has on `key`, if it is inside `lock(key)`."""
    held = _held.get()
    return held if held is not None and held.key == key else None


@contextlib.contextmanager
def hold(held: Held) -> Iterator[Held]:
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


async def release(attempt: Callable[[], Awaitable[bool]], key: StateKey) -> None:
    """Save the turn's state and free the lock, trying twice; never raise.

    `attempt` returns False when the lock had expired and another turn holds it: that
    turn's state is newer, so this one is not written. A store that fails twice costs
    this turn its state, never the citizen the reply already made (the lock expires).
    """
    for last in (False, True):
        try:
            if not await attempt():
                log.warning("turn too slow: its lock expired and another turn holds it; state not saved",
                            extra={"key": key.text})
            return
        except Exception:
            if last:
                log.exception("could not save the state and release the lock", extra={"key": key.text})


def release_in_background(work: Coroutine[Any, Any, Any]) -> None:
    """For a turn cancelled right after taking the lock: free it without waiting."""

    def done(task: asyncio.Task[Any]) -> None:
        _background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not free the lock of a cancelled turn", exc_info=task.exception())

    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(done)


class LocalLocks:
    """One asyncio lock per user being served in this process, dropped when unused."""

    def __init__(self) -> None:
        self._locks: dict[StateKey, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def __call__(self, key: StateKey) -> AsyncIterator[None]:
        local, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with local:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._locks.pop(key, None)  # one lock per active user, not per user ever seen

    def clear(self) -> None:
        self._locks.clear()
