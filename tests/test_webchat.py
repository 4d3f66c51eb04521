"""POST /api/chat and the page: same bot as WeChat, strict input checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.keys import BOT
from adapters.web import webchat
from bot.types import Article, Articles, Handoff, Option, Options, Text
from tests.fakes_wechat import EchoBot

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client() -> AsyncIterator[tuple[Client, EchoBot]]:
    bot = EchoBot()
    app = web.Application()
    app[BOT] = bot
    webchat.setup(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client, bot


async def test_text_goes_to_the_bot_and_replies_come_back_typed(client: tuple[Client, EchoBot]) -> None:
    http, bot = client
    bot.answers = [
        Text("您好"),
        Options("您要办哪一项？", (Option("身份证补领", "身份证补领"),)),
        Articles((Article("指南", "材料", "https://example.org"),)),
        Handoff(note="正在转人工"),
    ]
    response = await http.post("/api/chat", json={"user": "u-1", "text": " 身份证 "})
    assert response.status == 200
    replies = (await response.json())["replies"]
    assert [r["type"] for r in replies] == ["text", "options", "articles", "handoff"]
    assert replies[1] == {"type": "options", "text": "您要办哪一项？",
                          "options": [{"label": "身份证补领", "payload": "身份证补领"}]}
    assert replies[2]["articles"][0]["url"] == "https://example.org"
    assert (bot.seen[0].user.channel, bot.seen[0].user.id, bot.seen[0].text) == ("web", "u-1", "身份证")


async def test_location(client: tuple[Client, EchoBot]) -> None:
    http, bot = client
    response = await http.post("/api/chat", json={"user": "u-1", "location": {"lat": 30.46, "lon": 106.63}})
    assert response.status == 200
    assert bot.seen[0].kind == "location" and bot.seen[0].location is not None
    assert (bot.seen[0].location.lat, bot.seen[0].location.lon) == (30.46, 106.63)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"text": "hi"}', "user is required"),
        (b'{"user": "a b", "text": "hi"}', "user is required"),
        (b'{"user": "u", "text": ""}', "text is required"),
        (b'{"user": "u", "text": "' + "长".encode() * 501 + b'"}', "too long"),
        (b'{"user": "u", "location": {"lat": 91, "lon": 0}}', "lat must be"),
        (b'{"user": "u", "location": {"lat": "x", "lon": 0}}', "numeric"),
    ],
)
async def test_bad_input_gets_a_clear_400(client: tuple[Client, EchoBot], body: bytes, words: str) -> None:
    http, bot = client
    response = await http.post("/api/chat", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert words in (await response.json())["error"]
    assert bot.seen == []


async def test_the_page_is_bilingual_and_served_with_its_files(client: tuple[Client, EchoBot]) -> None:
    http, _ = client
    page = await http.get("/")
    html: Any = await page.text()
    assert page.status == 200 and "办事助手" in html and "ལས་དོན" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert (await http.get("/webchat/webchat.js")).status == 200
    assert (await http.get("/webchat/nope.js")).status == 404
