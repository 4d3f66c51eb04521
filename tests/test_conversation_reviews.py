"""好差评 as whole dialogues: the real ReviewService over SQLite/PostgreSQL, a fake Sender
and a fake clock: invitation on 办结, a tapped level, 一事一评, 差评 → rectification, a
complaint that does not say what it is about, and the 3-day reminder loop."""

from __future__ import annotations

import asyncio

import pytest

from bot.reminders import remind_forever, tick
from bot.reviews import Target
from bot.types import Options
from tests.case_chat import ALICE, BOB, NOW, NUMBER, CaseChat, case_chat

DONE = [("受理", "2025-09-29T09:30:00+08:00"), ("办结", "2025-10-01T09:00:00+08:00")]
DAY = 86400.0


async def bind(chat: CaseChat, user=ALICE) -> None:  # type: ignore[no-untyped-def]
    await chat.say(f"查办件 {NUMBER}", user)
    assert "验证通过" in await chat.say("5678", user)


async def complete(chat: CaseChat) -> None:
    """The source system reports 办结: bound users are told and invited to rate."""
    before, after = await chat.seed(events=DONE)
    await chat.parts.updates.changed(before, after)


async def test_completion_invites_a_rating_a_level_records_it_and_a_duplicate_is_refused(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        await bind(chat)
        await complete(chat)
        assert chat.sender.sent[-1][:2] == ("text", "o-alice") and "请为本次服务评价" in chat.sender.sent[-1][2]

        thanks = await chat.say("5")  # the payload a tap sends, or typed as the push says
        assert "感谢您的评价：非常满意" in thanks and "再写几句" in thanks
        again = await chat.say("5")
        assert "已经评价过了（一事一评）" in again
        review = await chat.parts.review_store.get_review(Target("case", NUMBER), ALICE.key)
        assert review is not None and review.level == 5 and review.department == "公安局"


async def test_a_bad_rating_from_the_offered_levels_opens_a_rectification(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        await bind(chat, BOB)
        await complete(chat)
        offered = await chat.send("我要评价", BOB)
        levels = [o for r in offered if isinstance(r, Options) for o in r.options]
        assert [o.label for o in levels] == ["非常不满意", "不满意", "基本满意", "满意", "非常满意"]
        assert NUMBER in offered[0].prompt  # type: ignore[union-attr]
        sorry = await chat.say(levels[0].payload, BOB)  # tapping 非常不满意
        assert "很抱歉让您不满意" in sorry and "公安局" in sorry and "前回复您" in sorry
        [record] = await chat.parts.review_store.rectifications(open_only=True)
        assert record.target == Target("case", NUMBER) and record.department == "公安局"
        assert "已记录您的意见" in await chat.say("窗口让我跑了三趟", BOB)
        review = await chat.parts.review_store.get_review(Target("case", NUMBER), BOB.key)
        assert review is not None and review.level == 1 and "跑了三趟" in review.comment


async def test_a_complaint_asks_what_it_is_about_then_the_level(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        await bind(chat)
        which = await chat.say("窗口那个人态度差")
        assert "哪一件事" in which
        assert f"1. 办件 {NUMBER}" in which and "2. 在广安市政务服务中心办事" in which
        level = await chat.say("2")
        assert "请为在广安市政务服务中心办事" in level and "5. 非常满意" in level
        recorded = await chat.say("2")  # 不满意
        assert "感谢您的评价：不满意" in recorded and "很抱歉" in recorded and "再写几句" not in recorded
        [review] = await chat.parts.review_store.reviews_between(0, NOW + DAY)
        assert review.target == Target("hall", "H1:2025-10-01") and review.hall_code == "H1"
        assert review.comment == "窗口那个人态度差"  # their words became the comment
        assert [t for _, t, _ in chat.journal.reviews] == ["窗口那个人态度差"]
        assert len(await chat.parts.review_store.rectifications()) == 1


async def test_a_level_without_an_invitation_asks_what_it_is_for(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        assert "哪一件事" in await chat.say("非常满意")
        assert "感谢您的评价：非常满意" in await chat.say("1")  # the level said first is kept


async def test_the_reminder_loop_sends_one_reminder_after_three_days(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        await bind(chat)
        await complete(chat)

        class Stop(Exception):
            pass

        async def hours(limit: int):  # type: ignore[no-untyped-def]
            passed = 0

            async def sleep(seconds: float) -> None:
                nonlocal passed
                if passed == limit:
                    raise Stop
                passed += 1
                chat.clock.advance(seconds)

            with pytest.raises(Stop):
                await remind_forever(chat.parts.reviews, 3600, sleep)

        await hours(71)  # not yet three days
        assert [d.topic for d in await chat.parts.store.deliveries(ALICE.key) if d.topic.endswith(":remind")] == []
        await hours(48)
        reminders = [d for d in await chat.parts.store.deliveries(ALICE.key) if d.topic.endswith(":remind")]
        assert [d.topic for d in reminders] == [f"review:case:{NUMBER}:remind"]  # once only
        assert reminders[0].at - NOW == 72 * 3600


async def test_a_failing_reminder_tick_is_logged_not_raised() -> None:
    class Broken:
        async def due_reminders(self) -> list:  # type: ignore[type-arg]
            raise ConnectionError("database restarting")

    assert await tick(Broken()) == []
    task = asyncio.create_task(remind_forever(Broken(), 0.001))
    await asyncio.sleep(0.02)
    assert not task.done()  # still running after several failed ticks
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
