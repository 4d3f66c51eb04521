"""An asyncio client for the WeChat APIs Banshi calls (wechatpy's client blocks).

Customer-service messages (late answers, long answers), template messages and the menu.
Retries are bounded and deliberate: a network error is tried again a couple of times, an
invalid or expired token (40001, 40014, 42001) is refreshed once and the call repeated
once; every other WeChat error (45015 outside the 48-hour window, 45047 quota used up,
45002 too long, 40018 bad menu name …) is logged and raised as `SendError`, because
repeating it would only fail again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from adapters.wechat.render import OutNews, OutText, OutTransfer, split_text
from adapters.wechat.token import TokenStore
from bot.protocols import SendError
from bot.types import Article

log = logging.getLogger("banshi.wechat.api")

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
NETWORK_ATTEMPTS = 3


class WeChatApiError(SendError):
    """WeChat answered with a non-zero errcode (or could not be reached: code -1)."""


class WeChatApi:
    """Implements the core's `Sender`; one per app, sharing one HTTP session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: TokenStore,
        *,
        base: str = "https://api.weixin.qq.com",
        timeout: float = 5.0,
        backoff: float = 0.2,
    ) -> None:
        self.session = session
        self.tokens = tokens
        self.base = base.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.backoff = backoff

    # -- the Sender protocol -----------------------------------------------------------

    async def send_text(self, user_id: str, text: str) -> None:
        """Send text as customer-service messages, cut to WeChat's length limit."""
        for piece in split_text(text):
            await self.call("cgi-bin/message/custom/send",
                            {"touser": user_id, "msgtype": "text", "text": {"content": piece}})

    async def send_template(self, user_id: str, template_id: str, data: dict[str, str], url: str = "") -> None:
        payload: dict[str, Any] = {
            "touser": user_id,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }
        if url:
            payload["url"] = url
        await self.call("cgi-bin/message/template/send", payload)

    # -- more ----------------------------------------------------------------------------

    async def send_news(self, user_id: str, article: Article) -> None:
        """One article (customer-service news carries a single article)."""
        item = {"title": article.title, "description": article.description,
                "url": article.url, "picurl": article.image_url}
        await self.call("cgi-bin/message/custom/send",
                        {"touser": user_id, "msgtype": "news", "news": {"articles": [item]}})

    async def push(self, user_id: str, out: OutText | OutNews | OutTransfer) -> None:
        """Send one rendered message; a transfer cannot be pushed and is skipped."""
        if isinstance(out, OutText):
            await self.send_text(user_id, out.text)
        elif isinstance(out, OutNews):
            for article in out.articles[:3]:
                await self.send_news(user_id, article)
        else:
            log.info("handoff could not be pushed (only a passive reply can transfer)")

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call("cgi-bin/menu/create", menu)

    # -- the one way every call goes -----------------------------------------------------

    async def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST `payload` to `path` with the shared token; raise WeChatApiError on failure."""
        refreshed = False
        while True:
            token = await self.tokens.get()
            data = await self._post(path, token, payload)
            code = int(data.get("errcode", 0) or 0)
            if code == 0:
                return data
            if code in TOKEN_ERRORS and not refreshed:
                log.warning("access token rejected, refreshing once", extra={"path": path, "errcode": code})
                await self.tokens.invalidate(token)
                refreshed = True
                continue
            message = str(data.get("errmsg", ""))
            log.warning("wechat api error", extra={"path": path, "errcode": code, "errmsg": message})
            raise WeChatApiError(code, message)

    async def _post(self, path: str, token: str, payload: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base}/{path}"
        for attempt in range(1, NETWORK_ATTEMPTS + 1):
            try:
                async with self.session.post(
                    url, params={"access_token": token}, json=payload, timeout=self.timeout
                ) as response:
                    if response.status >= 500:
                        raise aiohttp.ClientResponseError(
                            response.request_info, (), status=response.status, message="server error"
                        )
                    data = await response.json(content_type=None)
                    if not isinstance(data, dict):
                        raise WeChatApiError(-1, "answer is not a JSON object")
                    return data
            except (aiohttp.ClientError, TimeoutError, ValueError) as e:
                log.warning("wechat api unreachable",
                            extra={"path": path, "attempt": attempt, "error": type(e).__name__})
                if attempt == NETWORK_ATTEMPTS:
                    raise WeChatApiError(-1, f"unreachable after {attempt} attempts: {type(e).__name__}") from None
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover
