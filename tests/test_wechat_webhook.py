"""POST/GET /wechat as WeChat calls it: every request goes through the one `Signer`."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.wechat.webhook import WECHAT
from bot.types import Article, Articles, Handoff, Option, Options, Reply, Text
from tests.conftest import REDIS_URL
from tests.fakes_wechat import (  # noqa: F401 - *_fixture are fixtures
    ACCOUNT,
    AES_KEY,
    OPENID,
    EchoBot,
    FakeWeChatApi,
    Signer,
    event_xml,
    fake_api_fixture,
    message_xml,
    migrated_sqlite_template_fixture,
    sqlite_url_fixture,
    text_xml,
    wechat_app,
    wechat_settings,
)

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def start() -> AsyncIterator[Callable[[web.Application], Any]]:
    """Start apps as test clients; all are closed at the end of the test."""
    clients: list[Client] = []

    async def _start(app: web.Application) -> Client:
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield _start
    for client in clients:
        await client.close()


async def post(client: Client, signer: Signer, xml: str, mode: str = "plain", **kwargs: Any) -> tuple[int, str]:
    query, body = signer.sign(xml, mode=mode, **kwargs)
    response = await client.post("/wechat", params=query, data=body)
    return response.status, await response.text()


# -- verification and refusals ------------------------------------------------------------


async def test_server_verification_echoes_echostr(start: Any, sqlite_url: str) -> None:
    client = await start(wechat_app(EchoBot(), wechat_settings(sqlite_url)))
    ok = await client.get("/wechat", params=Signer().query(echostr="1234567890abc"))
    assert (ok.status, await ok.text()) == (200, "1234567890abc")
    forged = Signer().query(echostr="x")
    forged["signature"] = "0" * 40
    bad = await client.get("/wechat", params=forged)
    assert bad.status == 403


async def test_forged_replayed_oversized_and_malformed_requests_are_refused(
    start: Any, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = EchoBot()
    client = await start(wechat_app(bot, wechat_settings(sqlite_url, wechat_max_body=4096)))
    signer = Signer()
    # forged: signed with another token
    assert (await post(client, Signer(token="guessed"), text_xml("hi")))[0] == 403
    # replayed: a genuine signature from ten minutes ago
    assert (await post(client, signer, text_xml("hi"), timestamp=int(time.time()) - 600))[0] == 403
    # oversized: refused from Content-Length, and when streamed without one
    assert (await post(client, signer, text_xml("长" * 5000)))[0] == 413

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    response = await client.post("/wechat", params=signer.query(), data=stream())
    assert response.status == 413
    # malformed XML: a clear 400, no traceback
    status, text = await post(client, signer, "<xml><MsgType>text</Msg")
    assert (status, text) == (400, "bad request")
    # unknown message type: acknowledged, not handled
    assert await post(client, signer, message_xml("hologram", "<Shape>cube</Shape>")) == (200, "success")
    assert bot.seen == []
    assert "Traceback" not in caplog.text
    assert "wechat request refused: bad signature" in caplog.text


async def test_wrong_appid_is_refused(start: Any, sqlite_url: str) -> None:
    client = await start(wechat_app(EchoBot(), wechat_settings(sqlite_url, aes=True)))
    other = Signer(aes_key=AES_KEY, appid="wx_someone_else_00")
    assert (await post(client, other, text_xml("hi"), mode="safe"))[0] == 403


# -- modes ------------------------------------------------------------------------------


async def test_plaintext_message_gets_a_text_reply(start: Any, sqlite_url: str) -> None:
    bot = EchoBot()
    client = await start(wechat_app(bot, wechat_settings(sqlite_url)))
    status, body = await post(client, Signer(), text_xml("身份证怎么办"))
    reply = Signer().open_reply(body)
    assert status == 200
    assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"]) == (OPENID, ACCOUNT, "text")
    assert reply["Content"] == "echo: 身份证怎么办"
    assert (bot.seen[0].user.channel, bot.seen[0].user.id, bot.seen[0].kind) == ("wechat", OPENID, "text")


@pytest.mark.parametrize("mode", ["safe", "compatible"])
async def test_encrypted_modes_get_encrypted_replies(start: Any, sqlite_url: str, mode: str) -> None:
    client = await start(wechat_app(EchoBot(), wechat_settings(sqlite_url, aes=True)))
    signer = Signer(aes_key=AES_KEY)
    status, body = await post(client, signer, text_xml("社保卡"), mode=mode)
    assert status == 200 and "<Encrypt>" in body
    assert signer.open_reply(body)["Content"] == "echo: 社保卡"


# -- messages and events ----------------------------------------------------------------


async def test_messages_and_events_become_inbounds(start: Any, sqlite_url: str) -> None:
    bot = EchoBot()
    client = await start(wechat_app(bot, wechat_settings(sqlite_url)))
    s = Signer()
    await post(client, s, message_xml("voice", "<MediaId>m</MediaId><Format>amr</Format><Recognition>户口迁移</Recognition>"))
    await post(client, s, message_xml("location", "<Location_X>30.66</Location_X><Location_Y>104.06</Location_Y>"
                                                  "<Scale>15</Scale><Label>广安</Label>"))
    await post(client, s, event_xml("subscribe"))
    await post(client, s, event_xml("subscribe", "qrscene_hall-7"))
    await post(client, s, event_xml("CLICK", "MENU_MATERIALS"))
    await post(client, s, event_xml("VIEW", "https://example.org/guide"))
    await post(client, s, event_xml("SCAN", "window-3"))
    status, body = await post(client, s, event_xml("unsubscribe"))
    assert (status, body) == (200, "success")
    voice, location, *events = bot.seen
    assert (voice.kind, voice.text) == ("voice", "户口迁移")
    assert location.location is not None and (location.location.lat, location.location.lon) == (30.66, 104.06)
    assert [(e.kind, e.event, e.event_key) for e in events] == [
        ("event", "subscribe", ""),
        ("event", "subscribe", "hall-7"),
        ("event", "click", "MENU_MATERIALS"),
        ("event", "view", "https://example.org/guide"),
        ("event", "scan", "window-3"),
        ("event", "unsubscribe", ""),
    ]


async def test_unrecognised_voice_and_pictures_get_a_plain_answer_without_the_bot(start: Any, sqlite_url: str) -> None:
    bot = EchoBot()
    client = await start(wechat_app(bot, wechat_settings(sqlite_url)))
    s = Signer()
    _, voice = await post(client, s, message_xml("voice", "<MediaId>m</MediaId><Format>amr</Format><Recognition></Recognition>"))
    _, image = await post(client, s, message_xml("image", "<PicUrl>http://x/p.jpg</PicUrl><MediaId>m</MediaId>"))
    assert "语音" in s.open_reply(voice)["Content"] and "打字" in s.open_reply(voice)["Content"]
    assert "文字" in s.open_reply(image)["Content"]
    assert bot.seen == []


# -- rendering ----------------------------------------------------------------------------


async def test_options_render_as_tappable_numbered_links(start: Any, sqlite_url: str) -> None:
    answers: list[Reply] = [Options("您要办哪一项？", (Option("身份证补领", "身份证补领"), Option("A&B", "A&B")))]
    client = await start(wechat_app(EchoBot(answers=answers), wechat_settings(sqlite_url)))
    _, body = await post(client, Signer(), text_xml("身份证"))
    content = Signer().open_reply(body)["Content"]
    assert content.splitlines()[0] == "您要办哪一项？"
    assert '1. <a href="weixin://bizmsgmenu?msgmenucontent=身份证补领&msgmenuid=1">身份证补领</a>' in content
    assert '2. <a href="weixin://bizmsgmenu?msgmenucontent=A%26B&msgmenuid=2">A&amp;B</a>' in content


async def test_articles_and_handoff(start: Any, sqlite_url: str) -> None:
    bot = EchoBot(answers=[Articles((Article("办事指南", "材料清单", "https://example.org/a", "https://example.org/a.jpg"),))])
    client = await start(wechat_app(bot, wechat_settings(sqlite_url)))
    news = Signer().open_reply((await post(client, Signer(), text_xml("指南")))[1])
    assert news["MsgType"] == "news" and news["ArticleCount"] == "1"
    assert news["Articles"]["item"]["Title"] == "办事指南"
    bot.answers = [Handoff(kf_account="kf2001@banshi")]
    transfer = Signer().open_reply((await post(client, Signer(), text_xml("人工")))[1])
    assert transfer["MsgType"] == "transfer_customer_service"
    assert transfer["TransInfo"]["KfAccount"] == "kf2001@banshi"


async def test_long_text_is_split_into_a_reply_and_customer_service_messages(
    start: Any, sqlite_url: str, fake_api: tuple[FakeWeChatApi, str]
) -> None:
    fake, base = fake_api
    long = "\n".join(f"第{i}项：携带本人身份证原件及复印件一份，到窗口办理。" for i in range(120))
    app = wechat_app(EchoBot(answers=[Text(long)]), wechat_settings(sqlite_url, base))
    client = await start(app)
    _, body = await post(client, Signer(), text_xml("材料"))
    first = Signer().open_reply(body)["Content"]
    # however many pieces it takes, wait for the one that carries the last line
    await _until(lambda: any("第119项" in m["text"]["content"] for m in fake.sent))
    pushed = [m["text"]["content"] for m in fake.sent]
    pieces = [first, *pushed]
    assert all(len(p.encode()) < 2048 for p in pieces)
    assert len(pieces) >= 3
    assert "".join(pieces).count("携带本人身份证") == 120
    assert fake.calls["stable_token"] == 1


# -- the deadline and retries ---------------------------------------------------------------


async def test_a_slow_bot_gets_success_then_a_customer_service_push(
    start: Any, sqlite_url: str, fake_api: tuple[FakeWeChatApi, str]
) -> None:
    fake, base = fake_api
    client = await start(wechat_app(EchoBot(delay=0.4), wechat_settings(sqlite_url, base, budget=0.1)))
    started = time.monotonic()
    assert await post(client, Signer(), text_xml("慢问题")) == (200, "success")
    assert time.monotonic() - started < 0.35
    await _until(lambda: bool(fake.sent))
    assert fake.sent[0]["touser"] == OPENID
    assert fake.sent[0]["text"]["content"] == "echo: 慢问题"


async def test_a_failing_bot_is_answered_success_not_500(start: Any, sqlite_url: str) -> None:
    class Broken:
        async def feed(self, inbound: Any) -> list[Reply]:
            raise RuntimeError("boom")

    client = await start(wechat_app(Broken(), wechat_settings(sqlite_url)))
    assert await post(client, Signer(), text_xml("hi")) == (200, "success")


@pytest.mark.parametrize(
    "dedup",
    ["database", pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="BANSHI_TEST_REDIS_URL not set"))],
)
async def test_concurrent_deliveries_are_handled_once_across_two_instances(
    start: Any, database_url: str, dedup: str
) -> None:
    bot = EchoBot(delay=0.2)  # both instances share this bot so we count every handling
    settings = wechat_settings(database_url, redis_url=REDIS_URL if dedup == "redis" else "")
    one = await start(wechat_app(bot, settings))
    two = await start(wechat_app(bot, settings))
    unique = random.randrange(10**15, 10**16)  # Redis outlives the test: never reuse a MsgId
    xml = text_xml("重复的问题", msg_id=7 * 10**18 + unique)
    s = Signer()
    results = await asyncio.gather(post(one, s, xml), post(two, s, xml), post(one, s, xml))
    assert len(bot.seen) == 1
    assert {status for status, _ in results} == {200}
    assert len({body for _, body in results}) == 1
    assert Signer().open_reply(results[0][1])["Content"] == "echo: 重复的问题"
    # a retry after the answer gets the same answer, still without a second handling
    assert await post(two, s, xml) == results[0]
    # events are deduplicated by user and time
    event = event_xml("CLICK", "MENU_HOURS", create_time=1700000000 + unique % 10**8)
    await asyncio.gather(post(one, s, event), post(two, s, event))
    assert len(bot.seen) == 2


async def test_a_retry_takes_over_a_delivery_whose_first_instance_died(start: Any, database_url: str) -> None:
    bot = EchoBot()
    client = await start(wechat_app(bot, wechat_settings(database_url, budget=0.5)))  # lease 1 s
    msg_id = 7 * 10**18 + random.randrange(10**15, 10**16)
    assert await client.server.app[WECHAT].deliveries.claim(f"msg:{msg_id}")  # claimed, then the instance died
    await asyncio.sleep(1.1)  # WeChat retries 5 s after its first delivery
    status, body = await post(client, Signer(), text_xml("还在吗", msg_id=msg_id))
    assert status == 200 and Signer().open_reply(body)["Content"] == "echo: 还在吗"
    assert len(bot.seen) == 1


async def _until(condition: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
