"""The one-time notice page (一次性告知单): a stable, printable URL per item and answers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.keys import CATALOG, SETTINGS
from adapters.settings import Settings
from adapters.web import notice
from bot.testing import StaticCatalog
from tests.test_conversation import demo_catalog


def notice_app() -> web.Application:
    app = web.Application()
    app[SETTINGS] = Settings()
    app[CATALOG] = StaticCatalog(demo_catalog(), None)  # type: ignore[assignment]
    notice.setup(app)
    return app


async def test_item_notice_lists_materials_for_the_answers(aiohttp_client: Any) -> None:
    client = await aiohttp_client(notice_app())
    response = await client.get("/notice/RZ-GA-002?place=elsewhere")
    assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    assert "一次性告知单：居民身份证换领" in html
    assert "外地户口（在若尔盖县异地办理）" in html
    assert html.count("<li>") == 3 and "15个工作日" in html and "window.print()" in html


async def test_unanswered_questions_show_when_a_material_is_needed(aiohttp_client: Any) -> None:
    client = await aiohttp_client(notice_app())
    html = await (await client.get("/notice/RZ-RS-001")).text()
    assert "仅在以下情况需要：未满16周岁" in html


async def test_bundle_notice_and_unknown_codes(aiohttp_client: Any) -> None:
    client = await aiohttp_client(notice_app())
    html = await (await client.get("/notice/RZ-YJS-002?applicant=self")).text()
    assert html.count("居民身份证：") == 1 and "新办纳税人信息确认" in html
    assert (await client.get("/notice/NOPE")).status == 404
    assert "&lt;script&gt;" not in html  # nothing from the query is echoed unescaped
