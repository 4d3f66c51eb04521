"""Builds the case and review services from settings; the app factory and the CLI share it.

The WeChat sender is handed in by whoever owns the channel; without one, pushes are
recorded as failed (error -1) rather than silently dropped, so staff can see them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.case_store import SqlCaseStore
from adapters.db.review_store import SqlReviewStore
from adapters.settings import Settings
from bot.case_service import CaseService
from bot.case_updates import CaseUpdates
from bot.notifier import Notifier
from bot.proofs import Proofs
from bot.protocols import CaseBackend, Clock, Sender, SendError
from bot.reviews import ReviewService
from knowledge.catalog import Catalog
from knowledge.workdays import WorkCalendar

log = logging.getLogger("banshi.cases")


class SystemClock:
    def now(self) -> float:
        return time.time()


class NoSender:
    """Stands in until a channel provides a Sender: every push fails visibly."""

    async def send_text(self, user_id: str, text: str) -> None:
        raise SendError(-1, "no sender configured")

    async def send_template(self, user_id: str, template_id: str, data: dict[str, str], url: str = "") -> None:
        raise SendError(-1, "no sender configured")


@dataclass
class CaseParts:
    settings: Settings
    clock: Clock
    proofs: Proofs
    store: SqlCaseStore
    review_store: SqlReviewStore
    cases: CaseService
    reviews: ReviewService
    updates: CaseUpdates
    notifier: Notifier


CASES = web.AppKey("cases", CaseParts)


def proofs_for(settings: Settings) -> Proofs:
    key = settings.cases_pepper.get() or settings.cases_secret.get()
    if not key:
        log.warning("BANSHI_CASES_PEPPER and BANSHI_CASES_SECRET unset: using a development key")
        key = "banshi-development-only"
    return Proofs(key)


def build(
    engine: AsyncEngine,
    settings: Settings,
    catalog: Callable[[], Catalog],
    *,
    sender: Sender | None = None,
    backend: CaseBackend | None = None,
    clock: Clock | None = None,
    calendar: WorkCalendar | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> CaseParts:
    clock = clock or SystemClock()
    calendar = calendar or WorkCalendar.load(settings.data_dir / "holidays.json")
    proofs = proofs_for(settings)
    store, review_store = SqlCaseStore(engine), SqlReviewStore(engine)
    notifier = Notifier(sender or NoSender(), store, store, clock, settings.case_template_id, sleep=sleep)
    cases = CaseService(backend or store, store, catalog, calendar, proofs, clock,
                        settings.case_number_pattern, settings.service_phone)
    reviews = ReviewService(review_store, notifier, catalog, calendar, clock, settings.rectification_days)
    updates = CaseUpdates(cases, notifier, reviews.invite_case)
    return CaseParts(settings, clock, proofs, store, review_store, cases, reviews, updates, notifier)


def setup(
    app: web.Application,
    settings: Settings,
    engine: Callable[[], AsyncEngine],
    catalog: Callable[[], Catalog],
    sender: Callable[[], Sender | None] = lambda: None,
) -> None:
    """Add a cleanup context that builds CaseParts once the engine exists (app[CASES])."""

    async def cases(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            backend = None
            if settings.cases_backend == "http":
                from adapters.cases.http_backend import HttpCaseBackend

                backend = HttpCaseBackend(
                    session, settings.cases_url, proofs_for(settings),
                    auth_header=settings.cases_auth_header, auth_value=settings.cases_auth_value.get(),
                    field_map=settings.cases_field_map, timeout=settings.cases_timeout,
                    retries=settings.cases_retries,
                )
            app[CASES] = build(engine(), settings, catalog, sender=sender(), backend=backend)
            yield

    app.cleanup_ctx.append(cases)
