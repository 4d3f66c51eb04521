"""GET /healthz: is this instance able to serve (database reachable, catalog loaded)?"""

from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import web
from sqlalchemy import text

from adapters.keys import CATALOG, ENGINE

log = logging.getLogger("banshi.health")


async def healthz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    try:
        async with asyncio.timeout(2), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as e:  # any failure means "not healthy"; say which, hide the details
        log.warning("health check: database unreachable", extra={"error": type(e).__name__})
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    snapshot = request.app[CATALOG].snapshot
    return web.json_response(
        {
            "status": "ok",
            "database": "ok",
            "pid": os.getpid(),  # which worker answered (BANSHI_WORKERS > 1)
            "catalog": {
                "revision": snapshot.catalog.revision,
                "items": len(snapshot.catalog.items),
                "bundles": len(snapshot.catalog.bundles),
                "halls": len(snapshot.catalog.halls),
            },
        }
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
