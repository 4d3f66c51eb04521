"""A dispatcher wired to the real case and review services (SQLite or PostgreSQL stores),
a fake Sender and a fake clock: whole case and 好差评 dialogues without mocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from adapters.cases.records import parse_case
from adapters.cases.wiring import CaseParts, build
from adapters.db.case_store import SqlCaseStore
from adapters.db.engine import make_engine
from bot.cases import Case
from bot.dispatcher import BotConfig, Dispatcher
from bot.journal import MemoryJournal
from bot.protocols import CaseBackend
from bot.pushes import LatePushes
from bot.state import MemoryStore
from bot.testing import StaticCatalog
from bot.types import Inbound, Reply, UserRef
from intents import build_router
from knowledge.workdays import WorkCalendar
from tests.fake_case_service import (
    CATALOG,
    ID_NUMBER,
    PHONE,
    FakeClock,
    FakeSender,
    no_sleep,
    parts,
    settings,
)
from tests.test_conversation import text_of

NOW = 1_759_284_000.0  # Wed 2025-10-01 10:00 China time
NUMBER = "GA2025092901"
ALICE, BOB = UserRef("wechat", "o-alice"), UserRef("wechat", "o-bob")


def record(number: str = NUMBER, events: list[tuple[str, str]] | None = None) -> dict[str, object]:
    steps = events or [("收件", "2025-09-29T09:00:00+08:00"), ("受理", "2025-09-29T09:30:00+08:00")]
    return {
        "number": number, "item_code": "GA-0009", "hall_code": "H1", "query_code": "Q7K2",
        "applicant": {"name": "张三丰", "phone": PHONE, "id_number": ID_NUMBER},
        "events": [{"status": s, "at": at} for s, at in steps],
    }


class NoIndex:
    """Catalog search that never finds anything: these dialogues are not about items."""

    async def asearch(self, query: str, k: int = 5) -> object:
        return self.search(query, k)

    def search(self, query: str, k: int = 5) -> object:
        @dataclass
        class Nothing:
            decision: str = "none"
            answer: str | None = None
            results: list[object] = field(default_factory=list)
            options: list[object] = field(default_factory=list)

        return Nothing()


class SlowBackend:
    """The case table behind a slow network (what a province's API feels like on a bad day)."""

    def __init__(self, store: CaseBackend, delay: float) -> None:
        self.store, self.delay = store, delay

    async def get(self, number: str) -> Case | None:
        await asyncio.sleep(self.delay)
        return await self.store.get(number)


@asynccontextmanager
async def slow_parts(url: str, clock: FakeClock, sender: FakeSender, delay: float) -> AsyncIterator[CaseParts]:
    engine = make_engine(url)
    try:
        yield build(engine, settings(url), lambda: CATALOG, sender=sender, clock=clock, calendar=WorkCalendar(),
                    sleep=no_sleep, backend=SlowBackend(SqlCaseStore(engine), delay))
    finally:
        await engine.dispose()


class CaseChat:
    def __init__(self, parts: CaseParts, clock: FakeClock, sender: FakeSender, answer_within: float = 3.0) -> None:
        self.parts, self.clock, self.sender = parts, clock, sender
        self.journal = MemoryJournal()
        self.pushes = LatePushes(sender, answer_within=answer_within)
        self.bot = Dispatcher(
            build_router(), MemoryStore(), StaticCatalog(CATALOG, NoIndex()), self.journal, clock=clock,
            calendar=WorkCalendar(), config=BotConfig(transfer_channels=frozenset({"wechat"})),
            activity=parts.store, cases=parts.cases, reviews=parts.reviews, pushes=self.pushes,
        )

    async def seed(self, number: str = NUMBER, events: list[tuple[str, str]] | None = None) -> tuple[Case | None, Case]:
        [(before, after)] = await self.parts.store.upsert([parse_case(record(number, events), self.parts.proofs)],
                                                         self.clock.now())
        return before, after

    async def send(self, text: str, user: UserRef = ALICE) -> list[Reply]:
        return await self.bot.feed(Inbound(user, "text", text))

    async def say(self, text: str, user: UserRef = ALICE) -> str:
        return text_of(await self.send(text, user))


@asynccontextmanager
async def case_chat(database_url: str) -> AsyncIterator[CaseChat]:
    """A CaseChat over real case and review services on `database_url`, a fake clock at
    NOW and a fake Sender (chat.parts, chat.clock, chat.sender)."""
    clock, sender = FakeClock(NOW), FakeSender()
    async with parts(database_url, clock, sender) as (p, _):
        yield CaseChat(p, clock, sender)
