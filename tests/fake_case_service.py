"""Hand-written fakes for the case and review tests: the remote case system, a Sender, a clock.

`FakeCaseService` is the source system's REST API as a province might run it (its own
field names, its own status words, an auth header), with knobs for slowness and 5xx.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cases.wiring import CaseParts, build
from adapters.db.engine import make_engine
from adapters.settings import Secret, Settings
from bot.protocols import SendError
from bot.testing import FakeClock  # noqa: F401  (re-exported: the case tests import it from here)
from knowledge.catalog import Catalog, Hall, Item
from knowledge.workdays import WorkCalendar

PHONE = "13812345678"
ID_NUMBER = "51160219800101123X"
SECRET = "push-secret"
TOKEN = "staff-token"
FIELD_MAP = {
    "root": "data",
    "number": "caseNo",
    "item_code": "itemCode",
    "applicant.name": "sqr.xm",
    "applicant.phone": "sqr.sj",
    "applicant.id_number": "sqr.zjhm",
    "query_code": "cxm",
    "hall_code": "dt",
    "events": "steps",
    "event.status": "state",
    "event.at": "time",
    "event.note": "remark",
    "status_map": {"SJ": "收件", "SL": "受理", "BZ": "补正", "BJ": "办结"},
}

CATALOG = Catalog.of(
    items=[
        Item("GA-0009", "居民身份证换领", department="公安局", promised_days=5, phone="0826-1110009"),
        Item("SC-0001", "食品经营许可", department="市场监管局", promised_days=10),
    ],
    halls=[Hall("H1", "广安市政务服务中心", address="广安区金安大道1号", phone="0826-2345678")],
)


def cst(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


@dataclass
class FakeSender:
    """Records pushes; `fail` holds error codes to raise, one per call, in order."""

    fail: list[int] = field(default_factory=list)
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, user, text or template)
    calls: int = 0

    async def _maybe_fail(self) -> None:
        self.calls += 1
        if self.fail:
            raise SendError(self.fail.pop(0), "fake")

    async def send_text(self, user_id: str, text: str) -> None:
        await self._maybe_fail()
        self.sent.append(("text", user_id, text))

    async def send_template(self, user_id: str, template_id: str, data: dict[str, str], url: str = "") -> None:
        await self._maybe_fail()
        self.sent.append(("template", user_id, f"{template_id}:{data['number']}:{data['status']}"))


def settings(url: str, **more: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url, "cases_secret": Secret(SECRET), "cases_pepper": Secret("pepper"),
        "staff_token": Secret(TOKEN), "case_template_id": "TPL-CASE",
        "case_number_pattern": r"GA\d{10}",
    }
    values.update(more)
    return Settings(**values)  # type: ignore[arg-type]


async def no_sleep(_: float) -> None:
    return None


@asynccontextmanager
async def parts(url: str, clock: FakeClock, sender: FakeSender | None = None,
                **more: object) -> AsyncIterator[tuple[CaseParts, AsyncEngine]]:
    engine = make_engine(url)
    try:
        yield build(engine, settings(url), lambda: CATALOG, sender=sender or FakeSender(), clock=clock,
                    calendar=WorkCalendar(), sleep=no_sleep, **more), engine  # type: ignore[arg-type]
    finally:
        await engine.dispose()


class FakeCaseService:
    """The remote case system: GET /api/case/{number} with header X-Api-Key."""

    def __init__(self, key: str = "remote-key") -> None:
        self.key = key
        self.cases: dict[str, dict[str, object]] = {}
        self.delay = 0.0
        self.errors: list[int] = []  # statuses to answer before answering properly
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/case/{number}", self.get)
        return app

    async def get(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.headers.get("X-Api-Key") != self.key:
            return web.json_response({"code": 401, "msg": "bad key"}, status=401)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.errors:
            return web.json_response({"code": 500}, status=self.errors.pop(0))
        case = self.cases.get(request.match_info["number"])
        if case is None:
            return web.json_response({"code": 404, "msg": "not found"}, status=404)
        return web.json_response({"code": 0, "data": case})
