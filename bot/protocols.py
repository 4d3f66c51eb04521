"""The small interfaces the core depends on; adapters implement them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.types import Inbound, Reply


class Bot(Protocol):
    """What every channel talks to: one inbound in, the replies out, state handled inside."""

    async def feed(self, inbound: Inbound) -> list[Reply]: ...


class Clock(Protocol):
    def now(self) -> float: ...


class SendError(Exception):
    """A push to the citizen failed; `code` is the channel's error (e.g. WeChat 45015)."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Sender(Protocol):
    """Pushes messages outside a reply (late answers, case changes, review invitations).

    Implementations raise SendError; callers decide whether to retry or record it.
    """

    async def send_text(self, user_id: str, text: str) -> None: ...

    async def send_template(self, user_id: str, template_id: str, data: dict[str, str], url: str = "") -> None: ...


# -- dialogue (issue 5) ------------------------------------------------------------------


class Journal(Protocol):
    """Where the dialogue leaves records staff read later. Texts arrive already masked."""

    async def record_turn(self, user: str, intent: str, text: str, replies: list[str], at: float) -> None: ...

    async def record_unanswered(self, user: str, text: str, at: float, chosen: str | None = None) -> None:
        """A question the bot could not answer at once: nothing fitted (`chosen` None), or
        the citizen picked `chosen` from the options search offered instead."""
        ...

    async def record_review_wish(self, user: str, text: str, at: float) -> None: ...

    async def close(self) -> None:
        """Make every record durable (journals may batch their writes)."""
        ...


class SearchHitLike(Protocol):
    code: str
    name: str
    kind: str
    score: float


class SearchResultLike(Protocol):
    decision: str  # "answer" | "options" | "none"
    answer: str | None
    results: list[SearchHitLike] | tuple[SearchHitLike, ...]
    options: list[SearchHitLike] | tuple[SearchHitLike, ...]


class Searcher(Protocol):
    """The catalog search index as the dialogue uses it (knowledge.search.SearchIndex)."""

    def search(self, query: str, k: int = 5) -> SearchResultLike: ...

    async def asearch(self, query: str, k: int = 5) -> SearchResultLike:
        """search() without holding up the event loop (the dialogue's way to search)."""
        ...


class CatalogSource(Protocol):
    """Gives the current snapshot (.catalog, .index); read per message so updates apply."""

    @property
    def snapshot(self) -> object: ...


# -- cases (办件) and reviews (好差评) ------------------------------------------------------
# Types live in bot.cases / bot.notifier / bot.reviews; imported for annotations only to avoid a cycle.

if TYPE_CHECKING:
    from bot.cases import Case
    from bot.notifier import Delivery
    from bot.reviews import CompletedCase, Invitation, Rectification, Review, Target


class CaseBackend(Protocol):
    """Where case records come from: the local table fed by pushes, or the source system's API.

    Raise bot.cases.CaseBackendError when the source cannot answer; None means "no such case".
    """

    async def get(self, number: str) -> Case | None: ...


class CaseBindings(Protocol):
    """Which users proved which cases are theirs, and their failed attempts (for lock-out)."""

    async def bind(self, user: str, number: str, at: float) -> None: ...

    async def bound_numbers(self, user: str) -> list[str]: ...

    async def subscribers(self, number: str) -> list[str]: ...

    async def record_attempt(self, user: str, number: str, ok: bool, at: float) -> None: ...

    async def failures_since(self, since: float, *, user: str = "", number: str = "") -> int: ...


class UserActivity(Protocol):
    """When each user last wrote to us: WeChat's 48-hour customer-service window.

    The dispatcher calls record_user_activity for every citizen message it handles.
    """

    async def record_user_activity(self, user: str, at: float) -> None: ...

    async def last_activity(self, user: str) -> float | None: ...


class DeliveryLog(Protocol):
    """Every push outcome, so failures can be seen and counted."""

    async def record_delivery(self, delivery: Delivery) -> None: ...


class ReviewStore(Protocol):
    """Reviews (一事一评), invitations and 差评 rectification records."""

    async def add_review(self, review: Review) -> Review | None: ...  # None: already rated

    async def get_review(self, target: Target, rater: str) -> Review | None: ...

    async def update_review(self, review: Review) -> None: ...

    async def reviews_between(self, since: float, until: float) -> list[Review]: ...

    async def add_invitation(self, invitation: Invitation) -> bool: ...

    async def invitations_for(self, rater: str) -> list[Invitation]: ...

    async def due_invitations(self, invited_before: float) -> list[Invitation]: ...

    async def claim_reminder(self, invitation: Invitation, at: float) -> bool: ...  # False: already claimed

    async def add_rectification(self, record: Rectification) -> Rectification: ...

    async def get_rectification(self, record_id: int) -> Rectification | None: ...

    async def save_rectification(self, record: Rectification) -> None: ...

    async def rectifications(self, *, open_only: bool = False) -> list[Rectification]: ...

    async def rectification_for(self, review_id: int) -> Rectification | None: ...

    async def completed_cases(self, since: float, until: float) -> list[CompletedCase]: ...
