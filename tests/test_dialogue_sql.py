"""The dispatcher on the SQL store and journal (SQLite; PostgreSQL in CI): two app
instances share one user's state, and what staff read later is masked."""

from __future__ import annotations

from sqlalchemy import select

from adapters.db.dialogue_store import SqlDialogueStore
from adapters.db.engine import make_engine
from adapters.db.journal import SqlJournal
from adapters.db.tables import review_wishes, transcripts, unanswered_questions
from bot.dispatcher import Dispatcher
from bot.testing import FakeClock, StaticCatalog
from bot.types import Inbound, UserRef
from intents import build_router
from tests.test_conversation import WEDNESDAY_10AM, FakeIndex, demo_catalog, text_of


async def test_two_instances_share_state_and_the_records_are_masked(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        catalog = demo_catalog()
        source = StaticCatalog(catalog, FakeIndex(catalog))
        clock = FakeClock(WEDNESDAY_10AM)

        journals = [SqlJournal(engine), SqlJournal(engine)]

        def instance(journal: SqlJournal) -> Dispatcher:
            return Dispatcher(build_router(), SqlDialogueStore(engine), source, journal, clock=clock,
                              activity=journal)

        one, two = instance(journals[0]), instance(journals[1])
        user = UserRef("wechat", "o-1")
        await one.feed(Inbound(user, "text", "换身份证要带啥子"))
        clock.advance(5)
        done = await two.feed(Inbound(user, "text", "外地户口"))  # the other instance knows the question
        assert "place=elsewhere" in text_of(done)
        clock.advance(5)
        await one.feed(Inbound(user, "text", "我电话13812345678 想问虫草采集证"))
        clock.advance(5)
        await two.feed(Inbound(user, "text", "差评 窗口的人态度差 身份证513230199001011234"))
        for journal in journals:  # records are written in batches; make them durable now
            await journal.close()
        assert await journals[0].last_activity(user.key) == clock.now()
        async with engine.connect() as conn:
            turns = (await conn.execute(select(transcripts.c.intent, transcripts.c.text).order_by(transcripts.c.at))).all()
            unanswered = (await conn.execute(select(unanswered_questions.c.text))).scalars().all()
            reviews = (await conn.execute(select(review_wishes.c.text))).scalars().all()
        assert [t.intent for t in turns] == ["ask_item", "situation", "ask_item:none", "review"]
        assert unanswered == ["我电话138****5678 想问虫草采集证"]
        assert reviews == ["差评 窗口的人态度差 身份证5132**********1234"]
        assert all("13812345678" not in t.text and "199001011234" not in t.text for t in turns)
    finally:
        await engine.dispose()


async def test_the_48_hour_window_keeps_each_users_latest_message_across_batches(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        first, second = SqlJournal(engine, flush_every=60), SqlJournal(engine, flush_every=60)
        for user, at in (("wechat:a", 100.0), ("wechat:b", 200.0), ("wechat:c", 300.0)):
            await first.record_user_activity(user, at)
        await first.flush()  # one batch, three users
        await second.record_user_activity("wechat:a", 50.0)  # an instance that is behind
        await second.record_user_activity("wechat:b", 250.0)
        await second.flush()
        assert [await first.last_activity(u) for u in ("wechat:a", "wechat:b", "wechat:c", "wechat:d")] == [
            100.0, 250.0, 300.0, None]
    finally:
        await engine.dispose()
