"""The web chat in a real browser (Debian's chromium): ask, read the reply, tap an option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiohttp import web

from adapters.keys import BOT
from adapters.web import webchat
from bot.types import Inbound, Option, Options, Reply, Text
from tests.conftest import free_port

CHROMIUM = Path(os.environ.get("BANSHI_CHROMIUM", "/usr/bin/chromium"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


class MenuBot:
    """Offers two items for any question; answers a tapped item with its materials."""

    async def feed(self, inbound: Inbound) -> list[Reply]:
        if inbound.text == "身份证补领":
            return [Text("身份证补领需要：户口簿原件、近期照片一张。")]
        return [Options("您要办哪一项？ / ལས་དོན་གང་ཡིན།",
                        (Option("身份证补领", "身份证补领"), Option("户口迁移", "户口迁移")))]



async def test_ask_and_tap_an_option() -> None:
    from playwright.async_api import async_playwright

    app = web.Application()
    app[BOT] = MenuBot()
    webchat.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"],
            )
            try:
                page = await browser.new_page(viewport={"width": 420, "height": 800})
                await page.goto(f"http://127.0.0.1:{port}/")
                await page.fill("#text", "补办身份证")
                await page.click("#send")
                option = page.get_by_role("button", name="1. 身份证补领")
                await option.wait_for()
                await option.click()
                await page.get_by_text("户口簿原件").wait_for()
                await page.screenshot(path="/tmp/webchat.png", full_page=True)
                texts = await page.locator(".msg").all_inner_texts()
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
    assert texts[0] == "补办身份证"
    assert "您要办哪一项" in texts[1]
    assert texts[2] == "身份证补领"
    assert "户口簿原件" in texts[3]
