"""JSON API for the staff console: 好差评 figures, the 差评 rectification ledger, and the
questions the bot could not answer at once (what to add to the catalog).

Authenticated with one shared token for now (BANSHI_STAFF_TOKEN, `Authorization: Bearer
…`), compared in constant time; with no token configured the API is closed, not open.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date

from aiohttp import web

from adapters.cases.wiring import CASES
from adapters.db.unanswered import described, mark_handled, open_gaps
from adapters.keys import CATALOG, ENGINE
from bot.reviews import STEPS, Rectification, ReviewError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, error: str) -> web.Response:
    return web.json_response({"error": error}, status=status)


def staff_only(handler: Handler) -> Handler:
    async def checked(request: web.Request) -> web.StreamResponse:
        token = request.app[CASES].settings.staff_token.get()
        if not token:
            return _error(503, "the staff API is not configured (BANSHI_STAFF_TOKEN)")
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _error(401, "a valid staff token is required")
        return await handler(request)

    return checked


def _date(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{name} must be a date such as 2026-11-01"}), content_type="application/json"
        ) from None


def rectification_json(record: Rectification, today: date) -> dict[str, object]:
    data = asdict(record)
    data["deadline"] = record.deadline.isoformat()
    data["overdue"] = record.overdue(today)
    data["on_time"] = record.on_time()
    data.pop("rater")  # an openid is personal data the console does not need
    return data


@staff_only
async def report(request: web.Request) -> web.Response:
    since = _date(request.query.get("since"), "since")
    if since is None:
        return _error(400, "since is required, e.g. ?since=2026-11-01")
    until = _date(request.query.get("until"), "until")
    return web.json_response(await request.app[CASES].reviews.report(since, until))


@staff_only
async def list_rectifications(request: web.Request) -> web.Response:
    parts = request.app[CASES]
    today = parts.reviews.today()
    if request.query.get("overdue") in ("1", "true"):
        records = await parts.reviews.overdue()
    else:
        records = await parts.review_store.rectifications(open_only=request.query.get("open") in ("1", "true"))
    return web.json_response([rectification_json(r, today) for r in records])


@staff_only
async def advance_rectification(request: web.Request) -> web.Response:
    parts = request.app[CASES]
    try:
        record_id = int(request.match_info["id"])
        body = await request.json()
    except ValueError:
        return _error(400, "malformed JSON body or record id")
    if not isinstance(body, dict) or body.get("status") not in STEPS:
        return _error(400, f"status must be one of {', '.join(STEPS)}")
    try:
        record = await parts.reviews.advance(record_id, body["status"], str(body.get("note", "")),
                                             str(body.get("by", "")))
    except ReviewError as e:
        status = 404 if str(e).startswith("no rectification") else 409
        return _error(status, str(e))
    return web.json_response(rectification_json(record, parts.reviews.today()))


LIST_LIMIT = 500  # questions per request at the most


@staff_only
async def list_unanswered(request: web.Request) -> web.Response:
    """The open gaps, most asked first, as `banshi kb unanswered --json` gives them."""
    try:
        days = float(request.query.get("days", "30"))
        limit = int(request.query.get("limit", "50"))
    except ValueError:
        return _error(400, "days and limit must be numbers")
    if not 0 < limit <= LIST_LIMIT or days < 0:
        return _error(400, f"limit must be 1 to {LIST_LIMIT}, days 0 (all) or more")
    gaps = await open_gaps(request.app[ENGINE], time.time() - days * 86400 if days > 0 else None, limit)
    snapshot = request.app[CATALOG].snapshot
    # each is searched again: in a worker thread, as the bot's conversations share this loop
    listed = await asyncio.to_thread(lambda: [described(g, snapshot.catalog, snapshot.index) for g in gaps])
    return web.json_response(listed)


@staff_only
async def unanswered_handled(request: web.Request) -> web.Response:
    """Mark questions handled (as listed) once the catalog or a synonym covers them."""
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "malformed JSON body")
    texts = body.get("texts") if isinstance(body, dict) else None
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        return _error(400, 'texts must be a list of the questions as listed, e.g. {"texts": ["..."]}')
    if len(texts) > LIST_LIMIT:
        return _error(400, f"at most {LIST_LIMIT} texts at a time")
    return web.json_response({"marked": await mark_handled(request.app[ENGINE], texts)})


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/staff/reviews/report", report)
    app.router.add_get("/api/v1/staff/rectifications", list_rectifications)
    app.router.add_post("/api/v1/staff/rectifications/{id}", advance_rectification)
    app.router.add_get("/api/v1/staff/unanswered", list_unanswered)
    app.router.add_post("/api/v1/staff/unanswered/handled", unanswered_handled)
