"""POST /api/v1/cases: the source system pushes case records (one object or a list).

Signed like a webhook: X-Banshi-Timestamp (unix seconds) and X-Banshi-Signature = hex
HMAC-SHA256(BANSHI_CASES_SECRET, timestamp + "\\n" + body). The signature is checked over
the raw bytes before parsing, with a constant-time compare and a timestamp window, so a
replay from yesterday or a forged body is refused before it costs anything. Upserts are
idempotent (same events → same timeline) and all-or-nothing per request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from aiohttp import web

from adapters.cases.records import RecordError, parse_case
from adapters.cases.wiring import CASES

log = logging.getLogger("banshi.cases.push")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature the source system must send (also what the tests use)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _error(status: int, error: str, **more: object) -> web.Response:
    return web.json_response({"error": error, **more}, status=status)


async def push_cases(request: web.Request) -> web.Response:
    parts = request.app[CASES]
    secret = parts.settings.cases_secret.get()
    if not secret:
        return _error(503, "the case push API is not configured (BANSHI_CASES_SECRET)")
    timestamp = request.headers.get("X-Banshi-Timestamp", "").strip()
    signature = request.headers.get("X-Banshi-Signature", "").strip().lower()
    body = await request.read()
    if not timestamp or not signature:
        return _error(401, "unsigned request: send X-Banshi-Timestamp and X-Banshi-Signature")
    if not timestamp.isdigit():
        return _error(400, "X-Banshi-Timestamp must be unix seconds")
    now = parts.clock.now()
    if abs(now - int(timestamp)) > parts.settings.cases_max_skew:
        return _error(401, "stale request: timestamp outside the allowed window")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return _error(401, "bad signature")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return _error(400, f"malformed JSON: {e}")
    records = data if isinstance(data, list) else [data]
    cases, problems = [], []
    for i, record in enumerate(records):
        try:
            cases.append(parse_case(record, parts.proofs))
        except RecordError as e:
            problems += [f"[{i}] {m}" if isinstance(data, list) else m for m in e.errors]
    if problems:
        return _error(422, "invalid case record; nothing was stored", details=problems)
    if not cases:
        return _error(422, "no case records in the body")
    results = await parts.store.upsert(cases, now)
    answer = []
    for before, after in results:
        changed = before is None or before.events != after.events
        if changed:
            try:
                await parts.updates.changed(before, after)
            except Exception:  # a push problem must not make the source resend: the case is stored
                log.exception("case change notification failed", extra={"case": after.number})
        answer.append({"number": after.number, "status": after.status, "events": len(after.events),
                       "changed": changed})
    log.info("cases pushed", extra={"cases": [a["number"] for a in answer],
                                    "changed": sum(1 for a in answer if a["changed"])})
    return web.json_response(answer if isinstance(data, list) else answer[0])


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/cases", push_cases)
