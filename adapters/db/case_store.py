"""Cases in SQL: the local case backend, bindings, verification attempts, activity, pushes.

One class implements several small core protocols (CaseBackend, CaseBindings,
UserActivity, DeliveryLog) because they share an engine and nothing else; the core sees
only the protocol it needs. Upserts merge timelines inside one transaction with the row
locked (PostgreSQL) or the database write-locked (SQLite), so concurrent pushes of the
same case never lose an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db.tables import case_attempts, case_bindings, cases, push_deliveries, user_activity
from adapters.db.upsert import upsert_statement
from bot.cases import Case, CaseEvent
from bot.notifier import Delivery


def _row_to_case(row: object) -> Case:
    m = row._mapping  # type: ignore[attr-defined]
    return Case(
        number=m["number"],
        item_code=m["item_code"],
        applicant_name=m["applicant_name"],
        hall_code=m["hall_code"],
        events=tuple(
            CaseEvent(e["status"], datetime.fromisoformat(e["at"]), e.get("note", "")) for e in m["events"]
        ),
        promised_date=m["promised_date"],
        phone_digest=m["phone_digest"],
        id_digest=m["id_digest"],
        query_digest=m["query_digest"],
    )


def _case_values(case: Case, now: float, completed_at: float | None) -> dict[str, object]:
    return {
        "item_code": case.item_code,
        "applicant_name": case.applicant_name,
        "hall_code": case.hall_code,
        "events": [{"status": e.status, "at": e.at.isoformat(), "note": e.note} for e in case.events],
        "status": case.status,
        "promised_date": case.promised_date,
        "phone_digest": case.phone_digest,
        "id_digest": case.id_digest,
        "query_digest": case.query_digest,
        "completed_at": completed_at,
        "updated_at": now,
    }


class SqlCaseStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # -- CaseBackend ---------------------------------------------------------------------

    async def get(self, number: str) -> Case | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(cases).where(cases.c.number == number))).first()
        return _row_to_case(row) if row else None

    # -- the source system's pushes and imports ------------------------------------------

    async def upsert(self, incoming: Sequence[Case], now: float) -> list[tuple[Case | None, Case]]:
        """Merge each case into what is stored, all in one transaction: (before, after) each."""
        for attempt in range(2):
            try:
                async with self.engine.begin() as conn:
                    return [await self._upsert_one(conn, case, now) for case in incoming]
            except IntegrityError:  # a concurrent first insert of the same number: merge again
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _upsert_one(self, conn: AsyncConnection, case: Case, now: float) -> tuple[Case | None, Case]:
        query = select(cases).where(cases.c.number == case.number).with_for_update()
        row = (await conn.execute(query)).first()
        before = _row_to_case(row) if row else None
        after = before.merged(case) if before else Case(case.number).merged(case)
        done = [e for e in after.events if e.status == "办结"]
        completed_at = row._mapping["completed_at"] if row else None
        if completed_at is None and done:
            completed_at = done[0].at.timestamp()
        values = _case_values(after, now, completed_at)
        if row:
            await conn.execute(update(cases).where(cases.c.number == case.number).values(**values))
        else:
            await conn.execute(insert(cases).values(number=case.number, **values))
        return before, after

    # -- CaseBindings --------------------------------------------------------------------

    async def bind(self, user: str, number: str, at: float) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(case_bindings).values(user_key=user, number=number, bound_at=at))
        except IntegrityError:
            pass  # already bound: binding twice is the same as once

    async def bound_numbers(self, user: str) -> list[str]:
        query = select(case_bindings.c.number).where(case_bindings.c.user_key == user)
        async with self.engine.connect() as conn:
            return list((await conn.execute(query.order_by(case_bindings.c.bound_at))).scalars())

    async def subscribers(self, number: str) -> list[str]:
        query = select(case_bindings.c.user_key).where(case_bindings.c.number == number)
        async with self.engine.connect() as conn:
            return list((await conn.execute(query.order_by(case_bindings.c.user_key))).scalars())

    async def record_attempt(self, user: str, number: str, ok: bool, at: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(case_attempts).values(user_key=user, number=number, ok=ok, at=at))

    async def failures_since(self, since: float, *, user: str = "", number: str = "") -> int:
        query = select(func.count()).select_from(case_attempts).where(
            case_attempts.c.at >= since, case_attempts.c.ok.is_(False)
        )
        if user:
            query = query.where(case_attempts.c.user_key == user)
        if number:
            query = query.where(case_attempts.c.number == number)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    # -- UserActivity --------------------------------------------------------------------

    async def record_user_activity(self, user: str, at: float) -> None:
        async with self.engine.begin() as conn:
            await touch_activity(conn, {user: at})

    async def last_activity(self, user: str) -> float | None:
        async with self.engine.connect() as conn:
            return await read_activity(conn, user)

    # -- DeliveryLog ---------------------------------------------------------------------

    async def record_delivery(self, delivery: Delivery) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(push_deliveries).values(
                    user_key=delivery.user, topic=delivery.topic, channel=delivery.channel, ok=delivery.ok,
                    attempts=delivery.attempts, error=delivery.error, at=delivery.at,
                )
            )

    async def deliveries(self, user: str = "") -> list[Delivery]:
        query = select(push_deliveries).order_by(push_deliveries.c.id)
        if user:
            query = query.where(push_deliveries.c.user_key == user)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Delivery(r.user_key, r.topic, r.channel, r.ok, r.attempts, r.at, r.error) for r in rows
        ]


# The 48-hour window's table, shared with the batched journal (adapters/db/journal.py).


async def touch_activity(conn: AsyncConnection, last_at: Mapping[str, float]) -> None:
    """One statement for all users: instances racing on a new user cannot collide, and
    an older timestamp never overwrites a newer one."""
    if last_at:
        statement = upsert_statement(conn, user_activity, only_if_greater="last_at")
        # in key order: two instances flushing overlapping users lock rows in the same order
        await conn.execute(statement, [{"user_key": user, "last_at": at} for user, at in sorted(last_at.items())])


async def read_activity(conn: AsyncConnection, user: str) -> float | None:
    query = select(user_activity.c.last_at).where(user_activity.c.user_key == user)
    return (await conn.execute(query)).scalar_one_or_none()
