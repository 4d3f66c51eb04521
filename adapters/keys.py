"""Typed keys for what the app factory puts on the aiohttp application."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.catalog_live import LiveCatalog
from adapters.settings import Settings
from bot.protocols import Bot

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
CATALOG = web.AppKey("catalog", LiveCatalog)
BOT = web.AppKey("bot", Bot)
