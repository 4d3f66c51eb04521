"""Case status (办件进度) as whole dialogues: the real CaseService over SQLite/PostgreSQL,
a fake Sender for late answers, a fake clock; plus one dialogue through POST /api/chat."""

from __future__ import annotations

from pathlib import Path

from adapters.cases.records import parse_case
from adapters.cases.wiring import build
from adapters.db.catalog_store import save_catalog
from adapters.db.engine import make_engine
from adapters.settings import Settings
from app import create_app
from bot.types import Handoff, Inbound, UserRef
from knowledge.formats import read_catalog_files
from knowledge.workdays import WorkCalendar
from tests.case_chat import (
    ALICE,
    BOB,
    NOW,
    NUMBER,
    CaseChat,
    case_chat,
    record,
    slow_parts,
    text_of,
)
from tests.conftest import demo_files
from tests.fake_case_service import (
    CATALOG,
    ID_NUMBER,
    PHONE,
    FakeClock,
    FakeSender,
    settings,
)


async def test_number_proof_status_then_my_cases(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        asked = await chat.say(f"帮我查下办件 {NUMBER.lower()} 的进度")
        assert "手机号的后4位" in asked and "张" not in asked
        wrong = await chat.say("0000")
        assert "验证未通过" in wrong and "还可以再试 4 次" in wrong
        shown = await chat.say("5678")
        assert "验证通过" in shown and "当前进度：受理（已受理，正在办理）" in shown
        assert "09月29日 09:30 受理" in shown  # the timeline
        assert "承诺办结日期：2025年10月13日前（按工作日计算，已避开国庆节、中秋节假期）" in shown
        assert "张**" in shown and PHONE not in shown
        mine = await chat.say("我的办件")
        assert f"{NUMBER} 居民身份证换领：受理" in mine
        assert "当前进度：受理" in await chat.say(NUMBER)  # bound now: a bare number shows it at once
        said = [turn[2] for turn in chat.journal.turns]
        assert "5678" not in said and "0000" not in said  # proofs stay out of the transcript
        assert chat.sender.sent == []  # all answered inline


async def test_without_a_bound_case_the_number_is_asked_for(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        assert "请发送办件编号" in await chat.say("我的申请办到哪一步了")
        assert "手机号的后4位" in await chat.say(NUMBER)
        assert "验证通过" in await chat.say("q7k2")  # the 查询码 works too
        assert "没有查到办件编号 GA0000000000" in await chat.say("查办件 GA0000000000")
        assert "当前进度：受理" in await chat.say(NUMBER)  # after "not found", the corrected number


async def test_a_whole_id_or_mobile_number_proves_by_its_tail(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        await chat.say(f"查办件 {NUMBER}")
        assert "验证通过" in await chat.say(PHONE)
        await chat.say(f"查办件 {NUMBER}", BOB)
        assert "验证通过" in await chat.say(ID_NUMBER.lower(), BOB)
        assert all(PHONE not in turn[2] and ID_NUMBER.lower() not in turn[2] for turn in chat.journal.turns)


async def test_five_failures_lock_the_user_out_with_the_hall_phone(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        await chat.seed()
        await chat.say(f"查办件进度{NUMBER}", BOB)
        answers = [await chat.say(f"{i:04d}", BOB) for i in range(5)]
        assert all("验证未通过" in a for a in answers)
        assert "1 小时后" in answers[-1] and "0826-2345678" in answers[-1]
        await chat.say(NUMBER, BOB)
        locked = await chat.say("5678", BOB)  # even the right answer, within the hour
        assert "验证失败次数过多" in locked and "0826-2345678" in locked
        chat.clock.advance(3601)
        await chat.say(NUMBER, BOB)
        assert "验证通过" in await chat.say("5678", BOB)


async def test_a_slow_backend_answers_at_once_and_pushes_the_result(database_url: str) -> None:
    clock, sender = FakeClock(NOW), FakeSender()
    async with slow_parts(database_url, clock, sender, delay=0.2) as p:
        chat = CaseChat(p, clock, sender, answer_within=0.02)
        await chat.seed()
        assert "正在查询" in await chat.say(f"查办件 {NUMBER}")
        await chat.pushes.drain()
        assert sender.sent[-1][:2] == ("text", "o-alice") and "手机号的后4位" in sender.sent[-1][2]
        assert "正在查询" in await chat.say("5678")  # the proof is still expected
        await chat.pushes.drain()
        assert "验证通过" in sender.sent[-1][2] and "当前进度：受理" in sender.sent[-1][2]


async def test_an_id_number_alone_is_not_taken_for_a_case_number(database_url: str) -> None:
    clock, sender = FakeClock(NOW), FakeSender()
    engine = make_engine(database_url)
    try:  # the default pattern: any long number, with or without a letter prefix
        p = build(engine, settings(database_url, case_number_pattern=Settings().case_number_pattern),
                  lambda: CATALOG, sender=sender, clock=clock, calendar=WorkCalendar())
        chat = CaseChat(p, clock, sender)
        assert "办件" not in await chat.say("513230199001011234")
        assert "没有查到办件编号 SC-2025100100012345" in await chat.say("SC-2025100100012345")
    finally:
        await engine.dispose()


async def test_handoff_transfers_on_wechat_and_keeps_the_phone_numbers(database_url: str) -> None:
    async with case_chat(database_url) as chat:
        replies = await chat.send("转人工")
        assert any(isinstance(r, Handoff) for r in replies)
        assert "12345" in text_of(replies) and "0826-2345678" in text_of(replies)
        web = await chat.send("转人工", user=UserRef("web", "w-1"))
        assert not any(isinstance(r, Handoff) for r in web) and "12345" in text_of(web)
        click = await chat.bot.feed(Inbound(ALICE, "event", event="click", event_key="MENU_HANDOFF"))
        assert not any(isinstance(r, Handoff) for r in click) and "发送“转人工”" in text_of(click)


async def test_case_status_through_the_web_chat_endpoint(database_url: str, aiohttp_client, tmp_path: Path) -> None:
    config = settings(database_url, data_dir=tmp_path)
    engine = make_engine(database_url)
    try:
        await save_catalog(engine, read_catalog_files(demo_files()))
        seeding = build(engine, config, lambda: CATALOG, calendar=WorkCalendar())
        await seeding.store.upsert([parse_case(record(), seeding.proofs)], NOW)
    finally:
        await engine.dispose()
    client = await aiohttp_client(create_app(config))

    async def say(text: str) -> str:
        response = await client.post("/api/chat", json={"user": "u-1", "text": text})
        assert response.status == 200
        return "\n".join(r.get("text", "") for r in (await response.json())["replies"])

    assert "手机号的后4位" in await say(f"我的办件 {NUMBER} 办到哪一步了")
    assert "还可以再试 4 次" in await say("1111")
    shown = await say("5678")
    assert "验证通过" in shown and "办理记录" in shown and "当前进度：受理" in shown
    assert NUMBER in await say("我的办件")
