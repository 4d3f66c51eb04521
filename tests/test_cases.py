"""CaseService: verification, lock-out, binding and status answers (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date

from adapters.cases.records import parse_case
from bot.cases import Case, CaseBackendError
from bot.types import UserRef
from tests.fake_case_service import CATALOG, ID_NUMBER, PHONE, FakeClock, parts

NOW = 1_759_284_000.0  # 2025-10-01 10:00 China time
ALICE = UserRef("wechat", "o-alice")
MALLORY = UserRef("wechat", "o-mallory")


def record(number: str = "GA2025092901", events: list[tuple[str, str, str]] | None = None) -> dict:
    return {
        "number": number, "item_code": "GA-0009", "hall_code": "H1", "query_code": "Q7K2",
        "applicant": {"name": "张三丰", "phone": PHONE, "id_number": ID_NUMBER},
        "events": [{"status": s, "at": at, "note": n} for s, at, n in (events or [
            ("收件", "2025-09-29T09:00:00+08:00", ""), ("受理", "2025-09-29T09:30:00+08:00", ""),
        ])],
    }


async def test_a_case_is_shown_only_after_proof_and_then_bound(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW)) as (p, _):
        await p.store.upsert([parse_case(record(), p.proofs)], NOW)
        assert p.cases.find_number("帮我查下办件 ga2025092901 的进度") == "GA2025092901"
        assert p.cases.find_number("我的电话13812345678") is None

        asked = await p.cases.lookup(ALICE, "GA2025092901")
        assert asked.kind == "need_proof" and "张" not in "".join(asked.lines)
        wrong = await p.cases.verify(ALICE, "GA2025092901", "0000")
        assert wrong.kind == "wrong_proof" and "还可以再试 4 次" in wrong.lines[0]
        shown = await p.cases.verify(ALICE, "GA2025092901", "5678")
        assert shown.kind == "shown"
        text = "\n".join(shown.lines)
        assert "张**" in text and "张三丰" not in text and PHONE not in text and ID_NUMBER not in text
        assert (await p.cases.lookup(ALICE, "GA2025092901")).kind == "shown"  # bound now
        assert (await p.cases.lookup(MALLORY, "GA2025092901")).kind == "need_proof"  # others still not
        mine = await p.cases.my_cases(ALICE)
        assert mine.lines == ("您的办件：", "GA2025092901 居民身份证换领：受理")
        assert (await p.cases.my_cases(MALLORY)).lines[0].startswith("您还没有绑定办件")


async def test_query_code_and_id_tail_also_prove_ownership(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW)) as (p, _):
        await p.store.upsert([parse_case(record(), p.proofs)], NOW)
        assert (await p.cases.verify(ALICE, "GA2025092901", " q7k2 ")).kind == "shown"
        assert (await p.cases.verify(MALLORY, "GA2025092901", "01123x")).kind == "shown"


async def test_five_failures_per_user_per_hour_lock_the_user_out(database_url: str) -> None:
    clock = FakeClock(NOW)
    async with parts(database_url, clock) as (p, _):
        await p.store.upsert([parse_case(record(), p.proofs)], NOW)
        kinds = [(await p.cases.verify(MALLORY, "GA2025092901", f"{i:04d}")).kind for i in range(5)]
        assert kinds == ["wrong_proof"] * 4 + ["locked"]
        locked = await p.cases.verify(MALLORY, "GA2025092901", "5678")  # even the right answer
        assert locked.kind == "locked"
        assert "1 小时后" in locked.lines[0] and "0826-2345678" in locked.lines[0]  # the hall's phone
        clock.advance(3601)
        assert (await p.cases.verify(MALLORY, "GA2025092901", "5678")).kind == "shown"


async def test_ten_failures_per_case_per_day_lock_the_case(database_url: str) -> None:
    clock = FakeClock(NOW)
    async with parts(database_url, clock) as (p, _):
        await p.store.upsert([parse_case(record(), p.proofs)], NOW)
        for i in range(10):  # ten different accounts, two tries each at most
            await p.cases.verify(UserRef("wechat", f"o-bot{i // 2}"), "GA2025092901", "1111")
        answer = await p.cases.verify(ALICE, "GA2025092901", "5678")
        assert answer.kind == "locked" and "明天" in answer.lines[0]
        clock.advance(86401)
        assert (await p.cases.verify(ALICE, "GA2025092901", "5678")).kind == "shown"


async def test_unknown_numbers_count_as_failures(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW)) as (p, _):
        assert (await p.cases.lookup(ALICE, "GA0000000000")).kind == "not_found"
        for _ in range(5):
            last = await p.cases.verify(ALICE, "GA0000000000", "1234")
        assert last.kind == "locked" and "12345" in last.lines[0]  # no hall known: the service line


async def test_status_answer_counts_working_days_across_national_day(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW)) as (p, _):
        [(_, case)] = await p.store.upsert([parse_case(record(), p.proofs)], NOW)
        due, skipped = p.cases.promised_date(case)
        # accepted Mon 29 Sep 2025 + 5 working days: 30 Sep, (1–8 Oct off), 9, 10, Sat 11 (调休), 13 Oct
        assert due == date(2025, 10, 13) and skipped == ("国庆节", "中秋节")  # 6 Oct 2025 was both
        lines = p.cases.describe(case)
        assert "当前进度：受理（已受理，正在办理）" in lines
        assert "承诺办结日期：2025年10月13日前（按工作日计算，已避开国庆节、中秋节假期）" in lines
        assert lines[-1] == "咨询电话：0826-2345678"


async def test_correction_says_what_is_missing_and_where(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW)) as (p, _):
        events = [("受理", "2025-09-29T09:30:00+08:00", ""),
                  ("补正", "2025-09-30T15:00:00+08:00", "户口簿原件、近期免冠照片")]
        [(_, case)] = await p.store.upsert([parse_case(record(events=events), p.proofs)], NOW)
        lines = p.cases.describe(case)
        assert "  09月30日 15:00 补正：户口簿原件、近期免冠照片" in lines
        assert "下一步：请带齐需补正的材料（户口簿原件、近期免冠照片）到广安市政务服务中心（广安区金安大道1号）办理。" in lines


class SlowBackend:
    def __init__(self, delay: float, case: Case | None = None, broken: bool = False) -> None:
        self.delay, self.case, self.broken = delay, case, broken

    async def get(self, number: str) -> Case | None:
        await asyncio.sleep(self.delay)
        if self.broken:
            raise CaseBackendError("down")
        return self.case


async def test_a_slow_backend_gives_a_holding_answer_and_the_result_later(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW), backend=SlowBackend(0.2, Case("GA2025092901"))) as (p, _):
        answer = await p.cases.lookup(ALICE, "GA2025092901", answer_within=0.01)
        assert answer.kind == "slow" and "正在查询" in answer.lines[0] and answer.later is not None
        assert (await answer.later).kind == "need_proof"
        quick = await p.cases.lookup(ALICE, "GA2025092901", answer_within=1)
        assert quick.kind == "need_proof"


async def test_an_unavailable_backend_is_said_plainly(database_url: str) -> None:
    async with parts(database_url, FakeClock(NOW), backend=SlowBackend(0, broken=True)) as (p, _):
        answer = await p.cases.lookup(ALICE, "GA2025092901")
        assert answer.kind == "unavailable" and "12345" in answer.lines[0]
    assert CATALOG.items["GA-0009"].promised_days == 5
