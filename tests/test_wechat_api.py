"""The async WeChat API client against a fake WeChat API server with real error codes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from adapters.db.engine import make_engine
from adapters.settings import Settings
from adapters.wechat.api import WeChatApi, WeChatApiError
from adapters.wechat.menu import MenuError, check_menu, load_menu
from adapters.wechat.token import SqlTokenStore, stable_token_fetcher
from bot.protocols import Sender, SendError
from bot.types import Article
from tests.fakes_wechat import (  # noqa: F401 - *_fixture are fixtures
    APPID,
    OPENID,
    FakeWeChatApi,
    fake_api_fixture,
    migrated_sqlite_template_fixture,
    sqlite_url_fixture,
)

Instance = Callable[[], AsyncIterator[WeChatApi]]


def instance(database_url: str, base: str) -> Callable[[], AsyncIterator[WeChatApi]]:
    """A factory of API clients as separate instances would hold them: own engine, own session."""

    @asynccontextmanager
    async def make() -> AsyncIterator[WeChatApi]:
        engine = make_engine(database_url)
        async with aiohttp.ClientSession() as session:
            fetch = stable_token_fetcher(session, base, APPID, "app-secret")
            try:
                yield WeChatApi(session, SqlTokenStore(engine, APPID, fetch), base=base, backoff=0.0)
            finally:
                await engine.dispose()

    return make  # type: ignore[return-value]


async def test_two_instances_share_one_token(database_url: str, fake_api: tuple[FakeWeChatApi, str]) -> None:
    fake, base = fake_api
    fake.token_delay = 0.2  # a slow token endpoint invites a stampede
    new = instance(database_url, base)
    async with new() as one, new() as two:  # type: ignore[attr-defined]
        await asyncio.gather(*(api.send_text(OPENID, f"hello {i}") for i in range(5) for api in (one, two)))
    assert fake.calls["stable_token"] == 1
    assert fake.calls["message/custom/send"] == 10


async def test_an_expired_token_is_refreshed_once(sqlite_url: str, fake_api: tuple[FakeWeChatApi, str]) -> None:
    fake, base = fake_api
    async with instance(sqlite_url, base)() as api:  # type: ignore[attr-defined]
        await api.send_text(OPENID, "one")
        first = fake.token
        fake.expire()  # WeChat now answers 42001 for it, and stable_token still returns it
        await api.send_text(OPENID, "two")
        assert fake.token != first
        fake.revoke()  # 40001
        await api.send_text(OPENID, "three")
        # a token that stays invalid is not retried forever
        fake.fail("message/custom/send", 40001, times=5)
        with pytest.raises(WeChatApiError) as error:
            await api.send_text(OPENID, "four")
    assert error.value.code == 40001
    assert [m["text"]["content"] for m in fake.sent] == ["one", "two", "three"]


@pytest.mark.parametrize("code", [45015, 45047, 45002])
async def test_send_errors_are_raised_not_retried(
    sqlite_url: str, fake_api: tuple[FakeWeChatApi, str], code: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake, base = fake_api
    fake.fail("message/custom/send", code)
    async with instance(sqlite_url, base)() as api:  # type: ignore[attr-defined]
        sender: Sender = api
        with pytest.raises(SendError) as error:
            await sender.send_text(OPENID, "late answer")
    assert error.value.code == code
    assert fake.calls["message/custom/send"] == 1
    assert any(getattr(record, "errcode", None) == code for record in caplog.records)


async def test_news_and_template_messages(sqlite_url: str, fake_api: tuple[FakeWeChatApi, str]) -> None:
    fake, base = fake_api
    async with instance(sqlite_url, base)() as api:  # type: ignore[attr-defined]
        await api.send_news(OPENID, Article("进度", "已受理", "https://example.org/c/1"))
        await api.send_template(OPENID, "TPL1", {"thing1": "居住证", "phrase2": "已办结"}, url="https://example.org")
    news, template = fake.sent
    assert news["news"]["articles"][0]["title"] == "进度"
    assert template["template_id"] == "TPL1"
    assert template["data"] == {"thing1": {"value": "居住证"}, "phrase2": {"value": "已办结"}}


async def test_network_errors_are_retried_a_bounded_number_of_times(sqlite_url: str) -> None:
    async def fetch(force: bool) -> tuple[str, float]:
        return "T", 7200.0

    engine = make_engine(sqlite_url)
    try:
        async with aiohttp.ClientSession() as session:
            api = WeChatApi(session, SqlTokenStore(engine, APPID, fetch), base="http://127.0.0.1:9", backoff=0.0)
            with pytest.raises(WeChatApiError) as error:
                await api.send_text(OPENID, "hi")
    finally:
        await engine.dispose()
    assert error.value.code == -1 and "3 attempts" in error.value.message


async def test_the_shipped_menu_is_valid_and_pushes(sqlite_url: str, fake_api: tuple[FakeWeChatApi, str]) -> None:
    fake, base = fake_api
    menu = load_menu(Settings().wechat_menu_file)
    async with instance(sqlite_url, base)() as api:  # type: ignore[attr-defined]
        await api.create_menu(menu)
        fake.fail("menu/create", 40018)
        with pytest.raises(SendError) as error:
            await api.create_menu(menu)
    assert error.value.code == 40018
    assert fake.sent[0]["button"] == menu["button"]


def test_menu_problems_are_named(tmp_path: Path) -> None:
    bad = {"button": [{"name": "这是一个很长的菜单名字", "type": "click", "key": "K"},
                      {"name": "网址", "type": "view"}, {"name": "x", "sub_button": []}]}
    problems = check_menu(bad)
    assert any("button 1" in p and "bytes" in p for p in problems)
    assert any("button 2" in p and "url" in p for p in problems)
    assert any("button 3" in p and "sub_button" in p for p in problems)
    path = tmp_path / "menu.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(MenuError):
        load_menu(path)
