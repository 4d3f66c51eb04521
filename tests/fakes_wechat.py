"""Test doubles for the WeChat channel: what WeChat sends, a fake WeChat API, fake bots,
and the fixtures and app builders the WeChat tests share.

`Signer` is the one signing helper every test goes through; it builds requests the way
WeChat does (plaintext, compatible and safe mode) with wechatpy's own crypto.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import xmltodict
from aiohttp import web
from aiohttp.test_utils import TestServer
from wechatpy.crypto import WeChatCrypto

from adapters import wechat
from adapters.db import migrate
from adapters.keys import BOT
from adapters.settings import Secret, Settings
from adapters.wechat.codec import signature
from bot.protocols import Bot
from bot.types import Inbound, Reply, Text

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
ACCOUNT = "gh_10f6c3c3ac5a"

_ids = itertools.count(6054768590064713728)


@dataclass
class Signer:
    """Signs (and in safe mode encrypts) callbacks like WeChat's servers."""

    token: str = TOKEN
    aes_key: str = ""
    appid: str = APPID

    def query(self, *, timestamp: int | None = None, nonce: str | None = None, echostr: str = "") -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or uuid.uuid4().hex[:10]
        query = {"signature": signature(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        if echostr:
            query["echostr"] = echostr
        return query

    def sign(self, xml: str, *, mode: str = "plain", timestamp: int | None = None,
             nonce: str | None = None) -> tuple[dict[str, str], bytes]:
        """Query and body for `xml` in `mode` plain, safe (AES) or compatible."""
        query = self.query(timestamp=timestamp, nonce=nonce)
        if mode == "plain":
            return query, xml.encode()
        crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
        envelope = crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
        encrypt = xmltodict.parse(envelope)["xml"]["Encrypt"]
        query.update(encrypt_type="aes",
                     msg_signature=signature(self.token, query["timestamp"], query["nonce"], encrypt))
        if mode == "safe":
            body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        else:  # compatible: plaintext fields and Encrypt side by side
            body = xml.replace("</xml>", f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        return query, body.encode()

    def open_reply(self, body: str) -> dict[str, Any]:
        """The reply's fields; decrypted (signature checked) when it is a safe-mode envelope."""
        fields = xmltodict.parse(body)["xml"]
        if "Encrypt" in fields:
            crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
            inner = crypto.decrypt_message(body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
            fields = xmltodict.parse(inner)["xml"]
        return dict(fields)


def text_xml(content: str, *, msg_id: int | None = None, user: str = OPENID, create_time: int | None = None) -> str:
    msg_id = next(_ids) if msg_id is None else msg_id
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def message_xml(msg_type: str, fields: str, *, user: str = OPENID, create_time: int | None = None,
                msg_id: int | None = None) -> str:
    """Any message or event: `fields` is the type-specific XML."""
    msg_id_xml = "" if msg_type == "event" else f"<MsgId>{next(_ids) if msg_id is None else msg_id}</MsgId>"
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{fields}{msg_id_xml}</xml>"
    )


def event_xml(event: str, key: str = "", **kwargs: Any) -> str:
    return message_xml("event", f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey>", **kwargs)


# -- fake bots -------------------------------------------------------------------------


@dataclass
class EchoBot:
    """Answers `echo: <text>` (or what `answers` holds), after `delay` seconds; counts calls."""

    delay: float = 0.0
    answers: list[Reply] | None = None
    seen: list[Inbound] = field(default_factory=list)

    async def feed(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.answers is not None:
            return list(self.answers)
        return [Text(f"echo: {inbound.text or inbound.event or inbound.kind}")]


# -- a fake WeChat API server -------------------------------------------------------------


@dataclass
class FakeWeChatApi:
    """cgi-bin/stable_token, token, message/custom/send, message/template/send, menu/create.

    Tokens behave like WeChat's: stable_token returns the same token until forced;
    `expire()` makes calls with the current one fail with 42001, `revoke()` with 40001.
    `fail(path, code)` queues an error answer for the next call to `path`.
    """

    calls: Counter[str] = field(default_factory=Counter)
    sent: list[dict[str, Any]] = field(default_factory=list)
    token: str = ""
    bad_tokens: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    token_delay: float = 0.0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self._stable_token)
        app.router.add_get("/cgi-bin/token", self._classic_token)
        for path in ("message/custom/send", "message/template/send", "menu/create"):
            app.router.add_post(f"/cgi-bin/{path}", self._call)
        return app

    def expire(self) -> None:
        self.bad_tokens[self.token] = 42001

    def revoke(self) -> None:
        self.bad_tokens[self.token] = 40001

    def fail(self, path: str, code: int, times: int = 1) -> None:
        self.failures[path].extend([code] * times)

    def _new_token(self) -> str:
        self.token = f"TOKEN-{uuid.uuid4().hex[:8]}"
        return self.token

    async def _stable_token(self, request: web.Request) -> web.Response:
        self.calls["stable_token"] += 1
        body = await request.json()
        if body.get("appid") != APPID or not body.get("secret"):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        if body.get("force_refresh") or not self.token:
            self._new_token()
        return web.json_response({"access_token": self.token, "expires_in": 7200})

    async def _classic_token(self, request: web.Request) -> web.Response:
        self.calls["token"] += 1
        return web.json_response({"access_token": self._new_token(), "expires_in": 7200})

    async def _call(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix("/cgi-bin/")
        self.calls[path] += 1
        token = request.query.get("access_token", "")
        if token in self.bad_tokens:
            code = self.bad_tokens[token]
            return web.json_response({"errcode": code, "errmsg": "access_token expired" if code == 42001
                                      else "invalid credential"})
        if token != self.token:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if self.failures[path]:
            code = self.failures[path].pop(0)
            return web.json_response({"errcode": code, "errmsg": _ERRMSG.get(code, "error")})
        payload = await request.json()
        if path == "menu/create":
            for button in payload.get("button", []):
                if len(button.get("name", "").encode()) > 16:
                    return web.json_response({"errcode": 40018, "errmsg": "invalid button name size"})
        if path == "message/custom/send" and payload.get("msgtype") == "text" \
                and len(payload["text"]["content"].encode()) > 2048:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        self.sent.append({"path": path, **payload})
        return web.json_response({"errcode": 0, "errmsg": "ok"})


_ERRMSG = {
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45002: "content size out of limit",
    40018: "invalid button name size",
}


# -- fixtures and builders ------------------------------------------------------------


@pytest.fixture(scope="session", name="migrated_sqlite_template")
def migrated_sqlite_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wechat-template") / "banshi.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(name="sqlite_url")
def sqlite_url_fixture(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database, copied from one template (fast, for non-storage tests)."""
    path = tmp_path / "banshi.db"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(name="fake_api")
async def fake_api_fixture() -> AsyncIterator[tuple[FakeWeChatApi, str]]:
    fake = FakeWeChatApi()
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await asyncio.sleep(0)


def wechat_settings(database_url: str, api_base: str = "http://127.0.0.1:9", *, aes: bool = False,
                    budget: float = 2.0, **changes: object) -> Settings:
    return Settings(
        database_url=database_url,
        wechat_token=Secret(TOKEN),
        wechat_aes_key=Secret(AES_KEY if aes else ""),
        wechat_appid=APPID,
        wechat_secret=Secret("app-secret"),
        wechat_api_base=api_base,
        wechat_budget_seconds=budget,
        **changes,  # type: ignore[arg-type]
    )


def wechat_app(bot: Bot, settings: Settings) -> web.Application:
    """A bare app with only the WeChat channel and a fake bot, as create_app would wire it."""
    app = web.Application()
    app[BOT] = bot
    wechat.setup(app, settings)
    return app
