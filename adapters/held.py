"""The turn-long hold on a user's state: one mechanism for the database and Redis stores.

A dialogue turn is lock → get → … → set → unlock. Done literally that is four round
trips to the store, and on the hot path the round trips cost more than the answer. So
the shared stores take the lock and read the state in one round trip, and write the
state in the one that releases the lock. A context variable carries what was read (and
what the turn wants written) from `lock()` to `get()`/`set()`, so callers keep the plain
DialogueStore interface. A process-local lock in front keeps one instance from polling
the shared lock against itself.

`HeldStore` is that mechanism; a backend gives it five raw operations (read, write,
delete, one attempt at take-lock-and-read, write-and-release).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from bot.state import Conversation, StateKey

log = logging.getLogger("banshi.dialogue")
_background: set[asyncio.Task[Any]] = set()
Raw = str | bytes


@dataclass
class Held:
    key: StateKey
    owner: str
    raw: Raw | None  # the state as read when the lock was taken
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
def _hold(held: Held) -> Iterator[Held]:
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


class HeldStore:
    """A DialogueStore over a shared backend: two round trips a turn, whatever the backend."""

    first_retry = 0.01  # seconds before asking again for a lock another turn holds

    def __init__(self, lock_wait: float) -> None:
        self._lock_wait = lock_wait
        self._local = _LocalLocks()

    # -- the backend's raw operations ---------------------------------------------------

    async def _read(self, key: StateKey) -> Raw | None:
        raise NotImplementedError

    async def _write(self, key: StateKey, state: Conversation) -> None:
        raise NotImplementedError

    async def _delete(self, key: StateKey) -> None:
        raise NotImplementedError

    async def _try_take(self, key: StateKey, owner: str) -> tuple[bool, Raw | None]:
        """One attempt at the lock: (taken, the state read with it)."""
        raise NotImplementedError

    async def _give_back(self, key: StateKey, owner: str, state: Conversation | None, read: Raw | None) -> bool:
        """Free the lock and save `state`, unless the lock expired and another turn holds it
        now or saved a newer state meanwhile (`read`: the state as the take read it)."""
        raise NotImplementedError

    # -- DialogueStore -------------------------------------------------------------------

    async def get(self, key: StateKey) -> Conversation | None:
        held = holding(key)
        if held is not None:
            return held.current()
        raw = await self._read(key)
        return Conversation.from_json(raw) if raw is not None else None

    async def set(self, key: StateKey, state: Conversation) -> None:
        held = holding(key)
        if held is not None:
            held.pending = state
            return
        await self._write(key, state)

    async def delete(self, key: StateKey) -> None:
        held = holding(key)
        if held is not None:
            held.forget()
        await self._delete(key)

    @contextlib.asynccontextmanager
    async def lock(self, key: StateKey) -> AsyncIterator[None]:
        async with self._local(key):
            owner = os.urandom(12).hex()
            try:
                raw = await self._take(key, owner)
            except asyncio.CancelledError:  # the take may have reached the store: free it
                _in_background(self._give_back(key, owner, None, None))
                raise
            with _hold(Held(key, owner, raw)) as held:
                try:
                    yield
                finally:
                    await self._release(key, owner, held.pending, raw)

    async def close(self) -> None:
        self._local.clear()

    # -- the mechanism --------------------------------------------------------------------

    async def _take(self, key: StateKey, owner: str) -> Raw | None:
        """Take the lock (waiting for another turn's at most `lock_wait` seconds) and return
        the state read with it."""
        deadline = time.monotonic() + self._lock_wait
        delay = self.first_retry
        while True:
            taken, raw = await self._try_take(key, owner)
            if taken:
                return raw
            if time.monotonic() > deadline:
                # Better a rare race than a citizen without an answer.
                log.warning("dialogue lock wait timed out; going ahead", extra={"key": key.text})
                return await self._read(key)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)

    async def _release(self, key: StateKey, owner: str, state: Conversation | None, read: Raw | None) -> None:
        """Save the turn's state and free the lock, trying twice; never raise: a store that
        fails twice costs this turn its state, never the citizen the reply already made
        (the lock expires by itself)."""
        for last in (False, True):
            try:
                if not await self._give_back(key, owner, state, read):
                    log.warning("turn too slow: its lock expired and another turn holds it; state not saved",
                                extra={"key": key.text})
                return
            except Exception:
                if last:
                    log.exception("could not save the state and release the lock", extra={"key": key.text})


def _in_background(work: Coroutine[Any, Any, Any]) -> None:
    """For a turn cancelled right after taking the lock: free it without waiting."""

    def done(task: asyncio.Task[Any]) -> None:
        _background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not free the lock of a cancelled turn", exc_info=task.exception())

    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(done)


class _LocalLocks:
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
