"""Request middleware: one JSON log line per request, and no stack trace ever reaches a caller."""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web
from aiohttp.web_middlewares import Handler

log = logging.getLogger("banshi.http")


@web.middleware
async def access_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    except Exception:
        log.exception("unhandled error", extra={"request_id": request_id, "path": request.path})
        return web.json_response(
            {"error": "internal error", "request_id": request_id}, status=500
        )
    finally:
        if request.path != "/healthz":
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "request_id": request_id,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
