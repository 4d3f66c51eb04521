"""好差评: invitation on 办结, 一事一评, the 3-day reminder, the 差评 workflow, figures by hand."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from adapters.cases.records import parse_case
from bot.reviews import ReviewError, Target
from bot.types import UserRef
from tests.fake_case_service import FakeClock, FakeSender, parts

NOW = 1_759_716_000.0  # Mon 2025-10-06 10:00 China time (National Day holiday)
DAY = 86400.0
ALICE, BOB = UserRef("wechat", "o-alice"), UserRef("wechat", "o-bob")


def case(number: str, item: str = "GA-0009", hall: str = "H1", done: str | None = "2025-10-06T09:00:00+08:00") -> dict:
    events = [{"status": "受理", "at": "2025-09-29T09:00:00+08:00"}]
    if done:
        events.append({"status": "办结", "at": done})
    return {"number": number, "item_code": item, "hall_code": hall, "applicant": {"phone": "13800001111"},
            "events": events}


async def test_completed_case_invites_once_then_reminds_once_after_three_days(database_url: str) -> None:
    clock, sender = FakeClock(NOW), FakeSender()
    async with parts(database_url, clock, sender) as (p, _):
        [(before, after)] = await p.store.upsert([parse_case(case("GA1"), p.proofs)], NOW)
        await p.store.bind(ALICE.key, "GA1", NOW)
        await p.store.bind(BOB.key, "GA1", NOW)
        await p.updates.changed(None, after)
        assert [s[0] for s in sender.sent] == ["template", "template", "template", "template"]  # no recent activity
        assert await p.reviews.invite_case(ALICE.key, after) is None  # already invited
        assert await p.reviews.pending_target(ALICE) == Target("case", "GA1")

        outcome = await p.reviews.record(ALICE, Target("case", "GA1"), 5)
        assert outcome.kind == "recorded" and outcome.review.department == "公安局"
        again = await p.reviews.record(ALICE, Target("case", "GA1"), 1)
        assert again.kind == "duplicate" and "已经评价过" in again.lines[0]
        assert (await p.reviews.add_comment(ALICE, Target("case", "GA1"), "窗口很耐心")).kind == "comment_saved"

        clock.advance(3 * DAY - 60)
        assert await p.reviews.due_reminders() == []
        clock.advance(120)
        reminded = await p.reviews.due_reminders()
        assert [d.user for d in reminded] == [BOB.key]  # Alice rated already
        assert await p.reviews.due_reminders() == []  # one reminder only
        assert (await p.reviews.record(ALICE, Target("case", "GA1"), 9)).kind == "invalid"


async def test_two_instances_reminding_at_the_same_moment_send_one_reminder(database_url: str) -> None:
    clock, sender = FakeClock(NOW), FakeSender()
    async with parts(database_url, clock, sender) as (a, _), parts(database_url, clock, sender) as (b, _):
        [(_, after)] = await a.store.upsert([parse_case(case("GA9"), a.proofs)], NOW)
        await a.store.bind(BOB.key, "GA9", NOW)
        await a.updates.changed(None, after)  # progress push + rating invitation
        invited = len(sender.sent)
        clock.advance(3 * DAY + 60)

        # Both instances read the due invitation before either acts: the worst interleaving.
        both_read = asyncio.Barrier(2)
        for instance in (a, b):
            read = instance.review_store.due_invitations

            async def due_then_wait(before: float, read=read) -> list:  # type: ignore[no-untyped-def,type-arg]
                due = await read(before)
                await both_read.wait()
                return due

            instance.review_store.due_invitations = due_then_wait  # type: ignore[method-assign]

        first, second = await asyncio.wait_for(
            asyncio.gather(a.reviews.due_reminders(), b.reviews.due_reminders()), timeout=30)
        for instance in (a, b):
            del instance.review_store.due_invitations  # the real method again
        assert len(first) + len(second) == 1
        assert len(sender.sent) == invited + 1
        assert await a.reviews.due_reminders() == [] and await b.reviews.due_reminders() == []


async def test_bad_review_opens_rectification_with_a_working_day_deadline(database_url: str) -> None:
    clock, sender = FakeClock(NOW), FakeSender()
    async with parts(database_url, clock, sender) as (p, _):
        await p.store.upsert([parse_case(case("GA2"), p.proofs)], NOW)
        await p.store.record_user_activity(BOB.key, NOW)
        outcome = await p.reviews.record(BOB, Target("case", "GA2"), 2, "等了两个小时", item_code="GA-0009", hall_code="H1")
        record = outcome.rectification
        # opened on the holiday Mon 6 Oct 2025: 5 working days = Thu 9, Fri 10, Sat 11 (调休), Mon 13, Tue 14
        assert record is not None and record.deadline == date(2025, 10, 14) and record.status == "待核实"
        assert record.department == "公安局" and "10月14日前回复您" in outcome.lines[1]

        with pytest.raises(ReviewError, match="cannot go from 待核实 to 待核实"):
            await p.reviews.advance(record.id, "待核实")
        await p.reviews.advance(record.id, "核实中", "已电话联系", by="窗口主任")
        clock.advance(9 * DAY)  # Wed 15 Oct: past the deadline
        assert [r.id for r in await p.reviews.overdue()] == [record.id]
        done = await p.reviews.advance(record.id, "已整改", "增开窗口", by="窗口主任")  # steps may be skipped
        assert done.rectified_at == clock.now() and not done.on_time() and await p.reviews.overdue() == []
        await p.store.record_user_activity(BOB.key, clock.now())
        await p.reviews.advance(record.id, "已回访", "已增开两个窗口")
        assert sender.sent[-1][:2] == ("text", "o-bob") and "已整改：已增开两个窗口。欢迎再次评价" in sender.sent[-1][2]
        stored = await p.review_store.get_rectification(record.id)
        assert [n.status for n in stored.notes] == ["待核实", "核实中", "已整改", "已回访"]
        revised = await p.reviews.record(BOB, Target("case", "GA2"), 4)  # re-rating after 回访, once
        assert revised.kind == "revised" and revised.review.revised_level == 4 and revised.review.level == 2
        assert (await p.reviews.record(BOB, Target("case", "GA2"), 5)).kind == "duplicate"


async def test_answer_feedback_is_kept_against_the_item(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW)) as (p, _):
        assert (await p.reviews.answer_feedback(ALICE, "SC-0001", helpful=False)).rectification is None
        assert (await p.reviews.answer_feedback(ALICE, "SC-0001", helpful=True)).kind == "duplicate"


async def test_report_figures_on_a_seeded_data_set(database_url: str) -> None:
    """Checked by hand:
    completed in period: GA1, GA2, GA3 (公安局, H1) and SC1 (市场监管局, H2); GA4 not completed, OLD before.
    rated: GA1 (5), GA2 (2 → rectified on time), SC1 (1 → overdue); plus a session rating 3 (公安局).
    OLD (completed before the period) is rated 5 inside it: a review, but not a rated completed case.
    → completed 4, rated 3, active_rate 0.75; reviews 5 (5, 2, 1, 3, 5; answers apart), good 3,
      good_rate 0.6, bad 2; rectifications 2, on time 1, overdue 1.
    公安局: completed 3, rated 2, 0.6667; reviews 4 (5, 2, 3, 5), good 3, 0.75, bad 1, on time 1.
    市场监管局: completed 1, rated 1, 1.0; reviews 1, good 0, 0.0, bad 1, overdue 1.
    """
    clock = FakeClock(NOW)
    async with parts(database_url, clock) as (p, _):
        seed = [case("GA1"), case("GA2"), case("GA3"), case("SC1", "SC-0001", "H2"), case("GA4", done=None),
                case("OLD", done="2025-09-01T09:00:00+08:00")]
        await p.store.upsert([parse_case(c, p.proofs) for c in seed], NOW)
        users = [UserRef("wechat", f"o-{i}") for i in range(5)]
        await p.reviews.record(users[0], Target("case", "GA1"), 5, item_code="GA-0009", hall_code="H1")
        on_time = await p.reviews.record(users[1], Target("case", "GA2"), 2, item_code="GA-0009", hall_code="H1")
        late = await p.reviews.record(users[2], Target("case", "SC1"), 1, item_code="SC-0001", hall_code="H2")
        await p.reviews.record(users[3], Target("session", "S-9"), 3, item_code="GA-0009", hall_code="H1")
        await p.reviews.record(users[3], Target("case", "OLD"), 5, item_code="GA-0009", hall_code="H1")
        await p.reviews.answer_feedback(users[4], "GA-0009", helpful=True)
        clock.advance(DAY)
        await p.reviews.advance(on_time.rectification.id, "已整改", "已处理")
        clock.advance(20 * DAY)
        report = await p.reviews.report(date(2025, 10, 1), date(2025, 11, 1))
        assert late.rectification is not None
    # the review of OLD was made in the period but OLD was completed before it: it counts as a review only
    assert {k: report[k] for k in ("completed", "rated", "active_rate", "reviews", "good", "good_rate", "bad",
                                   "rectifications", "rectified_on_time", "overdue", "answers")} == {
        "completed": 4, "rated": 3, "active_rate": 0.75, "reviews": 5, "good": 3, "good_rate": 0.6,
        "bad": 2, "rectifications": 2, "rectified_on_time": 1, "overdue": 1, "answers": 1}
    police, market = report["by_department"]["公安局"], report["by_department"]["市场监管局"]
    assert (police["completed"], police["rated"], police["active_rate"]) == (3, 2, 0.6667)
    assert (police["reviews"], police["good_rate"], police["bad"], police["rectified_on_time"]) == (4, 0.75, 1, 1)
    assert (market["completed"], market["rated"], market["good_rate"], market["overdue"]) == (1, 1, 0.0, 1)
    assert report["by_hall"]["H2"]["completed"] == 1 and report["by_item"]["SC-0001"]["bad"] == 1
