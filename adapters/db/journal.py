"""The dialogue's records for staff: transcripts, unanswered questions, review wishes,
and each user's last message time (WeChat's 48-hour customer-service window).

Records are written in batches (group commit): a turn's records wait at most
`flush_every` seconds and share one transaction with every other turn of that moment.
A transaction per record would cost more than answering the citizen; conversation
*state* is never batched (bot/state.py), only these after-the-fact records, so a crash
loses at most a fraction of a second of transcript. Texts arrive masked (bot.masking).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.case_store import read_activity, touch_activity
from adapters.db.tables import review_wishes, transcripts, unanswered_questions

log = logging.getLogger("banshi.journal")


class SqlJournal:
    """Journal and UserActivity over SQL, batched; `flush()` makes everything durable now."""

    def __init__(self, engine: AsyncEngine, flush_every: float = 0.05, max_pending: int = 500) -> None:
        self._engine = engine
        self._flush_every = flush_every
        self._max_pending = max_pending
        self._rows: dict[Any, list[dict[str, Any]]] = {}
        self._activity: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()

    async def record_turn(self, user: str, intent: str, text: str, replies: list[str], at: float) -> None:
        self._add(transcripts, {"user_key": user, "intent": intent[:100], "text": text, "replies": replies, "at": at})

    async def record_unanswered(self, user: str, text: str, at: float, chosen: str | None = None) -> None:
        self._add(unanswered_questions, {"user_key": user, "text": text, "at": at, "handled": False, "chosen": chosen})

    async def record_review_wish(self, user: str, text: str, at: float) -> None:
        self._add(review_wishes, {"user_key": user, "text": text, "at": at})

    async def record_user_activity(self, user: str, at: float) -> None:
        self._activity[user] = max(at, self._activity.get(user, at))
        self._schedule()

    async def last_activity(self, user: str) -> float | None:
        async with self._engine.connect() as conn:
            stored = await read_activity(conn, user)
        pending = self._activity.get(user)
        return max(x for x in (stored, pending) if x is not None) if stored or pending else None

    def _add(self, table: Any, row: dict[str, Any]) -> None:
        self._rows.setdefault(table, []).append(row)
        self._schedule()

    def _schedule(self) -> None:
        pending = sum(len(r) for r in self._rows.values()) + len(self._activity)
        if pending >= self._max_pending:
            asyncio.get_running_loop().create_task(self.flush())
        elif self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._flush_every)
        try:
            await self.flush()
        except Exception:
            log.exception("could not write dialogue records; will retry with the next batch")

    async def flush(self) -> None:
        async with self._flushing:
            rows, self._rows = self._rows, {}
            activity, self._activity = self._activity, {}
            if not rows and not activity:
                return
            try:
                async with self._engine.begin() as conn:
                    for table, batch in rows.items():
                        await conn.execute(insert(table), batch)
                    await touch_activity(conn, activity)
            except Exception:
                for table, batch in rows.items():  # keep them for the next try
                    self._rows.setdefault(table, [])[:0] = batch
                for user, at in activity.items():
                    self._activity[user] = max(at, self._activity.get(user, at))
                raise

    async def close(self) -> None:
        if self._task is not None:
            # Let a pending flush finish rather than cancel it mid-transaction: a cancelled
            # SQLite write can keep its lock until the connection is closed.
            with contextlib.suppress(Exception):
                await self._task
        try:
            await self.flush()
        except Exception:  # shutting down: say what is lost, but let the rest shut down
            lost = sum(len(r) for r in self._rows.values())
            log.exception("dialogue records could not be written at shutdown", extra={"lost": lost})
