"""The try-it web chat: a page at `/` and POST /api/chat, for people without WeChat.

It talks to the same bot as WeChat (app[BOT]), so what people try here is what the
official account answers. Input is checked strictly and every refusal says what was
wrong in one sentence (400), because the page is public.
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.keys import BOT
from bot.types import Articles, Handoff, Inbound, Location, Options, Reply, Text, UserRef

log = logging.getLogger("banshi.webchat")

STATIC = Path(__file__).with_name("static")
MAX_BODY = 16 * 1024
MAX_TEXT = 500
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_FILES = {"webchat.js": "application/javascript", "webchat.css": "text/css"}
_CSP = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'"


class BadInput(ValueError):
    """What was wrong with a chat request, in words for the page."""


def parse_request(data: Any) -> Inbound:
    """The Inbound for a decoded JSON body, or BadInput naming the problem."""
    if not isinstance(data, dict):
        raise BadInput('the body must be a JSON object like {"user": "...", "text": "..."}')
    user = data.get("user")
    if not isinstance(user, str) or not USER_ID.fullmatch(user):
        raise BadInput("user is required: 1 to 64 letters, digits, '-' or '_'")
    who = UserRef("web", user)
    if "location" in data:
        where = data["location"]
        if not isinstance(where, dict):
            raise BadInput('location must be {"lat": number, "lon": number}')
        lat, lon = where.get("lat"), where.get("lon")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon)):
            raise BadInput("location needs numeric lat and lon")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # type: ignore[operator]
            raise BadInput("lat must be within ±90 and lon within ±180")
        return Inbound(who, "location", location=Location(float(lat), float(lon)))  # type: ignore[arg-type]
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadInput("text is required (or a location)")
    if len(text) > MAX_TEXT:
        raise BadInput(f"text is too long: at most {MAX_TEXT} characters")
    return Inbound(who, "text", text=text.strip())


def reply_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Text):
        return {"type": "text", "text": reply.text}
    if isinstance(reply, Options):
        return {
            "type": "options",
            "text": reply.prompt,
            "options": [{"label": o.label, "payload": o.payload} for o in reply.options],
        }
    if isinstance(reply, Articles):
        return {
            "type": "articles",
            "articles": [
                {"title": a.title, "description": a.description, "url": a.url, "image_url": a.image_url}
                for a in reply.articles
            ],
        }
    if isinstance(reply, Handoff):
        return {"type": "handoff", "text": reply.note}
    raise TypeError(f"not a Reply: {reply!r}")


async def chat(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _bad(f"the request is too large (at most {MAX_BODY} bytes)", status=413)
    try:
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return _bad(f"the request is too large (at most {MAX_BODY} bytes)", status=413)
        inbound = parse_request(json.loads(raw))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad("the body is not valid JSON")
    except BadInput as e:
        return _bad(str(e))
    bot = request.app.get(BOT)
    if bot is None:
        return web.json_response({"error": "the assistant is not running yet"}, status=503)
    try:
        replies = await bot.feed(inbound)
    except Exception:
        log.exception("bot failed on a web chat message")
        return web.json_response({"error": "the assistant had a problem; please try again"}, status=503)
    return web.json_response({"replies": [reply_json(r) for r in replies]})


def _bad(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


def setup(app: web.Application) -> None:
    """Add `/`, its two static files and POST /api/chat (files are read here, not at import)."""
    page = (STATIC / "webchat.html").read_text(encoding="utf-8")
    files = {name: (STATIC / name).read_bytes() for name in _FILES}

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", headers={"Content-Security-Policy": _CSP})

    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in files:
            raise web.HTTPNotFound()
        return web.Response(body=files[name], content_type=_FILES[name],
                            headers={"Cache-Control": "max-age=300"})

    app.router.add_get("/", index)
    app.router.add_get("/webchat/{name}", static)
    app.router.add_post("/api/chat", chat)
