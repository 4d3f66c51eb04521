"""The staff API's list of questions the bot could not answer at once, on both databases."""

import time

import pytest
from aiohttp import web

from adapters.cases.wiring import CASES
from adapters.catalog_live import LiveCatalog
from adapters.db.catalog_store import save_catalog
from adapters.db.journal import SqlJournal
from adapters.keys import CATALOG, ENGINE
from adapters.web import staff_api
from bot.testing import FakeClock
from knowledge.formats import read_catalog_files
from tests.conftest import demo_files
from tests.fake_case_service import TOKEN, parts

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def client(database_url: str, aiohttp_client):  # type: ignore[no-untyped-def]
    async with parts(database_url, FakeClock(time.time())) as (p, engine):
        await save_catalog(engine, read_catalog_files(demo_files()))
        live = LiveCatalog(engine)
        await live.refresh()
        journal = SqlJournal(engine)
        now = time.time()
        for user, text, chosen in [("u1", "孩子上学要什么证明", "RZ-WJ-001"), ("u2", "孩子上学要什么证明", "RZ-WJ-001"),
                                   ("u3", "挖虫草的采集证在哪儿办", None)]:
            await journal.record_unanswered(user, text, now, chosen)
        await journal.record_unanswered("u4", "去年问过的老问题", now - 400 * 86400)
        await journal.flush()
        app = web.Application()
        app[CASES], app[ENGINE], app[CATALOG] = p, engine, live
        staff_api.setup(app)
        yield await aiohttp_client(app)


async def test_staff_list_what_to_add_and_mark_it_handled(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/api/v1/staff/unanswered")).status == 401
    r = await client.get("/api/v1/staff/unanswered", headers=AUTH)
    listed = await r.json()
    assert [(g["q"], g["chosen"], g["asked"], g["askers"]) for g in listed] == [
        ("孩子上学要什么证明", "RZ-WJ-001", 2, 2), ("挖虫草的采集证在哪儿办", None, 1, 1)]  # not last year's
    assert listed[0]["chosen_name"] == "出生医学证明签发" and "上学" in listed[0]["lacks"]
    assert listed[1]["now_answer"] is None and listed[1]["now"] != "answer"  # still a gap
    assert listed[1]["lacks"] == []
    r = await client.get("/api/v1/staff/unanswered?days=0", headers=AUTH)
    assert len(await r.json()) == 3
    r = await client.post("/api/v1/staff/unanswered/handled", json={"texts": ["孩子上学要什么证明"]}, headers=AUTH)
    assert (await r.json()) == {"marked": 2}
    r = await client.get("/api/v1/staff/unanswered", headers=AUTH)
    assert [g["q"] for g in await r.json()] == ["挖虫草的采集证在哪儿办"]


BAD_QUERIES = ["limit=0", "limit=many", "days=-1", "limit=100000"]
TOO_MANY = ('{"texts": [' + ", ".join(['"q"'] * 501) + "]}").encode()
BAD_BODIES = [b"{not json", b'{"texts": "one"}', b'{"texts": []}', b'{"texts": [1]}', b"[]", TOO_MANY]


# One client for all the bad requests: each fixture builds a catalog index (about a second).
async def test_bad_requests_are_refused_plainly_and_mark_nothing(client) -> None:  # type: ignore[no-untyped-def]
    for query in BAD_QUERIES:
        r = await client.get(f"/api/v1/staff/unanswered?{query}", headers=AUTH)
        assert r.status == 400 and "limit" in (await r.json())["error"], query
    for body in BAD_BODIES:
        r = await client.post("/api/v1/staff/unanswered/handled", data=body, headers=AUTH)
        assert r.status == 400 and (await r.json())["error"], body[:20]
        r = await client.get("/api/v1/staff/unanswered", headers=AUTH)
        assert len(await r.json()) == 2, body[:20]
