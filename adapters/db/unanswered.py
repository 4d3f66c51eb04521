"""The questions the bot could not answer at once, for the staff who fill the catalog's gaps.

The bot tells a citizen it found nothing (or the citizen taps "none of these") and promises
that staff will add it; these are the records that promise rests on. Where search was unsure
and the citizen picked an item from its options instead, the record keeps that item
(`chosen`): the citizen's words for it, which an alias or synonym turns into a direct answer
next time. Grouped by text (the masked question) and choice so the most asked come first;
marked handled once staff have added the item, alias or synonym, so the list shows only
what is still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, nulls_first, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.tables import unanswered_questions as uq
from knowledge.catalog import Catalog
from knowledge.search import SearchIndex


@dataclass(frozen=True)
class Gap:
    text: str  # masked, as recorded
    chosen: str | None  # the item or bundle picked from search's options; None: nothing fitted
    asked: int  # times
    askers: int  # distinct users
    first: float  # epoch seconds
    last: float


async def open_gaps(engine: AsyncEngine, since: float | None = None, limit: int = 50) -> list[Gap]:
    """Unhandled questions asked since `since` (one entry per question and choice), most
    asked (then most recent) first."""
    asked = func.count().label("asked")
    last = func.max(uq.c.at).label("last")
    query = (
        select(uq.c.text, uq.c.chosen, asked, func.count(func.distinct(uq.c.user_key)), func.min(uq.c.at), last)
        .where(uq.c.handled.is_(False))
        .group_by(uq.c.text, uq.c.chosen)
        .order_by(asked.desc(), last.desc(), uq.c.text, nulls_first(uq.c.chosen))
        .limit(limit)
    )
    if since is not None:
        query = query.where(uq.c.at >= since)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Gap(text, chosen, int(n), int(users), float(first), float(latest))
            for text, chosen, n, users, first, latest in rows]


async def mark_handled(engine: AsyncEngine, texts: Sequence[str]) -> int:
    """Mark every open record of these exact texts handled (whatever was chosen); the number of
    records marked."""
    if not texts:
        return 0
    async with engine.begin() as conn:
        result = await conn.execute(
            update(uq).where(uq.c.text.in_(list(texts)), uq.c.handled.is_(False)).values(handled=True)
        )
    return int(result.rowcount or 0)


def described(gap: Gap, catalog: Catalog, index: SearchIndex) -> dict[str, Any]:
    """A gap as staff read it (`kb unanswered --json`, the staff API): with the picked item's
    name and the question's telling words it lacks (what an alias or synonym must add), and
    what search does with the question now (answered by now once staff covered it)."""
    now = index.search(gap.text, k=1)
    return {
        "q": gap.text, "asked": gap.asked, "askers": gap.askers, "first": gap.first, "last": gap.last,
        "chosen": gap.chosen, "chosen_name": catalog.name_of(gap.chosen) if gap.chosen else None,
        "lacks": index.lacking(gap.text, gap.chosen) if gap.chosen else [],
        "now": now.decision, "now_answer": now.answer,
    }
