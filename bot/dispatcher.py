"""The dispatcher: one inbound message in, replies out, with the user's state around it.

For each message: take the user's lock (so a retry or a double tap can't race), load the
state, drop it if the user was idle too long, read the current catalog snapshot (so staff
edits apply at once), route, save the state, and write the turn to the transcript with ID
and phone numbers masked. A failing handler answers with an apology and the hotline
instead of leaving the citizen without a reply.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.masking import mask
from bot.protocols import CatalogSource, Clock, Journal, UserActivity
from bot.router import Router
from bot.state import Conversation, DialogueStore, StateKey
from bot.texts import Texts, default_texts
from bot.types import Articles, Handoff, Inbound, Options, Reply, Text
from knowledge.catalog import Catalog
from knowledge.workdays import WorkCalendar

if TYPE_CHECKING:
    from bot.case_service import CaseService
    from bot.pushes import LatePushes
    from bot.reviews import ReviewService

log = logging.getLogger("banshi.bot")
SECRET_TEXT = "[验证信息，不记录]"


class SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass(frozen=True)
class BotConfig:
    """Dialogue settings the composition root fills from Settings."""

    hotline: str = "12345"
    idle_seconds: float = 30 * 60
    public_url: str = ""  # base for one-time notice links; relative links when empty
    center: str = "政务服务中心"
    # channels whose edge can hand the conversation to people (WeChat's customer service)
    transfer_channels: frozenset[str] = frozenset()


@dataclass
class Turn:
    """One message being handled: what came in, the state, and what the NLU made of it."""

    inbound: Inbound
    state: Conversation
    catalog: Catalog
    index: Any
    intent: str
    now: float
    label: str = ""  # what the transcript records as the turn's intent
    offered: list[tuple[str, str]] = field(default_factory=list)  # (label, action) offered last turn
    secret: bool = False  # the text proves identity (phone tail, 查询码): keep it out of the transcript

    @property
    def text(self) -> str:
        return self.inbound.text.strip()


class Dispatcher:
    def __init__(
        self,
        router: Router,
        store: DialogueStore,
        catalog: CatalogSource,
        journal: Journal,
        *,
        clock: Clock | None = None,
        calendar: WorkCalendar | None = None,
        config: BotConfig | None = None,
        texts: Texts | None = None,
        activity: UserActivity | None = None,
        cases: CaseService | None = None,
        reviews: ReviewService | None = None,
        pushes: LatePushes | None = None,
    ) -> None:
        self.router = router
        self.store = store
        self.catalog = catalog
        self.journal = journal
        self.clock = clock or SystemClock()
        self.calendar = calendar or WorkCalendar()
        self.config = config or BotConfig()
        self.texts = texts or default_texts()
        self.activity = activity  # WeChat's 48-hour window for pushes (case updates)
        # None keeps the dialogue working without them: how-to texts and the journal instead
        self.cases, self.reviews, self.pushes = cases, reviews, pushes

    async def close(self) -> None:
        """Flush the records of the turns handled so far; call on shutdown."""
        await self.journal.close()

    async def feed(self, inbound: Inbound) -> list[Reply]:
        from intents.nlu import classify

        key = StateKey.of(inbound.user)
        async with self.store.lock(key):
            now = self.clock.now()
            state = await self.store.get(key)
            if state is None:
                state = Conversation()
            elif now - state.updated_at > self.config.idle_seconds:
                state = Conversation(lang=state.lang)  # the topic expires; the language is a preference
            snapshot: Any = self.catalog.snapshot
            intent = classify(inbound.text) if inbound.kind in ("text", "voice") else inbound.kind
            turn = Turn(inbound, state, snapshot.catalog, snapshot.index, intent, now, label=intent)
            turn.offered, state.options = state.options, []
            try:
                replies = await self._route(turn)
            except Exception:
                log.exception("handler failed", extra={"user": key.text, "intent": intent})
                replies = [Text(self.texts.get(state.lang, "error", hotline=self.config.hotline))]
                turn.label = "error"
            state.updated_at = now
            await self.store.set(key, state)
        try:  # records matter, but not more than answering the citizen
            if self.activity is not None and inbound.event != "unsubscribe":
                await self.activity.record_user_activity(inbound.user.key, now)
            said = SECRET_TEXT if turn.secret else mask(_inbound_text(inbound))
            await self.journal.record_turn(
                inbound.user.key, turn.label, said, [mask(_reply_text(r)) for r in replies], now
            )
        except Exception:
            log.exception("could not record the turn", extra={"user": key.text})
        return replies

    async def _route(self, turn: Turn) -> list[Reply]:
        state = turn.state

        def t(key: str, **values: Any) -> str:
            return self.texts.get(state.lang, key, **values)

        deps = {
            "turn": turn,
            "state": state,
            "catalog": turn.catalog,
            "index": turn.index,
            "t": t,
            "texts": self.texts,
            "journal": self.journal,
            "calendar": self.calendar,
            "clock": self.clock,
            "config": self.config,
            "cases": self.cases,
            "reviews": self.reviews,
            "pushes": self.pushes,
        }
        found = await self.router.route(turn, deps)
        if found is None:
            return [Text(t("fallback", hotline=self.config.hotline))]
        name, replies = found
        log.debug("routed", extra={"handler": name})
        for reply in replies:  # remember what "1", "2" … mean next time, unless the handler did
            if isinstance(reply, Options) and not state.options:
                state.options = [(o.label, "say:" + o.payload) for o in reply.options]
        return replies


def _inbound_text(inbound: Inbound) -> str:
    if inbound.kind == "location" and inbound.location:
        return f"[位置] {inbound.location.label}"
    if inbound.kind == "event":
        return f"[事件] {inbound.event} {inbound.event_key}"
    return inbound.text


def _reply_text(reply: Reply) -> str:
    if isinstance(reply, Text):
        return reply.text
    if isinstance(reply, Options):
        return reply.prompt + " " + " / ".join(o.label for o in reply.options)
    if isinstance(reply, Articles):
        return " / ".join(a.title for a in reply.articles)
    if isinstance(reply, Handoff):
        return f"[转人工] {reply.note}"
    return str(reply)
