"""The custom menu: read the operator's menu.json, check WeChat's limits, push it.

Checking here means a typo shows up as a line naming the button, before WeChat answers
with a bare 40018 (and before the half-pushed menu confuses anyone).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from adapters.db.engine import make_engine
from adapters.settings import Settings
from adapters.wechat.api import WeChatApi
from adapters.wechat.token import SqlTokenStore, stable_token_fetcher

TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
NEEDS = {"click": "key", "view": "url", "location_select": "key", "scancode_push": "key",
         "scancode_waitmsg": "key", "pic_sysphoto": "key", "pic_photo_or_album": "key",
         "pic_weixin": "key", "miniprogram": "url"}


class MenuError(ValueError):
    """menu.json breaks one of WeChat's rules; the message names every problem."""


def load_menu(path: Path) -> dict[str, Any]:
    try:
        menu = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise MenuError(f"{path}: {e}") from None
    problems = check_menu(menu)
    if problems:
        raise MenuError("; ".join(problems))
    return menu  # type: ignore[no-any-return]


def check_menu(menu: Any) -> list[str]:
    """Every rule menu.json breaks (empty list when it is fine)."""
    if not isinstance(menu, dict) or not isinstance(menu.get("button"), list):
        return ['the file must be {"button": [...]}']
    buttons = menu["button"]
    problems = [] if 1 <= len(buttons) <= 3 else [f"{len(buttons)} top buttons (1 to 3 allowed)"]
    for i, button in enumerate(buttons, 1):
        where = f"button {i}"
        if not isinstance(button, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += _name(button, where, TOP_NAME_BYTES)
        subs = button.get("sub_button")
        if subs is None:
            problems += _action(button, where)
            continue
        if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
            problems.append(f"{where}: 1 to 5 sub_button entries allowed")
            continue
        for j, sub in enumerate(subs, 1):
            sub_where = f"{where}.{j}"
            if not isinstance(sub, dict):
                problems.append(f"{sub_where} is not an object")
                continue
            problems += _name(sub, sub_where, SUB_NAME_BYTES) + _action(sub, sub_where)
    return problems


def _name(button: dict[str, Any], where: str, limit: int) -> list[str]:
    name = button.get("name")
    if not isinstance(name, str) or not name.strip():
        return [f"{where}: name missing"]
    size = len(name.encode())
    return [f"{where} {name!r}: name is {size} bytes ({limit} allowed)"] if size > limit else []


def _action(button: dict[str, Any], where: str) -> list[str]:
    kind = button.get("type")
    if kind not in NEEDS:
        return [f"{where}: type {kind!r} unknown"]
    field = NEEDS[kind]
    value = button.get(field)
    limit = KEY_BYTES if field == "key" else URL_BYTES
    if not isinstance(value, str) or not value:
        return [f"{where}: {kind} button needs a {field}"]
    if len(value.encode()) > limit:
        return [f"{where}: {field} longer than {limit} bytes"]
    return []


async def push_menu(settings: Settings) -> dict[str, Any]:
    """`banshi menu push`: check menu.json and create it, using the shared access token."""
    menu = load_menu(settings.wechat_menu_file)
    if not (settings.wechat_appid and settings.wechat_secret):
        raise MenuError("BANSHI_WECHAT_APPID and BANSHI_WECHAT_SECRET are needed to push the menu")
    engine = make_engine(settings.database_url)
    try:
        async with aiohttp.ClientSession() as session:
            fetch = stable_token_fetcher(
                session, settings.wechat_api_base, settings.wechat_appid, settings.wechat_secret.get()
            )
            api = WeChatApi(session, SqlTokenStore(engine, settings.wechat_appid, fetch),
                            base=settings.wechat_api_base)
            await api.create_menu(menu)
    finally:
        await engine.dispose()
    return menu
